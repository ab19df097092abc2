"""reCAPTCHA, hCaptcha and Turnstile through the plain Python API."""

from __future__ import annotations

import logging
from typing import Any, Dict

import pytest

import passgate
from conftest import Emulator

SECRET_KEY = "test-secret-key"  # the emulator's siteverify secret
WRONG_SECRET = "sk_siteverify_VERY_SECRET_value"

FORM_FIELDS = {
    "captchala": "captchala_token",
    "recaptcha": "g-recaptcha-response",
    "hcaptcha": "h-captcha-response",
    "turnstile": "cf-turnstile-response",
}


def siteverify(emulator: Emulator, provider: str, **options: Any) -> passgate.Verifier:
    settings: Dict[str, Any] = {"provider": provider, "secret_key": SECRET_KEY, "api_base": emulator.url,
                                "environment": "test", "timeout_ms": 2000}
    settings.update(options)
    return passgate.Verifier(**settings)


def test_recaptcha_score_below_min_score_is_score_too_low(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    verifier = siteverify(emulator, "recaptcha", min_score=0.7, expected_hostnames=["localhost"])
    emulator.script("rc_py_api_low", score=0.6, action="login")
    emulator.script("rc_py_api_high", score=0.9, action="login")
    caplog.set_level(logging.INFO, logger="passgate")
    low = verifier.validate("rc_py_api_low", action="login")
    assert (low.ok, low.code, low.category, low.retryable, low.http_status) == (False, "score_too_low", "client", True, 403)
    assert (low.provider, low.hostname, low.score, low.cdata) == ("recaptcha", "localhost", 0.6, None)
    assert (low.log_fields["provider"], low.log_fields["hostname"], low.log_fields["score"]) == ("recaptcha", "localhost", 0.6)
    high = verifier.validate("rc_py_api_high", action="login")
    assert (high.ok, high.code, high.score) == (True, "passed", 0.9)
    assert [getattr(record, "score") for record in caplog.records] == [0.6, 0.9]
    assert [getattr(record, "hostname") for record in caplog.records] == ["localhost", "localhost"]


def test_turnstile_outcome_has_cdata_hostname_and_no_score(emulator: Emulator) -> None:
    verifier = siteverify(emulator, "turnstile", expected_hostnames=["localhost"])
    emulator.script("ts_py_api_cdata", cdata="session-42", action="login")
    outcome = verifier.validate("ts_py_api_cdata", action="login")
    assert (outcome.ok, outcome.code) == (True, "passed")
    assert (outcome.provider, outcome.hostname, outcome.score, outcome.cdata) == ("turnstile", "localhost", None, "session-42")
    assert (outcome.log_fields["hostname"], outcome.log_fields["score"]) == ("localhost", None)
    assert outcome.log_fields["token_type"] == "opaque"
    assert "cdata" not in outcome.log_fields


def test_hcaptcha_risk_score_above_max_risk_score(emulator: Emulator) -> None:
    verifier = siteverify(emulator, "hcaptcha", site_key="test-site-key", max_risk_score=0.5)
    emulator.script("hc_py_api_risky", score=0.8)
    emulator.script("hc_py_api_calm", score=0.2)
    risky = verifier.validate("hc_py_api_risky")
    assert (risky.code, risky.http_status, risky.retryable, risky.score) == ("score_too_low", 403, True, 0.8)
    calm = verifier.validate("hc_py_api_calm")
    assert (calm.code, calm.provider, calm.score, calm.log_fields["score"]) == ("passed", "hcaptcha", 0.2, 0.2)


def test_hostname_not_expected_is_hostname_mismatch(emulator: Emulator) -> None:
    verifier = siteverify(emulator, "turnstile", expected_hostnames=["example.com"])
    outcome = verifier.validate("ts_py_api_elsewhere")
    assert (outcome.ok, outcome.code, outcome.category, outcome.retryable, outcome.http_status) == (
        False, "hostname_mismatch", "client", False, 403)
    assert outcome.hostname == "localhost" and outcome.log_fields["hostname"] == "localhost"


@pytest.mark.parametrize(
    ("provider", "options", "setting"),
    [
        ("turnstile", {"expected_hostnames": [1, 2]}, "expected_hostnames"),
        ("turnstile", {"expected_hostnames": 3}, "expected_hostnames"),
        ("recaptcha", {"min_score": "high"}, "min_score"),
        ("recaptcha", {"min_score": [0.5]}, "min_score"),
        ("hcaptcha", {"max_risk_score": "risky"}, "max_risk_score"),
        ("turnstile", {"app_key": "test-app-key"}, "app_key"),
        ("turnstile", {"min_score": 0.7}, "min_score"),
        ("recaptcha", {"secret_key": None}, "secret_key"),
        ("nocaptcha", {}, "provider"),
    ],
)
def test_provider_config_errors_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator, provider: str, options: Dict[str, Any], setting: str
) -> None:
    monkeypatch.delenv("PASSGATE_SECRET_KEY", raising=False)
    with pytest.raises(passgate.ConfigError) as raised:
        siteverify(emulator, provider, **options)
    assert raised.value.setting == setting
    assert f": {setting}:" in str(raised.value)


def test_issue_server_token_is_captchala_only(emulator: Emulator) -> None:
    verifier = siteverify(emulator, "turnstile")
    with pytest.raises(passgate.IssueError, match="not supported by provider turnstile"):
        verifier.issue_server_token("login")
    assert emulator.stats()["issue_calls"] == 0


@pytest.mark.parametrize("provider", sorted(FORM_FIELDS))
def test_provider_and_form_field(emulator: Emulator, provider: str) -> None:
    if provider == "captchala":
        verifier = passgate.Verifier(**emulator.options())
    else:
        verifier = siteverify(emulator, provider)
    assert (verifier.provider, verifier.form_field) == (provider, FORM_FIELDS[provider])


@pytest.mark.parametrize("provider", ["recaptcha", "hcaptcha", "turnstile"])
def test_printed_forms_never_show_the_secret_key(emulator: Emulator, caplog: pytest.LogCaptureFixture, provider: str) -> None:
    caplog.set_level(logging.DEBUG)
    right = siteverify(emulator, provider)
    wrong = siteverify(emulator, provider, secret_key=WRONG_SECRET)
    seen = [repr(right), repr(wrong), repr(right._native), repr(wrong._native)]
    for verifier, token in ((right, f"tok_py_print_{provider}"), (wrong, f"tok_py_print_wrong_{provider}")):
        outcome = verifier.validate(token)
        seen += [repr(outcome), repr(outcome.to_dict()), repr(outcome.log_fields), outcome.log_message]
    seen += [record.getMessage() + repr(record.__dict__) for record in caplog.records]
    printed = "\n".join(seen)
    assert "misconfigured" in printed and "passed" in printed  # both outcomes were printed
    assert SECRET_KEY not in printed
    assert WRONG_SECRET not in printed
