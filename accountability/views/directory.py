"""Units and people: lists with a search box, a unit's page (posts, holders, duties) and a person's
page (tenures with their documents; for case readers, the records that name them — 终身追责).

Scope is the user's (`Visibility.units()` / `people()`): outside it is a 404, as everywhere.
"""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from responsibility.access import may, page
from responsibility.models import Duty, Position, Tenure, UnitKind
from responsibility.permissions import request_visibility
from responsibility.views import render_page

from ..listing import query_without_page
from ..models import AccountabilityRecord
from ..pickers import search
from .common import visible_cases


@page("reference", "read")
def unit_list(request):
    vis = request_visibility(request)
    qs = vis.units().select_related("region", "parent").order_by("path")
    text = request.GET.get("q", "").strip()[:100]
    if text:
        qs = search(qs, "units", text)
    kind = request.GET.get("kind", "")
    if kind in UnitKind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render_page(
        request,
        "accountability/unit_list.html",
        {"page": page, "kinds": UnitKind.choices, "query": query_without_page(request)},
    )


@page("reference", "read")
def unit_detail(request, code):
    vis = request_visibility(request)
    unit = get_object_or_404(vis.units().select_related("region", "parent", "enterprise"), code=code)
    today = timezone.localdate()
    positions = list(
        Position.objects.filter(unit=unit)
        .prefetch_related(
            Prefetch("tenures", queryset=Tenure.objects.on(today).select_related("person"), to_attr="current")
        )
        .order_by("code")
    )
    duties = list(
        Duty.objects.on(today)
        .filter(Q(holder_unit=unit) | Q(holder_position__unit=unit))
        .select_related("holder_position", "region")
        .prefetch_related("sectors")
        .order_by("holder_position__code", "code")
    )
    visible = vis.units()
    children = list(visible.filter(parent=unit).order_by("code"))
    parent = visible.filter(pk=unit.parent_id).first() if unit.parent_id else None
    return render_page(
        request,
        "accountability/unit_detail.html",
        {
            "unit": unit,
            "parent": parent,
            "children": children,
            "positions": positions,
            "duties": duties,
            "today": today,
            "is_enterprise": unit.kind == UnitKind.ENTERPRISE,
        },
    )


@page("reference", "read")
def person_list(request):
    vis = request_visibility(request)
    today = timezone.localdate()
    qs = (
        vis.people()
        .prefetch_related(
            Prefetch(
                "tenures",
                # Only posts in units the viewer sees (DESIGN §1, as on the person's page).
                queryset=Tenure.objects.on(today)
                .filter(position__unit__in=vis.units().values("pk"))
                .select_related("position__unit"),
                to_attr="current",
            )
        )
        .order_by("code")
    )
    text = request.GET.get("q", "").strip()[:100]
    if text:
        qs = search(qs, "people", text)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render_page(
        request, "accountability/person_list.html", {"page": page, "query": query_without_page(request)}
    )


@page("reference", "read")
def person_detail(request, code):
    vis = request_visibility(request)
    person = get_object_or_404(vis.people(), code=code)
    # DESIGN §1, as in the API: a post is shown only where the viewer sees its unit (an enterprise sees
    # its own enterprise only), so a person's posts elsewhere are not told by their page.
    tenures = list(
        Tenure.objects.filter(person=person, position__unit__in=vis.units().values("pk"))
        .select_related("position__unit")
        .order_by("-start", "position__code")
    )
    for tenure in tenures:
        tenure.last = tenure.end - dt.timedelta(days=1) if tenure.end else None  # ends are exclusive
    records = []
    if may(vis, "case", "read"):
        records = list(
            AccountabilityRecord.objects.filter(person=person, case__in=visible_cases(vis).values("pk"))
            .select_related("case")
            .order_by("-case__event_day", "pk")
        )
    return render_page(
        request,
        "accountability/person_detail.html",
        {"person": person, "tenures": tenures, "records": records, "today": timezone.localdate()},
    )
