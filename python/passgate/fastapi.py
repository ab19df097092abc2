"""FastAPI (and Starlette) integration.

    from fastapi import Depends, FastAPI
    from passgate import Outcome
    from passgate.fastapi import require_captcha

    app = FastAPI()

    @app.post("/login")
    async def login(outcome: Outcome = Depends(require_captcha(action="login"))):
        return {"ok": outcome.ok}

The dependency reads the token from the form body (the provider's own field,
``Verifier.form_field``, or ``field=``), else from a JSON body's same key,
else from the request header named by ``header=``. It validates with
``validate_async`` (the event loop never waits on the network) and returns
the :class:`passgate.Outcome`, also left on ``request.state.passgate``. A
failure raises :class:`CaptchaRejected`, an ``HTTPException`` with the
outcome's ``http_status`` and ``detail={"error": code, "message": ...}`` (the
message in the request's ``Accept-Language``), so the route never runs. Safe
methods (GET, HEAD, OPTIONS, TRACE) are not verified: the dependency returns
None.

The verifier: ``verifier=`` if given, else ``app.state.passgate`` if the app
set one, else one built from the environment (``Verifier.from_env()``) on the
first request that needs it and kept for the process.

The client IP is ``request.client.host`` (passed only when it is an IP
address). Behind a reverse proxy, let the server set it from the proxy's
``X-Forwarded-For`` for the proxies you trust and no others: ``uvicorn
--proxy-headers --forwarded-allow-ips=10.0.0.5`` (the default trusts only
127.0.0.1), or, under another server, wrap the app in Uvicorn's
``uvicorn.middleware.proxy_headers.ProxyHeadersMiddleware(app,
trusted_hosts="10.0.0.5")`` (Starlette has none of its own).
``X-Forwarded-For`` is never read here. Form bodies need ``python-multipart``
(``pip install "passgate[fastapi]"``).
"""

from __future__ import annotations

import ipaddress
import json
import threading
from typing import Any, Awaitable, Callable, Optional

from fastapi import HTTPException, Request

from . import Outcome, Verifier
from ._web import SAFE_METHODS, best_language, token_from

__all__ = ["CaptchaRejected", "require_captcha", "get_verifier", "client_ip"]

_lock = threading.Lock()
_env_verifier: Optional[Verifier] = None


class CaptchaRejected(HTTPException):
    """The captcha failed: ``status_code`` is the outcome's ``http_status``,
    ``detail`` is ``{"error": code, "message": message}``, and ``outcome`` is
    the :class:`passgate.Outcome` (for an exception handler of your own, for
    example one that re-renders an HTML form)."""

    def __init__(self, outcome: Outcome, message: str) -> None:
        super().__init__(status_code=outcome.http_status, detail={"error": outcome.code, "message": message})
        self.outcome = outcome


def _from_env() -> Verifier:
    global _env_verifier
    with _lock:
        if _env_verifier is None:
            _env_verifier = Verifier.from_env()
        return _env_verifier


def get_verifier(request: Request, verifier: Optional[Verifier] = None) -> Verifier:
    """``verifier`` if given, else ``request.app.state.passgate``, else the
    process's verifier built from the environment."""
    if verifier is not None:
        return verifier
    app = request.scope.get("app")
    state_verifier = getattr(app.state, "passgate", None) if app is not None else None
    if state_verifier is not None:
        if not isinstance(state_verifier, Verifier):
            raise TypeError(f"app.state.passgate must be a passgate.Verifier, not {type(state_verifier).__name__}")
        return state_verifier
    return _from_env()


def client_ip(request: Request) -> Optional[str]:
    """``request.client.host`` when it is an IP address (not a Unix socket
    or the test client's ``"testclient"``), else None."""
    host = request.client.host if request.client is not None else None
    if not host:
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return host


async def _token(request: Request, name: str, header: Optional[str]) -> Optional[str]:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    form: Any = {}
    json_body: Any = None
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()  # cached by Starlette: the route can read it too
    elif "json" in content_type:
        try:
            json_body = json.loads(await request.body() or b"null")
        except ValueError:
            json_body = None
    token = token_from(form, json_body, name)
    if token is None and header:
        token = request.headers.get(header)
    return token


def require_captcha(
    action: Optional[str] = None,
    field: Optional[str] = None,
    header: Optional[str] = None,
    verifier: Optional[Verifier] = None,
) -> Callable[[Request], Awaitable[Optional[Outcome]]]:
    """A dependency for ``Depends(...)`` that verifies the captcha of an
    unsafe request (POST, PUT, PATCH, DELETE, ...) and returns its
    :class:`passgate.Outcome` (None for GET, HEAD, OPTIONS, TRACE). On
    failure it raises :class:`CaptchaRejected` (an ``HTTPException``)."""

    async def dependency(request: Request) -> Optional[Outcome]:
        request.state.passgate = None
        if request.method in SAFE_METHODS:
            return None
        resolved = get_verifier(request, verifier)
        token = await _token(request, field or resolved.form_field, header)
        outcome = await resolved.validate_async(token, client_ip=client_ip(request), action=action)
        request.state.passgate = outcome
        if not outcome.ok:
            raise CaptchaRejected(outcome, outcome.message_for(best_language(request.headers.get("accept-language", ""))))
        return outcome

    return dependency
