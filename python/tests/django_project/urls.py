from django.urls import path

from . import views

urlpatterns = [
    path("signup/", views.signup),
    path("widget/", views.widget_page),
    path("comment/", views.comment),
    path("login/", views.login),
    path("api/login/", views.api_login),
    path("login-dead-store/", views.login_dead_store),
    path("async-class-login/", views.async_class_login),
    path("drf/signup/", views.ApiSignup.as_view()),
    path("drf/comment/", views.api_comment),
]
