"""Settings of the subprocess Celery worker the integration and fault tests start.

The database is the test database (DATABASE_URL, given by the test); the broker and queue are the
test's own; mails go to files so the test can count them; Redis hands a dead worker's unacknowledged
message to another worker after 3 seconds instead of an hour.
"""

import os

from config.settings.development import *  # noqa: F403

CELERY_BROKER_URL = os.environ["REMINDER_TEST_BROKER"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ["REMINDER_TEST_QUEUE"]
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["REMINDER_TEST_MAIL_DIR"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
