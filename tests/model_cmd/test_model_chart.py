"""The text chart stacks each load step's outcome shares into one column; the curves are the formulas'."""

from __future__ import annotations

import pytest

from advisor.queueing.analytic import predict
from advisor.queueing.params import QueueParams, ServiceTime
from advisor.queueing.plot import CurvePoint, PanelData, load_axis, outcome_curve, render_text_chart


def _columns(lines: list[str], height: int) -> list[str]:
    """The chart body (rows between the title and the axis) read column by column, bottom cell first."""
    rows = [line[7:] for line in lines if len(line) > 6 and line[6] == "|"][:height]
    return ["".join(row[i] for row in reversed(rows)) for i in range(len(rows[0]))]


def test_columns_stack_ok_500_502_504_from_the_bottom():
    points = [CurvePoint(0.0, 1.0, 0.0, 0.0, 0.0), CurvePoint(1.0, 0.5, 0.0, 0.5, 0.0),
              CurvePoint(2.0, 0.25, 0.25, 0.0, 0.5), CurvePoint(3.0, 0.0, 0.0, 0.0, 1.0)]
    lines = render_text_chart([PanelData("current settings", points, 1.0)], offered_rps=1.0, height=4,
                              unicode=False)
    assert _columns(lines, 4) == ["####", "##XX", "#+::", "::::"]
    marks = lines[lines.index("      +----") + 1]
    assert marks == "        ^"  # capacity and load share column 1; the load mark wins
    assert "current settings (capacity 1 requests/s)" in lines[1]


def test_rounding_keeps_every_column_full_height():
    points = [CurvePoint(0.0, 1 / 3, 0.0, 1 / 3, 1 / 3), CurvePoint(1.0, 0.999, 0.0, 0.001, 0.0)]
    lines = render_text_chart([PanelData("p", points, 2.0)], offered_rps=0.0, height=8, unicode=False)
    columns = _columns(lines, 8)
    assert [len(column) for column in columns] == [8, 8]
    assert sorted(columns[0].count(glyph) for glyph in "#X:") == [2, 3, 3]
    assert columns[1] == "#" * 8  # 0.1 % of 502s is below one cell


def test_unicode_and_colour_only_when_asked():
    points = [CurvePoint(0.0, 0.5, 0.0, 0.5, 0.0)]
    plain = "\n".join(render_text_chart([PanelData("p", points, 1.0)], 0.0, height=2, unicode=True))
    assert "█" in plain and "▓" in plain and "\x1b[" not in plain
    coloured = "\n".join(render_text_chart([PanelData("p", points, 1.0)], 0.0, height=2, color=True))
    assert "\x1b[32m█\x1b[0m" in coloured and "\x1b[31m▓\x1b[0m" in coloured


def test_curve_points_are_predictions_and_the_axis_spans_twice_capacity():
    params = QueueParams.from_backlog(4, 2048, 4096, arrival_rate=1.0, service=ServiceTime.exponential(0.05),
                                      read_timeout_s=0.25)
    axis = load_axis(80.0, 30.0, points=5)
    assert axis == [0.0, 40.0, 80.0, 120.0, 160.0]
    assert load_axis(80.0, 500.0, points=3)[-1] == pytest.approx(550.0)  # the offered load stays on the chart
    curve = outcome_curve(lambda rps: params.with_rho(rps / 80.0), axis)
    at_96 = predict(params.with_rho(1.2), latencies=False)
    assert at_96.p_ok == pytest.approx(0.0, abs=1e-3)  # queueing.md §6: B = 2048, rho = 1.2 -> 0 % ok
    for point in curve:
        expected = predict(params.with_rho(point.offered_rps / 80.0), latencies=False)
        assert point.p_ok == pytest.approx(expected.p_ok, rel=1e-12, abs=1e-15)
        assert point.p_504 == pytest.approx(expected.p_504 + expected.p_504_connect, rel=1e-12, abs=1e-15)
    assert curve[-1].p_ok < 0.001 and curve[1].p_ok > 0.9
