"""passgate.django.rest_framework.CaptchaField through DRF's APIClient."""

from __future__ import annotations

import os
from typing import Any, Iterator

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")

import django  # noqa: E402

django.setup()

from django.test import override_settings  # noqa: E402
from django.utils import translation  # noqa: E402
from rest_framework import serializers  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

import passgate  # noqa: E402
from conftest import Emulator  # noqa: E402
from django_project import views  # noqa: E402
from passgate.django.rest_framework import CaptchaField  # noqa: E402


@pytest.fixture()
def client(fresh_emulator: Emulator) -> Iterator[APIClient]:
    views.ACTIONS_RUN["count"] = 0
    with override_settings(PASSGATE=fresh_emulator.options()):
        yield APIClient(REMOTE_ADDR="198.51.100.7")


@pytest.mark.parametrize("body_format", ["json", "multipart"])
def test_pass_validated_value_is_the_outcome_with_the_client_ip(
    client: APIClient, fresh_emulator: Emulator, body_format: str
) -> None:
    fresh_emulator.script("pt_drf_ok", action="signup")
    response = client.post("/drf/signup/", {"nickname": "ann", "captchala_token": "pt_drf_ok"}, format=body_format,
                           HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert response.status_code == 200, response.content
    assert response.json() == {"code": "passed", "client_ip": "198.51.100.7", "nickname": "ann"}
    assert views.ACTIONS_RUN["count"] == 1
    assert fresh_emulator.stats()["validate_calls"] == 1


def test_form_encoded_body(client: APIClient, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_drf_urlencoded", action="signup")
    response = client.post("/drf/signup/", "nickname=ann&captchala_token=pt_drf_urlencoded",
                           content_type="application/x-www-form-urlencoded")
    assert (response.status_code, response.json()["code"]) == (200, "passed")


@pytest.mark.parametrize(
    ("script", "token", "status", "code"),
    [
        (None, None, 400, "missing_token"),
        (None, "", 400, "missing_token"),
        (None, "sct_drf", 400, "malformed_token"),
        ({"action": "login"}, "pt_drf_wrong_action", 400, "action_mismatch"),
        ({"error": "token_consumed"}, "pt_drf_used", 409, "replayed"),
        ({"error": "token_expired"}, "pt_drf_expired", 400, "expired"),
        ({"error": "token_ip_mismatch"}, "pt_drf_ip", 403, "ip_mismatch"),
        ({"error": "invalid_token"}, "pt_drf_invalid", 400, "rejected"),
        ({"http_status": 429}, "pt_drf_429", 429, "rate_limited"),
        ({"http_status": 401}, "pt_drf_401", 500, "misconfigured"),
        ({"http_status": 502}, "pt_drf_down", 503, "upstream_unavailable"),
        (None, "dg_drf", 503, "degraded"),
        (None, "client_drf", 400, "unverifiable"),
    ],
)
def test_validation_error_carries_the_outcome_code(
    client: APIClient, fresh_emulator: Emulator, script: Any, token: Any, status: int, code: str
) -> None:
    if script:
        fresh_emulator.script(token, **script)
    data = {"nickname": "ann"} if token is None else {"nickname": "ann", "captchala_token": token}
    response = client.post("/drf/signup/", data, format="json")
    assert response.status_code == status
    [error] = response.json()["captcha"]
    assert error["code"] == code
    assert error["message"] == passgate.Verifier(mode="test", environment="test").validate(f"pt_test_{code}").message
    assert views.ACTIONS_RUN["count"] == 0


def test_drf_answers_400_with_the_message(client: APIClient, fresh_emulator: Emulator) -> None:
    response = client.post("/drf/comment/", {"nickname": "ann"}, format="json")
    assert (response.status_code, response.json()) == (400, {"captcha": ["Please complete the captcha."]})
    fresh_emulator.script("pt_drf_comment", action="signup")
    response = client.post("/drf/comment/", {"nickname": "ann", "captchala_token": "pt_drf_comment"}, format="json")
    assert (response.status_code, response.json()) == (200, {"code": "passed"})
    assert views.ACTIONS_RUN["count"] == 1


def test_partial_update_still_needs_the_captcha(client: APIClient, fresh_emulator: Emulator) -> None:
    response = client.post("/drf/signup/?partial=1", {}, format="json")
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["captcha"]] == ["missing_token"]
    fresh_emulator.script("pt_drf_partial", action="signup")
    response = client.post("/drf/signup/?partial=1", {"captchala_token": "pt_drf_partial"}, format="json")
    assert (response.status_code, response.json()["code"], response.json()["nickname"]) == (200, "passed", None)


@pytest.mark.parametrize(
    "body",
    [{"nickname": "ann", "captchala_token": ["pt_drf_shape"]}, {"nickname": "ann", "captchala_token": {"a": 1}}],
)
def test_token_that_is_not_a_string_is_missing_token(client: APIClient, fresh_emulator: Emulator, body: Any) -> None:
    fresh_emulator.script("pt_drf_shape", action="signup")  # it would pass if it were read
    response = client.post("/drf/signup/", body, format="json")
    assert (response.status_code, response.json()["captcha"][0]["code"]) == (400, "missing_token")
    assert fresh_emulator.stats()["validate_calls"] == 0


def test_the_field_name_is_read_when_the_provider_field_is_absent(client: APIClient, fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_drf_by_name", action="signup")
    response = client.post("/drf/signup/", {"nickname": "ann", "captcha": "pt_drf_by_name"}, format="json")
    assert (response.status_code, response.json()["code"]) == (200, "passed")


def test_settings_field_and_source_field(fresh_emulator: Emulator) -> None:
    class Explicit(serializers.Serializer):
        captcha = CaptchaField(action="signup", source_field="my-token")

    class FromSettings(serializers.Serializer):
        captcha = CaptchaField(action="signup")

    fresh_emulator.script("pt_drf_source", action="signup")
    fresh_emulator.script("pt_drf_settings", action="signup")
    with override_settings(PASSGATE={**fresh_emulator.options(), "field": "captcha-from-settings"}):
        explicit = Explicit(data={"captchala_token": "pt_drf_source", "my-token": "pt_drf_source"})
        assert explicit.is_valid(), explicit.errors
        assert explicit.validated_data["captcha"].code == "passed"
        from_settings = FromSettings(data={"captchala_token": "pt_drf_settings"})
        assert not from_settings.is_valid()
        assert from_settings.errors["captcha"][0].code == "missing_token"
        from_settings = FromSettings(data={"captcha-from-settings": "pt_drf_settings"})
        assert from_settings.is_valid(), from_settings.errors
    assert fresh_emulator.stats()["validate_calls"] == 2


def test_without_a_request_in_the_context_no_client_ip(fresh_emulator: Emulator) -> None:
    fresh_emulator.script("pt_drf_no_request", action="signup")
    with override_settings(PASSGATE=fresh_emulator.options()):
        serializer = views.ApiSignupSerializer(data={"nickname": "ann", "captchala_token": "pt_drf_no_request"})
        assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["captcha"].log_fields["client_ip"] is None


def test_message_follows_the_active_language(fresh_emulator: Emulator) -> None:
    with override_settings(PASSGATE=fresh_emulator.options()), translation.override("ja"):
        serializer = views.ApiSignupSerializer(data={"nickname": "ann"})
        assert not serializer.is_valid()
    assert str(serializer.errors["captcha"][0]) == "キャプチャを完了してください。"


def test_write_only_and_each_serializer_has_its_own_outcome(fresh_emulator: Emulator) -> None:
    with override_settings(PASSGATE=fresh_emulator.options()):
        first = views.ApiSignupSerializer(data={"nickname": "ann"})
        second = views.ApiSignupSerializer(data={"nickname": "bob", "captchala_token": "sct_drf"})
        assert not first.is_valid() and not second.is_valid()
        assert first.fields["captcha"].outcome.code == "missing_token"
        assert second.fields["captcha"].outcome.code == "malformed_token"
        assert "captcha" not in views.ApiSignupSerializer({"nickname": "ann"}).data


# The provider's own field: Turnstile posts cf-turnstile-response.
def test_turnstile_reads_cf_turnstile_response_and_sends_the_client_ip(fresh_emulator: Emulator) -> None:
    views.ACTIONS_RUN["count"] = 0
    options = {"provider": "turnstile", "secret_key": "test-secret-key", "api_base": fresh_emulator.url,
               "environment": "test"}
    fresh_emulator.script("ts_drf_signup", action="signup")
    fresh_emulator.script("ts_drf_other_field", action="signup")
    with override_settings(PASSGATE=options):
        client = APIClient(REMOTE_ADDR="198.51.100.7")
        response = client.post("/drf/signup/", {"nickname": "ann", "cf-turnstile-response": "ts_drf_signup"}, format="json")
        assert (response.status_code, response.json()["code"]) == (200, "passed")
        assert fresh_emulator.stats()["last_siteverify"]["fields"]["remoteip"] == "198.51.100.7"
        response = client.post("/drf/signup/", {"nickname": "ann", "captchala_token": "ts_drf_other_field"}, format="json")
        assert (response.status_code, response.json()["captcha"][0]["code"]) == (400, "missing_token")
    assert views.ACTIONS_RUN["count"] == 1
    assert fresh_emulator.stats()["siteverify_calls"] == 1
