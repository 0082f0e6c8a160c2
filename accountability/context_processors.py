"""Template context shared by every page."""


def notification_badge(request):
    """`unread_notification_count` for the badge in base.html (filled in by the reminders work)."""
    return {"unread_notification_count": 0}
