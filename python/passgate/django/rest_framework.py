"""Django REST framework integration.

    from rest_framework import serializers
    from passgate.django.rest_framework import CaptchaField

    class LoginSerializer(serializers.Serializer):
        username = serializers.CharField()
        captcha = CaptchaField(action="login")

``CaptchaField`` reads the provider's own field (``captchala_token``,
``cf-turnstile-response``, …; ``PASSGATE["field"]`` or ``source_field=`` to
change it) from the request data, form or JSON, whatever the field's own
name in the serializer, and validates it; ``validated_data["captcha"]`` is
the :class:`passgate.Outcome`. A failure is a ``ValidationError`` whose code
is the outcome's code and whose message is the user-safe message in Django's
active language; the field's ``outcome`` attribute keeps the outcome (for
its ``http_status``). The field is always validated: a missing token is
``missing_token``, also for a partial update.

The client IP is the serializer context's request's ``REMOTE_ADDR``
(``GenericAPIView`` passes ``context={"request": request}``; pass it
yourself otherwise), as for ``passgate.django``: behind a reverse proxy set
``REMOTE_ADDR`` in a middleware that trusts only your proxy. DRF's own
``NUM_PROXIES`` setting is for throttling and is not read.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from rest_framework import serializers
from rest_framework.fields import empty

from .. import Outcome, Verifier
from . import _settings, client_ip, get_verifier, outcome_message

__all__ = ["CaptchaField"]


class CaptchaField(serializers.Field):
    """A write-only serializer field whose validated value is the
    :class:`passgate.Outcome` of the token the provider's widget posted."""

    def __init__(
        self,
        *,
        action: Optional[str] = None,
        verifier: Optional[Verifier] = None,
        source_field: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("write_only", True)
        kwargs.setdefault("required", False)
        self.action = action
        self.verifier = verifier
        self.source_field = source_field
        # The last validation's outcome: views answer with its http_status.
        self.outcome: Optional[Outcome] = None
        super().__init__(**kwargs)

    def _verifier(self) -> Verifier:
        return self.verifier or get_verifier()

    def token_field(self) -> str:
        """The request data key the token is read from."""
        return self.source_field or _settings().get("field") or self._verifier().form_field

    def get_value(self, dictionary: Mapping[str, Any]) -> Any:
        if not hasattr(dictionary, "get"):
            return None
        value = dictionary.get(self.token_field())
        return value if value is not None else dictionary.get(self.field_name)

    def run_validation(self, data: Any = empty) -> Outcome:
        # Not Field.run_validation: it skips an absent optional field (and
        # every absent field of a partial update), and a missing token must
        # fail as missing_token.
        token = data if isinstance(data, str) else None
        request = self.context.get("request")
        ip = client_ip(request) if request is not None else None
        outcome = self._verifier().validate(token, client_ip=ip, action=self.action)
        self.outcome = outcome
        if not outcome.ok:
            raise serializers.ValidationError(outcome_message(outcome), code=outcome.code)
        self.run_validators(outcome)
        return outcome

    def to_internal_value(self, data: Any) -> Outcome:
        return self.run_validation(data)

    def to_representation(self, value: Any) -> Optional[str]:
        return value.code if isinstance(value, Outcome) else None
