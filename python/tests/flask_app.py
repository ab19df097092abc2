"""A small Flask app protected by passgate, for the test client and gunicorn."""

from __future__ import annotations

import os
from typing import Any, Dict, Optional

from flask import Flask, g, jsonify, render_template_string, request

from passgate import Outcome, Verifier
from passgate.flask import Passgate, captcha_required

SIGNUP_FORM = """<form method="post">
{% if error %}<p class="error">{{ error }}</p>{% endif %}
<input name="email" value="{{ values.get('email', '') }}">
<input name="nickname" value="{{ values.get('nickname', '') }}">
<input type="hidden" name="captchala_token">
</form>"""


def create_app(options: Dict[str, Any]) -> Flask:
    app = Flask(__name__)
    app.config.update({f"PASSGATE_{name.upper()}": value for name, value in options.items()})
    Passgate(app)
    app.config["ACTIONS_RUN"] = 0

    @app.route("/login", methods=["GET", "POST"])
    @captcha_required(action="login")
    def login() -> Any:
        app.config["ACTIONS_RUN"] += 1
        outcome: Optional[Outcome] = g.passgate
        return jsonify(
            done=True,
            pid=os.getpid(),
            code=outcome.code if outcome else None,
            client_ip=outcome.log_fields["client_ip"] if outcome else None,
        )

    # Every method reaches the decorator (no automatic OPTIONS answer).
    @app.route("/any", methods=["GET", "HEAD", "OPTIONS", "TRACE", "POST", "PUT", "PATCH", "DELETE"],
               provide_automatic_options=False)
    @captcha_required(action="login")
    def any_method() -> Any:
        app.config["ACTIONS_RUN"] += 1
        outcome: Optional[Outcome] = g.passgate
        return jsonify(code=outcome.code if outcome else None)

    def rerender(outcome: Outcome) -> Any:
        return render_template_string(SIGNUP_FORM, error=outcome.message, values=request.form), outcome.http_status

    @app.route("/async-login", methods=["POST"])
    @captcha_required(action="login")
    async def async_login() -> Any:
        app.config["ACTIONS_RUN"] += 1
        outcome: Outcome = g.passgate
        return jsonify(done=True, code=outcome.code)

    @app.route("/signup", methods=["GET", "POST"])
    @captcha_required(action="signup", on_failure=rerender)
    def signup() -> Any:
        app.config["ACTIONS_RUN"] += 1
        return "welcome " + request.form.get("nickname", "")

    return app


def _app_from_env() -> Optional[Flask]:
    """For gunicorn: configured from the environment; with --preload this
    validates once in the master before the workers are forked."""
    if "PASSGATE_API_BASE" not in os.environ:
        return None
    warm = Verifier.from_env()
    assert warm.validate(f"pt_preload_{os.getpid()}").ok, "validation in the master failed"
    return create_app({})


app = _app_from_env()
