"""Queueing model of a gunicorn pool behind nginx (sync, gthread with per-worker queues, gevent, event loops):
analytic predictions and a simulator.

Standard library only. ``params`` holds the inputs, ``analytic`` the M/M/c/K-with-deadline predictions (and the
approximations around it), ``simulate`` the discrete-event simulator, ``narrative`` the plain-language summary.
"""

from .analytic import Prediction, load_curve, predict, recommend_backlog, scan_backlog
from .params import QueueParams, ServiceTime, parse_service_time

__all__ = [
    "Prediction",
    "QueueParams",
    "ServiceTime",
    "load_curve",
    "parse_service_time",
    "predict",
    "recommend_backlog",
    "scan_backlog",
]
