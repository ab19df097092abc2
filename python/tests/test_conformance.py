"""Every case of conformance/cases.json through the Python binding."""

from __future__ import annotations

import json
import math
from typing import Any, Dict, List, Optional

import pytest

import passgate
from conftest import CASES, Emulator

DOC = json.loads(CASES.read_text())


def matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and "$between" in expected:
        low, high = expected["$between"]
        return isinstance(actual, (int, float)) and not isinstance(actual, bool) and low <= actual <= high
    if isinstance(expected, dict) and "$type" in expected:
        kind = expected["$type"]
        if kind == "number":
            return isinstance(actual, (int, float)) and not isinstance(actual, bool) and math.isfinite(actual)
        return {"string": str, "bool": bool, "null": type(None)}[kind] is type(actual)
    if isinstance(expected, bool) or isinstance(actual, bool) or expected is None or actual is None:
        return expected is actual or expected == actual and type(expected) is type(actual)
    return bool(expected == actual)


def token_of(call: Dict[str, Any]) -> Optional[str]:
    if "token_repeat" in call:
        repeat = call["token_repeat"]
        return str(repeat["prefix"]) + str(repeat["char"]) * int(repeat["count"])
    return call.get("token")


def options_of(case: Dict[str, Any]) -> Dict[str, Any]:
    """defaults.options, then the case's provider's defaults, then its own."""
    options = dict(DOC["defaults"]["options"])
    options.update(DOC["defaults"]["provider_options"][case.get("provider", "captchala")])
    options.update(case.get("options") or {})
    return options


def verifier_for(case: Dict[str, Any], emulator: Emulator) -> passgate.Verifier:
    options = {k: v.replace("{emulator}", emulator.url) if isinstance(v, str) else v for k, v in options_of(case).items()}
    return passgate.Verifier(**options)


@pytest.mark.parametrize("case", DOC["cases"], ids=[c["name"] for c in DOC["cases"]])
def test_case(case: Dict[str, Any], emulator: Emulator) -> None:
    verifier = verifier_for(case, emulator)
    options = options_of(case)
    secret = options.get("app_secret") or options.get("secret_key")
    for index, call in enumerate(case["calls"]):
        token = token_of(call)
        outcome = verifier.validate(
            token,
            client_ip=call.get("client_ip"),
            action=call.get("action"),
            uid=call.get("uid"),
            keep_token=call.get("keep_token", False),
        )
        expect = call["expect"]
        where = f"{case['name']}[{index}]"
        problems: List[str] = []
        for key in ("ok", "code", "category", "retryable", "http_status"):
            actual = getattr(outcome, key)
            if not matches(expect[key], actual):
                problems.append(f"{key}: expected {expect[key]!r}, got {actual!r}")
        fields = outcome.log_fields
        assert list(fields) == DOC["log_keys"], where
        for key, expected in expect["log_fields"].items():
            if not matches(expected, fields[key]):
                problems.append(f"log_fields.{key}: expected {expected!r}, got {fields[key]!r}")
        printed = f"{outcome!r} {outcome.to_dict()!r} {outcome.log_message} {verifier!r}"
        assert secret not in printed, where
        if token and len(token.strip()) >= 4:
            assert token.strip() not in printed, where
        assert not problems, f"{where}: " + "; ".join(problems)


def test_cases_cover_every_code() -> None:
    codes = {call["expect"]["code"] for case in DOC["cases"] for call in case["calls"]}
    assert codes == set(passgate.OUTCOME_CODES)
    assert DOC["log_keys"] == passgate.LOG_KEYS
