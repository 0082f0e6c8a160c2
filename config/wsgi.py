"""WSGI entry point; the same default settings as manage.py, Celery and asgi. A deployment chooses
production explicitly: DJANGO_SETTINGS_MODULE=config.settings.production."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")
application = get_wsgi_application()
