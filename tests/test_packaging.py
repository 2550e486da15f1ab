"""The wheel carries everything a non-editable ``pip install .`` needs to serve pages."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
    )
    (path,) = out.glob("kaimen-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


@pytest.fixture(scope="module")
def wheel_names(wheel) -> set[str]:
    return set(wheel.namelist())


def test_wheel_ships_templates_inside_the_survey_package(wheel_names):
    for template in ROOT.joinpath("templates").rglob("*.html"):
        assert f"survey/templates/{template.relative_to(ROOT / 'templates').as_posix()}" in wheel_names


def test_wheel_ships_compiled_catalogs_static_assets_and_migrations(wheel_names):
    expected = {
        "survey/translations/zh_Hans_CN/LC_MESSAGES/messages.mo",
        "survey/translations/en/LC_MESSAGES/messages.mo",
        "survey/static/css/kaimen.css",
        "survey/static/js/kaimen.js",
        "survey/migrations/alembic.ini",
        "survey/migrations/env.py",
        "survey/migrations/script.py.mako",
    }
    assert expected <= wheel_names
    versions = {p.name for p in ROOT.joinpath("survey/migrations/versions").glob("*.py")}
    assert {f"survey/migrations/versions/{name}" for name in versions} <= wheel_names


def test_wheel_ships_the_three_packages_and_the_console_script(wheel, wheel_names):
    assert {"survey/__init__.py", "forms/__init__.py", "scoring/__init__.py"} <= wheel_names
    (entry_points,) = [n for n in wheel_names if n.endswith(".dist-info/entry_points.txt")]
    assert "kaimen = survey.cli:main" in wheel.read(entry_points).decode()
    assert not any(name.startswith(("tests/", "instance/")) for name in wheel_names)


def test_wheel_ships_the_report_font_and_its_licence(wheel_names):
    fonts = ROOT / "survey/reports/fonts"
    shipped = {f"survey/reports/fonts/{p.name}" for p in fonts.iterdir() if p.suffix in {".ttf", ".txt"}}
    assert {"survey/reports/fonts/wqy-microhei-gbk.ttf", "survey/reports/fonts/LICENSE-wqy-microhei.txt"} <= shipped
    assert shipped <= wheel_names
