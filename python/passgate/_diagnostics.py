"""``doctor()`` and the process-wide metrics: thin wrappers around the core's
``doctor::run`` and ``metrics`` (the shapes are the core's JSON, parsed)."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from . import _native

__all__ = ["DoctorReport", "doctor", "metrics", "metrics_text"]


class DoctorReport:
    """What :func:`doctor` found: ``ok`` (no check failed; warnings do not
    fail), ``text`` (the human table, also ``str(report)``) and ``checks``,
    one dict per check: ``name``, ``status`` (``pass``, ``warn``, ``fail``,
    ``skip``), ``summary``, ``advice`` (or None) and ``details``, a list of
    ``{"name", "value"}``. Never holds a secret or a token."""

    __slots__ = ("ok", "text", "checks")

    def __init__(self, ok: bool, text: str, checks: List[Dict[str, Any]]) -> None:
        self.ok = ok
        self.text = text
        self.checks = checks

    def check(self, name: str) -> Dict[str, Any]:
        """The check called ``name`` (``configuration``, ``connection``,
        ``keys``, ``clock``, ``replay_store``); KeyError if there is none."""
        for check in self.checks:
            if check["name"] == name:
                return check
        raise KeyError(name)

    @property
    def failed(self) -> List[str]:
        """Names of the checks that failed."""
        return [c["name"] for c in self.checks if c["status"] == "fail"]

    def to_dict(self) -> Dict[str, Any]:
        """``{"ok": bool, "checks": [...]}``, the shape of ``passgate doctor --json``."""
        return {"ok": self.ok, "checks": self.checks}

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<passgate.DoctorReport ok={self.ok} failed={self.failed!r}>"


def doctor(*, source: Optional[str] = None, **options: Any) -> DoctorReport:
    """Check a deployment before users hit it: the configuration (every
    setting and where it came from), the connection to the provider (DNS,
    TCP, TLS, proxy), the keys (asked with a bogus token), the clock against
    the provider's, and the replay store. Takes the options
    :class:`~passgate.Verifier` takes (``logger`` and ``on_outcome`` aside);
    the rest come from the environment, as for the verifier. ``source`` names
    where the given options came from in the report (default ``argument``;
    the Django command passes ``settings.PASSGATE``).

    Blocks for the network checks (each bounded by ``timeout_ms``) with the
    GIL released. A bad option name or type raises :class:`ConfigError`, as
    the verifier does; a setting the core refuses is a failed check."""
    ok, text, report_json = _native.doctor(options, source)
    return DoctorReport(ok, text, json.loads(report_json)["checks"])


def metrics() -> Dict[str, Any]:
    """This process's counters, as a dict: ``validations`` (``provider``,
    ``outcome``, ``count``), ``validation_latency`` and ``upstream``
    (histograms in seconds), ``replay_store_errors``,
    ``replay_live_evictions``, ``latency_buckets_s``. Every validation of
    every verifier in this process counts; only series that counted
    something are listed. Per process: under gunicorn each worker has its
    own (see ``passgate.prometheus``)."""
    snapshot: Dict[str, Any] = json.loads(_native.metrics_json())
    return snapshot


def metrics_text() -> str:
    """This process's counters in the Prometheus text exposition format
    (0.0.4), every name ``passgate_*``: serve it as ``text/plain;
    version=0.0.4`` from a ``/metrics`` view."""
    return _native.metrics_text()
