from __future__ import annotations

import os
from typing import Any, List

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class PassgateConfig(AppConfig):
    name = "passgate.django"
    label = "passgate"
    verbose_name = "passgate"

    def ready(self) -> None:
        checks.register(check_settings, checks.Tags.security)


def check_settings(app_configs: Any = None, **kwargs: Any) -> List[checks.CheckMessage]:
    """Missing keys (E001), test mode in production (E002), any other bad
    setting (E003)."""
    from .. import ConfigError, Verifier

    config = dict(getattr(settings, "PASSGATE", {}) or {})
    config.pop("field", None)
    mode = config.get("mode") or os.environ.get("PASSGATE_MODE") or "live"
    environment = config.get("environment") or os.environ.get("PASSGATE_ENVIRONMENT") or "production"
    errors: List[checks.CheckMessage] = []
    if mode == "test" and environment == "production":
        errors.append(
            checks.Error(
                "passgate test mode is on while environment is \"production\".",
                hint="Set PASSGATE['environment'] to e.g. \"test\" or turn test mode off.",
                id="passgate.E002",
            )
        )
        return errors
    if mode != "test":
        for option, env in (("app_key", "CAPTCHALA_APP_KEY"), ("app_secret", "CAPTCHALA_APP_SECRET")):
            if not config.get(option) and not os.environ.get(env):
                errors.append(
                    checks.Error(
                        f"passgate: {option} is not set.",
                        hint=f"Set PASSGATE['{option}'] or the {env} environment variable.",
                        id="passgate.E001",
                    )
                )
        if errors:
            return errors
    try:
        Verifier(**config)
    except ConfigError as error:
        errors.append(checks.Error(str(error), id="passgate.E003"))
    return errors
