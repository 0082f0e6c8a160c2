"""The alert pages: list with filters, CSV export, detail (whom it names, the evidence, its history), and
handling (约谈 held or closure decided), closing and dismissing. Thin views over accountability/alerts/;
安委办 and 纪检 see the alerts of their scope, an enterprise its own Art 113 alerts (access.py)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from responsibility.access import may, page
from responsibility.permissions import Visibility, request_visibility
from responsibility.spreadsheets import escape_text
from responsibility.views import render_page

from .. import alerts as alert_services
from ..listing import query_without_page, text_search
from ..models import Alert, AlertKind, AlertState
from .common import _today, posted_text_problems, visible_alerts


def alert_filters(request, vis: Visibility):
    qs = visible_alerts(vis).select_related("region", "rule", "summoned_by", "enterprise", "unit")
    qs = text_search(qs, request, "code", "subject_label", "region__name")
    if request.GET.get("kind") in AlertKind.values:
        qs = qs.filter(kind=request.GET["kind"])
    if request.GET.get("state") in AlertState.values:
        qs = qs.filter(state=request.GET["state"])
    return qs.order_by("-fired_on", "code")


@page("alert", "read")
def alert_list(request):
    vis = request_visibility(request)
    page_ = Paginator(alert_filters(request, vis), 50).get_page(request.GET.get("page"))
    return render_page(
        request,
        "accountability/alert_list.html",
        {
            "page": page_,
            "kinds": AlertKind.choices,
            "states": AlertState.choices,
            "filters": request.GET,
            "query": query_without_page(request),
        },
    )


EXPORT_HEADER = [
    "编号",
    "类型",
    "对象",
    "区划",
    "次数",
    "期间起",
    "期间止",
    "触发日期",
    "所列人员",
    "约谈/处置机关",
    "状态",
]


@page("alert", "read")
def alert_export(request):
    """The list, with its filters, as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    vis = request_visibility(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="alerts-{_today():%Y%m%d}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(EXPORT_HEADER)
    for alert in alert_filters(request, vis).prefetch_related("named"):
        writer.writerow(
            [
                escape_text(value) if isinstance(value, str) else value
                for value in (
                    alert.code,
                    alert.get_kind_display(),
                    alert.subject_label,
                    alert.region.name,
                    alert.count,
                    alert.window_start.isoformat(),
                    alert.window_end.isoformat(),
                    alert.fired_on.isoformat(),
                    "、".join(n.label for n in alert.named.all()),
                    alert.summoned_by.name if alert.summoned_by else "",
                    alert.get_state_display(),
                )
            ]
        )
    return response


def _alert_or_404(vis: Visibility, code: str) -> Alert:
    return get_object_or_404(visible_alerts(vis).select_related("region", "rule", "summoned_by"), code=code)


@page("alert", "read")
def alert_detail(request, code):
    vis = request_visibility(request)
    alert = _alert_or_404(vis, code)
    return render_page(
        request,
        "accountability/alert_detail.html",
        {
            "alert": alert,
            "named": alert.named.select_related("person", "position", "unit"),
            "accidents": alert.accidents.select_related("region"),
            "penalties": alert.penalties.select_related("hazard"),
            "hazards": alert.hazards.all(),
            "findings": alert.findings.select_related("assigned_unit"),
            "review_items": alert.review_items.select_related("case"),
            "history": alert.history.select_related("history_user").order_by("history_date"),
            "may_handle": may(vis, "alert", "handle"),
        },
    )


def _act(request, code, action):
    vis = request_visibility(request)
    alert = _alert_or_404(vis, code)
    try:
        if problems := posted_text_problems(request):
            raise ValidationError(problems)
        action(alert)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("accountability:alert_detail", code=alert.code)


@require_POST
@page("alert", "handle")
def alert_handle(request, code):
    """约谈 held (date, attendees, minutes) or closure decided (文号)."""
    return _act(
        request,
        code,
        lambda alert: alert_services.handle_alert(
            alert=alert,
            by=request.user,
            held_on=parse_date(request.POST.get("held_on") or ""),
            attendees=request.POST.get("attendees", ""),
            minutes=request.FILES.get("minutes"),
            decision_document=request.POST.get("decision_document", ""),
        ),
    )


@require_POST
@page("alert", "handle")
def alert_close(request, code):
    return _act(request, code, lambda alert: alert_services.close_alert(alert=alert, by=request.user))


@require_POST
@page("alert", "handle")
def alert_dismiss(request, code):
    return _act(
        request,
        code,
        lambda alert: alert_services.dismiss_alert(
            alert=alert, reason=request.POST.get("reason", ""), by=request.user
        ),
    )
