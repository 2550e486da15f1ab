"""The benchmark's machine line: timings mean little without the machine they came from."""

from __future__ import annotations

import os
import platform

import numpy as np
import scipy

from bench.bench_scoring import cpu_model, machine_description


def test_cpu_model_reads_the_model_name_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC  7B13 64-Core Processor\n")
    assert cpu_model(str(cpuinfo)) == "AMD EPYC 7B13 64-Core Processor"


def test_cpu_model_without_cpuinfo_falls_back_to_platform(tmp_path):
    expected = platform.processor() or platform.machine() or "unknown CPU"
    assert cpu_model(str(tmp_path / "absent")) == expected


def test_machine_description_is_one_line_with_cores_and_versions(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("model name\t: Test CPU\n")

    line = machine_description(str(cpuinfo))

    assert "\n" not in line
    assert line.startswith(f"machine: Test CPU, {os.cpu_count()} cores")
    assert line.endswith(f"; Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}")
