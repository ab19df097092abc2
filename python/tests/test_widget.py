"""The widget and CSP helpers: the binding's Verifier.widget()/csp(), the
Django form widget, template tag, CSPMiddleware with django-csp and
translations, and Flask's Jinja global."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")

import django  # noqa: E402

django.setup()

from django.test import Client, override_settings  # noqa: E402
from flask import Flask, g, render_template_string  # noqa: E402

import passgate  # noqa: E402
from conftest import Emulator  # noqa: E402
from passgate.django import get_verifier  # noqa: E402
from passgate.flask import Passgate  # noqa: E402

HERE = Path(__file__).parent
SITEVERIFY = {"secret_key": "widget-secret-1", "site_key": "widget-site-1", "environment": "test"}


def verifier(provider: str, **options: Any) -> passgate.Verifier:
    if provider == "captchala":
        return passgate.Verifier(app_key="widget-app-1", app_secret="widget-secret-1", environment="test", **options)
    return passgate.Verifier(provider=provider, **{**SITEVERIFY, **options})


def inline_script(html: str) -> str:
    match = re.search(r"<script[^>]*>(.*?)</script>", html, re.S)
    assert match, html
    return match.group(1)


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.parametrize("provider", ["captchala", "recaptcha", "hcaptcha", "turnstile"])
def test_widget_carries_the_public_key_and_never_the_secret(provider: str) -> None:
    v = verifier(provider)
    html = v.widget("login", nonce="bm9uY2U=")
    key = "widget-app-1" if provider == "captchala" else "widget-site-1"
    assert f'data-sitekey="{key}"' in html
    assert 'data-action="login"' in html
    assert '<script nonce="bm9uY2U=">' in html
    assert "widget-secret-1" not in html
    assert f'data-passgate-field="{v.form_field}"' in html
    # The bootstrap's hash is what csp() allows: no 'unsafe-inline' needed.
    assert sha256_source(inline_script(html)) in v.csp()["script-src"]
    assert all("unsafe" not in source for sources in v.csp().values() for source in sources)


def test_two_widgets_get_their_own_containers() -> None:
    v = verifier("turnstile")
    ids = {re.search(r'id="(passgate-\d+)"', v.widget()).group(1) for _ in range(3)}  # type: ignore[union-attr]
    assert len(ids) == 3


@pytest.mark.parametrize(
    ("provider", "args", "setting"),
    [
        ("turnstile", {"action": '"><script>alert(1)</script>'}, "action"),
        ("turnstile", {"action": "a" * 33}, "action"),
        ("turnstile", {"nonce": 'x" onload="alert(1)'}, "nonce"),
        ("hcaptcha", {"cdata": "order-1"}, "cdata"),
        ("turnstile", {"server_token": "sct_1"}, "server_token"),
    ],
)
def test_bad_widget_arguments_name_themselves(provider: str, args: Dict[str, str], setting: str) -> None:
    with pytest.raises(passgate.ConfigError, match=setting):
        verifier(provider).widget(**args)


def test_a_siteverify_widget_needs_the_site_key() -> None:
    with pytest.raises(passgate.ConfigError, match="site_key"):
        passgate.Verifier(provider="hcaptcha", secret_key="s", environment="test").widget()


def test_csp_follows_a_self_hosted_script_url() -> None:
    v = verifier("turnstile", script_url="http://127.0.0.1:9/__mock/loader/turnstile.js")
    assert all("http://127.0.0.1:9" in sources for sources in v.csp().values())
    assert "script_url" in repr(v)
    assert verifier("hcaptcha").csp()["frame-src"] == ["https://hcaptcha.com", "https://*.hcaptcha.com"]


# Django ------------------------------------------------------------------

CSP_MIDDLEWARE = ["csp.middleware.CSPMiddleware", "passgate.django.CSPMiddleware"]


@pytest.fixture()
def django_client(emulator: Emulator) -> Iterator[Client]:
    from csp.constants import NONCE, SELF

    policy = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}
    with override_settings(PASSGATE=emulator.options(), MIDDLEWARE=CSP_MIDDLEWARE, CONTENT_SECURITY_POLICY=policy):
        yield Client()


def test_the_form_renders_the_challenge_with_the_request_nonce(django_client: Client) -> None:
    response = django_client.get("/widget/")
    html = response.content.decode()
    header = response["Content-Security-Policy"]
    nonces = set(re.findall(r'<script nonce="([^"]+)">', html))
    assert len(nonces) == 1, "the form widget and the template tag share the request's nonce"
    assert f"'nonce-{nonces.pop()}'" in header
    # {{ form }} shows the challenge, not a hidden input with "(Hidden field …)" errors.
    assert html.count('class="passgate-challenge"') == 2
    assert 'data-action="signup"' in html and 'data-action="login"' in html
    assert "Hidden field" not in html
    # CSPMiddleware merged the widget's sources into django-csp's policy.
    csp = get_verifier().csp()
    for source in csp["script-src"] + csp["connect-src"]:
        assert source in header
    assert "'self'" in header and "unsafe-inline" not in header


def test_a_failed_form_shows_the_message_next_to_the_challenge(django_client: Client) -> None:
    response = django_client.post("/signup/", {"email": "ann@example.com", "nickname": "ann"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Please complete the captcha." in html
    assert "Hidden field" not in html and 'class="passgate-challenge"' in html


@pytest.fixture()
def pt_br_catalog(tmp_path: Path) -> Iterator[Path]:
    # The app's catalog, compiled as apps compile theirs.
    locale = tmp_path / "locale"
    shutil.copytree(HERE / "django_project" / "locale", locale)
    po = locale / "pt_BR" / "LC_MESSAGES" / "django.po"
    subprocess.run(["msgfmt", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    yield locale


def test_the_apps_gettext_catalog_overrides_and_adds_languages(emulator: Emulator, pt_br_catalog: Path) -> None:
    emulator.script("pt_dj_i18n_replayed", action="signup")
    with override_settings(PASSGATE=emulator.options(), LOCALE_PATHS=[str(pt_br_catalog)], LANGUAGE_CODE="pt-br"):
        client = Client()
        form = {"email": "ann@example.com", "nickname": "ann", "captchala_token": "pt_dj_i18n_replayed"}
        assert client.post("/signup/", form).status_code == 200
        html = client.post("/signup/", form).content.decode()
        assert "Este captcha já foi usado. Resolva-o de novo." in html
        # No pt_BR line for the JSON decorator's code: the core's English.
        response = client.post("/login/", {"captchala_token": "pt_dj_i18n_unknown"}, HTTP_ACCEPT="application/json")
        assert response.json()["message"] == response_message(response.json()["error"], "en")
        response = client.post("/login/", {}, HTTP_ACCEPT="application/json")
        assert response.json() == {"error": "missing_token", "message": "Por favor, resolva o captcha."}
    with override_settings(PASSGATE=emulator.options(), LANGUAGE_CODE="fr"):
        response = Client().post("/login/", {}, HTTP_ACCEPT="application/json")
        assert response.json()["message"] == response_message("missing_token", "fr")


def response_message(code: str, lang: str) -> str:
    return passgate.Verifier(mode="test", environment="test").validate(f"pt_test_{code}").message_for(lang)


# Flask -------------------------------------------------------------------


def test_flask_jinja_global_uses_the_request_nonce() -> None:
    app = Flask(__name__)
    Passgate(app, verifier=verifier("turnstile"))
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        g.csp_nonce = "Zmxhc2s="
        html = render_template_string('{{ passgate_widget(action="signup") }}')
    assert '<script nonce="Zmxhc2s=">' in html
    assert 'data-action="signup"' in html and "&lt;div" not in html
    hint = re.search(r'class="passgate-widget-error"[^>]*>([^<]+)<', html).group(1)  # type: ignore[union-attr]
    english = re.search(r'class="passgate-widget-error"[^>]*>([^<]+)<', verifier("turnstile").widget()).group(1)  # type: ignore[union-attr]
    assert hint != english, "the hint follows the request's language"


def test_a_directive_the_policy_lacks_starts_from_default_src(emulator: Emulator) -> None:
    # frame-src and connect-src are not in the app's policy: the browser used
    # default-src for them, so the app's own API host must stay allowed.
    policy = {"DIRECTIVES": {"default-src": ["'self'", "https://api.example.com"], "script-src": ["'self'"]}}
    options = dict(emulator.options(), provider="hcaptcha", secret_key="s", site_key="k")
    for key in ("app_key", "app_secret", "backup_api_base"):
        options.pop(key, None)
    with override_settings(PASSGATE=options, MIDDLEWARE=CSP_MIDDLEWARE, CONTENT_SECURITY_POLICY=policy):
        header = Client().get("/widget/")["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in header.split("; ")}
    assert directives["connect-src"][:2] == ["'self'", "https://api.example.com"]
    assert "https://*.hcaptcha.com" in directives["connect-src"]
    assert directives["script-src"][0] == "'self'" and "https://api.example.com" not in directives["script-src"]
