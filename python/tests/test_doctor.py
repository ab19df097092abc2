"""passgate.doctor() and `python -m passgate doctor` against the emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Dict, List

import pytest

import passgate
from conftest import APP_KEY, APP_SECRET, Emulator, settings_free_environ

pytestmark = pytest.mark.usefixtures("no_passgate_env")

CHECKS = ["configuration", "connection", "keys", "clock", "replay_store"]
SECRET = "doctor-secret-never-shown-7731"


def details(report: passgate.DoctorReport, check: str) -> Dict[str, str]:
    return {d["name"]: d["value"] for d in report.check(check)["details"]}


def test_a_healthy_setup_passes_every_check(fresh_emulator: Emulator) -> None:
    report = passgate.doctor(**fresh_emulator.options(environment="development"))
    assert report.ok and bool(report) and report.failed == []
    assert [c["name"] for c in report.checks] == CHECKS
    assert [c["status"] for c in report.checks] == ["pass"] * 5, report.text
    assert str(report) == report.text
    for name in CHECKS:
        assert name in report.text
    assert report.text.count("✓") == 5 and "0 failed" in report.text
    assert report.to_dict() == {"ok": True, "checks": report.checks}
    assert json.loads(json.dumps(report.to_dict()))["ok"] is True
    assert repr(report) == "<passgate.DoctorReport ok=True failed=[]>"
    # The doctor asked the emulator about the keys with a bogus token.
    assert "accepted" in report.check("keys")["summary"]


def test_a_wrong_secret_fails_the_keys_check(fresh_emulator: Emulator) -> None:
    report = passgate.doctor(**fresh_emulator.options(app_secret=SECRET, environment="development"))
    assert not report.ok and report.failed == ["keys"]
    keys = report.check("keys")
    assert keys["status"] == "fail" and "invalid_app_secret" in keys["summary"]
    assert "CAPTCHALA_APP_SECRET" in keys["advice"]
    assert report.check("connection")["status"] == "pass"
    assert "✗ keys" in report.text and "1 failed" in report.text


def test_a_wrong_turnstile_secret_fails_the_keys_check(fresh_emulator: Emulator) -> None:
    report = passgate.doctor(
        provider="turnstile", secret_key="0x4AAAAAAAwrongwrongwrongwrongwrongAA",
        api_base=fresh_emulator.url, environment="development",
    )
    assert not report.ok
    assert "invalid-input-secret" in report.check("keys")["summary"]
    right = passgate.doctor(
        provider="turnstile", secret_key="test-secret-key", api_base=fresh_emulator.url, environment="development"
    )
    assert right.ok, right.text


def test_no_secret_in_the_report(fresh_emulator: Emulator) -> None:
    for secret_ok in (True, False):
        options = fresh_emulator.options(environment="development")
        if not secret_ok:
            options["app_secret"] = SECRET
        report = passgate.doctor(**options)
        everything = report.text + json.dumps(report.to_dict()) + repr(report)
        for needle in (SECRET, APP_SECRET, "passgate-doctor-probe"):
            assert needle not in everything, needle
        assert details(report, "configuration")["app_secret"] == "******** (set)  [argument]"


def test_source_labels_argument_and_environment(fresh_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPTCHALA_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("PASSGATE_TIMEOUT_MS", "1500")
    report = passgate.doctor(app_key=APP_KEY, api_base=fresh_emulator.url, environment="development")
    assert report.ok, report.text
    shown = details(report, "configuration")
    assert shown["app_key"] == '"test-app-key"  [argument]'
    assert shown["app_secret"] == "******** (set)  [environment CAPTCHALA_APP_SECRET]"
    assert shown["timeout_ms"] == "1500  [environment PASSGATE_TIMEOUT_MS]"
    assert shown["redis_key_prefix"].endswith("(default)")
    # A label of the caller's own (what the Django command passes).
    labelled = passgate.doctor(source="settings.PASSGATE", app_key=APP_KEY, api_base=fresh_emulator.url,
                               environment="development")
    assert details(labelled, "configuration")["app_key"] == '"test-app-key"  [settings.PASSGATE]'


def test_a_setting_the_core_refuses_is_a_failed_check() -> None:
    report = passgate.doctor(app_key="k", app_secret=SECRET, mode="test", environment="production")
    assert not report.ok and report.failed == ["configuration"]
    assert report.check("configuration")["summary"].startswith("mode")
    assert [c["status"] for c in report.checks[1:]] == ["skip"] * 4
    assert SECRET not in report.text


def test_an_unknown_option_or_a_wrong_type_is_a_config_error() -> None:
    with pytest.raises(passgate.ConfigError) as raised:
        passgate.doctor(no_such_option=1)
    assert raised.value.setting == "no_such_option"
    with pytest.raises(passgate.ConfigError) as raised:
        passgate.doctor(timeout_ms=[1])
    assert raised.value.setting == "timeout_ms"


def test_test_mode_skips_the_provider() -> None:
    report = passgate.doctor(mode="test", environment="test")
    assert report.ok, report.text
    assert report.check("connection")["status"] == report.check("keys")["status"] == "skip"


# python -m passgate doctor


def run_cli(env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "passgate", *args], env={**settings_free_environ(), **env},
                          capture_output=True, text=True, timeout=60)


def emulator_env(emulator: Emulator, **overrides: str) -> Dict[str, str]:
    env = {"CAPTCHALA_APP_KEY": APP_KEY, "CAPTCHALA_APP_SECRET": APP_SECRET,
           "PASSGATE_API_BASE": emulator.url, "PASSGATE_ENVIRONMENT": "development"}
    env.update(overrides)
    return env


def test_cli_exits_0_when_healthy_and_1_when_a_check_fails(fresh_emulator: Emulator) -> None:
    good = run_cli(emulator_env(fresh_emulator), "doctor")
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.count("✓") == 5 and "[environment CAPTCHALA_APP_SECRET]" in good.stdout
    bad = run_cli(emulator_env(fresh_emulator, CAPTCHALA_APP_SECRET=SECRET), "doctor", "--json")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    report = json.loads(bad.stdout)
    assert report["ok"] is False
    statuses: List[str] = [c["status"] for c in report["checks"]]
    assert statuses[CHECKS.index("keys")] == "fail"
    assert SECRET not in bad.stdout + bad.stderr
    good_json = run_cli(emulator_env(fresh_emulator), "doctor", "--json")
    assert good_json.returncode == 0 and json.loads(good_json.stdout)["ok"] is True


@pytest.mark.parametrize("args", [[], ["doctor", "--no-such-flag"], ["no-such-command"]])
def test_cli_usage_errors_exit_2(args: List[str]) -> None:
    result = run_cli({}, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "usage:" in result.stderr
