"""Development, the default of manage.py, the Celery app, wsgi and asgi (`make run`): debug pages on,
and a public development key when the environment gives none. Production is chosen explicitly with
DJANGO_SETTINGS_MODULE=config.settings.production."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
if DEBUG and not (os.environ.get("SECRET_KEY") or os.environ.get("DJANGO_SECRET_KEY")):
    SECRET_KEY = "dev-only-insecure-key-not-for-production"  # noqa: S105
