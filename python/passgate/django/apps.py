from __future__ import annotations

from typing import Any, List

from django.apps import AppConfig
from django.core import checks


class PassgateConfig(AppConfig):
    name = "passgate.django"
    label = "passgate"
    verbose_name = "passgate"

    def ready(self) -> None:
        # Tagged "passgate" too, so `manage.py passgate_check` runs these alone.
        checks.register(check_settings, checks.Tags.security, "passgate")


def check_settings(app_configs: Any = None, **kwargs: Any) -> List[checks.CheckMessage]:
    """Whatever the core refuses at construction, by the setting it names:
    missing keys (E001), the mode refused — test mode in production, or
    neither "live" nor "test" (E002) — and any other bad setting (E003)."""
    from .. import ConfigError, Verifier
    from .._native import OPTION_ENV
    from . import _verifier_options

    try:
        Verifier(**_verifier_options())
    except ImportError as error:
        return [checks.Error(f"passgate: PASSGATE['on_outcome'] cannot be imported: {error}", id="passgate.E003")]
    except ConfigError as error:
        if error.setting in ("app_key", "app_secret", "secret_key") and "required" in str(error):
            env = OPTION_ENV[error.setting]
            return [checks.Error(f"passgate: {error.setting} is not set.",
                                 hint=f"Set PASSGATE['{error.setting}'] or the {env} environment variable.",
                                 id="passgate.E001")]
        if error.setting == "mode":
            return [checks.Error(str(error), hint="Set PASSGATE['mode'] to \"live\", or PASSGATE['environment'] to e.g. \"test\" for test mode.",
                                 id="passgate.E002")]
        return [checks.Error(str(error), id="passgate.E003")]
    return []
