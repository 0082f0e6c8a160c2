"""The production settings as the load test and the fault drill serve them: unchanged, except that the
cookies are not marked Secure and HTTP is not redirected — locust talks plain HTTP straight to gunicorn
(nginx's TLS is not in the measured path; it sends X-Forwarded-Proto: https all the same)."""

import os

from config.settings.production import *  # noqa: F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
# Reminder mails go to files, so the fault drill can count them (none twice, none lost).
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ.get("LOAD_MAIL_DIR", "/tmp/dutychain-load-mail")
