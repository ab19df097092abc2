"""`make demo`, Python part: the demo cases of conformance/cases.json through
the Python binding, printed like `passgate demo` prints them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import passgate

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "conformance" / "cases.json"


def main(passgate_bin: str) -> int:
    doc = json.loads(CASES.read_text())
    mock = subprocess.Popen(
        [passgate_bin, "mock", "--script", str(CASES), "--exit-with-stdin"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert mock.stdout is not None
    url = mock.stdout.readline().strip()
    print(f"passgate demo (Python {sys.version_info.major}.{sys.version_info.minor}) — emulator at {url}\n")
    unexpected = 0
    try:
        for case in doc["cases"]:
            if not case.get("demo"):
                continue
            options = {**doc["defaults"]["options"], **doc["defaults"]["provider_options"][case.get("provider", "captchala")], **(case.get("options") or {})}
            options = {k: v.replace("{emulator}", url) if isinstance(v, str) else v for k, v in options.items()}
            verifier = passgate.Verifier(**options)
            for index, call in enumerate(case["calls"]):
                outcome = verifier.validate(
                    call.get("token"), client_ip=call.get("client_ip"), action=call.get("action"), uid=call.get("uid")
                )
                mark = "" if outcome.code == call["expect"]["code"] else "  << UNEXPECTED"
                unexpected += bool(mark)
                label = f"{case['name']}[{index}]"
                print(f"{label:<42} {outcome.code:<21} {outcome.http_status}  {outcome.message}{mark}")
                print("    " + json.dumps(outcome.log_fields, separators=(",", ":")))
    finally:
        mock.kill()
        mock.wait()
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else str(REPO / "target" / "debug" / "passgate")))
