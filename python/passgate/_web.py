"""Pieces shared by the framework helpers: reading the token and answering a
failed verification. No decisions here: the outcome already holds them."""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional

from . import _native
from ._native import Outcome

# The methods the helpers let through unverified, from the core.
SAFE_METHODS = frozenset(_native.SAFE_METHODS)


def token_from(form: Mapping[str, Any], json_body: Any, field: str) -> Optional[str]:
    """The token from the form field, else from a JSON body's same key.
    Anything that is not a str (a JSON list or object) is no token, so the
    answer is ``missing_token``: ``Verifier.validate`` itself takes only a
    str or None and raises ``TypeError`` for the rest."""
    value = form.get(field)
    if value is None and isinstance(json_body, dict):
        value = json_body.get(field)
    return value if isinstance(value, str) else None


def wants_json(accept: str, content_type: str, requested_with: str) -> bool:
    """The core's rule: a JSON body, an XMLHttpRequest, or an Accept naming
    JSON and not HTML."""
    return _native.wants_json(accept or "", content_type or "", requested_with or "")


def best_language(accept_language: str) -> str:
    """The core's choice: the first tag of the highest quality in an
    ``Accept-Language`` header (``*`` and ``q=0`` left out), else ``en``."""
    return _native.preferred_language(accept_language or "")


def failure_json(outcome: Outcome, lang: str = "en", message: Optional[str] = None) -> str:
    return json.dumps({"error": outcome.code, "message": message if message is not None else outcome.message_for(lang)})


def failure_html(outcome: Outcome, lang: str = "en", message: Optional[str] = None) -> str:
    """The core's failure page (no script: it passes a strict CSP)."""
    return _native.failure_page(message if message is not None else outcome.message_for(lang), lang)
