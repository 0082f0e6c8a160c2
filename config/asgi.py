"""ASGI entry point; the same default settings as manage.py, Celery and wsgi (production by DJANGO_SETTINGS_MODULE)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")

application = get_asgi_application()
