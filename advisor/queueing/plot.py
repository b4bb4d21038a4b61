"""Pictures of the outcome shares (ok / 500 / 502 / 503 / 504) against offered load: a text chart and a matplotlib file.

The text chart stacks the shares of each load step in one column (ok at the bottom), so every column is 100 % of
the requests at that load. It uses block characters (or plain ASCII) and ANSI colours only when asked to.
matplotlib is optional (``pip install 'proxy-advisor[plot]'``) and imported only by :func:`write_plot`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from advisor.units import format_rate

from .analytic import predict
from .params import QueueParams

__all__ = [
    "CurvePoint",
    "PLOT_SUFFIXES",
    "PanelData",
    "load_axis",
    "matplotlib_missing_message",
    "outcome_curve",
    "render_text_chart",
    "write_plot",
]

PLOT_SUFFIXES = (".png", ".svg")
OUTCOMES = ("ok", "500", "502", "504")  # stacking order, bottom to top
WITH_503 = ("ok", "500", "502", "503", "504")  # when the app server refuses some (an event loop's concurrency limit)
_UNICODE_CELLS = {"ok": "█", "500": "▒", "502": "▓", "503": "▚", "504": "░"}
_ASCII_CELLS = {"ok": "#", "500": "+", "502": "X", "503": "%", "504": ":"}
_ANSI = {"ok": "\x1b[32m", "500": "\x1b[35m", "502": "\x1b[31m", "503": "\x1b[34m", "504": "\x1b[33m"}
_RESET = "\x1b[0m"
_PLOT_COLOURS = {"ok": "#2ca02c", "500": "#9467bd", "502": "#d62728", "503": "#1f77b4", "504": "#ff7f0e"}


@dataclass(frozen=True)
class CurvePoint:
    """Outcome shares at one offered load; ``p_504`` counts read and connect timeouts together."""

    offered_rps: float
    p_ok: float
    p_500: float
    p_502: float
    p_504: float
    p_503: float = 0.0

    def share(self, outcome: str) -> float:
        return {"ok": self.p_ok, "500": self.p_500, "502": self.p_502, "503": self.p_503, "504": self.p_504}[outcome]

    def to_dict(self) -> dict[str, float]:
        return {"offered_rps": self.offered_rps, "p_ok": self.p_ok, "p_500": self.p_500, "p_502": self.p_502,
                "p_503": self.p_503, "p_504": self.p_504}


@dataclass(frozen=True)
class PanelData:
    """One panel: a title and its curve; ``capacity_rps`` is c/E[H] of that configuration."""

    title: str
    points: list[CurvePoint]
    capacity_rps: float


def load_axis(capacity_rps: float, offered_rps: float, points: int = 41,
              other_capacities: Sequence[float] = ()) -> list[float]:
    """Offered loads from 0 to 2x the largest capacity (further if the offered load is beyond that)."""
    top = 2.0 * max(capacity_rps, *other_capacities) if other_capacities else 2.0 * capacity_rps
    top = max(top, 1.1 * offered_rps)
    return [top * i / (points - 1) for i in range(points)]


def outcome_curve(params_at: Callable[[float], QueueParams], rps_values: Sequence[float]) -> list[CurvePoint]:
    """Predicted shares for each offered load (formulas, no latency quantiles)."""
    out = []
    for rps in rps_values:
        p = predict(params_at(rps), latencies=False)
        out.append(CurvePoint(rps, p.p_ok, p.p_500, p.p_502, p.p_504 + p.p_504_connect, p.p_503))
    return out


def _outcomes_of(panels: Sequence[PanelData]) -> tuple[str, ...]:
    """The stacked outcomes: 503 only where some point has it."""
    return WITH_503 if any(point.p_503 > 0 for panel in panels for point in panel.points) else OUTCOMES


def _cells(point: CurvePoint, height: int, names: Sequence[str] = OUTCOMES) -> list[str]:
    """The column of ``height`` cells (bottom first) for one load: largest-remainder rounding of the shares."""
    shares = [max(0.0, point.share(name)) for name in names]
    total = sum(shares) or 1.0
    exact = [height * share / total for share in shares]
    counts = [int(value) for value in exact]
    by_remainder = sorted(range(len(names)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: height - sum(counts)]:
        counts[i] += 1
    column: list[str] = []
    for name, count in zip(names, counts, strict=True):
        column.extend([name] * count)
    return column


def _column_of(rps: float, axis: Sequence[float]) -> int | None:
    if not axis or rps < 0 or rps > axis[-1] * (1 + 1e-9):
        return None
    step = axis[-1] / (len(axis) - 1) if len(axis) > 1 else 1.0
    return min(len(axis) - 1, int(round(rps / step)))


def render_text_chart(panels: Sequence[PanelData], offered_rps: float, *, height: int = 8, unicode: bool = True,
                      color: bool = False) -> list[str]:
    """Stacked-column charts, one per panel, on a shared requests/s axis; returns the lines (no trailing newline)."""
    glyphs = _UNICODE_CELLS if unicode else _ASCII_CELLS

    def paint(name: str) -> str:
        cell = glyphs[name]
        return f"{_ANSI[name]}{cell}{_RESET}" if color else cell

    lines: list[str] = []
    names = _outcomes_of(panels)
    legend = "  ".join(f"{paint(name)} {name}" for name in names)
    lines.append(f"      {legend}   (share of requests; 504 includes connect timeouts)")
    for panel in panels:
        axis = [point.offered_rps for point in panel.points]
        width = len(axis)
        columns = [_cells(point, height, names) for point in panel.points]
        lines.append(f"      {panel.title} (capacity {format_rate(panel.capacity_rps)})")
        for row in range(height - 1, -1, -1):
            label = "100%" if row == height - 1 else ("  0%" if row == 0 else
                                                       (" 50%" if row == height // 2 else "    "))
            lines.append(f"  {label}|" + "".join(paint(column[row]) for column in columns))
        marks = [" "] * width
        cap_col = _column_of(panel.capacity_rps, axis)
        load_col = _column_of(offered_rps, axis)
        if cap_col is not None:
            marks[cap_col] = "|"
        if load_col is not None:
            marks[load_col] = "^"
        lines.append("      +" + "-" * width)
        lines.append("       " + "".join(marks).rstrip())
        left, right = "0", format_rate(axis[-1])
        lines.append("       " + left + " " * max(1, width - len(left) - len(right)) + right)
    lines.append(f"       ^ your load {format_rate(offered_rps)}   | capacity c/E[H] of that configuration")
    return lines


def matplotlib_missing_message() -> str | None:
    """None when matplotlib can be imported, else how to install it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return ("--plot needs matplotlib, which is not installed; install the optional extra with "
                "`pip install 'proxy-advisor[plot]'` (or `pip install 'matplotlib>=3.7'`)")
    return None


def write_plot(path: str, rows: Sequence[tuple[str, Sequence[PanelData]]], offered_rps: float) -> None:
    """Write one row of stacked-area panels per link (title, panels) to ``path`` (.png or .svg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = max(len(panels) for _, panels in rows)
    names = _outcomes_of([panel for _, panels in rows for panel in panels])
    figure, axes = plt.subplots(len(rows), columns, figsize=(5.5 * columns, 3.4 * len(rows)), squeeze=False)
    try:
        for row, (title, panels) in enumerate(rows):
            for col in range(columns):
                ax = axes[row][col]
                if col >= len(panels):
                    ax.axis("off")
                    continue
                panel = panels[col]
                xs = [point.offered_rps for point in panel.points]
                ax.stackplot(xs, *[[100 * point.share(name) for point in panel.points] for name in names],
                             labels=list(names), colors=[_PLOT_COLOURS[name] for name in names], alpha=0.85)
                ax.axvline(panel.capacity_rps, color="black", linestyle=":", linewidth=1, label="capacity")
                ax.axvline(offered_rps, color="black", linestyle="--", linewidth=1, label="your load")
                ax.set_xlim(0, xs[-1])
                ax.set_ylim(0, 100)
                ax.set_xlabel("offered load (requests/s)")
                ax.set_ylabel("share of requests (%)")
                ax.set_title(f"{panel.title}\n{title}" if col == 0 else panel.title, fontsize=8)
                if row == 0 and col == 0:
                    ax.legend(loc="lower left", fontsize=7)
        figure.tight_layout()
        figure.savefig(path)
    finally:
        plt.close(figure)
