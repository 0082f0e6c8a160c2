"""Production: DEBUG off, secrets from the environment, HTTPS everywhere."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY") or os.environ.get("DJANGO_SECRET_KEY") or ""
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY (50+ random characters) must be set in the environment")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Login throttling counts the client's address: behind reverse proxies list them in DJANGO_TRUSTED_PROXIES.
# The OpenAPI schema and its docs are for signed-in users only.
DUTYCHAIN = {**DUTYCHAIN, "API_DOCS_LOGIN_REQUIRED": True}  # noqa: F405
# Request bodies: forms and JSON stay small; evidence files up to DUTYCHAIN["EVIDENCE_MAX_BYTES"] go to disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# The health checks answer a load balancer over plain HTTP on the private address (no redirect to HTTPS).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Static files: collected (`collectstatic`) with content-hashed names and served by the application itself
# (WhiteNoise, right after SecurityMiddleware), compressed, a hashed name cached for ten years ("immutable").
MIDDLEWARE = list(MIDDLEWARE)  # noqa: F405
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 3600  # a file without a hash in its name (rare: favicon-like paths) is kept one hour

# Logs: one JSON object per line on stderr (the request log, errors, Celery), each with its request id.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.observability.RequestIdFilter"}},
    "formatters": {"json": {"()": "config.observability.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    "loggers": {
        "dutychain.request": {"level": os.environ.get("DJANGO_REQUEST_LOG_LEVEL", "INFO")},
        "dutychain.health": {"level": "INFO"},
    },
}
