"""``manage.py passgate_check``: the configuration passgate resolved from
``settings.PASSGATE`` and the environment (never a secret), then passgate's
system checks; exits non-zero when a check fails."""

from __future__ import annotations

from typing import Any, List

from django.core import checks
from django.core.management.base import BaseCommand, CommandError

from passgate import ConfigError
from passgate.django import _INTEGRATION_KEYS, _settings, get_verifier


class Command(BaseCommand):
    help = "Print passgate's resolved configuration (secrets never shown) and run its system checks."

    # The checks run in handle(), after the configuration is printed.
    requires_system_checks: List[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        given = sorted(k for k in _settings() if k not in _INTEGRATION_KEYS)
        source = ", ".join(given) if given else "nothing"
        self.stdout.write(f"settings.PASSGATE gives: {source}; the rest comes from the environment or the defaults.")
        try:
            verifier = get_verifier()
        except ConfigError as error:
            self.stdout.write(f"verifier: not built: {error}")
        else:
            # repr names the provider, the public key, the API base, the
            # environment, the mode and the replay store; it never holds a secret.
            self.stdout.write(f"verifier: {verifier!r}")
            secret = "app_secret" if verifier.provider == "captchala" else "secret_key"
            self.stdout.write(f"{secret}: set (not shown)")
            field = _settings().get("field") or verifier.form_field
            self.stdout.write(f"token field: {field}")

        messages = checks.run_checks(tags=["passgate"])
        failed = [m for m in messages if m.is_serious()]
        if not messages:
            self.stdout.write("System checks: no issues.")
        else:
            self.stdout.write(f"System checks: {len(messages)} issue(s):")
            for message in messages:
                self.stdout.write(f"  {message.id}: {message.msg}")
                if message.hint:
                    self.stdout.write(f"    hint: {message.hint}")
        if failed:
            raise CommandError(f"passgate: {len(failed)} system check(s) failed.")
