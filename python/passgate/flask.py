"""Flask integration.

    app.config.update(PASSGATE_APP_KEY="...", PASSGATE_APP_SECRET="...")
    passgate_ext = Passgate(app)            # or Passgate() + init_app(app)

    @app.post("/login")
    @captcha_required(action="login")
    def login(): ...                         # g.passgate is the Outcome

Config keys are the option names upper-cased with a ``PASSGATE_`` prefix
(``PASSGATE_TIMEOUT_MS``, ``PASSGATE_REPLAY_STORE``, ...), plus
``PASSGATE_FIELD`` (default: the provider's own field, ``Verifier.form_field``)
and ``PASSGATE_ON_OUTCOME`` (a callable, passed to ``Verifier(on_outcome=)``). The client IP is
``request.remote_addr``; behind a proxy, wrap the app in Werkzeug's
``ProxyFix`` with the number of proxies you trust. ``X-Forwarded-For`` is
never read directly.

Templates: ``{{ passgate_widget(action="login") }}`` renders the widget, with
``g.csp_nonce`` as the CSP nonce when the app sets one; add
``Passgate.verifier().csp()`` to the page's Content-Security-Policy header.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Dict, Optional, TypeVar, cast

from flask import Flask, Response, current_app, g, request
from markupsafe import Markup

from . import Outcome, Verifier
from ._native import OPTION_NAMES
from ._web import SAFE_METHODS, failure_html, failure_json, token_from, wants_json

__all__ = ["Passgate", "captcha_required", "passgate_widget"]

View = TypeVar("View", bound=Callable[..., Any])
_EXTENSION = "passgate"


class Passgate:
    """Holds the app's verifier in ``app.extensions["passgate"]``."""

    def __init__(self, app: Optional[Flask] = None, *, verifier: Optional[Verifier] = None) -> None:
        self._verifier = verifier
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        verifier = self._verifier
        if verifier is None:
            options: Dict[str, Any] = {}
            for name in OPTION_NAMES:
                key = "PASSGATE_" + name.upper()
                if key in app.config:
                    options[name] = app.config[key]
            verifier = Verifier(on_outcome=app.config.get("PASSGATE_ON_OUTCOME"), **options)
        app.extensions[_EXTENSION] = verifier
        app.config.setdefault("PASSGATE_FIELD")
        app.jinja_env.globals["passgate_widget"] = passgate_widget

    @staticmethod
    def verifier(app: Optional[Flask] = None) -> Verifier:
        app = app or current_app
        try:
            return cast(Verifier, app.extensions[_EXTENSION])
        except KeyError:
            raise RuntimeError("passgate is not set up for this app: call Passgate(app) or init_app(app)") from None


def _lang() -> str:
    best = request.accept_languages.best
    return best or "en"


def passgate_widget(action: Optional[str] = None, **args: Optional[str]) -> Markup:
    """The widget's HTML (a Jinja global once ``Passgate(app)`` ran), with
    ``g.csp_nonce`` as the nonce unless ``nonce=`` is given."""
    args.setdefault("nonce", g.get("csp_nonce"))
    args.setdefault("lang", _lang())
    return Markup(Passgate.verifier().widget(action, **args))  # noqa: S704 - escaped by the core


def _failure_response(outcome: Outcome) -> Response:
    lang = _lang()
    if wants_json(request.headers.get("Accept", ""), request.content_type or "", request.headers.get("X-Requested-With", "")):
        return Response(failure_json(outcome, lang), status=outcome.http_status, mimetype="application/json")
    return Response(failure_html(outcome, lang), status=outcome.http_status, mimetype="text/html")


def captcha_required(
    view: Optional[View] = None,
    *,
    action: Optional[str] = None,
    field: Optional[str] = None,
    on_failure: Optional[Callable[[Outcome], Any]] = None,
) -> Any:
    """Verify the captcha before an unsafe request reaches the view. The
    outcome is ``g.passgate``; the safe methods (GET, HEAD, OPTIONS, TRACE)
    are not verified and leave it None. On failure the view does
    not run: ``on_failure(outcome)`` answers, or a JSON/HTML error with
    ``http_status``."""

    def check() -> Any:
        """None to go on to the view, else the failure's answer."""
        g.passgate = None
        if request.method in SAFE_METHODS:
            return None
        verifier = Passgate.verifier()
        name = field or current_app.config.get("PASSGATE_FIELD") or verifier.form_field
        token = token_from(request.form, request.get_json(silent=True), name)
        outcome = verifier.validate(token, client_ip=request.remote_addr, action=action)
        g.passgate = outcome
        if outcome.ok:
            return None
        return on_failure(outcome) if on_failure else _failure_response(outcome)

    def decorate(view: View) -> View:
        # Flask runs `async def` views itself (flask[async]); the wrapper
        # must then be a coroutine function too, or Flask gets an
        # un-awaited coroutine back.
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                failure = check()
                if failure is not None:
                    return failure
                return await view(*args, **kwargs)

            return cast(View, async_wrapper)

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            failure = check()
            if failure is not None:
                return failure
            return view(*args, **kwargs)

        return cast(View, wrapper)

    return decorate(view) if view is not None else decorate
