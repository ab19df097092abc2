"""A comment form protected by passgate, in Flask: the widget, a strict
Content-Security-Policy (a nonce, no 'unsafe-inline') built from
``verifier.csp()``, and the form re-rendered with what the user typed when
the check fails. Configured from the environment (PASSGATE_*); run with
``PORT=8000 python comments_flask.py``. The browser suite
(tests/browser) walks through it."""

from __future__ import annotations

import os
import secrets

from flask import Flask, g, render_template_string, request

from passgate.flask import Passgate, captcha_required

app = Flask(__name__)
passgate_ext = Passgate(app)
ACTION = os.environ.get("COMMENT_ACTION", "comment") or None

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Comments (Flask)</title></head>
<body><h1>Leave a comment</h1>
{% if outcome is not none %}<p id="error" role="alert" data-code="{{ outcome.code }}">{{ outcome.message }}</p>{% endif %}
<form method="post" action="/">
<p><label>Name <input name="name" value="{{ form.get('name', '') }}"></label></p>
<p><label>Comment <textarea name="comment">{{ form.get('comment', '') }}</textarea></label></p>
{{ passgate_widget(action=action) }}
<p><button type="submit">Post</button></p>
</form></body></html>"""

SAVED = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Saved</title></head>
<body><h1 id="saved">Thanks, {{ name }}</h1><p>Your comment was posted.</p></body></html>"""


@app.before_request
def make_nonce() -> None:
    g.csp_nonce = secrets.token_urlsafe(16)


@app.after_request
def content_security_policy(response):
    # The widget's sources, merged into the app's own policy.
    directives = {"default-src": ["'self'"], "script-src": [f"'nonce-{g.csp_nonce}'"], "object-src": ["'none'"], "base-uri": ["'none'"]}
    for directive, sources in Passgate.verifier().csp().items():
        directives.setdefault(directive, ["'self'"]).extend(sources)
    response.headers["Content-Security-Policy"] = "; ".join(f"{d} {' '.join(s)}" for d, s in directives.items())
    return response


def failed(outcome):
    # Re-render the form with what was typed; the status is the outcome's.
    return render_template_string(PAGE, outcome=outcome, form=request.form, action=ACTION), outcome.http_status


@app.route("/", methods=["GET", "POST"])
@captcha_required(action=ACTION, on_failure=failed)
def comments():
    if request.method == "POST":
        return render_template_string(SAVED, name=request.form.get("name", ""))
    return render_template_string(PAGE, outcome=None, form={}, action=ACTION)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8000")), threaded=True)
