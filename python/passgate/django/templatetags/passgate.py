"""``{% load passgate %}{% passgate_widget action="login" %}``: the widget
with the request's CSP nonce (django-csp's ``request.csp_nonce``) and
language. Needs the ``request`` context processor."""

from __future__ import annotations

from typing import Any, Optional

from django import template
from django.utils.safestring import SafeString

from .. import render_widget

register = template.Library()


@register.simple_tag(takes_context=True)
def passgate_widget(context: Any, action: Optional[str] = None, **args: Optional[str]) -> SafeString:
    return render_widget(context.get("request"), action=action, **args)
