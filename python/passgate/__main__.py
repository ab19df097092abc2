"""``python -m passgate doctor [--json]``: the deployment check with every
setting from the environment (the variables ``passgate.Verifier.from_env``
reads). Exit status 0 when no check failed, 1 when one did, 2 on a usage
error. Inside an app, prefer ``passgate.doctor(**options)`` or Django's
``manage.py passgate_doctor``, which see the app's own settings."""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from ._diagnostics import doctor


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m passgate", description="passgate for Python")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    doctor_parser = commands.add_parser(
        "doctor",
        help="check the configuration, the provider's API, the keys, the clock and the replay store",
        description="Check passgate's configuration (from the environment) before users hit it.",
    )
    doctor_parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)  # exits 2 on a usage error

    report = doctor()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        sys.stdout.write(report.text)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
