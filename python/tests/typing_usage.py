"""Checked by `mypy --strict` in test_typing.py: the public API is typed."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Union

import passgate

def count(outcome: passgate.Outcome) -> None:
    print(outcome.code)


verifier: passgate.Verifier = passgate.Verifier(
    app_key="key", app_secret="secret", environment="test", timeout_ms=2000, logger=logging.getLogger("app"),
    on_outcome=count,
)
outcome: passgate.Outcome = verifier.validate("pt_x", client_ip="203.0.113.7", action="login", uid=None)
ok: bool = outcome.ok
code: str = outcome.code
status: int = outcome.http_status
retry: bool = outcome.retryable
message: str = outcome.message_for("ja")
fields: Dict[str, Union[None, bool, int, float, str]] = outcome.log_fields
age: Optional[int] = outcome.token_age_ms
again: passgate.Outcome = asyncio.run(verifier.validate_async("pt_y", keep_token=True))
server: passgate.ServerToken = verifier.issue_server_token("login", ttl=60)
token: str = server.server_token
try:
    passgate.Verifier.from_env()
except passgate.ConfigError as error:
    text: str = str(error)
except passgate.IssueError as error:
    reason: Optional[str] = error.upstream_error
report: passgate.DoctorReport = passgate.doctor(mode="test", environment="test")
healthy: bool = report.ok
table: str = report.text
checks: List[Dict[str, Any]] = report.checks
snapshot: Dict[str, Any] = passgate.metrics()
exposition: str = passgate.metrics_text()
