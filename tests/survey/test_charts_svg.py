"""Server-drawn SVG charts: round axis steps and escaped labels."""

from __future__ import annotations

import re

import pytest

from survey.charts_svg import BarRow, _nice_axis, interval_bars


@pytest.mark.parametrize("largest, end", [(0.514, 0.6), (0.1, 0.1), (0.33, 0.4), (1.0, 1.0), (3.7, 4.0), (87, 100)])
def test_the_axis_ends_on_four_round_steps(largest, end):
    assert _nice_axis(largest) == pytest.approx(end)


def test_ticks_are_round_percentages_and_labels_are_escaped():
    svg = str(interval_bars([BarRow("<b>健康体检</b>", 0.514, 0.507, 0.521)], title="t"))
    ticks = re.findall(r'class="chart-tick"[^>]*>([^<]+)<', svg)
    assert ticks == ["0%", "15%", "30%", "45%", "60%"]
    assert "<b>健康体检</b>" not in svg and "&lt;b&gt;健康体检&lt;/b&gt;" in svg
