"""passgate.django through Django's test client and system checks."""

from __future__ import annotations

import os
from typing import Any, Iterator

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")

import django  # noqa: E402

django.setup()

from django.core import checks  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

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
