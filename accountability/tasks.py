"""Celery tasks: thin wrappers that take ids or dates and call the reminders package (sweep, delivery).

Every task is idempotent (the claim rows decide what is still to do), acknowledged late so a
killed worker's task runs again, and retried with exponential backoff.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from .reminders import delivery
from .reminders.sweep import sweep

RETRYING = {
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 2,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 10,
}


def _moment(value: str | None) -> dt.datetime | dt.date | None:
    if not value:
        return None
    moment = parse_datetime(value) or parse_date(value)
    if isinstance(moment, dt.datetime) and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


@shared_task(name="accountability.tasks.sweep_reminders", **RETRYING)
def sweep_reminders(now: str | None = None) -> dict:
    """The periodic sweep (django-celery-beat): claim what is due today and enqueue its delivery."""
    return sweep(now=_moment(now)).summary()


@shared_task(name="accountability.tasks.deliver_reminder", **RETRYING)
def deliver_reminder(log_id: int) -> str:
    return delivery.deliver(log_id)


@shared_task(name="accountability.tasks.send_daily_digests", **RETRYING)
def send_daily_digests(day: str | None = None) -> int:
    """One digest task per recipient with digest items waiting."""
    day = day or timezone.localdate().isoformat()
    keys = delivery.digest_recipients()
    for key in keys:
        send_reminder_digest.delay(key, day)
    return len(keys)


@shared_task(name="accountability.tasks.send_reminder_digest", **RETRYING)
def send_reminder_digest(recipient_key: str, day: str) -> int:
    return delivery.send_digest(recipient_key, parse_date(day))
