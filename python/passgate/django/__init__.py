"""Django integration.

Settings::

    INSTALLED_APPS = [..., "passgate.django"]      # system checks
    PASSGATE = {"app_key": "...", "app_secret": "...", "environment": "production"}

Forms: ``captcha = CaptchaField(action="login")``; the field reads the
provider's own form field (``g-recaptcha-response``, ``cf-turnstile-response``,
…) whatever its name in the form; construct the form with
``request=request`` (``PassgateFormMixin``) to pass the client IP.
Views: ``@require_captcha(action="login")``.

The client IP is ``request.META["REMOTE_ADDR"]``. Behind a reverse proxy, set
``REMOTE_ADDR`` from the proxy's header in a middleware you trust (for
example one that reads ``X-Forwarded-For`` only from your proxy's address);
passgate never reads ``X-Forwarded-For`` itself.
"""

from __future__ import annotations

import asyncio
import functools
import json
import threading
from typing import Any, Callable, Dict, Optional, TypeVar, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

from .. import Outcome, Verifier
from .._web import SAFE_METHODS, failure_html, failure_json, token_from, wants_json

__all__ = ["CaptchaField", "PassgateFormMixin", "require_captcha", "get_verifier", "client_ip"]

# Keys of settings.PASSGATE that configure the integration, not the verifier.
_INTEGRATION_KEYS = frozenset({"field"})

_lock = threading.Lock()
_verifier: Optional[Verifier] = None

View = TypeVar("View", bound=Callable[..., Any])


def _settings() -> Dict[str, Any]:
    return dict(getattr(settings, "PASSGATE", {}) or {})


def get_verifier() -> Verifier:
    """The verifier built from ``settings.PASSGATE`` (then the environment)."""
    global _verifier
    with _lock:
        if _verifier is None:
            options = {k: v for k, v in _settings().items() if k not in _INTEGRATION_KEYS}
            _verifier = Verifier(**options)
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


class CaptchaInput(forms.HiddenInput):
    """Reads the token from the provider's own form field (the widget names
    it, not the form), falling back to the field's name in the form."""

    def __init__(self, source: Callable[[], str], attrs: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(attrs)
        self.source = source

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = data.get(self.source())
        return value if value is not None else data.get(name)


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
        kwargs.setdefault("widget", CaptchaInput(self._source_field))
        self.action = action
        self.verifier = verifier
        self.source_field = source_field
        self.client_ip: Optional[str] = None
        super().__init__(**kwargs)

    def _source_field(self) -> str:
        return self.source_field or _settings().get("field") or (self.verifier or get_verifier()).form_field

    def clean(self, value: Any) -> Outcome:
        token = value if isinstance(value, str) else None
        outcome = (self.verifier or get_verifier()).validate(token, client_ip=self.client_ip, action=self.action)
        if not outcome.ok:
            raise ValidationError(outcome.message_for(_lang()), code=outcome.code)
        return outcome


class PassgateFormMixin:
    """Pass ``request=`` to the form so its captcha fields know the client IP."""

    def __init__(self, *args: Any, request: Optional[HttpRequest] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        if request is not None:
            for field in self.fields.values():  # type: ignore[attr-defined]
                if isinstance(field, CaptchaField):
                    field.client_ip = client_ip(request)


def _json_body(request: HttpRequest) -> Any:
    if "json" not in (request.content_type or ""):
        return None
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None


def _failure_response(request: HttpRequest, outcome: Outcome) -> HttpResponse:
    if wants_json(request.headers.get("Accept", ""), request.content_type or "", request.headers.get("X-Requested-With", "")):
        return HttpResponse(failure_json(outcome, _lang()), status=outcome.http_status, content_type="application/json")
    return HttpResponse(failure_html(outcome, _lang()), status=outcome.http_status, content_type="text/html; charset=utf-8")


def require_captcha(
    view: Optional[View] = None,
    *,
    action: Optional[str] = None,
    field: Optional[str] = None,
    verifier: Optional[Verifier] = None,
    on_failure: Optional[Callable[[HttpRequest, Outcome], HttpResponse]] = None,
) -> Any:
    """Verify the captcha before an unsafe request (POST, PUT, ...) reaches
    the view. The outcome is ``request.passgate`` (None for GET/HEAD). On
    failure the view does not run: ``on_failure(request, outcome)`` answers,
    or a JSON (``{"error", "message"}``) or HTML error with ``http_status``."""

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

        if asyncio.iscoroutinefunction(view):

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
