"""The Python API: configuration, outcomes, logging, errors, bad input."""

from __future__ import annotations

import logging
import re

import pytest

import passgate
from conftest import APP_SECRET, Emulator

SECRET = "sk_live_VERY_SECRET_value"
RAW_TOKEN = "pt_RAW_TOKEN_must_not_leak"


def test_validate_passes_with_every_attribute(fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_py_attrs", action="login", uid="user-1", risk_score=33, challenge_id="ch_py")
    verifier = passgate.Verifier(**fresh_emulator.options())
    outcome = verifier.validate("pt_py_attrs", client_ip="203.0.113.9", action="login", uid="user-1")
    assert (outcome.ok, outcome.code, outcome.category, outcome.retryable, outcome.http_status) == (
        True, "passed", "passed", False, 200)
    assert outcome.message == "Verification passed."
    assert outcome.message_for("de") == "Überprüfung erfolgreich."
    assert (outcome.action, outcome.uid, outcome.risk_score, outcome.challenge_id) == ("login", "user-1", 33, "ch_py")
    assert outcome.token_type == "pt" and outcome.upstream_error is None
    assert outcome.captcha_args is not None and outcome.captcha_args["user_ip"] == "203.0.113.9"
    assert 0 <= (outcome.token_age_ms or 0) < 5000
    assert outcome.log_fields["client_ip"] == "203.0.113.9"
    assert fresh_emulator.stats()["validate_calls"] == 1


def test_from_env(monkeypatch: pytest.MonkeyPatch, fresh_emulator: Emulator) -> None:
    monkeypatch.setenv("CAPTCHALA_APP_KEY", "test-app-key")
    monkeypatch.setenv("CAPTCHALA_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("PASSGATE_API_BASE", fresh_emulator.url)
    monkeypatch.setenv("PASSGATE_ENVIRONMENT", "staging")
    verifier = passgate.Verifier.from_env()
    assert verifier.environment == "staging"
    outcome = verifier.validate("pt_py_from_env")
    assert outcome.code == "passed"
    assert outcome.log_fields["environment"] == "staging"


@pytest.mark.parametrize(
    ("options", "setting"),
    [
        ({}, "app_key"),
        ({"app_key": "k"}, "app_secret"),
        ({"app_key": "k", "app_secret": "s", "api_base": "not a url"}, "api_base"),
        ({"app_key": "k", "app_secret": "s", "mode": "test"}, "mode"),
        ({"app_key": "k", "app_secret": "s", "timeout_ms": "soon"}, "timeout_ms"),
        ({"app_key": "k", "app_secret": "s", "timeout_ms": [1]}, "timeout_ms"),
        ({"app_key": "k", "app_secret": "s", "replay_store": "mysql://x"}, "replay_store"),
        ({"app_key": "k", "app_secret": "s", "no_such_option": 1}, "no_such_option"),
    ],
)
def test_config_errors_name_the_setting(monkeypatch: pytest.MonkeyPatch, options: dict, setting: str) -> None:
    for name in ("CAPTCHALA_APP_KEY", "CAPTCHALA_APP_SECRET", "PASSGATE_ENVIRONMENT", "PASSGATE_MODE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(passgate.ConfigError) as raised:
        passgate.Verifier(**options)
    assert f": {setting}:" in str(raised.value)
    assert raised.value.setting == setting
    assert isinstance(raised.value, passgate.PassgateError)


def test_logging_records_fields_in_extra(fresh_emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    verifier = passgate.Verifier(**fresh_emulator.options())
    caplog.set_level(logging.INFO, logger="passgate")
    verifier.validate("pt_py_logged", action=None)
    verifier.validate("pt_py_logged")
    passed, replayed = caplog.records
    assert (passed.levelno, replayed.levelno) == (logging.INFO, logging.WARNING)
    assert passed.name == "passgate"
    assert getattr(passed, "outcome") == "passed" and getattr(replayed, "outcome") == "replayed"
    assert list(getattr(passed, "passgate")) == passgate.LOG_KEYS
    for key in passgate.LOG_KEYS:
        assert hasattr(passed, key), key
    formatter = logging.Formatter("%(levelname)s %(outcome)s %(token_fingerprint)s %(latency_ms).1f")
    assert re.fullmatch(r"WARNING replayed [0-9a-f]{16} \d+\.\d", formatter.format(replayed))


def test_custom_logger(fresh_emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("myapp.captcha")
    verifier = passgate.Verifier(logger=logger, **fresh_emulator.options())
    caplog.set_level(logging.INFO, logger="myapp.captcha")
    verifier.validate(None)
    assert [r.name for r in caplog.records] == ["myapp.captcha"]
    assert getattr(caplog.records[0], "outcome") == "missing_token"


def test_no_secret_or_token_in_repr_errors_or_logs(fresh_emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = passgate.Verifier(**fresh_emulator.options(app_secret=SECRET))
    right = passgate.Verifier(**fresh_emulator.options())
    seen = [repr(wrong), repr(right), repr(wrong._native)]
    for verifier in (wrong, right):
        for token in (RAW_TOKEN, "co_RAW_TOKEN", "sct_RAW_TOKEN", "pt_RAW_TOKEN with space", RAW_TOKEN):
            outcome = verifier.validate(token)
            seen += [repr(outcome), repr(outcome.log_fields), outcome.log_message, str(outcome.captcha_args)]
    try:
        passgate.Verifier(app_key="k", app_secret=SECRET + " space")
    except passgate.ConfigError as error:
        seen.append(str(error))
    try:
        passgate.Verifier(app_key="k", app_secret=SECRET, api_base="ftp://x")
    except passgate.ConfigError as error:
        seen.append(repr(error))
    seen += [record.getMessage() + repr(record.__dict__) for record in caplog.records]
    printed = "\n".join(seen)
    assert SECRET not in printed
    assert "RAW_TOKEN" not in printed
    assert "misconfigured" in printed and "passed" in printed


@pytest.mark.parametrize("bad", [b"pt_bytes", 42, 4.2, ["pt_x"], {"token": "pt_x"}])
def test_bad_token_types_are_type_errors(bad: object) -> None:
    verifier = passgate.Verifier(mode="test", environment="test")
    with pytest.raises(TypeError, match="token must be a str or None"):
        verifier.validate(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (None, "missing_token"),
        ("", "missing_token"),
        ("x" * 1_000_000, "malformed_token"),
        ("pt_nul\x00byte", "malformed_token"),
        ("pt_\ud800surrogate", "malformed_token"),
        ("pt_ünïcode", "malformed_token"),
    ],
)
def test_bad_token_values_have_defined_outcomes(fresh_emulator: Emulator, token: object, code: str) -> None:
    verifier = passgate.Verifier(**fresh_emulator.options())
    assert verifier.validate(token).code == code  # type: ignore[arg-type]
    assert fresh_emulator.stats()["validate_calls"] == 0


def test_internal_error_and_the_interpreter_lives_on() -> None:
    verifier = passgate.Verifier(mode="test", environment="test")
    with pytest.raises(passgate.InternalError) as raised:
        verifier.validate("pt_test_internal_error")
    assert "pt_test_internal_error" not in str(raised.value)
    assert verifier.validate("pt_test_passed").ok


def test_issue_server_token(fresh_emulator: Emulator) -> None:
    verifier = passgate.Verifier(**fresh_emulator.options())
    token = verifier.issue_server_token("login", binding_ip="203.0.113.9", ttl=60, max_uses=1, bind_uid="u1")
    assert token.server_token.startswith("sct_") and token.expires_in == 60 and token.issued_at
    wrong = passgate.Verifier(**fresh_emulator.options(app_secret=SECRET))
    with pytest.raises(passgate.IssueError) as raised:
        wrong.issue_server_token("login")
    assert raised.value.code == "misconfigured"
    assert raised.value.upstream_error == "invalid_app_secret"
    assert SECRET not in str(raised.value)


def test_test_mode_every_code() -> None:
    verifier = passgate.Verifier(mode="test", environment="test")
    for code in passgate.OUTCOME_CODES:
        outcome = verifier.validate(f"pt_test_{code}")
        assert outcome.code == code
        assert not outcome.log_fields["upstream_called"]


def test_an_outcome_is_truthy_only_when_it_passed() -> None:
    verifier = passgate.Verifier(mode="test", environment="test")
    passed = verifier.validate("pt_test_passed")
    assert bool(passed) is True and passed.ok
    for code in passgate.OUTCOME_CODES:
        if code == "passed":
            continue
        outcome = verifier.validate(f"pt_test_{code}")
        assert outcome.code == code
        assert bool(outcome) is False, code
        assert not outcome


def test_safe_methods_are_the_cores() -> None:
    from passgate import _web

    assert _web.SAFE_METHODS == {"GET", "HEAD", "OPTIONS", "TRACE"}
    if not hasattr(passgate._native, "SAFE_METHODS"):
        pytest.skip("the installed native module predates the core's SAFE_METHODS: rebuild it")
    assert _web.SAFE_METHODS == set(passgate._native.SAFE_METHODS)
