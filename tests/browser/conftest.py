"""The browser suite's fixtures: one emulator (`passgate mock`, which also
serves the stand-in widget loaders), each framework's example app started
on a free loopback port, and one headless Chromium (Debian's, through its
chromedriver) whose console is read for CSP violations."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

REPO = Path(__file__).resolve().parents[2]
OUT = Path(os.environ.get("PASSGATE_BROWSER_OUT", REPO / "target" / "browser"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)  # polling a port that is not open yet
    raise RuntimeError(f"{what} did not listen on {port} within {seconds}s")


@dataclass
class Emulator:
    url: str

    def widget(self, **switches: object) -> None:
        """Set the stand-in widget's switches (loader_missing, token_age_s)."""
        request = urllib.request.Request(self.url + "/__mock/widget", data=json.dumps(switches).encode(), method="POST")
        urllib.request.urlopen(request, timeout=5).read()


@pytest.fixture(scope="session", autouse=True)
def fresh_output() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "csp-headers.txt").write_text("")


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    mock = subprocess.Popen([os.environ["PASSGATE_BIN"], "mock", "--exit-with-stdin"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert mock.stdout is not None
    yield Emulator(mock.stdout.readline().strip())
    mock.kill()
    mock.wait()


def app_command(framework: str, port: int) -> List[str]:
    php_ext = os.environ["PASSGATE_PHP_EXTENSION"]
    return {
        "django": [os.environ.get("PASSGATE_PYTHON", "python3"), str(REPO / "python/examples/comments_django.py")],
        "flask": [os.environ.get("PASSGATE_PYTHON", "python3"), str(REPO / "python/examples/comments_flask.py")],
        "express": ["node", str(REPO / "node/examples/comments_express.js")],
        "rails": ["ruby", str(REPO / "ruby/examples/comments_rails.rb")],
        "php": ["php", "-d", f"extension={php_ext}", "-S", f"127.0.0.1:{port}", str(REPO / "php-ext/examples/comments.php")],
    }[framework]


@dataclass
class App:
    framework: str
    provider: str
    url: str
    process: subprocess.Popen
    log: Path
    env: Dict[str, str] = field(default_factory=dict)


def start_app(framework: str, emulator: Emulator, provider: str = "turnstile", action: str = "comment") -> App:
    port = free_port()
    OUT.mkdir(parents=True, exist_ok=True)
    log = OUT / f"{framework}-{provider}.log"
    keys = (
        {"CAPTCHALA_APP_KEY": "test-app-key", "CAPTCHALA_APP_SECRET": "test-app-secret"}
        if provider == "captchala"
        else {"PASSGATE_SECRET_KEY": "test-secret-key", "PASSGATE_SITE_KEY": "test-site-key"}
    )
    env = dict(
        os.environ,
        PORT=str(port),
        COMMENT_ACTION=action,
        PASSGATE_PROVIDER=provider,
        PASSGATE_ENVIRONMENT="test",
        PASSGATE_API_BASE=emulator.url,
        PASSGATE_SCRIPT_URL=f"{emulator.url}/__mock/loader/{provider}.js",
        PASSGATE_NODE_PACKAGE=str(REPO / "node"),
        **keys,
    )
    with open(log, "w") as sink:
        process = subprocess.Popen(app_command(framework, port), env=env, stdout=sink, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=REPO)
    try:
        wait_for_port(port, process, f"the {framework} example (log: {log})", seconds=120)
    except Exception:
        process.kill()
        raise
    return App(framework, provider, f"http://127.0.0.1:{port}", process, log, env)


def stop_app(app: App) -> None:
    app.process.terminate()
    try:
        app.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        app.process.kill()
        app.process.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=900,700", "--disable-features=BackForwardCache"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
