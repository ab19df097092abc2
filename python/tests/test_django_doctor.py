"""``manage.py passgate_doctor`` and ``PASSGATE["on_outcome"]`` in Django."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")

import django  # noqa: E402

django.setup()

from django.core import checks  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.base import CommandError  # noqa: E402
from django.test import override_settings  # noqa: E402

from conftest import APP_SECRET, Emulator, settings_free_environ  # noqa: E402
from django_project import hooks  # noqa: E402
from passgate.django import get_verifier  # noqa: E402

pytestmark = pytest.mark.usefixtures("no_passgate_env")

SECRET = "django-doctor-secret-never-shown"
TESTS = Path(__file__).parent


def run_doctor(*args: str) -> Tuple[str, Optional[CommandError]]:
    out = io.StringIO()
    try:
        call_command("passgate_doctor", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def settings_for(emulator: Emulator, **overrides: Any) -> Dict[str, Any]:
    return {**emulator.options(environment="development"), "field": "captcha", "on_outcome": "django_project.hooks.record",
            **overrides}


def test_passgate_doctor_reads_settings_passgate(fresh_emulator: Emulator) -> None:
    with override_settings(PASSGATE=settings_for(fresh_emulator)):
        output, error = run_doctor()
    assert error is None, output
    assert output.count("✓") == 5 and "0 failed" in output
    assert '"test-app-key"  [settings.PASSGATE]' in output
    assert "******** (set)  [settings.PASSGATE]" in output
    assert APP_SECRET not in output


def test_passgate_doctor_fails_on_a_wrong_secret_and_prints_json(fresh_emulator: Emulator) -> None:
    with override_settings(PASSGATE=settings_for(fresh_emulator, app_secret=SECRET)):
        output, error = run_doctor("--json")
    assert error is not None and error.returncode == 1
    assert "keys failed" in str(error)
    report = json.loads(output)
    assert report["ok"] is False
    keys = next(c for c in report["checks"] if c["name"] == "keys")
    assert keys["status"] == "fail" and "invalid_app_secret" in keys["summary"]
    assert SECRET not in output and SECRET not in str(error)


def test_passgate_doctor_environment_labels(fresh_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPTCHALA_APP_SECRET", APP_SECRET)
    with override_settings(PASSGATE={"app_key": "test-app-key", "api_base": fresh_emulator.url,
                                     "environment": "development"}):
        output, error = run_doctor("--json")
    assert error is None, output
    configuration = json.loads(output)["checks"][0]
    shown = {d["name"]: d["value"] for d in configuration["details"]}
    assert shown["app_secret"] == "******** (set)  [environment CAPTCHALA_APP_SECRET]"
    assert shown["app_key"] == '"test-app-key"  [settings.PASSGATE]'


def test_passgate_doctor_an_option_of_the_wrong_type() -> None:
    with override_settings(PASSGATE={"app_key": "k", "app_secret": SECRET, "timeout_ms": [1]}):
        output, error = run_doctor("--json")
    assert error is not None and "timeout_ms" in str(error)
    assert json.loads(output) == {"ok": False, "error": json.loads(output)["error"], "setting": "timeout_ms"}
    assert SECRET not in output + str(error)


def test_passgate_doctor_exit_status(fresh_emulator: Emulator, tmp_path: Path) -> None:
    def manage(settings: Dict[str, Any], *args: str) -> subprocess.CompletedProcess:
        module = tmp_path / "doctor_settings.py"
        module.write_text(f"from django_project.settings import *\nPASSGATE = {settings!r}\n")
        env = {**settings_free_environ(), "DJANGO_SETTINGS_MODULE": "doctor_settings",
               "PYTHONPATH": f"{tmp_path}{os.pathsep}{TESTS}"}
        return subprocess.run([sys.executable, "-m", "django", "passgate_doctor", *args], env=env,
                              capture_output=True, text=True, timeout=60)

    good = manage(settings_for(fresh_emulator))
    assert good.returncode == 0, good.stdout + good.stderr
    bad = manage(settings_for(fresh_emulator, app_secret=SECRET), "--json")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert json.loads(bad.stdout)["ok"] is False and "keys failed" in bad.stderr
    assert SECRET not in bad.stdout + bad.stderr
    usage = manage(settings_for(fresh_emulator), "--no-such-flag")
    assert usage.returncode == 2, usage.stdout + usage.stderr


def test_on_outcome_by_dotted_path(fresh_emulator: Emulator) -> None:
    hooks.SEEN.clear()
    with override_settings(PASSGATE=settings_for(fresh_emulator, mode="test", environment="test")):
        assert checks.run_checks(tags=["passgate"]) == []
        get_verifier().validate("pt_test_expired")
    assert hooks.SEEN == ["expired"]


def test_an_on_outcome_path_that_does_not_import_is_a_system_check_error() -> None:
    with override_settings(PASSGATE={"mode": "test", "environment": "test", "on_outcome": "django_project.hooks.nope"}):
        messages = checks.run_checks(tags=["passgate"])
    assert [m.id for m in messages] == ["passgate.E003"]
    assert "on_outcome" in messages[0].msg
