"""Django integration.

Settings::

    INSTALLED_APPS = [..., "passgate.django"]      # system checks
    PASSGATE = {"app_key": "...", "app_secret": "...", "environment": "production"}

Forms: ``captcha = CaptchaField(action="login")``; ``{{ form }}`` renders the
provider's widget (``CaptchaWidget``), and the field reads the provider's own
form field (``g-recaptcha-response``, ``cf-turnstile-response``, …) whatever
its name in the form; construct the form with ``request=request``
(``PassgateFormMixin``) to pass the client IP and the CSP nonce.
Templates: ``{% load passgate %}{% passgate_widget action="login" %}``.
CSP: with django-csp, add ``"passgate.django.CSPMiddleware"`` *after*
``"csp.middleware.CSPMiddleware"``; it adds the widget's sources to every
response's policy.
Views: ``@require_captcha(action="login")`` (sync or async; GET, HEAD,
OPTIONS and TRACE are not verified).
Django REST framework: ``passgate.django.rest_framework.CaptchaField``.
``manage.py passgate_check`` prints the resolved configuration (never a
secret) and runs passgate's system checks; ``manage.py passgate_doctor
[--json]`` also reaches the provider (``passgate.doctor`` on
``settings.PASSGATE``). ``PASSGATE["on_outcome"]`` is a callable or its
dotted path (``"myapp.metrics.count_outcome"``), called with every outcome.
Messages: an app's gettext catalogs override the core's with msgid
``passgate.<code>`` (``msgid "passgate.replayed"``), and so add languages the
core lacks; without a translation the core's message in the active language
is used (``outcome_message``).

The client IP is ``request.META["REMOTE_ADDR"]``. Behind a reverse proxy, set
``REMOTE_ADDR`` from the proxy's header in a middleware you trust (for
example one that reads ``X-Forwarded-For`` only from your proxy's address);
passgate never reads ``X-Forwarded-For`` itself.
"""

from __future__ import annotations

import functools
import json
import threading
from typing import Any, Callable, Dict, Optional, TypeVar, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from .. import Outcome, Verifier

try:  # asgiref >= 3.6, as Django 4.2+ uses: no asyncio.iscoroutinefunction deprecation (Python 3.14)
    from asgiref.sync import iscoroutinefunction
except ImportError:  # pragma: no cover - Django 3.2's asgiref
    from asyncio import iscoroutinefunction
from .._web import SAFE_METHODS, failure_html, failure_json, token_from, wants_json

__all__ = [
    "CaptchaField",
    "CaptchaWidget",
    "CSPMiddleware",
    "PassgateFormMixin",
    "require_captcha",
    "get_verifier",
    "client_ip",
    "render_widget",
    "outcome_message",
]

# Keys of settings.PASSGATE that configure the integration, not the verifier.
_INTEGRATION_KEYS = frozenset({"field"})
# Keys the Python Verifier takes besides the core's options.
_PYTHON_KEYS = frozenset({"on_outcome", "logger"})

_lock = threading.Lock()
_verifier: Optional[Verifier] = None

View = TypeVar("View", bound=Callable[..., Any])


def _settings() -> Dict[str, Any]:
    return dict(getattr(settings, "PASSGATE", {}) or {})


def _verifier_options() -> Dict[str, Any]:
    """``settings.PASSGATE`` as ``Verifier`` keyword arguments: without the
    integration's own keys, ``on_outcome`` imported when it is a dotted path."""
    options = {k: v for k, v in _settings().items() if k not in _INTEGRATION_KEYS}
    if isinstance(options.get("on_outcome"), str):
        options["on_outcome"] = import_string(options["on_outcome"])
    return options


def _core_options() -> Dict[str, Any]:
    """``settings.PASSGATE`` as the core's options (for ``passgate.doctor``)."""
    return {k: v for k, v in _settings().items() if k not in _INTEGRATION_KEYS | _PYTHON_KEYS}


def get_verifier() -> Verifier:
    """The verifier built from ``settings.PASSGATE`` (then the environment)."""
    global _verifier
    with _lock:
        if _verifier is None:
            _verifier = Verifier(**_verifier_options())
        return _verifier


def _reset(setting: str = "", **_: Any) -> None:
    global _verifier
    if setting == "PASSGATE":
        with _lock:
            _verifier = None


setting_changed.connect(_reset)


def client_ip(request: HttpRequest) -> Optional[str]:
    return request.META.get("REMOTE_ADDR") or None


def _lang() -> str:
    return get_language() or "en"


def outcome_message(outcome: Outcome) -> str:
    """The outcome's user-safe message: the app's translation of
    ``passgate.<code>`` when its catalogs have one, else the core's message
    in the active language."""
    key = f"passgate.{outcome.code}"
    text = gettext(key)
    return text if text != key else outcome.message_for(_lang())


def csp_nonce(request: Optional[HttpRequest]) -> Optional[str]:
    """django-csp's nonce for this request (using it puts it in the header)."""
    nonce = getattr(request, "csp_nonce", None) if request is not None else None
    return str(nonce) if nonce is not None else None


def render_widget(
    request: Optional[HttpRequest] = None,
    *,
    action: Optional[str] = None,
    verifier: Optional[Verifier] = None,
    **args: Optional[str],
) -> SafeString:
    """The widget's HTML with the request's CSP nonce and language."""
    args.setdefault("nonce", csp_nonce(request))
    args.setdefault("lang", _lang())
    return mark_safe((verifier or get_verifier()).widget(action, **args))  # noqa: S308 - escaped by the core


class CaptchaWidget(forms.Widget):
    """Renders the provider's challenge (so ``{{ form }}`` shows it) and reads
    the token from the provider's own form field, falling back to the
    field's name in the form."""

    def __init__(self, source: Callable[[], str], attrs: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(attrs)
        self.source = source
        self.action: Optional[str] = None
        self.verifier: Optional[Verifier] = None
        self.request: Optional[HttpRequest] = None

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        return render_widget(self.request, action=self.action, verifier=self.verifier)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = data.get(self.source())
        return value if value is not None else data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False


# The name earlier releases used; the widget now renders the challenge.
CaptchaInput = CaptchaWidget


class CaptchaField(forms.Field):
    """The widget's token; ``clean`` validates it and returns the
    :class:`passgate.Outcome`, or puts the user-safe message on the form."""

    def __init__(
        self,
        *,
        action: Optional[str] = None,
        verifier: Optional[Verifier] = None,
        source_field: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "")
        kwargs.setdefault("widget", CaptchaWidget(self._source_field))
        self.action = action
        self.verifier = verifier
        self.source_field = source_field
        self.client_ip: Optional[str] = None
        # The last clean()'s outcome: views answer with its http_status.
        self.outcome: Optional[Outcome] = None
        super().__init__(**kwargs)
        if isinstance(self.widget, CaptchaWidget):
            self.widget.action = action
            self.widget.verifier = verifier

    def __deepcopy__(self, memo: Dict[int, Any]) -> "CaptchaField":
        # Forms deep-copy their fields; the copy's widget must read the copy.
        copied = cast("CaptchaField", super().__deepcopy__(memo))
        if isinstance(copied.widget, CaptchaWidget):
            copied.widget.source = copied._source_field
        return copied

    def _source_field(self) -> str:
        return self.source_field or _settings().get("field") or (self.verifier or get_verifier()).form_field

    def clean(self, value: Any) -> Outcome:
        token = value if isinstance(value, str) else None
        outcome = (self.verifier or get_verifier()).validate(token, client_ip=self.client_ip, action=self.action)
        self.outcome = outcome
        if not outcome.ok:
            raise ValidationError(outcome_message(outcome), code=outcome.code)
        return outcome


class PassgateFormMixin:
    """Pass ``request=`` to the form so its captcha fields know the client IP
    and their widgets the CSP nonce."""

    def __init__(self, *args: Any, request: Optional[HttpRequest] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        if request is not None:
            for field in self.fields.values():  # type: ignore[attr-defined]
                if isinstance(field, CaptchaField):
                    field.client_ip = client_ip(request)
                    if isinstance(field.widget, CaptchaWidget):
                        field.widget.request = request


class CSPMiddleware:
    """Adds the widget's sources (``Verifier.csp()``) to django-csp's policy of
    every response. List it after ``csp.middleware.CSPMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        config: Dict[str, Any] = getattr(response, "_csp_config", None) or policy.get("DIRECTIVES", {}) or {}
        update: Dict[str, Any] = dict(getattr(response, "_csp_update", None) or {})
        for directive, sources in get_verifier().csp().items():
            present = _source_list(update.get(directive))
            if directive not in config and not present:
                # The policy lacks it, so the browser used default-src: start
                # from that, or the app's own sources would stop working.
                present = [s for s in _source_list(config.get("default-src")) if s != "'none'"]
            update[directive] = present + [s for s in sources if s not in present]
        response._csp_update = update
        return response


def _source_list(sources: Any) -> list:
    if sources is None:
        return []
    return [sources] if isinstance(sources, str) else list(sources)


def _json_body(request: HttpRequest) -> Any:
    if "json" not in (request.content_type or ""):
        return None
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None


def _failure_response(request: HttpRequest, outcome: Outcome) -> HttpResponse:
    if wants_json(request.headers.get("Accept", ""), request.content_type or "", request.headers.get("X-Requested-With", "")):
        return HttpResponse(failure_json(outcome, message=outcome_message(outcome)), status=outcome.http_status,
                            content_type="application/json")
    return HttpResponse(failure_html(outcome, _lang(), message=outcome_message(outcome)), status=outcome.http_status,
                        content_type="text/html; charset=utf-8")


def require_captcha(
    view: Optional[View] = None,
    *,
    action: Optional[str] = None,
    field: Optional[str] = None,
    verifier: Optional[Verifier] = None,
    on_failure: Optional[Callable[[HttpRequest, Outcome], HttpResponse]] = None,
) -> Any:
    """Verify the captcha before an unsafe request (POST, PUT, ...) reaches
    the view. The outcome is ``request.passgate``; the safe methods (GET,
    HEAD, OPTIONS, TRACE) are not verified and leave it None. On failure
    the view does not run: ``on_failure(request, outcome)`` answers, or a
    JSON (``{"error", "message"}``) or HTML error with ``http_status``."""

    def decorate(view: View) -> View:
        def prepare(request: HttpRequest) -> Optional[Dict[str, Any]]:
            request.passgate = None  # type: ignore[attr-defined]
            if request.method in SAFE_METHODS:
                return None
            name = field or _settings().get("field") or (verifier or get_verifier()).form_field
            return {"token": token_from(request.POST, _json_body(request), name), "client_ip": client_ip(request), "action": action}

        def finish(request: HttpRequest, outcome: Outcome) -> Optional[HttpResponse]:
            request.passgate = outcome  # type: ignore[attr-defined]
            if outcome.ok:
                return None
            return on_failure(request, outcome) if on_failure else _failure_response(request, outcome)

        # Also true for an async class-based view's as_view().
        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                call = prepare(request)
                if call is not None:
                    outcome = await (verifier or get_verifier()).validate_async(**call)
                    refused = finish(request, outcome)
                    if refused is not None:
                        return refused
                return await view(request, *args, **kwargs)

            return cast(View, async_wrapper)

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            call = prepare(request)
            if call is not None:
                refused = finish(request, (verifier or get_verifier()).validate(**call))
                if refused is not None:
                    return refused
            return view(request, *args, **kwargs)

        return cast(View, wrapper)

    return decorate(view) if view is not None else decorate
