"""``manage.py passgate_doctor [--json]``: ``passgate.doctor`` on
``settings.PASSGATE`` (then the environment), as a deployment check. Reaches
the provider: the configuration, the connection, the keys, the clock and the
replay store, each with one line of advice. Exits 0 when no check failed,
1 when one did (or ``settings.PASSGATE`` holds an unknown option or a value
of the wrong type), 2 on a usage error. Never prints a secret or a token."""

from __future__ import annotations

import json
from typing import Any, List

from django.core.management.base import BaseCommand, CommandError, CommandParser

from passgate import ConfigError, doctor
from passgate.django import _core_options

SOURCE = "settings.PASSGATE"


class Command(BaseCommand):
    help = "Check passgate's configuration, the provider's API, the keys, the clock and the replay store."

    # The doctor reports a bad configuration itself, with advice; Django's
    # system checks (passgate.E001-E003) must not stop it first.
    requires_system_checks: List[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        as_json = bool(options["json"])
        try:
            report = doctor(source=SOURCE, **_core_options())
        except ConfigError as error:
            # An option the core cannot even hold (unknown name, wrong type):
            # no check ran.
            if as_json:
                self.stdout.write(json.dumps({"ok": False, "error": str(error), "setting": error.setting}))
            raise CommandError(f"passgate doctor: {error} (in {SOURCE})") from None
        if as_json:
            self.stdout.write(json.dumps(report.to_dict(), indent=2))
        else:
            self.stdout.write(report.text, ending="")
        if not report.ok:
            raise CommandError(f"passgate doctor: {', '.join(report.failed)} failed.")
