"""A minimal Django project for the passgate integration tests."""

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
INSTALLED_APPS = ["passgate.django"]
MIDDLEWARE = []
ROOT_URLCONF = "django_project.urls"
DATABASES = {}
USE_I18N = True
LANGUAGE_CODE = "en"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [__import__("os").path.join(__import__("os").path.dirname(__file__), "templates")],
    }
]
# The tests point this at their emulator with override_settings.
PASSGATE = {"app_key": "test-app-key", "app_secret": "test-app-secret", "environment": "test"}
# Django REST framework without django.contrib.auth: no authentication.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
