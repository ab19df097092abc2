"""The Python demo prints the demo cases with the codes cases.json expects
(the same codes `passgate demo` prints)."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO, passgate_bin


def test_demo_runs_and_matches_the_rust_demo() -> None:
    python = subprocess.run(
        [sys.executable, str(REPO / "python" / "examples" / "demo.py"), passgate_bin()],
        capture_output=True, text=True, timeout=120,
    )
    assert python.returncode == 0, python.stdout + python.stderr
    rust = subprocess.run([passgate_bin(), "demo"], capture_output=True, text=True, timeout=120)
    assert rust.returncode == 0, rust.stdout + rust.stderr

    def codes(output: str) -> list:
        return [line.split()[:3] for line in output.splitlines() if "[" in line.split(" ")[0]]

    assert codes(python.stdout) == codes(rust.stdout)
    assert len(codes(python.stdout)) >= 10
