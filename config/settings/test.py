from .base import *  # noqa: F403
from .base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Threaded tests (concurrency) need a file database; pytest-django makes a fresh one per run.
    DATABASES["default"]["TEST"] = {"NAME": None}
