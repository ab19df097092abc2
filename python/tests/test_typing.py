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
    # passgate.django is left out: Django (and so DRF) ships no type information.
    modules = ["-m", "passgate", "-m", "passgate._web", "-m", "passgate.flask", "-m", "passgate.fastapi",
               "-m", "passgate.prometheus", "-m", "passgate.__main__"]
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
    outcome = passgate.Verifier(mode="test", environment="test").validate("pt_test_passed")
    for attribute in passgate.OUTCOME_FIELDS:
        assert hasattr(outcome, attribute), attribute
        assert f"def {attribute}(" in stub, attribute
    assert set(dir(outcome)) >= set(passgate.OUTCOME_FIELDS)
    assert not hasattr(outcome, "no_such_field")
    assert (Path(passgate.__file__).parent / "py.typed").exists()
