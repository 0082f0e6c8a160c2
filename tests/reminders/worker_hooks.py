"""Loaded into the test worker with `--include`: slows each delivery down *inside* its transaction
(after the notification row is written, before the commit), so a SIGKILL lands mid-delivery."""

import os
import time

from django.db.models.signals import post_save

DELAY = float(os.environ.get("REMINDER_TEST_DELAY") or 0)


def _linger(sender, instance, created, **kwargs):
    time.sleep(DELAY)


if DELAY:
    post_save.connect(_linger, sender="accountability.Notification", dispatch_uid="reminder-test-delay")
