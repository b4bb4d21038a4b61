"""What `advisor model` computed for each link: the data its text and JSON renderers share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from advisor.accesslog.analyse import RouteResult
    from advisor.accesslog.compare import Agreement
    from advisor.accesslog.workload import AppWorkload, FittedWorkload
    from advisor.queueing.analytic import Prediction
    from advisor.queueing.plot import CurvePoint, PanelData
    from advisor.queueing.recommend import Recommendation
    from advisor.queueing.scenario import Scenario
    from advisor.queueing.simulate import Band, SimResult

__all__ = ["LazyPanel", "LinkReport", "ModelOutcome", "Simulation"]


class LazyPanel:
    """A load-curve panel (advisor.queueing.plot.PanelData) whose points are predicted on first use: a curve is some
    forty predictions, and only the chart of --explain, --plot and the JSON output show it."""

    def __init__(self, title: str, compute: Callable[[], list[CurvePoint]], capacity_rps: float) -> None:
        self.title = title
        self.capacity_rps = capacity_rps
        self._compute: Callable[[], list[CurvePoint]] | None = compute
        self._points: list[CurvePoint] = []

    @property
    def points(self) -> list[CurvePoint]:
        if self._compute is not None:
            self._points, self._compute = self._compute(), None
        return self._points


@dataclass
class Simulation:
    result: SimResult
    band: Band
    warmup_s: float
    differences: list[tuple[str, float | None, float | None, tuple[float, float]]]
    elapsed_s: float


@dataclass
class LinkReport:
    scenario: Scenario
    prediction: Prediction  # the formulas' numbers
    recommendations: list[Recommendation]
    recommended: Scenario  # with every recommendation applied
    narrative: list[str]
    current_curve: PanelData | LazyPanel
    recommended_curve: PanelData | LazyPanel | None  # None when nothing is recommended
    overload_rps: float
    overload_fill_s: float | None
    error_budget: float
    simulation: Simulation | None = None
    workload: AppWorkload | None = None  # with --access-log: the app server's fitted workload
    observed: RouteResult | None = None  # with --access-log: what the log saw on this route
    agreement: Agreement | None = None  # with --access-log: predicted against observed

    @property
    def shown(self) -> Prediction | SimResult:
        """The numbers the verdict uses: the simulation's with --simulate, else the formulas'."""
        return self.simulation.result if self.simulation is not None else self.prediction

    @property
    def panels(self) -> list[PanelData | LazyPanel]:
        return [self.current_curve] + ([self.recommended_curve] if self.recommended_curve is not None else [])

    @property
    def error_share(self) -> float:
        from advisor.queueing.recommend import error_share

        return error_share(self.shown)

    @property
    def over_budget(self) -> bool:
        return self.error_share > self.error_budget + 1e-12


@dataclass
class ModelOutcome:
    reports: list[LinkReport] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    fitted: FittedWorkload | None = None  # with --access-log
