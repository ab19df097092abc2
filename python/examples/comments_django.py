"""A comment form protected by passgate, in Django (one file): ``{{ form }}``
renders the widget through ``CaptchaField``, django-csp sends a strict
policy (a nonce, no 'unsafe-inline') and ``passgate.django.CSPMiddleware``
adds the widget's sources to it; a failed check re-renders the form with
what the user typed. Configured from the environment (PASSGATE_*); run with
``PORT=8000 python comments_django.py``. The browser suite (tests/browser)
walks through it."""

from __future__ import annotations

import os
import sys

import django
from csp.constants import NONCE, NONE, SELF
from django.conf import settings

ACTION = os.environ.get("COMMENT_ACTION", "comment") or None

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    SECRET_KEY="comments-example-not-secret",
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "csp", "passgate.django"],
    MIDDLEWARE=[
        "django.middleware.csrf.CsrfViewMiddleware",
        "csp.middleware.CSPMiddleware",
        "passgate.django.CSPMiddleware",
    ],
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"context_processors": ["django.template.context_processors.request", "django.template.context_processors.csrf"]},
        }
    ],
    CONTENT_SECURITY_POLICY={
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [NONCE],
            "object-src": [NONE],
            "base-uri": [NONE],
        }
    },
    PASSGATE={},  # every option from the environment
)
django.setup()

from django import forms  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.urls import path  # noqa: E402

from passgate.django import CaptchaField, PassgateFormMixin  # noqa: E402


class CommentForm(PassgateFormMixin, forms.Form):
    name = forms.CharField(max_length=80)
    comment = forms.CharField(widget=forms.Textarea)
    captcha = CaptchaField(action=ACTION)


PAGE = engines["django"].from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Comments (Django)</title></head>
<body>{% if saved %}<h1 id="saved">Thanks, {{ saved }}</h1><p>Your comment was posted.</p>{% else %}
<h1>Leave a comment</h1>
{% for error in captcha_errors %}<p id="error" role="alert" data-code="{{ error.code }}">{{ error.message }}</p>{% endfor %}
<form method="post" action="/">{% csrf_token %}
{{ form }}
<p><button type="submit">Post</button></p>
</form>{% endif %}</body></html>"""
)


def comments(request: HttpRequest) -> HttpResponse:
    form = CommentForm(request.POST if request.method == "POST" else None, request=request)
    if request.method == "POST" and form.is_valid():
        return HttpResponse(PAGE.render({"saved": form.cleaned_data["name"]}, request))
    errors = form.errors.as_data().get("captcha", []) if form.is_bound else []
    # A failed check answers with its outcome's status (409 replayed, ...).
    outcome = form.fields["captcha"].outcome
    status = outcome.http_status if outcome is not None and not outcome.ok else 400 if form.is_bound else 200
    return HttpResponse(PAGE.render({"form": form, "captcha_errors": errors}, request), status=status)


urlpatterns = [path("", comments)]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line([sys.argv[0], "runserver", "--noreload", f"127.0.0.1:{os.environ.get('PORT', '8000')}"])
