"""The in-app notification inbox (站内提醒): reads for the pages and the API, and marking read."""

from __future__ import annotations

from django.utils import timezone

from ..models import (
    Notification,
)


def notifications_for(user):
    return Notification.objects.for_user(user)


def unread_count(user) -> int:
    """One COUNT query: the badge."""
    return Notification.objects.for_user(user).unread().count()


def mark_read(*, user, ids=None) -> int:
    """Mark the user's own unread notifications (all, or those in `ids`) as read; returns how many."""
    qs = Notification.objects.for_user(user).unread()
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return Notification.objects.filter(pk__in=qs.values("pk")).update(read_at=timezone.now())
