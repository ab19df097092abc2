"""One Redis, one emulator, four processes — Python, Node, Ruby and PHP —
each submitting the same token 250 times at once, all four together, for 20
tokens: exactly one pass per token in total, and exactly one upstream call
per token."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Iterator, List

import pytest

HERE = Path(__file__).parent
REPO = HERE.parents[1]
PER_PROCESS = 250
TOKENS = [f"pt_cross_{i:02d}" for i in range(20)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def redis_url() -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.02)  # polling a port that is not open yet
    yield f"redis://127.0.0.1:{port}/0"
    server.kill()
    server.wait()


@pytest.fixture()
def emulator_url() -> Iterator[str]:
    mock = subprocess.Popen([os.environ["PASSGATE_BIN"], "mock", "--exit-with-stdin"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert mock.stdout is not None
    yield mock.stdout.readline().strip()
    mock.kill()
    mock.wait()


def test_one_pass_per_token_across_four_languages(redis_url: str, emulator_url: str) -> None:
    # This test is about atomicity, not latency: 250 freshly forked PHP
    # processes each starting a runtime and a Redis connection at the same
    # moment on 2 cores need more than the 500 ms default store timeout (the
    # timeout path has tests of its own in cli/tests/redis.rs).
    env = dict(os.environ, EMULATOR_URL=emulator_url, REDIS_URL=redis_url, PER_PROCESS=str(PER_PROCESS),
               PASSGATE_NODE_PACKAGE=str(REPO / "node"), PASSGATE_STORE_TIMEOUT_MS="10000")
    php = ["php", "-d", "extension=" + os.environ["PASSGATE_PHP_EXTENSION"], str(HERE / "worker.php")]
    commands: List[List[str]] = [[sys.executable, str(HERE / "worker.py")], ["node", str(HERE / "worker.js")],
                                 ["ruby", str(HERE / "worker.rb")], php]
    workers = [subprocess.Popen(c, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for c in commands]
    try:
        # Each validated a warm-up token of its own: loaded, and connected to Redis and the emulator.
        for worker, command in zip(workers, commands):
            assert worker.stdout is not None
            assert worker.stdout.readline().split() == ["ready", "passed"], command
        for token in TOKENS:
            # All four get the token together and race on it; the next token
            # goes out once all four have answered.
            for worker in workers:
                assert worker.stdin is not None
                worker.stdin.write(token + "\n")
                worker.stdin.flush()
            total: Counter = Counter()
            per_language = {}
            for worker, command in zip(workers, commands):
                assert worker.stdout is not None
                line = worker.stdout.readline()
                assert line, (command, "exited early")
                per_language[Path(command[-1]).name] = json.loads(line)
                total.update(per_language[Path(command[-1]).name])
            assert total == Counter({"passed": 1, "replayed": 4 * PER_PROCESS - 1}), (token, per_language)
        for worker, command in zip(workers, commands):
            assert worker.stdin is not None
            worker.stdin.close()
            assert worker.wait(timeout=60) == 0, command
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    with urllib.request.urlopen(emulator_url + "/__mock/stats") as response:
        stats = json.loads(response.read())
    assert stats["validate_calls"] == len(TOKENS) + len(workers)  # one per token, plus the warm-ups
