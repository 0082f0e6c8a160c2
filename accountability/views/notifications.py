"""My reminders (站内提醒): the inbox page and marking read."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from responsibility.access import page
from responsibility.views import render_page

from ..reminders.inbox import mark_read, notifications_for


@page("account", "use")
def notification_list(request):
    """My reminders (站内提醒), newest first; unread ones marked."""
    qs = notifications_for(request.user).order_by("-created_at", "-id")
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        qs = qs.unread()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render_page(
        request,
        "accountability/notification_list.html",
        {"page": page, "unread_only": unread_only, "query": "unread=1" if unread_only else ""},
    )


@page("account", "use")
@require_POST
def notification_mark_read(request):
    """Mark one (`id`) or all of my notifications read; only ever my own."""
    given = request.POST.getlist("id")
    # ASCII digits only ("²".isdigit() holds, int("²") fails) and within the id column's range.
    if any(not (i.isascii() and i.isdigit() and len(i) <= 18) for i in given):
        return HttpResponseBadRequest("请求无效：提醒编号须为数字", content_type="text/plain; charset=utf-8")
    ids = [int(i) for i in given] or None
    marked = mark_read(user=request.user, ids=ids)
    messages.success(request, f"已标记 {marked} 条提醒为已读")
    return redirect("accountability:notification_list")
