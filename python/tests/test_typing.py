"""mypy --strict accepts a small program using the public API and the
package itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import passgate

HERE = Path(__file__).parent


@pytest.mark.parametrize("target", ["typing_usage.py", "package"])
def test_mypy_strict(target: str) -> None:
    # passgate.django is left out: Django ships no type information.
    modules = ["-m", "passgate", "-m", "passgate._web", "-m", "passgate.flask"]
    args = [str(HERE / target)] if target != "package" else modules
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null", *args],
        capture_output=True,
        text=True,
        cwd=HERE,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_stub_matches_the_native_module() -> None:
    stub = (Path(passgate.__file__).parent / "_native.pyi").read_text()
    for name in ("Verifier", "Outcome", "ConfigError", "InternalError", "IssueError", "PassgateError"):
        assert hasattr(passgate._native, name)
        assert f"class {name}" in stub
    for attribute in ("ok", "code", "category", "retryable", "http_status", "message", "upstream_error", "token_type",
                      "token_age_ms", "challenge_id", "action", "uid", "risk_score", "captcha_args", "log_fields"):
        assert hasattr(passgate.Outcome, attribute), attribute
        assert f"def {attribute}(" in stub, attribute
    assert (Path(passgate.__file__).parent / "py.typed").exists()
