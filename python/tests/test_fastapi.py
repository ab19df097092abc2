"""passgate.fastapi through FastAPI's TestClient against the emulator."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional

import pytest
from fastapi import Depends, FastAPI, Form, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

import passgate
import passgate.fastapi as pg_fastapi
from conftest import Emulator, dead_redis_url
from passgate import Outcome
from passgate.fastapi import CaptchaRejected, require_captcha

CLIENT = ("198.51.100.9", 50123)
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "TRACE", "POST", "PUT", "PATCH", "DELETE"]


class Signup(BaseModel):
    nickname: str


def create_app(verifier: Optional[passgate.Verifier]) -> FastAPI:
    """Routes protected by passgate; ``app.state.runs`` counts the route
    bodies that ran."""
    app = FastAPI()
    app.state.runs = 0

    def ran(outcome: Optional[Outcome]) -> Dict[str, Any]:
        app.state.runs += 1
        return {"code": outcome.code if outcome is not None else None,
                "client_ip": outcome.log_fields["client_ip"] if outcome is not None else None}

    @app.api_route("/login", methods=ALL_METHODS)
    async def login(outcome: Optional[Outcome] = Depends(require_captcha(action="login", verifier=verifier))) -> Any:
        return ran(outcome)

    @app.post("/header-login")
    def header_login(
        outcome: Outcome = Depends(require_captcha(action="login", header="X-Captcha-Token", verifier=verifier)),
    ) -> Any:
        return ran(outcome)  # a sync route: FastAPI runs it on its thread pool

    @app.post("/signup", dependencies=[Depends(require_captcha(action="signup", verifier=verifier))])
    async def signup(request: Request, nickname: str = Form()) -> Any:
        # The route reads the form too, and finds the outcome on request.state.
        body = ran(request.state.passgate)
        body["nickname"] = nickname
        return body

    @app.post("/json-signup")
    async def json_signup(body: Signup, outcome: Outcome = Depends(require_captcha(action="signup", verifier=verifier))) -> Any:
        # FastAPI reads the JSON body for the model; the dependency reads it too.
        result = ran(outcome)
        result["nickname"] = body.nickname
        return result

    @app.post("/comment")
    async def comment(outcome: Outcome = Depends(require_captcha(action="comment", field="captcha", verifier=verifier))) -> Any:
        return ran(outcome)

    return app


@pytest.fixture()
def app(fresh_emulator: Emulator) -> FastAPI:
    return create_app(passgate.Verifier(**fresh_emulator.options()))


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, client=CLIENT) as client:
        yield client


def test_pass_returns_the_outcome_with_the_client_ip(client: TestClient, app: FastAPI, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_fa_ok", action="login")
    response = client.post("/login", data={"captchala_token": "pt_fa_ok"}, headers={"X-Forwarded-For": "6.6.6.6"})
    assert response.status_code == 200
    assert response.json() == {"code": "passed", "client_ip": "198.51.100.9"}  # never X-Forwarded-For
    assert app.state.runs == 1
    assert fresh_emulator.stats()["validate_calls"] == 1


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "TRACE"])
def test_safe_methods_are_not_verified(client: TestClient, app: FastAPI, fresh_emulator: Emulator, method: str) -> None:
    response = client.request(method, "/login")
    assert response.status_code == 200
    if method != "HEAD":
        assert response.json() == {"code": None, "client_ip": None}
    assert app.state.runs == 1
    assert fresh_emulator.stats()["validate_calls"] == 0


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_unsafe_methods_are_verified(client: TestClient, app: FastAPI, fresh_emulator: Emulator, method: str) -> None:
    response = client.request(method, "/login", headers={"Accept": "application/json"})
    assert (response.status_code, response.json()["detail"]["error"]) == (400, "missing_token")
    fresh_emulator.script(f"pt_fa_{method}", action="login")
    response = client.request(method, "/login", data={"captchala_token": f"pt_fa_{method}"})
    assert (response.status_code, response.json()["code"]) == (200, "passed")
    assert app.state.runs == 1
    assert fresh_emulator.stats()["validate_calls"] == 1  # missing_token never reaches the upstream


@pytest.mark.parametrize(
    ("script", "token", "status", "code"),
    [
        (None, None, 400, "missing_token"),
        (None, "sct_fa", 400, "malformed_token"),
        ({"action": "pay"}, "pt_fa_wrong_action", 400, "action_mismatch"),
        ({"solved_at_offset_s": -900, "action": "login"}, "pt_fa_old", 400, "expired"),
        ({"error": "token_consumed"}, "pt_fa_used", 409, "replayed"),
        ({"error": "rate_limit_exceeded"}, "pt_fa_limited", 429, "rate_limited"),
        ({"error": "invalid_app_secret"}, "pt_fa_keys", 500, "misconfigured"),
        ({"error": "token_uid_mismatch"}, "pt_fa_uid", 403, "uid_mismatch"),
        ({"error": "token_ip_mismatch"}, "pt_fa_ip", 403, "ip_mismatch"),
        ({"error": "invalid_token"}, "pt_fa_invalid", 400, "rejected"),
        ({"http_status": 503}, "pt_fa_down", 503, "upstream_unavailable"),
        ({"fault": "close"}, "pt_fa_closed", 503, "upstream_unavailable"),
        (None, "dg_fa", 503, "degraded"),
        (None, "co_fa", 400, "unverifiable"),
    ],
)
def test_each_failure_class_raises_http_exception_and_skips_the_route(
    client: TestClient, app: FastAPI, fresh_emulator: Emulator, script: Any, token: Any, status: int, code: str
) -> None:
    if script:
        fresh_emulator.script(token, **script)
    data = {} if token is None else {"captchala_token": token}
    response = client.post("/login", data=data)
    assert response.status_code == status
    detail = response.json()["detail"]
    assert detail["error"] == code
    assert detail["message"] == passgate.Verifier(mode="test", environment="test").validate(f"pt_test_{code}").message
    assert app.state.runs == 0


def test_replayed_token(client: TestClient, app: FastAPI, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_fa_twice", action="login")
    assert client.post("/login", json={"captchala_token": "pt_fa_twice"}).status_code == 200
    response = client.post("/login", json={"captchala_token": "pt_fa_twice"})
    assert (response.status_code, response.json()["detail"]["error"]) == (409, "replayed")
    assert app.state.runs == 1
    assert fresh_emulator.stats()["validate_calls"] == 1


def test_store_unavailable_is_503_without_upstream_call(fresh_emulator: Emulator) -> None:
    app = create_app(passgate.Verifier(**fresh_emulator.options(replay_store=dead_redis_url(), store_timeout_ms=300)))
    with TestClient(app, client=CLIENT) as client:
        response = client.post("/login", data={"captchala_token": "pt_fa_no_store"})
    assert (response.status_code, response.json()["detail"]["error"]) == (503, "store_unavailable")
    assert app.state.runs == 0
    assert fresh_emulator.stats()["validate_calls"] == 0


def test_json_body(client: TestClient, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_fa_json", action="login")
    response = client.post("/login", json={"captchala_token": "pt_fa_json"})
    assert (response.status_code, response.json()["code"]) == (200, "passed")
    response = client.post("/login", content=b"{not json", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["detail"]["error"]) == (400, "missing_token")


def test_multipart_form(client: TestClient, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_fa_multipart", action="login")
    response = client.post("/login", data={"captchala_token": "pt_fa_multipart"}, files={"avatar": ("a.txt", b"hello")})
    assert (response.status_code, response.json()["code"]) == (200, "passed")


def test_header(client: TestClient, app: FastAPI, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_fa_header", action="login")
    response = client.post("/header-login", headers={"X-Captcha-Token": "pt_fa_header"})
    assert (response.status_code, response.json()["code"]) == (200, "passed")
    # Only the named header: /login names none.
    fresh_emulator.script("pt_fa_header_unnamed", action="login")
    response = client.post("/login", headers={"X-Captcha-Token": "pt_fa_header_unnamed"})
    assert (response.status_code, response.json()["detail"]["error"]) == (400, "missing_token")
    assert app.state.runs == 1
    assert fresh_emulator.stats()["validate_calls"] == 1


@pytest.mark.parametrize("body", ["form", "json"])
def test_the_body_comes_before_the_header(client: TestClient, fresh_emulator: Emulator, body: str) -> None:
    fresh_emulator.script("pt_fa_in_body", action="login")
    fresh_emulator.script("pt_fa_in_header", action="login")
    payload = {"captchala_token": "pt_fa_in_body"}
    kwargs: Dict[str, Any] = {"data": payload} if body == "form" else {"json": payload}
    response = client.post("/header-login", headers={"X-Captcha-Token": "pt_fa_in_header"}, **kwargs)
    assert response.status_code == 200
    # The header's token was left alone: it still passes.
    response = client.post("/header-login", headers={"X-Captcha-Token": "pt_fa_in_header"})
    assert response.status_code == 200
    response = client.post("/header-login", headers={"X-Captcha-Token": "pt_fa_in_body"})
    assert (response.status_code, response.json()["detail"]["error"]) == (409, "replayed")


def test_route_reads_the_form_too_and_the_outcome_is_on_request_state(client: TestClient, app: FastAPI, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_fa_signup", action="signup")
    response = client.post("/signup", data={"nickname": "ann", "captchala_token": "pt_fa_signup"})
    assert response.status_code == 200
    assert response.json() == {"code": "passed", "client_ip": "198.51.100.9", "nickname": "ann"}
    response = client.post("/signup", data={"nickname": "ann"})
    assert (response.status_code, response.json()["detail"]["error"]) == (400, "missing_token")
    assert app.state.runs == 1


def test_route_with_a_json_body_model(client: TestClient, app: FastAPI, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_fa_json_model", action="signup")
    response = client.post("/json-signup", json={"nickname": "ann", "captchala_token": "pt_fa_json_model"})
    assert response.status_code == 200
    assert response.json() == {"code": "passed", "client_ip": "198.51.100.9", "nickname": "ann"}
    response = client.post("/json-signup", json={"nickname": "ann"})
    assert (response.status_code, response.json()["detail"]["error"]) == (400, "missing_token")
    assert app.state.runs == 1


def test_field_names_another_token_field(client: TestClient, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_fa_comment", action="comment")
    response = client.post("/comment", data={"captchala_token": "pt_fa_comment"})
    assert (response.status_code, response.json()["detail"]["error"]) == (400, "missing_token")
    response = client.post("/comment", data={"captcha": "pt_fa_comment"})
    assert (response.status_code, response.json()["code"]) == (200, "passed")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "captchala_token[]=pt_fa_shape"),
        ("application/x-www-form-urlencoded", "captchala_token[x]=pt_fa_shape"),
        ("application/json", '{"captchala_token": ["pt_fa_shape"]}'),
        ("application/json", '{"captchala_token": {"a": 1}}'),
        ("application/json", '["pt_fa_shape"]'),
    ],
)
def test_token_that_is_not_a_string_is_missing_token(
    client: TestClient, app: FastAPI, fresh_emulator: Emulator, content_type: str, body: str
) -> None:
    fresh_emulator.script("pt_fa_shape", action="login")  # it would pass if it were read
    response = client.post("/login", content=body.encode(), headers={"Content-Type": content_type})
    assert (response.status_code, response.json()["detail"]["error"]) == (400, "missing_token")
    assert app.state.runs == 0
    assert fresh_emulator.stats()["validate_calls"] == 0


def test_messages_follow_accept_language(client: TestClient) -> None:
    response = client.post("/login", headers={"Accept-Language": "de;q=0.5, ja-JP, en;q=0.8"})
    assert response.json()["detail"]["message"] == "キャプチャを完了してください。"
    response = client.post("/login", headers={"Accept-Language": "*, fr;q=0.9"})
    assert response.json()["detail"]["message"] == "Veuillez compléter le captcha."
    response = client.post("/login", headers={"Accept-Language": "ja;q=0, de;q=0.1"})
    assert response.json()["detail"]["message"].startswith("Bitte")


def test_failure_exception_carries_the_outcome(fresh_emulator: Emulator) -> None:
    app = create_app(passgate.Verifier(**fresh_emulator.options()))
    seen: List[Outcome] = []

    @app.exception_handler(CaptchaRejected)
    async def rejected(request: Request, exc: CaptchaRejected) -> Any:
        from fastapi.responses import PlainTextResponse

        seen.append(exc.outcome)
        return PlainTextResponse(f"{exc.outcome.code} {exc.status_code}", status_code=exc.status_code)

    with TestClient(app, client=CLIENT) as client:
        response = client.post("/login", data={"captchala_token": "sct_fa"})
    assert (response.status_code, response.text) == (400, "malformed_token 400")
    assert [o.code for o in seen] == ["malformed_token"]


def test_client_ip_of_turnstile_reaches_siteverify_and_a_host_name_is_no_ip(fresh_emulator: Emulator) -> None:
    verifier = passgate.Verifier(provider="turnstile", secret_key="test-secret-key", api_base=fresh_emulator.url,
                                 environment="test")
    app = create_app(verifier)
    fresh_emulator.script("ts_fa_ip", action="login")
    with TestClient(app, client=CLIENT) as client:
        response = client.post("/login", data={"cf-turnstile-response": "ts_fa_ip"})
    assert (response.status_code, response.json()["code"]) == (200, "passed")
    assert fresh_emulator.stats()["last_siteverify"]["fields"]["remoteip"] == "198.51.100.9"
    fresh_emulator.script("ts_fa_no_ip", action="login")
    with TestClient(app) as client:  # request.client.host is "testclient"
        response = client.post("/login", data={"cf-turnstile-response": "ts_fa_no_ip"})
    assert (response.status_code, response.json()["client_ip"]) == (200, None)
    assert "remoteip" not in fresh_emulator.stats()["last_siteverify"]["fields"]


# Where the verifier comes from: the argument, else app.state.passgate,
# else the environment.


@pytest.fixture()
def no_env_verifier(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(pg_fastapi, "_env_verifier", None)
    yield


def test_verifier_from_app_state(fresh_emulator: Emulator, no_env_verifier: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPTCHALA_APP_KEY", "wrong-key")  # the environment's verifier would be misconfigured
    monkeypatch.setenv("CAPTCHALA_APP_SECRET", "wrong-secret")
    monkeypatch.setenv("PASSGATE_API_BASE", fresh_emulator.url)
    monkeypatch.setenv("PASSGATE_ENVIRONMENT", "test")
    app = create_app(None)
    with TestClient(app, client=CLIENT) as client:
        fresh_emulator.script("pt_fa_env", action="login")
        response = client.post("/login", data={"captchala_token": "pt_fa_env"})
        assert (response.status_code, response.json()["detail"]["error"]) == (500, "misconfigured")
        app.state.passgate = passgate.Verifier(**fresh_emulator.options())
        fresh_emulator.script("pt_fa_state", action="login")
        response = client.post("/login", data={"captchala_token": "pt_fa_state"})
        assert (response.status_code, response.json()["code"]) == (200, "passed")
        app.state.passgate = "not a verifier"
        with pytest.raises(TypeError, match="app.state.passgate"):
            client.post("/login", data={"captchala_token": "pt_fa_state"})


def test_verifier_from_the_environment_is_built_once(
    fresh_emulator: Emulator, no_env_verifier: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {"CAPTCHALA_APP_KEY": "test-app-key", "CAPTCHALA_APP_SECRET": "test-app-secret",
                        "PASSGATE_API_BASE": fresh_emulator.url, "PASSGATE_ENVIRONMENT": "test"}.items():
        monkeypatch.setenv(name, value)
    app = create_app(None)
    with TestClient(app, client=CLIENT) as client:
        assert client.get("/login").status_code == 200
        assert pg_fastapi._env_verifier is None  # nothing built for a safe method
        fresh_emulator.script("pt_fa_from_env", action="login")
        assert client.post("/login", data={"captchala_token": "pt_fa_from_env"}).status_code == 200
        built = pg_fastapi._env_verifier
        assert built is not None
        monkeypatch.setenv("CAPTCHALA_APP_SECRET", "changed")  # not read again
        fresh_emulator.script("pt_fa_from_env_2", action="login")
        assert client.post("/login", data={"captchala_token": "pt_fa_from_env_2"}).status_code == 200
        assert pg_fastapi._env_verifier is built


def test_verifier_argument_comes_before_app_state(fresh_emulator: Emulator) -> None:
    app = create_app(passgate.Verifier(**fresh_emulator.options()))
    app.state.passgate = passgate.Verifier(**fresh_emulator.options(app_secret="wrong-secret"))
    fresh_emulator.script("pt_fa_argument", action="login")
    with TestClient(app, client=CLIENT) as client:
        response = client.post("/login", data={"captchala_token": "pt_fa_argument"})
    assert (response.status_code, response.json()["code"]) == (200, "passed")
