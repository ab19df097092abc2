"""passgate.metrics(), metrics_text(), the on_outcome hook, and the
prometheus_client exporters (the collector, and the hook under
multiprocess mode in child processes)."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import List

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

import passgate
from conftest import Emulator, settings_free_environ
from passgate.prometheus import OutcomeCounter, PassgateCollector, outcome_counter, register

RAW_TOKEN = "pt_test_passed"


def make_verifier(**options: object) -> passgate.Verifier:
    return passgate.Verifier(mode="test", environment="test", **options)  # type: ignore[arg-type]


def validations(provider: str, outcome: str) -> int:
    for entry in passgate.metrics()["validations"]:
        if (entry["provider"], entry["outcome"]) == (provider, outcome):
            return int(entry["count"])
    return 0


def latency_count(provider: str) -> int:
    for entry in passgate.metrics()["validation_latency"]:
        if entry["provider"] == provider:
            return int(entry["duration_seconds"]["count"])
    return 0


def test_metrics_count_validations_by_provider_and_outcome() -> None:
    passed, expired, latency = validations("captchala", "passed"), validations("captchala", "expired"), latency_count("captchala")
    # A verifier each: the replay guard would make the second pass "replayed".
    make_verifier().validate("pt_test_passed")
    make_verifier().validate("pt_test_passed")
    make_verifier().validate("pt_test_expired")
    assert validations("captchala", "passed") - passed == 2
    assert validations("captchala", "expired") - expired == 1
    assert latency_count("captchala") - latency == 3
    snapshot = passgate.metrics()
    assert snapshot["latency_buckets_s"][0] == 0.005 and snapshot["latency_buckets_s"][-1] == 10.0
    histogram = next(e for e in snapshot["validation_latency"] if e["provider"] == "captchala")["duration_seconds"]
    assert histogram["buckets"][-1] == {"le": "+Inf", "count": histogram["count"]}
    text = passgate.metrics_text()
    assert "# TYPE passgate_validations_total counter" in text
    count = validations("captchala", "passed")
    assert f'passgate_validations_total{{provider="captchala",outcome="passed"}} {count}\n' in text
    assert 'passgate_validation_duration_seconds_bucket{provider="captchala",le="+Inf"}' in text


def test_metrics_count_upstream_calls_against_the_emulator(fresh_emulator: Emulator) -> None:
    def upstream_calls() -> int:
        return sum(e["calls"] for e in passgate.metrics()["upstream"] if e["provider"] == "captchala")

    before, passed = upstream_calls(), validations("captchala", "passed")
    verifier = passgate.Verifier(**fresh_emulator.options())
    assert verifier.validate("pt_metrics_upstream").ok
    assert upstream_calls() - before == 1
    assert validations("captchala", "passed") - passed == 1
    assert 'passgate_upstream_calls_total{provider="captchala"}' in passgate.metrics_text()


# on_outcome


def test_on_outcome_is_called_once_after_the_log_record() -> None:
    order: List[str] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            order.append(f"log {getattr(record, 'outcome', '?')}")

    logger = logging.getLogger("passgate.test_on_outcome")
    logger.setLevel(logging.INFO)
    logger.addHandler(Recorder())
    seen: List[passgate.Outcome] = []
    verifier = make_verifier(logger=logger, on_outcome=lambda o: (seen.append(o), order.append(f"hook {o.code}")))
    outcome = verifier.validate("pt_test_expired")
    assert len(seen) == 1 and seen[0] is outcome
    assert order == ["log expired", "hook expired"]


def test_on_outcome_async_runs_once_on_the_loop_thread() -> None:
    calls: List[tuple] = []
    verifier = make_verifier(on_outcome=lambda o: calls.append((o.code, threading.current_thread())))

    async def main() -> passgate.Outcome:
        return await verifier.validate_async("pt_test_passed")

    outcome = asyncio.run(main())
    assert outcome.ok
    assert calls == [("passed", threading.current_thread())]


def test_an_exception_in_on_outcome_is_logged_and_swallowed(caplog: pytest.LogCaptureFixture) -> None:
    def broken(outcome: passgate.Outcome) -> None:
        raise ValueError("the metrics backend is down")

    verifier = make_verifier(on_outcome=broken)
    caplog.set_level(logging.INFO, logger="passgate")
    outcome = verifier.validate(RAW_TOKEN)
    assert outcome.ok and outcome.code == "passed"
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].name == "passgate"
    message = errors[0].getMessage()
    assert "ValueError" in message and "the metrics backend is down" in message
    assert RAW_TOKEN not in caplog.text

    async def main() -> passgate.Outcome:
        return await verifier.validate_async("pt_test_expired")

    assert asyncio.run(main()).code == "expired"
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 2


@pytest.mark.parametrize("value", [3, "not.a.function", [print]])
def test_a_non_callable_on_outcome_is_a_config_error(value: object) -> None:
    with pytest.raises(passgate.ConfigError) as raised:
        make_verifier(on_outcome=value)
    assert raised.value.setting == "on_outcome"
    assert ": on_outcome:" in str(raised.value)


def test_flask_passes_on_outcome_through() -> None:
    from flask import Flask

    from passgate.flask import Passgate

    seen: List[str] = []
    app = Flask(__name__)
    app.config.update(PASSGATE_MODE="test", PASSGATE_ENVIRONMENT="test", PASSGATE_ON_OUTCOME=lambda o: seen.append(o.code))
    Passgate(app)
    with app.app_context():
        Passgate.verifier().validate("pt_test_replayed")
    assert seen == ["replayed"]


# prometheus_client


def test_the_collector_reads_metrics_at_each_scrape() -> None:
    registry = CollectorRegistry()
    collector = register(registry)
    assert isinstance(collector, PassgateCollector)
    labels = {"provider": "captchala", "outcome": "passed"}
    before = registry.get_sample_value("passgate_validations_total", labels) or 0.0
    count_before = registry.get_sample_value("passgate_validation_duration_seconds_count", {"provider": "captchala"}) or 0.0
    make_verifier().validate("pt_test_passed")
    assert registry.get_sample_value("passgate_validations_total", labels) == before + 1
    assert registry.get_sample_value("passgate_validations_total", labels) == validations("captchala", "passed")
    count = registry.get_sample_value("passgate_validation_duration_seconds_count", {"provider": "captchala"})
    assert count == count_before + 1
    inf = registry.get_sample_value("passgate_validation_duration_seconds_bucket", {"provider": "captchala", "le": "+Inf"})
    assert inf == count
    exposition = generate_latest(registry).decode()
    for name in ("passgate_replay_live_evictions_total", "passgate_upstream_calls_total",
                 "passgate_replay_store_errors_total", "passgate_upstream_duration_seconds"):
        assert f"# TYPE {name.removesuffix('_total')}" in exposition or f"# TYPE {name}" in exposition, name


def test_outcome_counter_counts_through_the_hook() -> None:
    registry = CollectorRegistry()
    counter = outcome_counter(registry)
    assert isinstance(counter, OutcomeCounter) and outcome_counter(registry) is counter
    for code in ("passed", "expired", "expired"):
        make_verifier(on_outcome=counter).validate(f"pt_test_{code}")
    assert registry.get_sample_value("passgate_validations_total", {"provider": "captchala", "outcome": "expired"}) == 2
    assert registry.get_sample_value("passgate_validations_total", {"provider": "captchala", "outcome": "passed"}) == 1
    assert registry.get_sample_value("passgate_validation_duration_seconds_count", {"provider": "captchala"}) == 3
    bound = registry.get_sample_value("passgate_validation_duration_seconds_bucket", {"provider": "captchala", "le": "10.0"})
    assert bound == 3


WORKER = textwrap.dedent(
    """
    import sys
    import passgate
    from passgate.prometheus import count_outcome

    for code in sys.argv[1:]:
        # A verifier each: the replay guard would make a second pass "replayed".
        verifier = passgate.Verifier(mode="test", environment="test", on_outcome=count_outcome)
        assert verifier.validate("pt_test_" + code).code == code
    """
)


def test_outcome_counter_sums_workers_in_multiprocess_mode(tmp_path: Path) -> None:
    multiproc_dir = tmp_path / "prometheus"
    multiproc_dir.mkdir()
    env = {**settings_free_environ(), "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir)}
    for codes in (["passed", "passed", "expired"], ["passed"]):
        worker = subprocess.run([sys.executable, "-c", WORKER, *codes], env=env, capture_output=True, text=True, timeout=60)
        assert worker.returncode == 0, worker.stderr
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(multiproc_dir))
    assert registry.get_sample_value("passgate_validations_total", {"provider": "captchala", "outcome": "passed"}) == 3
    assert registry.get_sample_value("passgate_validations_total", {"provider": "captchala", "outcome": "expired"}) == 1
    assert registry.get_sample_value("passgate_validation_duration_seconds_count", {"provider": "captchala"}) == 4
    assert 'passgate_validations_total{outcome="passed",provider="captchala"} 3.0' in generate_latest(registry).decode()
