"""The accident and hazard lists with their Excel ledgers, and the accident detail page."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from responsibility.access import may, page
from responsibility.models import (
    Sector,
)
from responsibility.permissions import request_visibility
from responsibility.validators import EARLIEST_YEAR, LATEST_YEAR, year_problem
from responsibility.views import render_page

from ..exports import accident_ledger_xlsx, hazard_ledger_xlsx
from ..grading import Grade
from ..listing import query_without_page, text_search
from ..models import (
    HazardLevel,
    HazardState,
)
from ..selectors import year_bounds
from .common import (
    XLSX,
    _today,
    visible_accidents,
    visible_cases,
    visible_hazards,
)


def _accident_filters(request, vis):
    qs = visible_accidents(vis).select_related("enterprise", "region", "sector").order_by("-occurred_at")
    year = request.GET.get("year", "").strip()
    if year:
        # A year outside the calendar the product stores is a bad request, not a 500 from datetime().
        if not year.isdigit() or len(year) > 4 or year_problem(int(year)):
            raise BadRequest(f"年份须为 {EARLIEST_YEAR} 至 {LATEST_YEAR} 之间的整数")
        start, end = year_bounds(int(year))
        qs = qs.filter(occurred_at__gte=start, occurred_at__lt=end)
    grade = request.GET.get("grade", "")
    if grade in Grade.values:
        qs = qs.filter(grade=grade)
    sector = request.GET.get("sector", "")
    if sector:
        qs = qs.filter(sector__code=sector)
    return text_search(qs, request, "code", "title", "enterprise__name", "region__name")


@page("accident", "read")
def accident_list(request):
    vis = request_visibility(request)
    qs = _accident_filters(request, vis).select_related("case")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render_page(
        request,
        "accountability/accident_list.html",
        {
            "page": page,
            "grades": Grade.choices,
            "sectors": Sector.objects.order_by("path").values_list("code", "name"),
            "query": query_without_page(request),
            "may_read_cases": may(vis, "case", "read"),
        },
    )


@page("accident", "read")
def accident_ledger(request):
    vis = request_visibility(request)
    qs = _accident_filters(request, vis).select_related("case", "unit", "post")
    response = HttpResponse(accident_ledger_xlsx(qs), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="accidents-{_today():%Y%m%d}.xlsx"'
    return response


@page("accident", "read")
def accident_detail(request, code):
    vis = request_visibility(request)
    accident = get_object_or_404(
        visible_accidents(vis)
        .select_related("enterprise", "region", "sector", "unit", "post")
        .prefetch_related(
            "parties__enterprise",
            "parties__unit",
            "parties__post",
            "actors__person",
            "revisions",
            "also_sectors",
        ),
        code=code,
    )
    case = visible_cases(vis).filter(accident=accident).first()
    return render_page(
        request,
        "accountability/accident_detail.html",
        {
            "accident": accident,
            "case": case,
            "may_open_case": may(vis, "case", "write"),
            # DESIGN §1: an enterprise user is not shown other enterprises' parts (parties, actors).
            "parties_and_actors": vis.visible_parties(accident.parties.all(), accident.actors.all()),
        },
    )


def _hazard_filters(request, vis):
    qs = (
        visible_hazards(vis)
        .select_related("enterprise__region", "sector", "responsible_position", "listing")
        .order_by("deadline", "code")
    )
    today = _today()
    state = request.GET.get("state", "")
    if state in HazardState.values:
        qs = qs.filter(state=state)
    level = request.GET.get("level", "")
    if level in HazardLevel.values:
        qs = qs.filter(level=level)
    if request.GET.get("overdue"):
        qs = qs.overdue(today)
    enterprise = request.GET.get("enterprise", "")
    if enterprise:
        qs = qs.filter(enterprise__code=enterprise)
    sector = request.GET.get("sector", "")
    if sector:
        qs = qs.filter(sector__code=sector)
    return text_search(qs, request, "code", "title", "enterprise__name")


@page("hazard", "read")
def hazard_list(request):
    vis = request_visibility(request)
    page = Paginator(_hazard_filters(request, vis), 50).get_page(request.GET.get("page"))
    today = _today()
    for hazard in page:
        hazard.overdue = hazard.is_overdue(today)
        hazard.days_left = (hazard.deadline - today).days
        hazard.days_overdue = -hazard.days_left
    return render_page(
        request,
        "accountability/hazard_list.html",
        {
            "page": page,
            "states": HazardState.choices,
            "levels": HazardLevel.choices,
            "sectors": Sector.objects.order_by("path").values_list("code", "name"),
            "query": query_without_page(request),
            "filters": request.GET,
            "may_report": may(vis, "hazard", "report"),
        },
    )


@page("hazard", "read")
def hazard_ledger(request):
    """隐患台账 as a spreadsheet, with the filters of the list."""
    vis = request_visibility(request)
    qs = _hazard_filters(request, vis).select_related("listing__listing_unit", "unit")
    response = HttpResponse(hazard_ledger_xlsx(qs, _today()), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="hazards-{_today():%Y%m%d}.xlsx"'
    return response
