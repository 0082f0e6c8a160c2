"""The Celery app: settings from Django's `CELERY_*` names, tasks from each app's tasks.py.

Redis is the broker when REDIS_URL is set; without it the tasks run eagerly in-process
(config.settings.development.py). The periodic schedule lives in the database (django-celery-beat's
DatabaseScheduler), so it is edited in the admin; run it with `celery -A config beat`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")

app = Celery("dutychain")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
