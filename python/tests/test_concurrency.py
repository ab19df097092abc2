"""The GIL is released while waiting; validate_async does not block the loop;
fork()ed children validate."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from typing import List

import passgate
from conftest import Emulator


def test_other_threads_run_while_validate_waits(fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_py_gil_slow", delay_ms=400)
    verifier = passgate.Verifier(**fresh_emulator.options())
    ticks: List[float] = []
    stop = threading.Event()

    def ticker() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())
            for _ in range(1000):  # pure-Python work that needs the GIL
                pass

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        started = time.perf_counter()
        outcome = verifier.validate("pt_py_gil_slow")
        finished = time.perf_counter()
    finally:
        stop.set()
        thread.join()
    assert outcome.code == "passed"
    assert finished - started >= 0.4
    during = [t for t in ticks if started <= t <= finished]
    gaps = [b - a for a, b in zip(during, during[1:])]
    # Holding the GIL for the whole call would leave one gap of >= 400 ms and
    # no ticks at all; with it released the ticker never stalls for long.
    assert len(during) > 100, len(during)
    assert max(gaps) < 0.2, max(gaps)


def test_fifty_concurrent_validate_async(fresh_emulator: Emulator) -> None:
    tokens = [f"pt_py_async_{i}" for i in range(50)]
    for token in tokens:
        fresh_emulator.script(token, delay_ms=200)
    verifier = passgate.Verifier(**fresh_emulator.options())

    async def main() -> tuple:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(verifier.validate_async(t) for t in tokens))
        elapsed = time.perf_counter() - started
        done.set()
        await ticking
        return outcomes, elapsed, ticks

    outcomes, elapsed, ticks = asyncio.run(main())
    assert [o.code for o in outcomes] == ["passed"] * 50
    assert elapsed < 2.5, elapsed  # 50 x 200 ms one after another would be 10 s
    assert ticks >= 10, ticks  # the loop kept turning while they waited
    assert fresh_emulator.stats()["validate_calls"] == 50


def _wait(pid: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError("the forked child hung")


def test_validate_after_fork(fresh_emulator: Emulator) -> None:
    verifier = passgate.Verifier(**fresh_emulator.options())
    assert verifier.validate("pt_py_fork_parent").ok
    pid = os.fork()
    if pid == 0:  # child: validate, sync and async, then report by exit code
        signal.alarm(20)
        try:
            ok = verifier.validate("pt_py_fork_child").ok
            ok = ok and asyncio.run(verifier.validate_async("pt_py_fork_child_async")).ok
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    status = _wait(pid, 30)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    assert verifier.validate("pt_py_fork_parent_after").ok
    assert fresh_emulator.stats()["validate_calls"] == 4
