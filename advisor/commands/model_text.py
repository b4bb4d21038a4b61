"""Text output of `advisor model`: one compact block per app server and parameter set, details with --explain.

The default block answers "is this deployment within its error budget, and what should change?" in about a dozen
lines: the verdict, the predicted outcome shares and latency, the settings the model read (with where each came
from), what overload does, and the top recommendations with their predicted effect. Routes that reach the same app
server with identical parameters share one block. ``--explain`` adds every parameter with its full provenance, the
notes, why each recommendation helps, the step-by-step "what happens when all workers are busy" and the load chart.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from advisor.commands.model_log_text import agreement_line, log_header_lines, log_workload_line, observed_line
from advisor.commands.model_report import LinkReport, ModelOutcome
from advisor.privacy import redact_naming_outside
from advisor.units import format_duration as _dur
from advisor.units import format_percent as _pct
from advisor.units import format_rate as _rate
from advisor.units import nginx_time

if TYPE_CHECKING:
    from advisor.model.provenance import Source
    from advisor.queueing.analytic import Prediction
    from advisor.queueing.recommend import Recommendation
    from advisor.queueing.scenario import Scenario
    from advisor.queueing.simulate import SimResult

__all__ = ["group_reports", "render_text"]

TOP_RECOMMENDATIONS = 3
LABEL_WIDTH = 11  # "  predicted " column of the compact block
MODEL_DOC = "docs/model.md"
FAILURES_DOC = "docs/failures.md"
_GREEN, _RED, _RESET = "\x1b[32m", "\x1b[31m", "\x1b[0m"


# -- number formats -------------------------------------------------------------------------------------------------


def _value(symbol: str, value: Any) -> str:
    if value is None:
        return "off" if symbol == "Tw" else "-"
    if symbol in ("S", "T", "Tc", "Tw", "R"):
        return _dur(float(value))
    if symbol == "lambda":
        return _rate(float(value))
    return str(value)


def _setting_value(rec: Recommendation, value: Any) -> str:
    return _value("T", value) if "timeout" in rec.setting else str(value)


class _Places:
    """Where values came from, briefly: ``file:line`` (``:line`` again for the file named just before), ``default``
    or the option. One instance per line of text, so every line names its files."""

    def __init__(self) -> None:
        self.last_path: str | None = None

    def __call__(self, source: Source | None) -> str:
        if source is None or source.kind == "default":
            return "default"
        if source.kind == "option":
            return str(source.detail)
        if source.kind != "file":
            return source.kind
        path = str(source.path)
        if source.line is None:
            self.last_path = path
            return path
        where = f":{source.line}" if path == self.last_path else f"{path}:{source.line}"
        self.last_path = path
        return where


# -- grouping -------------------------------------------------------------------------------------------------------


def _group_key(report: LinkReport) -> tuple[Any, ...]:
    scenario = report.scenario
    recommendations = tuple((rec.setting, rec.current, rec.recommended, rec.line) for rec in report.recommendations)
    return (scenario.app.id, scenario.upstream, scenario.nginx_prefix, scenario.settings, scenario.notes,
            recommendations)


def group_reports(reports: Sequence[LinkReport]) -> list[list[LinkReport]]:
    """Reports of routes that reach one app server with identical parameters (and so identical predictions and
    recommendations) grouped together, in the order of their first route."""
    groups: dict[tuple[Any, ...], list[LinkReport]] = {}
    for report in reports:
        groups.setdefault(_group_key(report), []).append(report)
    return list(groups.values())


# -- the writer -----------------------------------------------------------------------------------------------------


class _Text:
    def __init__(self, width: int) -> None:
        self.lines: list[str] = []
        self.width = width

    def add(self, text: str = "") -> None:
        self.lines.append(redact_naming_outside(text))

    def wrap(self, text: str, indent: str, first: str | None = None) -> None:
        text = redact_naming_outside(text)  # quotes nothing from files outside the project (advisor/privacy.py)
        self.lines.extend(textwrap.wrap(text, self.width, initial_indent=first if first is not None else indent,
                                        subsequent_indent=indent, break_on_hyphens=False, break_long_words=False))

    def field(self, label: str, text: str) -> None:
        """A compact-block line: the label in a fixed column, the text wrapped under itself."""
        self.wrap(text, " " * (LABEL_WIDTH + 2), f"  {label:<{LABEL_WIDTH}}")


# -- the compact block ----------------------------------------------------------------------------------------------


def _header(group: list[LinkReport]) -> str:
    routes = ", ".join(report.scenario.route.id for report in group)
    same = f"  ({len(group)} routes, same parameters)" if len(group) > 1 else ""
    return f"== {routes} -> {group[0].scenario.app.id}{same}"


def _verdict(report: LinkReport, color: bool) -> str:
    word = "OVER BUDGET" if report.over_budget else "within budget"
    if color:
        word = f"{_RED if report.over_budget else _GREEN}{word}{_RESET}"
    kinds = "502 + 503 + 504 + 500" if _refuses_503(report.scenario) else "502 + 504 + 500"
    return (f"{word}: {_pct(report.error_share)} of requests fail ({kinds}); error budget "
            f"{_pct(report.error_budget)}")


def _refuses_503(scenario: Scenario) -> bool:
    """The app server itself answers 503 beyond a limit (uvicorn's limit_concurrency)."""
    return scenario.params.limited_loop


def _outcomes(p: Prediction | SimResult, with_503: bool = False) -> str:
    timeouts = p.p_504 + p.p_504_connect
    connect = f" ({_pct(p.p_504_connect)} connect)" if p.p_504_connect > 0 else ""
    latency = (f"p50 {_dur(p.latency_p50_s)}, p99 {_dur(p.latency_p99_s)}" if p.latency_p50_s is not None
               else "no successful requests to speak of")
    refused = f"  503 {_pct(p.p_503)}" if with_503 or p.p_503 > 0 else ""
    return (f"ok {_pct(p.p_ok)}  502 {_pct(p.p_502)}{refused}  504 {_pct(timeouts)}{connect}  500 {_pct(p.p_500)};  "
            f"{latency};  {_pct(p.utilization)} busy")


def _pool(scenario: Scenario) -> str:
    """The gunicorn side: request slots, waiting room and the worker timeout, each with its source."""
    s, src, at = scenario.settings, scenario.setting_sources, _Places()
    if s.family == "uwsgi":
        return _uwsgi_pool(scenario)
    if s.family == "event-loop":
        return _event_loop_pool(scenario)
    workers = f"{s.workers} {s.family} workers ({at(src.get('workers'))})"
    if s.family == "gthread":
        slots = f"{s.servers} request slots: {workers} x threads {s.threads} ({at(src.get('threads'))})"
    elif s.family == "gevent":
        slots = (f"{s.servers} greenlets: {workers} x worker_connections {s.worker_connections} "
                 f"({at(src.get('worker_connections'))})")
    else:
        slots = workers
    capped = (f" capped by somaxconn {s.somaxconn} ({at(src.get('somaxconn'))})" if s.backlog > s.somaxconn
              else "")
    kernel = f"in the accept queue (backlog {s.backlog} ({at(src.get('backlog'))}){capped} + 1)"
    queue = f"{s.queue_room} can wait {kernel}"
    if s.worker_queue_room:
        queue = (f"{s.queue_room} can wait: {s.kernel_queue_room} {kernel}, {s.worker_queue_room} inside the "
                 f"workers (worker_connections {s.worker_connections}, {at(src.get('worker_connections'))})")
    if s.family != "sync":
        timeout = "timeout does not limit a request"
    elif s.worker_timeout_s > 0:
        timeout = f"timeout {_dur(s.worker_timeout_s)} ({at(src.get('timeout'))})"
    else:
        timeout = f"timeout off ({at(src.get('timeout'))})"
    return f"{slots}; {queue}; {timeout}"


def _event_loop_pool(scenario: Scenario) -> str:
    """Event loops: workers, the concurrency limit (uvicorn) and that nothing queues."""
    s, src, at = scenario.settings, scenario.setting_sources, _Places()
    kind = "uvicorn" if scenario.app.kind == "uvicorn" else (s.worker_class or "event-loop")
    workers = f"{s.workers} {kind} workers ({at(src.get('workers'))}), each an event loop"
    if s.concurrency_limit is not None:
        limit = (f"limit_concurrency {s.concurrency_limit} ({at(src.get('limit_concurrency'))}): at most "
                 f"{max(0, s.concurrency_limit - 1)} requests at once per worker, the next one gets 503")
    else:
        limit = "no concurrency limit: every request is served at once"
    return f"{workers}; {limit}; nothing waits in a queue; no worker timeout"


def _uwsgi_pool(scenario: Scenario) -> str:
    """The uWSGI side: processes x cores, the listen queue and harakiri, each with its source."""
    s, src, at = scenario.settings, scenario.setting_sources, _Places()
    slots = f"{s.servers} request slots: processes {s.workers} ({at(src.get('workers'))})"
    if s.threads > 1:
        name = "threads" if "threads" in src else ("gevent" if s.worker_class == "uwsgi-gevent" else "async")
        slots += f" x {name} {s.threads} ({at(src.get(name))})"
    capped = (f" capped by somaxconn {s.somaxconn} ({at(src.get('somaxconn'))})" if s.backlog > s.somaxconn
              else "")
    queue = f"{s.queue_room} can wait in the listen queue (listen {s.backlog} ({at(src.get('listen'))}){capped} + 1)"
    harakiri = (f"harakiri {_dur(s.worker_timeout_s)} ({at(src.get('harakiri'))}) kills the worker: 502"
                if s.worker_timeout_s > 0 else f"harakiri off ({at(src.get('harakiri'))})")
    return f"{slots}; {queue}; {harakiri}"


def _nginx(scenario: Scenario) -> str:
    s, src, prefix, at = scenario.settings, scenario.setting_sources, scenario.nginx_prefix, _Places()
    kind = "" if s.socket == "unix" else "TCP "  # a unix address names itself: unix:/run/app.sock
    address = scenario.parameters.get("socket")
    where = f" ({at(address.sources[0][1])})" if address is not None and address.sources else ""
    read = f"{prefix}_read_timeout {nginx_time(s.read_timeout_s)} ({at(src.get(f'{prefix}_read_timeout'))})"
    text = f"{kind}{scenario.upstream}{where}; {read}"
    if s.socket == "tcp":
        text += (f"; {prefix}_connect_timeout {nginx_time(s.connect_timeout_s)} "
                 f"({at(src.get(f'{prefix}_connect_timeout'))})")
    return text


def _overload(report: LinkReport) -> str:
    scenario, p = report.scenario, report.prediction
    if scenario.params.unbounded:
        if not scenario.params.limited_loop:
            return "no capacity limit in the model: more load means more requests in progress, none waits"
        return (f"capacity {_rate(p.max_throughput_rps)} ({scenario.settings.servers} requests at once); beyond "
                "it the workers answer 503 at once, nothing queues")
    if p.fill_time_s is not None:
        fill = f"this load is above it: the queue fills in {_dur(p.fill_time_s)}"
    else:
        fill = f"at {_rate(report.overload_rps)} the queue fills in {_dur(report.overload_fill_s)}"
    text = f"capacity {_rate(p.max_throughput_rps)}; {fill} and takes {_dur(p.drain_time_s)} to drain"
    deadline = scenario.settings.read_timeout_s
    if deadline is not None and p.drain_time_s + p.mean_holding_s > deadline:
        text += f" (> {scenario.nginx_prefix}_read_timeout {nginx_time(deadline)}: then nearly every request is a 504)"
    return text


def _approximation(report: LinkReport) -> str:
    """What makes this prediction approximate, in a few words (the full reason is shown with --explain)."""
    scenario, p = report.scenario, report.prediction
    params = scenario.params
    causes = []
    worker_timeout = params.worker_timeout_s
    if worker_timeout is not None and params.service.sf(float(worker_timeout)) > 1e-15:
        causes.append("the worker timeout cuts slow requests")
    elif params.service.kind != "exponential":
        causes.append(f"{params.service.kind} service time")
    if params.socket == "tcp" and params.syn_retries_before_timeout:
        causes.append(f"SYN retries before {scenario.nginx_prefix}_connect_timeout")
    return ", ".join(causes) or _short_reason(p.approximation_reason or "")


def _short_reason(reason: str) -> str:
    """The first clause of an approximation reason (before "; " or " - "), without a dangling parenthesis."""
    clause = re.split(r";| - ", reason, maxsplit=1)[0].strip()
    if clause.count("(") > clause.count(")"):
        clause = clause[: clause.rfind("(")].rstrip()
    return clause


def _observed_lines(out: _Text, group: list[LinkReport]) -> None:
    """What the log saw on each route of the group, and whether the model explains it."""
    for member in group:
        prefix = f"{member.scenario.route.id.split(' ', 1)[-1]}: " if len(group) > 1 else ""
        if member.observed is None:
            out.field("observed", f"{prefix}no request of this route in the log")
            continue
        out.field("observed", prefix + observed_line(member.observed, member.workload))
        if member.agreement is not None:
            out.field("log", prefix + agreement_line(member.agreement))


def _recommendation_lines(out: _Text, group: list[LinkReport], limit: int | None) -> None:
    report = group[0]
    recommendations = report.recommendations
    if not recommendations:
        out.field("change", "nothing: no change predicts a better outcome at this load or in overload")
        return
    shown = recommendations if limit is None else recommendations[:limit]
    label = "change"
    for number, rec in enumerate(shown, 1):
        places = list(dict.fromkeys(member.recommendations[number - 1].where for member in group))
        out.wrap(f"{number}. `{rec.line}` (now {_setting_value(rec, rec.current)}) at {', '.join(places)}",
                 " " * (LABEL_WIDTH + 5), f"  {label:<{LABEL_WIDTH}}")
        label = ""
        out.wrap(_effect(rec, report.scenario.rps), " " * (LABEL_WIDTH + 5))
    if len(recommendations) > len(shown):
        out.field("", f"... {len(recommendations) - len(shown)} more with --explain")


def _effect(rec: Recommendation, rps: float) -> str:
    from advisor.queueing.recommend import error_share

    return (f"errors {_pct(error_share(rec.before))} -> {_pct(error_share(rec.after))} at {_rate(rps)}; ok "
            f"{_pct(rec.overload_before.p_ok)} -> {_pct(rec.overload_after.p_ok)} at {_rate(rec.overload_rps)} "
            "(overload)")


def _compact(out: _Text, group: list[LinkReport], color: bool, explain: bool) -> None:
    report = group[0]
    scenario, p = report.scenario, report.prediction
    out.wrap(_header(group), "     ", "")
    out.field("verdict", _verdict(report, color))
    if report.workload is not None:
        out.field("workload", log_workload_line(report.workload))
    out.field("simulated" if report.simulation is not None else "predicted",
              _outcomes(report.shown, _refuses_503(scenario)))
    if report.workload is not None:
        _observed_lines(out, group)
    out.field({"uwsgi": "uwsgi", "uvicorn": "uvicorn"}.get(scenario.app.kind, "gunicorn"), _pool(scenario))
    out.field("nginx", _nginx(scenario))
    out.field("overload", _overload(report))
    if report.simulation is not None:
        sim = report.simulation
        differ = ", ".join(key for key, *_ in sim.differences)
        agree = ("the formulas agree (every value inside the simulator's 95 % band)" if not sim.differences else
                 f"the formulas differ beyond the simulator's 95 % band for {differ}")
        if sim.band.runs < 2:  # the time budget allowed no band
            agree = "no band: the time budget allowed too few runs to check the formulas"
        elif "p_ok" in sim.band:
            agree += f"; band of {sim.band.runs} runs: ok {_pct(sim.band['p_ok'][0])} - {_pct(sim.band['p_ok'][1])}"
        out.field("model", f"{sim.result.counts['arrivals']} simulated requests over {_dur(sim.result.duration_s)}; "
                           f"{agree}")
    elif p.approximate:
        out.field("model", f"approximate ({_approximation(report)}); --simulate checks it")
    _recommendation_lines(out, group, None if explain else TOP_RECOMMENDATIONS)


# -- the details (--explain) ----------------------------------------------------------------------------------------

_LABELS = {"worker_timeout_status": "killed"}


def _parameters(out: _Text, scenario: Scenario) -> None:
    from advisor.queueing.scenario import iter_parameter_rows

    out.add(f"  parameters ({MODEL_DOC}#from-deployment-to-queue)")
    for row in iter_parameter_rows(scenario):
        if row.symbol in ("R", "worker_timeout_status") and scenario.params.worker_timeout_s is None:
            continue  # no worker timeout in the model: its restart time and status do not matter
        label = _LABELS.get(row.symbol, row.symbol)
        out.wrap(row.meaning, " " * 26, f"    {label:<10}{_value(row.symbol, row.value):<12}")
        out.wrap(row.where(), " " * 29, " " * 26 + "<- ")


def _details(out: _Text, group: list[LinkReport], chart: list[str]) -> None:
    report = group[0]
    scenario, p = report.scenario, report.prediction
    out.add("")
    _parameters(out, scenario)
    if scenario.notes:
        out.add("  notes")
        for note in scenario.notes:
            out.wrap(note, "      ", "    - ")
    out.add("  model")
    out.wrap(p.model, "      ", "    - ")
    if p.approximate and p.approximation_reason:
        out.wrap(f"approximate: {p.approximation_reason}", "      ", "    - ")
    out.wrap(f"utilisation {_pct(report.shown.utilization)} (offered rho {p.rho:.3g}); goodput "
             f"{report.shown.goodput_rps:.4g} requests/s", "      ", "    - ")
    if report.simulation is not None:
        sim = report.simulation
        out.wrap(f"simulated: {sim.result.model}; {sim.result.counts['arrivals']} requests over "
                 f"{_dur(sim.result.duration_s)} after a {_dur(sim.warmup_s)} warm-up, seed {sim.result.seed}; band "
                 f"of {sim.band.runs} runs", "      ", "    - ")
        for key, analytic, simulated, (lo, hi) in sim.differences:
            fmt = _dur if key.startswith("latency") else _pct
            out.add(f"      {key}: formulas {fmt(analytic)}, simulated {fmt(simulated)}, band {fmt(lo)} - {fmt(hi)}")
    if report.recommendations:
        out.add("  why these changes (each predicted together with the ones above it)")
        for number, rec in enumerate(report.recommendations, 1):
            out.wrap(rec.reason, "       ", f"    {number}. ")
    out.add(f"  what happens if all workers are busy and a request comes in? ({FAILURES_DOC}#queues-and-overload)")
    for line in report.narrative:
        out.wrap(line, "      ", "    - ")
    out.add("  outcome share against offered load (formulas" + ("" if report.recommendations else
                                                              "; nothing to recommend, so only the current settings")
            + ")")
    out.lines.extend(chart)


# -- the whole output -----------------------------------------------------------------------------------------------


def render_text(outcome: ModelOutcome, *, rps: float, service: str, error_budget: float, simulate: bool,
                plot: str | None, explain: bool, unicode: bool, color: bool, width: int) -> str:
    """The text report; ``service`` is the service time as described to the user."""
    from advisor.queueing.plot import render_text_chart

    out = _Text(width)
    if outcome.fitted is not None:
        for line in log_header_lines(outcome.fitted):
            out.wrap(line, "  ", "")
        out.add(f"error budget {_pct(error_budget)}" + (", simulated" if simulate else ""))
    else:
        out.add(f"advisor model: {rps:g} requests/s, service time {service}, error budget {_pct(error_budget)}"
                + (", simulated" if simulate else ""))
    for group in group_reports(outcome.reports):
        out.add("")
        _compact(out, group, color, explain)
        if explain:
            chart = render_text_chart(group[0].panels, rps, unicode=unicode, color=color)
            _details(out, group, chart)
    unmodelled: dict[str, list[str]] = {}  # one block per reason, naming every route it stops
    for label, message in outcome.errors:
        unmodelled.setdefault(message.replace(f"cannot model {label}: ", ""), []).append(label)
    for reason, labels in unmodelled.items():
        out.add("")
        out.wrap(f"== {', '.join(labels)}", "     ", "")
        out.wrap(reason, "      ", "    not modelled: ")
    over = [r for r in outcome.reports if r.over_budget]
    out.add("")
    out.add(f"summary: {len(outcome.reports)} link(s) modelled, {len(over)} over the error budget"
            + (f", {len(outcome.errors)} not modelled" if outcome.errors else ""))
    if not explain and outcome.reports:
        out.wrap("--explain adds every parameter with its source, what happens when all workers are busy, notes and "
                 "a chart of the outcomes against load", "  ")
    out.add(f"how the model works: {MODEL_DOC}; how 502, 504 and 500 arise: {FAILURES_DOC}")
    if plot:
        out.add(f"plot written to {plot}")
    return "\n".join(out.lines) + "\n"
