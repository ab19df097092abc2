"""Pieces shared by the framework helpers: reading the token and answering a
failed verification. No decisions here: the outcome already holds them."""

from __future__ import annotations

import html
import json
from typing import Any, Mapping, Optional

from ._native import Outcome

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


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
    accept = accept or ""
    return (
        "application/json" in (content_type or "")
        or requested_with == "XMLHttpRequest"
        or ("application/json" in accept and "text/html" not in accept)
    )


def failure_json(outcome: Outcome, lang: str = "en") -> str:
    return json.dumps({"error": outcome.code, "message": outcome.message_for(lang)})


def failure_html(outcome: Outcome, lang: str = "en") -> str:
    message = html.escape(outcome.message_for(lang))
    # Going back keeps what the user typed in the browser's copy of the form.
    return (
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Verification failed</title></head>"
        f"<body><p role=\"alert\">{message}</p>"
        "<p><a href=\"javascript:history.back()\">Go back and try again</a></p></body></html>"
    )
