"""Fixtures: the `passgate mock` emulator as a real child process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "conformance" / "cases.json"
APP_KEY = "test-app-key"
APP_SECRET = "test-app-secret"


def passgate_bin() -> str:
    path = os.environ.get("PASSGATE_BIN") or str(REPO / "target" / "debug" / "passgate")
    if not Path(path).exists():
        subprocess.run(["cargo", "build", "-q", "-p", "passgate-cli"], cwd=REPO, check=True)
    return path


class Emulator:
    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [passgate_bin(), "mock", "--exit-with-stdin", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http"), self.url

    def _call(self, method: str, path: str, body: Any = None) -> Dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def script(self, token: str, **behaviour: Any) -> None:
        self._call("POST", "/__mock/script", {"token": token, **behaviour})

    def stats(self) -> Dict[str, int]:
        return self._call("GET", "/__mock/stats")

    def options(self, **overrides: Any) -> Dict[str, Any]:
        options: Dict[str, Any] = {
            "app_key": APP_KEY,
            "app_secret": APP_SECRET,
            "environment": "test",
            "api_base": self.url,
            "backup_api_base": self.url,
            "timeout_ms": 2000,
        }
        options.update(overrides)
        return options

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    emulator = Emulator("--script", str(CASES))
    yield emulator
    emulator.stop()


@pytest.fixture()
def fresh_emulator() -> Iterator[Emulator]:
    """An emulator of one's own, for tests that count calls or connections."""
    emulator = Emulator()
    yield emulator
    emulator.stop()


def dead_redis_url() -> str:
    """A Redis URL on a loopback port where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def settings_free_environ() -> Dict[str, str]:
    """os.environ without passgate's own variables (and proxies), for child
    processes whose settings a test gives explicitly."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PASSGATE_", "CAPTCHALA_")) and name.upper() not in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")
    }


@pytest.fixture()
def no_passgate_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process without passgate's variables: the doctor reads them."""
    for name in list(os.environ):
        if name.startswith(("PASSGATE_", "CAPTCHALA_")) or name.upper() in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
            monkeypatch.delenv(name)
