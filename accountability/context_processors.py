"""Template context shared by every page."""


def notification_badge(request):
    """`unread_notification_count` for the badge in base.html: no query for an anonymous visitor,
    one COUNT for a signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notification_count": 0}
    from .reminders.inbox import unread_count

    return {"unread_notification_count": unread_count(user)}
