from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import View
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from passgate import Verifier
from passgate.django import CaptchaField, PassgateFormMixin, require_captcha
from passgate.django.rest_framework import CaptchaField as ApiCaptchaField

from conftest import dead_redis_url

ACTIONS_RUN = {"count": 0}


class SignupForm(PassgateFormMixin, forms.Form):
    email = forms.EmailField()
    nickname = forms.CharField()
    captchala_token = CaptchaField(action="signup")


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        ACTIONS_RUN["count"] += 1
        outcome = form.cleaned_data["captchala_token"]
        return HttpResponse(f"welcome {form.cleaned_data['nickname']} ({outcome.code})")
    return render(request, "signup.html", {"form": form}, status=400 if form.errors else 200)


class CommentForm(PassgateFormMixin, forms.Form):
    """The captcha field's name is the form's own: the widget reads the
    provider's field (cf-turnstile-response, g-recaptcha-response, ...)."""

    text = forms.CharField()
    captcha = CaptchaField(action="comment")


def comment(request: HttpRequest) -> HttpResponse:
    form = CommentForm(request.POST, request=request)
    if form.is_valid():
        ACTIONS_RUN["count"] += 1
        return JsonResponse({"code": form.cleaned_data["captcha"].code})
    [error] = form.errors.as_data()["captcha"]
    return JsonResponse({"error": error.code}, status=400)


@require_captcha(action="login")
def login(request: HttpRequest) -> HttpResponse:
    ACTIONS_RUN["count"] += 1
    outcome: Any = getattr(request, "passgate")
    return JsonResponse({"done": True, "code": outcome.code if outcome else None,
                         "client_ip": outcome.log_fields["client_ip"] if outcome else None})


@require_captcha(action="login")
async def api_login(request: HttpRequest) -> HttpResponse:
    ACTIONS_RUN["count"] += 1
    return JsonResponse({"done": True, "code": getattr(request, "passgate").code})


# A verifier whose replay store (Redis) cannot be reached.
DEAD_STORE = Verifier(app_key="test-app-key", app_secret="test-app-secret", environment="test-dead-store",
                      api_base="http://127.0.0.1:9", replay_store=dead_redis_url(), store_timeout_ms=300)


@require_captcha(action="login", verifier=DEAD_STORE)
def login_dead_store(request: HttpRequest) -> HttpResponse:
    ACTIONS_RUN["count"] += 1
    return JsonResponse({"done": True})


def widget_page(request: HttpRequest) -> HttpResponse:
    """The template tag, twice: two forms on one page."""
    return render(request, "widget.html", {"form": SignupForm(request=request)})


class AsyncLogin(View):
    """An async class-based view: as_view() returns a coroutine function."""

    async def post(self, request: HttpRequest) -> HttpResponse:
        ACTIONS_RUN["count"] += 1
        outcome: Any = getattr(request, "passgate")
        return JsonResponse({"done": True, "code": outcome.code, "client_ip": outcome.log_fields["client_ip"]})

    async def get(self, request: HttpRequest) -> HttpResponse:
        ACTIONS_RUN["count"] += 1
        return JsonResponse({"done": True, "code": getattr(request, "passgate")})


async_class_login = require_captcha(AsyncLogin.as_view(), action="login")


# Django REST framework: the serializer field.


class ApiSignupSerializer(serializers.Serializer):
    nickname = serializers.CharField()
    captcha = ApiCaptchaField(action="signup")


class ApiSignup(GenericAPIView):
    """Answers the outcome's http_status and every error with its code."""

    serializer_class = ApiSignupSerializer

    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data, partial=request.query_params.get("partial") == "1")
        try:
            serializer.is_valid(raise_exception=True)
        except ValidationError as error:
            outcome = serializer.fields["captcha"].outcome
            status = outcome.http_status if outcome is not None and not outcome.ok else 400
            return Response(error.get_full_details(), status=status)
        ACTIONS_RUN["count"] += 1
        outcome = serializer.validated_data["captcha"]
        return Response({"code": outcome.code, "client_ip": outcome.log_fields["client_ip"],
                         "nickname": serializer.validated_data.get("nickname")})


@api_view(["POST"])
def api_comment(request: Request) -> Response:
    """DRF's own answer to an invalid serializer: 400, {"captcha": [message]}."""
    serializer = ApiSignupSerializer(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    ACTIONS_RUN["count"] += 1
    return Response({"code": serializer.validated_data["captcha"].code})
