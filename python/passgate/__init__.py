"""passgate: server-side CAPTCHA verification with stable outcome codes.

    import passgate

    verifier = passgate.Verifier(app_key="...", app_secret="...")   # CaptchaLa
    verifier = passgate.Verifier(provider="turnstile", secret_key="...")
    outcome = verifier.validate(token, client_ip=ip, action="login")
    if not outcome.ok:
        return error(outcome.http_status, outcome.message)

Every validation is logged to the ``passgate`` logger (INFO on pass, WARNING
on failure) with the structured fields in ``extra`` and as ``record.passgate``,
then handed to ``on_outcome`` when the verifier has one. ``passgate.doctor()``
checks a deployment; ``passgate.metrics()`` / ``metrics_text()`` are this
process's counters (``passgate.prometheus`` exports them).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, NamedTuple, Optional, cast

from . import _native
from ._native import (
    LOG_KEYS,
    OPTION_NAMES,
    OUTCOME_CODES,
    OUTCOME_FIELDS,
    ConfigError,
    InternalError,
    IssueError,
    Outcome,
    PassgateError,
)
from ._diagnostics import DoctorReport, doctor, metrics, metrics_text

__all__ = [
    "Verifier",
    "Outcome",
    "ServerToken",
    "PassgateError",
    "ConfigError",
    "InternalError",
    "IssueError",
    "LOG_KEYS",
    "OPTION_NAMES",
    "OUTCOME_CODES",
    "OUTCOME_FIELDS",
    "DoctorReport",
    "doctor",
    "metrics",
    "metrics_text",
]

_LOGGER = logging.getLogger("passgate")
# A library adds no handlers of its own: the app decides where records go.
_LOGGER.addHandler(logging.NullHandler())


class ServerToken(NamedTuple):
    """A server token (``sct_…``) to hand to the widget."""

    server_token: str
    expires_in: Optional[int]
    issued_at: Optional[int]


# validate_async runs the GIL-releasing sync call on these threads; the
# threads only wait, so there can be many. Rebuilt in a forked child, whose
# copy of the pool has no threads.
_EXECUTOR_LOCK = threading.Lock()
_EXECUTOR: Optional[ThreadPoolExecutor] = None


def _executor() -> ThreadPoolExecutor:
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(max_workers=64, thread_name_prefix="passgate")
        return _EXECUTOR


def _forget_executor_in_child() -> None:
    global _EXECUTOR, _EXECUTOR_LOCK
    _EXECUTOR = None
    _EXECUTOR_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_executor_in_child)


def _emit(logger: logging.Logger, outcome: Outcome) -> None:
    level = logging.INFO if outcome.ok else logging.WARNING
    if not logger.isEnabledFor(level):
        return
    fields = outcome.log_fields
    extra: Dict[str, Any] = dict(fields)
    extra["passgate"] = fields
    logger.log(level, outcome.log_message, extra=extra)


OnOutcome = Callable[[Outcome], Any]


def _checked_on_outcome(on_outcome: object) -> Optional[OnOutcome]:
    if on_outcome is None:
        return None
    if callable(on_outcome):
        return cast(OnOutcome, on_outcome)
    error = ConfigError(
        f"passgate config: on_outcome: must be a callable taking the Outcome, got {type(on_outcome).__name__}"
    )
    error.setting = "on_outcome"
    raise error


def _notify(on_outcome: Optional[OnOutcome], logger: logging.Logger, outcome: Outcome) -> None:
    """Hand the outcome to the app's callback. Its exception is logged (class
    and message; the outcome holds no token) and swallowed: a broken metrics
    hook must not turn a validation into a 500."""
    if on_outcome is None:
        return
    try:
        on_outcome(outcome)
    except Exception as error:  # noqa: BLE001 - any app error is contained
        logger.error(
            "passgate: on_outcome raised %s: %s (the validation's outcome, %s, is returned as usual)",
            type(error).__name__,
            error,
            outcome.code,
            exc_info=True,
        )


class Verifier:
    """Verifies CAPTCHA pass tokens with one provider: CaptchaLa (default),
    reCAPTCHA, hCaptcha or Turnstile (``provider=``).

    Options: every name in :data:`OPTION_NAMES` (typed in
    ``passgate._native.Options``; docs/configuration.md says what each
    does), and ``logger`` (a :class:`logging.Logger`; default
    ``logging.getLogger("passgate")``) and ``on_outcome`` (called with each
    :class:`Outcome` after its log record, on the thread that called
    ``validate`` or in the event loop for ``validate_async``; what it raises
    is logged and swallowed). Anything not given is read from the
    environment (``PASSGATE_PROVIDER``, ``CAPTCHALA_APP_KEY``,
    ``PASSGATE_SECRET_KEY``, ``PASSGATE_*``). Bad settings raise
    :class:`ConfigError` naming the setting.
    """

    __slots__ = ("_native", "_logger", "_on_outcome")

    def __init__(
        self,
        app_key: Optional[str] = None,
        app_secret: Optional[str] = None,
        *,
        logger: Optional[logging.Logger] = None,
        on_outcome: Optional[OnOutcome] = None,
        **options: Any,
    ) -> None:
        if app_key is not None:
            options["app_key"] = app_key
        if app_secret is not None:
            options["app_secret"] = app_secret
        self._on_outcome = _checked_on_outcome(on_outcome)
        self._native = _native.Verifier(**options)
        self._logger = logger if logger is not None else _LOGGER

    @classmethod
    def from_env(
        cls, *, logger: Optional[logging.Logger] = None, on_outcome: Optional[OnOutcome] = None
    ) -> "Verifier":
        """Everything from the environment."""
        return cls(logger=logger, on_outcome=on_outcome)

    @property
    def environment(self) -> str:
        return self._native.environment

    @property
    def mode(self) -> str:
        return self._native.mode

    @property
    def replay_store(self) -> str:
        return self._native.replay_store

    @property
    def provider(self) -> str:
        """``captchala``, ``recaptcha``, ``hcaptcha`` or ``turnstile``."""
        return self._native.provider

    @property
    def form_field(self) -> str:
        """The form field the provider's widget posts the token in
        (``captchala_token``, ``g-recaptcha-response``,
        ``h-captcha-response``, ``cf-turnstile-response``)."""
        return self._native.form_field

    def validate(
        self,
        token: Optional[str],
        client_ip: Optional[str] = None,
        action: Optional[str] = None,
        uid: Optional[str] = None,
        *,
        keep_token: bool = False,
    ) -> Outcome:
        """Validate a pass token. Releases the GIL while waiting; never raises
        for a bad token or a failing upstream (see ``Outcome.code``)."""
        outcome = self._validate_logged(token, client_ip, action, uid, keep_token)
        _notify(self._on_outcome, self._logger, outcome)
        return outcome

    def _validate_logged(
        self, token: Optional[str], client_ip: Optional[str], action: Optional[str], uid: Optional[str], keep_token: bool
    ) -> Outcome:
        outcome = self._native.validate(token, client_ip, action, uid, keep_token)
        _emit(self._logger, outcome)
        return outcome

    async def validate_async(
        self,
        token: Optional[str],
        client_ip: Optional[str] = None,
        action: Optional[str] = None,
        uid: Optional[str] = None,
        *,
        keep_token: bool = False,
    ) -> Outcome:
        """``validate`` without blocking the event loop."""
        loop = asyncio.get_running_loop()
        call = functools.partial(self._validate_logged, token, client_ip, action, uid, keep_token)
        outcome = await loop.run_in_executor(_executor(), call)
        # In the loop, not on the pool's thread: the callback may touch the
        # loop's objects.
        _notify(self._on_outcome, self._logger, outcome)
        return outcome

    def issue_server_token(
        self,
        action: str,
        binding_ip: Optional[str] = None,
        ttl: Optional[int] = None,
        max_uses: Optional[int] = None,
        bind_uid: Optional[str] = None,
    ) -> ServerToken:
        """Issue a server token for the widget (CaptchaLa only). Raises
        :class:`IssueError` (with ``code``, ``upstream_error``) when refused,
        and for other providers ("not supported by provider …")."""
        return ServerToken(*self._native.issue_server_token(action, binding_ip, ttl, max_uses, bind_uid))

    def widget(
        self,
        action: Optional[str] = None,
        *,
        nonce: Optional[str] = None,
        cdata: Optional[str] = None,
        server_token: Optional[str] = None,
        lang: Optional[str] = None,
    ) -> str:
        """The widget's HTML for one form: the provider's container, a hint
        shown when its script cannot load, and a bootstrap script (carrying
        ``nonce`` when given; its hash is in :meth:`csp`, so pages work
        without ``'unsafe-inline'`` either way). Raises :class:`ConfigError`
        naming a bad argument or a missing ``site_key``."""
        return self._native.widget(
            action=action, nonce=nonce, cdata=cdata, server_token=server_token, lang=lang
        )

    def csp(self) -> Dict[str, List[str]]:
        """The Content Security Policy sources the widget needs, per
        directive (``script-src``, ``frame-src``, ...), to add to the page's
        policy."""
        return dict(self._native.csp())

    def __repr__(self) -> str:
        return repr(self._native)
