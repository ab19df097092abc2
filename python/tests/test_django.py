"""passgate.django through Django's test client and system checks."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")

import django  # noqa: E402

django.setup()

from asgiref.sync import iscoroutinefunction  # noqa: E402
from django.core import checks  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.base import CommandError  # noqa: E402
from django.test import AsyncClient, Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

import passgate  # noqa: E402
from conftest import Emulator  # noqa: E402
from django_project import views  # noqa: E402

setup_test_environment()


@pytest.fixture()
def client(fresh_emulator: Emulator) -> Iterator[Client]:
    views.ACTIONS_RUN["count"] = 0
    with override_settings(PASSGATE=fresh_emulator.options()):
        yield Client(REMOTE_ADDR="198.51.100.7")


def test_form_field_passes(client: Client, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_dj_form_ok", action="signup")
    response = client.post("/signup/", {"email": "ann@example.com", "nickname": "ann", "captchala_token": "pt_dj_form_ok"})
    assert response.status_code == 200
    assert response.content.decode() == "welcome ann (passed)"
    assert views.ACTIONS_RUN["count"] == 1


@pytest.mark.parametrize(
    ("script", "token", "code"),
    [
        (None, "", "missing_token"),
        ({"action": "login"}, "pt_dj_form_wrong_action", "action_mismatch"),
        ({"error": "token_expired"}, "pt_dj_form_expired", "expired"),
        ({"http_status": 502}, "pt_dj_form_down", "upstream_unavailable"),
    ],
)
def test_form_field_failure_keeps_form_data(client: Client, fresh_emulator: Emulator, script: Any, token: str, code: str) -> None:
    if script:
        fresh_emulator.script(token, **script)
    response = client.post("/signup/", {"email": "ann@example.com", "nickname": "ann", "captchala_token": token})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="ann@example.com"' in html and 'value="ann"' in html
    form = response.context["form"]
    assert form.errors["captchala_token"][0]
    assert form.errors.as_data()["captchala_token"][0].code == code
    assert views.ACTIONS_RUN["count"] == 0


def test_decorator_passes_with_client_ip_from_remote_addr(client: Client, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_dj_login_ok", action="login")
    response = client.post("/login/", {"captchala_token": "pt_dj_login_ok"}, HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert response.status_code == 200
    assert response.json() == {"done": True, "code": "passed", "client_ip": "198.51.100.7"}


def test_decorator_get_is_not_verified(client: Client, fresh_emulator: Emulator) -> None:
    assert client.get("/login/").json()["code"] is None
    assert fresh_emulator.stats()["validate_calls"] == 0


@pytest.mark.parametrize(
    ("script", "token", "status", "code"),
    [
        (None, None, 400, "missing_token"),
        (None, "sct_dj", 400, "malformed_token"),
        ({"error": "token_consumed"}, "pt_dj_used", 409, "replayed"),
        ({"action": "login", "uid": "u2"}, "pt_dj_uid", 200, "passed"),
        ({"error": "token_uid_mismatch"}, "pt_dj_uid_bad", 403, "uid_mismatch"),
        ({"error": "token_ip_mismatch"}, "pt_dj_ip_bad", 403, "ip_mismatch"),
        ({"error": "invalid_token"}, "pt_dj_invalid", 400, "rejected"),
        ({"solved_at_offset_s": -900, "action": "login"}, "pt_dj_old", 400, "expired"),
        ({"action": "pay"}, "pt_dj_wrong_action", 400, "action_mismatch"),
        ({"http_status": 429}, "pt_dj_429", 429, "rate_limited"),
        ({"http_status": 401}, "pt_dj_401", 500, "misconfigured"),
        ({"fault": "close"}, "pt_dj_closed", 503, "upstream_unavailable"),
        (None, "dg_dj", 503, "degraded"),
        (None, "client_dj", 400, "unverifiable"),
    ],
)
def test_decorator_failure_classes(client: Client, fresh_emulator: Emulator, script: Any, token: Any, status: int, code: str) -> None:
    if script:
        fresh_emulator.script(token, **script)
    data = {} if token is None else {"captchala_token": token}
    response = client.post("/login/", data, HTTP_ACCEPT="application/json")
    assert response.status_code == status
    assert (response.json().get("error") or response.json().get("code")) == code
    assert views.ACTIONS_RUN["count"] == (1 if code == "passed" else 0)


# Token fields that are not a string, as raw bodies a client can send:
# (content type, body). The token inside would pass if it were read.
NOT_A_STRING = [
    ("application/x-www-form-urlencoded", "captchala_token[]=pt_dj_shape"),
    ("application/x-www-form-urlencoded", "captchala_token[x]=pt_dj_shape"),
    ("application/json", '{"captchala_token": ["pt_dj_shape"]}'),
    ("application/json", '{"captchala_token": {"a": 1}}'),
]


@pytest.mark.parametrize(("content_type", "body"), NOT_A_STRING)
def test_decorator_token_that_is_not_a_string_is_missing_token(
    client: Client, fresh_emulator: Emulator, content_type: str, body: str
) -> None:
    fresh_emulator.script("pt_dj_shape", action="login")
    for path in ("/login/", "/api/login/"):
        response = client.post(path, body, content_type=content_type, HTTP_ACCEPT="application/json")
        assert (response.status_code, response.json()["error"]) == (400, "missing_token"), path
    assert views.ACTIONS_RUN["count"] == 0
    assert fresh_emulator.stats()["validate_calls"] == 0


@pytest.mark.parametrize("body", [body for content_type, body in NOT_A_STRING if "form" in content_type])
def test_form_field_token_that_is_not_a_string_is_missing_token(client: Client, fresh_emulator: Emulator, body: str) -> None:
    fresh_emulator.script("pt_dj_shape", action="signup")
    response = client.post("/signup/", "email=ann%40example.com&nickname=ann&" + body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.context["form"].errors.as_data()["captchala_token"][0].code == "missing_token"
    assert views.ACTIONS_RUN["count"] == 0
    assert fresh_emulator.stats()["validate_calls"] == 0


def test_decorator_store_unavailable_is_503_without_upstream_call(client: Client, fresh_emulator: Emulator) -> None:
    response = client.post("/login-dead-store/", {"captchala_token": "pt_dj_no_store"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert response.json()["error"] == "store_unavailable"
    assert views.ACTIONS_RUN["count"] == 0
    assert fresh_emulator.stats()["validate_calls"] == 0


def test_decorator_html_failure(client: Client) -> None:
    response = client.post("/login/", {}, HTTP_ACCEPT="text/html")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "Please complete the captcha." in response.content.decode()


def test_async_view(client: Client, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_dj_async", action="login")
    response = client.post("/api/login/", {"captchala_token": "pt_dj_async"}, content_type="application/json")
    # content_type json with a dict body: Django's client serialises it.
    assert response.status_code == 200 and response.json()["code"] == "passed"
    response = client.post("/api/login/", {"captchala_token": ""}, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"] == "missing_token"


def test_upstream_down_is_503_without_running_the_view(fresh_emulator: Emulator) -> None:
    views.ACTIONS_RUN["count"] = 0
    with override_settings(PASSGATE=fresh_emulator.options(api_base="http://127.0.0.1:1", timeout_ms=500)):
        response = Client().post("/login/", {"captchala_token": "pt_dj_nobody"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 503 and response.json()["error"] == "upstream_unavailable"
    assert views.ACTIONS_RUN["count"] == 0


def _check_ids() -> set:
    return {message.id for message in checks.run_checks(tags=[checks.Tags.security])}


def test_system_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CAPTCHALA_APP_KEY", "CAPTCHALA_APP_SECRET", "PASSGATE_ENVIRONMENT", "PASSGATE_MODE",
                 "PASSGATE_PROVIDER", "PASSGATE_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    with override_settings(PASSGATE={"app_key": "k", "app_secret": "s"}):
        assert "passgate.E001" not in _check_ids()
    with override_settings(PASSGATE={}):
        assert "passgate.E001" in _check_ids()
    with override_settings(PASSGATE={"app_key": "k"}):
        [missing] = checks.run_checks(tags=[checks.Tags.security])
        assert (missing.id, "app_secret" in missing.msg) == ("passgate.E001", True)
        assert "CAPTCHALA_APP_SECRET" in (missing.hint or "")
    with override_settings(PASSGATE={"provider": "turnstile"}):
        [missing] = checks.run_checks(tags=[checks.Tags.security])
        assert (missing.id, "secret_key" in missing.msg) == ("passgate.E001", True)
        assert "PASSGATE_SECRET_KEY" in (missing.hint or "")
    monkeypatch.setenv("CAPTCHALA_APP_SECRET", "from-env")
    with override_settings(PASSGATE={"app_key": "k"}):
        assert not _check_ids()
    monkeypatch.delenv("CAPTCHALA_APP_SECRET")
    with override_settings(PASSGATE={"mode": "test"}):
        assert "passgate.E002" in _check_ids()
    with override_settings(PASSGATE={"mode": "test", "environment": "test"}):
        assert not {"passgate.E001", "passgate.E002", "passgate.E003"} & _check_ids()
    with override_settings(PASSGATE={"app_key": "k", "app_secret": "s", "timeout_ms": "soon"}):
        assert "passgate.E003" in _check_ids()


# Turnstile: the helpers read the provider's own field, cf-turnstile-response.
@pytest.fixture()
def turnstile_client(fresh_emulator: Emulator) -> Iterator[Client]:
    views.ACTIONS_RUN["count"] = 0
    options = {"provider": "turnstile", "secret_key": "test-secret-key", "api_base": fresh_emulator.url,
               "environment": "test", "expected_hostnames": ["localhost"]}
    with override_settings(PASSGATE=options):
        yield Client(REMOTE_ADDR="198.51.100.7")


def test_turnstile_decorator_reads_cf_turnstile_response(turnstile_client: Client, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("ts_dj_login", action="login")
    response = turnstile_client.post("/login/", {"cf-turnstile-response": "ts_dj_login"})
    assert response.status_code == 200
    assert response.json() == {"done": True, "code": "passed", "client_ip": "198.51.100.7"}
    assert fresh_emulator.stats()["last_siteverify"]["fields"]["remoteip"] == "198.51.100.7"
    fresh_emulator.script("ts_dj_login_other_field", action="login")
    response = turnstile_client.post("/login/", {"captchala_token": "ts_dj_login_other_field"}, HTTP_ACCEPT="application/json")
    assert (response.status_code, response.json()["error"]) == (400, "missing_token")
    assert views.ACTIONS_RUN["count"] == 1
    assert fresh_emulator.stats()["siteverify_calls"] == 1


def test_turnstile_captcha_field_reads_cf_turnstile_response(turnstile_client: Client, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("ts_dj_comment", action="comment")
    response = turnstile_client.post("/comment/", {"text": "hi", "cf-turnstile-response": "ts_dj_comment"})
    assert (response.status_code, response.json()) == (200, {"code": "passed"})
    fresh_emulator.script("ts_dj_comment_other_field", action="comment")
    response = turnstile_client.post("/comment/", {"text": "hi", "captchala_token": "ts_dj_comment_other_field"})
    assert (response.status_code, response.json()) == (400, {"error": "missing_token"})
    assert views.ACTIONS_RUN["count"] == 1
    assert fresh_emulator.stats()["siteverify_calls"] == 1


# Async views: the decorator awaits validate_async, so the event loop never
# waits on the network; async class-based views too.


@pytest.fixture()
def validate_threads(monkeypatch: pytest.MonkeyPatch) -> List[Tuple[str, bool]]:
    """Each blocking validation's thread name (the part of ``validate`` and
    ``validate_async`` that waits on the network) and whether an event loop
    runs on that thread."""
    calls: List[Tuple[str, bool]] = []
    original = passgate.Verifier._validate_logged

    def recording(self: passgate.Verifier, *args: Any, **kwargs: Any) -> passgate.Outcome:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        calls.append((threading.current_thread().name, on_loop))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(passgate.Verifier, "_validate_logged", recording)
    return calls


@pytest.mark.parametrize("path", ["/api/login/", "/async-class-login/"])
def test_async_views_under_asgi(fresh_emulator: Emulator, validate_threads: List[Tuple[str, bool]], path: str) -> None:
    views.ACTIONS_RUN["count"] = 0
    fresh_emulator.script("pt_dj_asgi", action="login")

    async def requests() -> List[Any]:
        client = AsyncClient()  # REMOTE_ADDR is the ASGI scope's client, 127.0.0.1
        return [
            await client.post(path, {"captchala_token": "pt_dj_asgi"}),
            await client.post(path, {"captchala_token": "pt_dj_asgi"}, headers={"Accept": "application/json"}),
            await client.post(path, {}, headers={"Accept": "application/json"}),
        ]

    with override_settings(PASSGATE=fresh_emulator.options()):
        passed, replayed, missing = asyncio.run(requests())
    assert passed.status_code == 200 and passed.json()["code"] == "passed"
    if path == "/async-class-login/":
        assert passed.json()["client_ip"] == "127.0.0.1"
    assert (replayed.status_code, replayed.json()["error"]) == (409, "replayed")
    assert (missing.status_code, missing.json()["error"]) == (400, "missing_token")
    assert views.ACTIONS_RUN["count"] == 1
    assert len(validate_threads) == 3
    assert all(name.startswith("passgate") and not on_loop for name, on_loop in validate_threads), validate_threads


def test_async_class_based_view_get_is_not_verified(client: Client, fresh_emulator: Emulator) -> None:
    assert iscoroutinefunction(views.async_class_login)
    response = client.get("/async-class-login/")
    assert (response.status_code, response.json()) == (200, {"done": True, "code": None})
    assert fresh_emulator.stats()["validate_calls"] == 0


def test_sync_view_validates_on_the_request_thread(client: Client, fresh_emulator: Emulator,
                                                   validate_threads: List[Tuple[str, bool]]) -> None:
    fresh_emulator.script("pt_dj_sync_thread", action="login")
    assert client.post("/login/", {"captchala_token": "pt_dj_sync_thread"}).status_code == 200
    assert validate_threads == [(threading.current_thread().name, False)]


# Safe methods are exactly GET, HEAD, OPTIONS and TRACE.


@pytest.mark.parametrize("method", ["get", "head", "options", "trace"])
def test_decorator_safe_methods_are_not_verified(client: Client, fresh_emulator: Emulator, method: str) -> None:
    response = getattr(client, method)("/login/")
    assert response.status_code == 200
    assert views.ACTIONS_RUN["count"] == 1
    assert fresh_emulator.stats()["validate_calls"] == 0


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_decorator_unsafe_methods_are_verified(client: Client, fresh_emulator: Emulator, method: str) -> None:
    fresh_emulator.script(f"pt_dj_{method}", action="login")
    response = getattr(client, method)("/login/", {}, content_type="application/json", HTTP_ACCEPT="application/json")
    assert (response.status_code, response.json()["error"]) == (400, "missing_token")
    response = getattr(client, method)("/login/", {"captchala_token": f"pt_dj_{method}"}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (200, "passed")
    assert views.ACTIONS_RUN["count"] == 1
    assert fresh_emulator.stats()["validate_calls"] == 1


# Every provider from settings.PASSGATE: the decorator and the form field read
# the provider's own field and reach the upstream with the keys from settings
# (the emulator knows only these keys: any other key is misconfigured).

KEYS = {"app_key": "dj-app-key-7", "app_secret": "dj-app-secret-7", "secret_key": "dj-secret-key-7", "site_key": "dj-site-key-7"}
PROVIDER_SETTINGS = {
    "captchala": {"app_key": KEYS["app_key"], "app_secret": KEYS["app_secret"]},
    "recaptcha": {"provider": "recaptcha", "secret_key": KEYS["secret_key"], "min_score": 0.3},
    "hcaptcha": {"provider": "hcaptcha", "secret_key": KEYS["secret_key"], "site_key": KEYS["site_key"]},
    "turnstile": {"provider": "turnstile", "secret_key": KEYS["secret_key"], "expected_hostnames": ["localhost"]},
}
FIELDS = {"captchala": "captchala_token", "recaptcha": "g-recaptcha-response", "hcaptcha": "h-captcha-response",
          "turnstile": "cf-turnstile-response"}


@pytest.fixture()
def keyed_emulator() -> Iterator[Emulator]:
    emulator = Emulator(*[arg for name, value in KEYS.items() for arg in ("--" + name.replace("_", "-"), value)])
    yield emulator
    emulator.stop()


def upstream_calls(emulator: Emulator) -> int:
    stats = emulator.stats()
    return stats["validate_calls"] + stats["siteverify_calls"]


@pytest.mark.parametrize("provider", list(PROVIDER_SETTINGS))
def test_settings_for_every_provider(keyed_emulator: Emulator, provider: str) -> None:
    views.ACTIONS_RUN["count"] = 0
    settings = {**PROVIDER_SETTINGS[provider], "api_base": keyed_emulator.url, "environment": "test"}
    field = FIELDS[provider]
    other = next(f for p, f in FIELDS.items() if p != provider)
    client = Client(REMOTE_ADDR="198.51.100.7")
    with override_settings(PASSGATE=settings):
        for token in (f"pt_{provider}_login", f"pt_{provider}_other"):
            keyed_emulator.script(token, action="login", score=0.9)
        for token in (f"pt_{provider}_comment", f"pt_{provider}_comment_other"):
            keyed_emulator.script(token, action="comment", score=0.9)
        response = client.post("/login/", {field: f"pt_{provider}_login"}, HTTP_ACCEPT="application/json")
        assert (response.status_code, response.json()["code"]) == (200, "passed"), response.content
        response = client.post("/login/", {other: f"pt_{provider}_other"}, HTTP_ACCEPT="application/json")
        assert (response.status_code, response.json()["error"]) == (400, "missing_token")
        response = client.post("/comment/", {"text": "hi", field: f"pt_{provider}_comment"})
        assert (response.status_code, response.json()) == (200, {"code": "passed"})
        response = client.post("/comment/", {"text": "hi", other: f"pt_{provider}_comment_other"})
        assert (response.status_code, response.json()) == (400, {"error": "missing_token"})
    assert views.ACTIONS_RUN["count"] == 2
    assert upstream_calls(keyed_emulator) == 2
    if provider != "captchala":
        sent = keyed_emulator.stats()["last_siteverify"]["fields"]
        assert sent["remoteip"] == "198.51.100.7"
        if provider == "hcaptcha":
            assert sent["sitekey"] == KEYS["site_key"]
    # Another key in settings is refused upstream: the keys above were used.
    secret = "app_secret" if provider == "captchala" else "secret_key"
    with override_settings(PASSGATE={**settings, secret: "not-the-key"}):
        keyed_emulator.script(f"pt_{provider}_bad_key", action="login", score=0.9)
        response = client.post("/login/", {field: f"pt_{provider}_bad_key"}, HTTP_ACCEPT="application/json")
    assert (response.status_code, response.json()["error"]) == (500, "misconfigured")


# manage.py passgate_check


def run_passgate_check() -> Tuple[str, Optional[CommandError]]:
    out = io.StringIO()
    try:
        call_command("passgate_check", stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_passgate_check_prints_the_configuration_without_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSGATE_TIMEOUT_MS", "1234")
    with override_settings(PASSGATE={"app_key": "check-key", "app_secret": "check-secret-xyz", "environment": "staging"}):
        output, error = run_passgate_check()
    assert error is None, output
    assert "check-secret-xyz" not in output
    assert 'provider="captchala"' in output and 'app_key="check-key"' in output and 'environment="staging"' in output
    assert "settings.PASSGATE gives: app_key, app_secret, environment;" in output
    assert "app_secret: set (not shown)" in output
    assert "token field: captchala_token" in output
    assert "System checks: no issues." in output


def test_passgate_check_turnstile_and_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSGATE_SECRET_KEY", "env-secret-abc")
    with override_settings(PASSGATE={"provider": "turnstile", "field": "captcha"}):
        output, error = run_passgate_check()
    assert error is None, output
    assert "env-secret-abc" not in output
    assert 'provider="turnstile"' in output
    assert "secret_key: set (not shown)" in output and "token field: captcha" in output


def test_passgate_check_fails_on_a_failing_check(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CAPTCHALA_APP_KEY", "CAPTCHALA_APP_SECRET", "PASSGATE_PROVIDER", "PASSGATE_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    with override_settings(PASSGATE={"app_key": "check-key"}):
        output, error = run_passgate_check()
    assert error is not None and error.returncode != 0
    assert "verifier: not built:" in output and "app_secret" in output
    assert "passgate.E001: passgate: app_secret is not set." in output
    assert "CAPTCHALA_APP_SECRET" in output  # the hint
    with override_settings(PASSGATE={"app_key": "k", "app_secret": "check-secret-xyz", "timeout_ms": "soon"}):
        output, error = run_passgate_check()
    assert error is not None and "passgate.E003" in output and "check-secret-xyz" not in output


def test_passgate_check_exit_status(tmp_path: Path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "django_project.settings", "PYTHONPATH": str(Path(__file__).parent)}
    for name in ("CAPTCHALA_APP_KEY", "CAPTCHALA_APP_SECRET", "PASSGATE_PROVIDER", "PASSGATE_SECRET_KEY", "PASSGATE_MODE"):
        env.pop(name, None)
    good = subprocess.run([sys.executable, "-m", "django", "passgate_check"], env=env, capture_output=True, text=True)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "test-app-secret" not in good.stdout + good.stderr
    settings = tmp_path / "broken_settings.py"
    settings.write_text("from django_project.settings import *\nPASSGATE = {'app_key': 'k'}\n")
    env.update(DJANGO_SETTINGS_MODULE="broken_settings", PYTHONPATH=f"{tmp_path}{os.pathsep}{env['PYTHONPATH']}")
    bad = subprocess.run([sys.executable, "-m", "django", "passgate_check"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "passgate.E001" in bad.stdout and "1 system check(s) failed" in bad.stderr
