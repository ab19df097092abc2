"""passgate.flask through Flask's test client, and under gunicorn --preload."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, Set, Union

import pytest
from flask import Flask

from conftest import REPO, Emulator, dead_redis_url
from flask_app import create_app


@pytest.fixture()
def app(fresh_emulator: Emulator) -> Flask:
    return create_app(fresh_emulator.options())


def post(app: Flask, path: str, data: Union[Dict[str, Any], str], **kwargs: Any) -> Any:
    return app.test_client().post(path, data=data, environ_base={"REMOTE_ADDR": "198.51.100.4"}, **kwargs)


def test_pass_runs_the_view_with_the_outcome_on_g(app: Flask, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_flask_ok", action="login")
    response = post(app, "/login", {"captchala_token": "pt_flask_ok"}, headers={"X-Forwarded-For": "6.6.6.6"})
    assert response.status_code == 200
    assert response.get_json()["code"] == "passed"
    assert response.get_json()["client_ip"] == "198.51.100.4"  # never X-Forwarded-For
    assert app.config["ACTIONS_RUN"] == 1


def test_get_is_not_verified(app: Flask, fresh_emulator: Emulator) -> None:
    response = app.test_client().get("/login")
    assert response.status_code == 200 and response.get_json()["code"] is None
    assert fresh_emulator.stats()["validate_calls"] == 0


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "TRACE"])
def test_safe_methods_are_not_verified(app: Flask, fresh_emulator: Emulator, method: str) -> None:
    response = app.test_client().open("/any", method=method)
    assert response.status_code == 200
    if method != "HEAD":
        assert response.get_json() == {"code": None}
    assert app.config["ACTIONS_RUN"] == 1
    assert fresh_emulator.stats()["validate_calls"] == 0


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_unsafe_methods_are_verified(app: Flask, fresh_emulator: Emulator, method: str) -> None:
    client = app.test_client()
    response = client.open("/any", method=method, headers={"Accept": "application/json"})
    assert (response.status_code, response.get_json()["error"]) == (400, "missing_token")
    fresh_emulator.script(f"pt_flask_{method}", action="login")
    response = client.open("/any", method=method, data={"captchala_token": f"pt_flask_{method}"})
    assert (response.status_code, response.get_json()["code"]) == (200, "passed")
    assert app.config["ACTIONS_RUN"] == 1
    assert fresh_emulator.stats()["validate_calls"] == 1


@pytest.mark.parametrize(
    ("script", "token", "status", "code"),
    [
        (None, None, 400, "missing_token"),
        (None, "sct_flask", 400, "malformed_token"),
        ({"action": "pay"}, "pt_flask_wrong_action", 400, "action_mismatch"),
        ({"solved_at_offset_s": -900, "action": "login"}, "pt_flask_old", 400, "expired"),
        ({"error": "token_consumed"}, "pt_flask_used", 409, "replayed"),
        ({"error": "rate_limit_exceeded"}, "pt_flask_limited", 429, "rate_limited"),
        ({"error": "invalid_app_secret"}, "pt_flask_keys", 500, "misconfigured"),
        ({"error": "token_uid_mismatch"}, "pt_flask_uid", 403, "uid_mismatch"),
        ({"error": "token_ip_mismatch"}, "pt_flask_ip", 403, "ip_mismatch"),
        ({"error": "invalid_token"}, "pt_flask_invalid", 400, "rejected"),
        ({"http_status": 503}, "pt_flask_down", 503, "upstream_unavailable"),
        (None, "dg_flask", 503, "degraded"),
        (None, "co_flask", 400, "unverifiable"),
    ],
)
def test_each_failure_class_answers_json_and_skips_the_view(
    app: Flask, fresh_emulator: Emulator, script: Any, token: Any, status: int, code: str
) -> None:
    if script:
        fresh_emulator.script(token, **script)
    data = {} if token is None else {"captchala_token": token}
    response = post(app, "/login", data, headers={"Accept": "application/json"})
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] == code and body["message"]
    assert app.config["ACTIONS_RUN"] == 0


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "captchala_token[]=pt_flask_shape"),
        ("application/x-www-form-urlencoded", "captchala_token[x]=pt_flask_shape"),
        ("application/json", '{"captchala_token": ["pt_flask_shape"]}'),
        ("application/json", '{"captchala_token": {"a": 1}}'),
    ],
)
def test_token_that_is_not_a_string_is_missing_token(app: Flask, fresh_emulator: Emulator, content_type: str, body: str) -> None:
    fresh_emulator.script("pt_flask_shape", action="login")  # it would pass if it were read
    response = post(app, "/login", body, content_type=content_type, headers={"Accept": "application/json"})
    assert (response.status_code, response.get_json()["error"]) == (400, "missing_token")
    assert app.config["ACTIONS_RUN"] == 0
    assert fresh_emulator.stats()["validate_calls"] == 0


def test_store_unavailable_is_503_without_upstream_call(fresh_emulator: Emulator) -> None:
    app = create_app(fresh_emulator.options(replay_store=dead_redis_url(), store_timeout_ms=300))
    response = post(app, "/login", {"captchala_token": "pt_flask_no_store"}, headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["error"] == "store_unavailable"
    assert app.config["ACTIONS_RUN"] == 0
    assert fresh_emulator.stats()["validate_calls"] == 0


def test_html_failure_and_json_body(app: Flask, fresh_emulator: Emulator) -> None:
    response = post(app, "/login", {"captchala_token": "pt_flask_html"}, headers={"Accept": "text/html"})
    assert response.status_code == 400 and b"role=\"alert\"" in response.data  # action_mismatch: no action
    fresh_emulator.script("pt_flask_json", action="login")
    response = app.test_client().post("/login", json={"captchala_token": "pt_flask_json"})
    assert response.status_code == 200


def test_upstream_down_is_503_and_the_view_never_runs(fresh_emulator: Emulator) -> None:
    app = create_app(fresh_emulator.options(api_base="http://127.0.0.1:1", timeout_ms=500))
    response = post(app, "/login", {"captchala_token": "pt_flask_nobody_home"}, headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["error"] == "upstream_unavailable"
    assert app.config["ACTIONS_RUN"] == 0


def test_form_data_is_kept_on_failure(app: Flask) -> None:
    response = post(app, "/signup", {"email": "ann@example.com", "nickname": "ann", "captchala_token": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="ann@example.com"' in html and 'value="ann"' in html
    assert "Please complete the captcha." in html
    assert app.config["ACTIONS_RUN"] == 0


def test_messages_follow_accept_language(app: Flask) -> None:
    response = post(app, "/login", {}, headers={"Accept": "application/json", "Accept-Language": "ja"})
    assert response.get_json()["message"] == "キャプチャを完了してください。"


def test_turnstile_reads_cf_turnstile_response(fresh_emulator: Emulator) -> None:
    app = create_app({"provider": "turnstile", "secret_key": "test-secret-key", "api_base": fresh_emulator.url,
                      "environment": "test", "expected_hostnames": ["localhost"]})
    fresh_emulator.script("ts_flask_login", action="login")
    response = post(app, "/login", {"cf-turnstile-response": "ts_flask_login"})
    assert response.status_code == 200
    assert response.get_json()["code"] == "passed"
    fresh_emulator.script("ts_flask_other_field", action="login")
    response = post(app, "/login", {"captchala_token": "ts_flask_other_field"}, headers={"Accept": "application/json"})
    assert (response.status_code, response.get_json()["error"]) == (400, "missing_token")
    assert app.config["ACTIONS_RUN"] == 1
    assert fresh_emulator.stats()["siteverify_calls"] == 1


def test_init_app_config_errors_name_the_setting() -> None:
    import passgate
    from passgate.flask import Passgate

    app = Flask("bad")
    app.config.update(PASSGATE_APP_KEY="k", PASSGATE_APP_SECRET="s", PASSGATE_TIMEOUT_MS="soon")
    with pytest.raises(passgate.ConfigError, match="timeout_ms"):
        Passgate(app)


def test_gunicorn_preload_two_workers(fresh_emulator: Emulator) -> None:
    env = dict(os.environ)
    env.update(
        CAPTCHALA_APP_KEY="test-app-key",
        CAPTCHALA_APP_SECRET="test-app-secret",
        PASSGATE_API_BASE=fresh_emulator.url,
        PASSGATE_ENVIRONMENT="test",
        PYTHONPATH=str(Path(__file__).parent),
    )
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--preload", "-w", "2", "-b", "127.0.0.1:0", "--timeout", "30", "flask_app:app"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert gunicorn.stderr is not None
        port = None
        booted: Set[str] = set()
        for line in gunicorn.stderr:  # gunicorn logs to stderr; read until both workers booted
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
            worker = re.search(r"Booting worker with pid: (\d+)", line)
            if worker:
                booted.add(worker.group(1))
            if port and len(booted) == 2:
                break
        assert port, "gunicorn did not start"
        threading.Thread(target=lambda: [None for _ in gunicorn.stderr or []], daemon=True).start()

        pids: Set[int] = set()
        counter = 0
        for _ in range(10):  # two slow requests at once occupy both sync workers
            results: list = []

            def request(token: str) -> None:
                fresh_emulator.script(token, action="login", delay_ms=300)
                data = urllib.parse.urlencode({"captchala_token": token}).encode()
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", data=data, timeout=20) as response:
                    results.append(json.loads(response.read()))

            threads = []
            for _ in range(2):
                counter += 1
                threads.append(threading.Thread(target=request, args=(f"pt_gunicorn_{counter}",)))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert [r["code"] for r in results] == ["passed", "passed"], results
            pids |= {r["pid"] for r in results}
            if len(pids) == 2:
                break
        assert len(pids) == 2, f"only worker(s) {pids} answered"
        assert gunicorn.pid not in pids
        # The master validated once before forking; every request validated once.
        assert fresh_emulator.stats()["validate_calls"] == 1 + counter
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)


def test_async_views_are_awaited(app: Flask, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_flask_async", action="login")
    response = post(app, "/async-login", {"captchala_token": "pt_flask_async"})
    assert response.status_code == 200
    assert response.get_json() == {"done": True, "code": "passed"}
    response = post(app, "/async-login", {"captchala_token": "pt_flask_async"}, headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert response.get_json()["error"] == "replayed"
    assert app.config["ACTIONS_RUN"] == 1
