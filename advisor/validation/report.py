"""The validation report: a side-by-side text table, or one JSON object.

JSON: ``{"link", "predicted", "measured", "band", "rows", "verdict", "parameters", "nginx_error_log", "server",
"split", "notes", "warnings", "band_level", "band_runs"}``; ``split`` (gthread with several workers, else null):
``model_shares``, ``measured_shares`` (requests per worker, most first) and ``predicted_with_measured_split``;
``predicted`` and ``measured`` share the model's keys (p_ok, p_502, p_504, p_504_connect, p_500, p_other,
latency_p50_s, latency_p99_s, utilization, ...), ``band`` maps each key to [lo, hi]. Times are in the configured
deployment's units (divided by the time scale), except ``measured.send_lag_p99_s``, the load generator's lag
behind its schedule in wall-clock seconds of the run.
``measured.outcome_codes`` has one character per measured request in schedule order (o ok, 2 502, 4 504 read,
c 504 connect, 5 500, x other): runs with the same seed send the same requests and can be compared one by one.
"""

from __future__ import annotations

import json
import math
from typing import Any

from advisor.units import format_duration, format_percent, format_rate, nginx_time

from .compare import Row
from .nginx_errorlog import SIGNATURES

_SIGNATURE_TEXT = {
    "connect_eagain": "connect() failed (11: Resource temporarily unavailable): unix accept queue full",
    "connect_refused": "connect() failed (111: Connection refused)",
    "connect_no_such_file": "connect() failed (2: No such file or directory)",
    "connect_permission_denied": "connect() failed (13: Permission denied)",
    "timeout_connecting": "upstream timed out while connecting: TCP accept queue full (SYN dropped)",
    "timeout_reading_header": "upstream timed out while reading response header: queue wait + service > read timeout",
    "timeout_sending_request": "upstream timed out while sending request",
    "timeout_reading_upstream": "upstream timed out while reading upstream",
    "premature_close": "upstream prematurely closed connection",
    "recv_reset": "recv() failed (104: Connection reset by peer)",
    "send_failed": "send/writev() failed while sending request",
    "too_big_header": "upstream sent too big header",
    "no_valid_header": "upstream sent no valid HTTP/1.0 header: nginx speaks HTTP to a uwsgi-protocol socket",
    "no_live_upstreams": "no live upstreams",
    "worker_connections": "worker_connections are not enough",
}
_STATUS = {key: status for key, _, status in SIGNATURES}


def _num(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.3f}"


def _fmt(row_key: str, value: float | None) -> str:
    if row_key.startswith("p_"):
        return format_percent(value)
    if row_key.startswith("latency"):
        return format_duration(value)
    return _num(value)


def _band_text(row: Row) -> str:
    if row.band is None:
        return "-"
    lo, hi = row.band
    if row.key.startswith("p_"):
        return f"{format_percent(lo)} - {format_percent(hi)}"
    if row.key.startswith("latency"):
        return f"{format_duration(lo)} - {format_duration(hi)}"
    return f"{lo:.3f} - {hi:.3f}"


def _pool_text(p: dict[str, Any]) -> str:
    worker_class = p.get("worker_class", "sync")
    if worker_class == "uwsgi":
        return f"{p['workers']} uWSGI processes x {p['threads']} threads"
    if worker_class == "gthread":
        return (f"{p['workers']} gthread workers x {p['threads']} threads "
                f"(worker_connections {p['worker_connections']})")
    if worker_class == "gevent":
        return f"{p['workers']} gevent workers x {p['worker_connections']} greenlets"
    if p.get("server") == "uvicorn":
        limit = p.get("limit_concurrency")
        return (f"{p['workers']} uvicorn workers (standalone, "
                + (f"limit_concurrency {limit})" if limit is not None else "no concurrency limit)"))
    if worker_class in ("uvicorn", "asgi"):
        return f"{p['workers']} {worker_class} event-loop workers"
    return f"{p['workers']} sync workers"


def render_text(report: dict[str, Any], rows: list[Row]) -> str:
    p = report["parameters"]
    measured = report["measured"]
    out = [f"advisor validate: {report['link']}"]
    socket = "unix socket" if p["socket"] == "unix" else "TCP"
    uwsgi = p["server"] == "uwsgi"
    queue = "listen" if uwsgi else "backlog"
    out.append(f"  {_pool_text(p)}, {queue} {p['backlog']} (accept queue {p.get('accept_queue', p['queue_room'])}), "
               f"{socket}; {format_rate(p['rps'])}, service {p['service']} (ρ {p['rho']:.2f})")
    prefix = p.get("nginx_pass", "proxy")
    if p["server"] == "uvicorn":
        cut = "no worker timeout"
    elif uwsgi:
        cut = f"harakiri {format_duration(p['harakiri_s']) if p.get('harakiri_s') else 'off'}"
    else:
        cut = f"gunicorn timeout {format_duration(p['worker_timeout_s']) if p['worker_timeout_s'] else 'off'}"
    out.append(f"  {prefix}_read_timeout {nginx_time(p['proxy_read_timeout_s'])}, {prefix}_connect_timeout "
               f"{nginx_time(p['proxy_connect_timeout_s'])}, {cut}")
    proxy = "nginx" if p["proxy"] == "nginx" else "built-in proxy emulation"
    server = {"ref": "reference server", "uwsgi": "uWSGI", "uvicorn": "uvicorn"}.get(p["server"], "gunicorn")
    scale = f", time scale {p['time_scale']:g}" if p["time_scale"] != 1 else ""
    out.append(f"  ran: {proxy} + {server}, {p['duration_s']:g} s measured after {p['warmup_s']:g} s warm-up, "
               f"seed {p['seed']}{scale}")
    realised = measured.get("rho")
    out.append(f"  measured {measured['n']} requests"
               + (f" (realised ρ {realised:.2f}: {format_rate(measured['offered_rps'])} x "
                  f"{format_duration(measured['mean_service_s'])} mean service)" if realised is not None else ""))
    if measured.get("cut_by_read_timeout"):
        out.append(f"  {measured['cut_by_read_timeout']} response(s) cut by nginx's read timeout after the header "
                   "(counted as 504 read timeout; nginx keeps a timer that would move by < 300 ms)")
    out.append("")
    level = report["band_level"]
    band = f"{format_percent(level)} band ({format_duration(p['duration_s'])} run)"
    header = ("", "predicted", "measured", band, "verdict")
    table = [header] + [(row.label, _fmt(row.key, row.predicted), _fmt(row.key, row.measured), _band_text(row),
                         row.verdict + ("" if row.share else " (info)")) for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        cells = [line[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(line[1:4], widths[1:4])]
        out.append("  " + "   ".join(cells) + "   " + line[4])
    out.append("")
    out.extend(_split_lines(report.get("split")))
    error_log = report.get("nginx_error_log")
    if error_log is not None:
        counts = error_log.get("counts", {})
        if counts:
            out.append("nginx error log (whole run, warm-up included):")
            for key, count in sorted(counts.items(), key=lambda item: -item[1]):
                status = _STATUS.get(key, "?")
                out.append(f"  {count:6d} x {_SIGNATURE_TEXT.get(key, key)} -> {status}")
        else:
            out.append("nginx error log: no upstream errors")
        if error_log.get("unmatched_error_count"):
            out.append(f"  {error_log['unmatched_error_count']} other [error] lines, e.g. "
                       f"{error_log['unmatched_errors'][0]}")
        out.append("")
    for warning in report.get("warnings", []):
        out.append(f"warning: {warning}")
    for note in report.get("notes", []):
        out.append(f"note: {note}")
    if report.get("warnings") or report.get("notes"):
        out.append("")
    if report["verdict"] == "inside":
        out.append(f"verdict: inside - every measured share is inside its {format_percent(level)} band")
    else:
        outside = [row.label for row in rows if row.share and row.verdict != "inside"]
        out.append(f"verdict: outside - {', '.join(outside)} outside the {format_percent(level)} band")
    return "\n".join(out) + "\n"


def _split_lines(split: dict[str, Any] | None) -> list[str]:
    """The per-worker split measured against the model's, and the prediction with the measured split."""
    if not split:
        return []

    def shares(values: list[float]) -> str:
        return " / ".join(format_percent(value) for value in values)

    again = split["predicted_with_measured_split"]
    outcomes = ", ".join(f"{label} {format_percent(again.get(key) or 0.0)}" for key, label in (
        ("p_ok", "ok"), ("p_502", "502"), ("p_504", "504")))
    return [f"requests per worker, most first: measured {shares(split['measured_shares'])}; the model assumes "
            f"{shares(split['model_shares'])}",
            f"  with the measured split the model predicts {outcomes} (the kernel decides the split; it varies)",
            ""]


def _clean(value: Any) -> Any:
    """NaN -> None, tuples -> lists, recursively (JSON has no NaN)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    return value


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(_clean(report), indent=2, sort_keys=False) + "\n"
