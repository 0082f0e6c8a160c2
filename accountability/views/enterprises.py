"""The enterprise list and an enterprise's page."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from responsibility.access import may, page
from responsibility.chain import ChainRequest, EventScope, resolve_chains
from responsibility.models import (
    Duty,
    Region,
    Sector,
    Tenure,
    Track,
)
from responsibility.permissions import request_visibility
from responsibility.views import render_page

from ..listing import query_without_page, text_search
from ..models import (
    HazardSource,
    HazardState,
    overdue_q,
)
from .common import _today, visible_accidents, visible_hazards
from .trace import _link_card


@page("reference", "read")
def enterprise_list(request):
    vis = request_visibility(request)
    today = _today()
    enterprises = (
        vis.enterprises()
        .select_related("region")
        .prefetch_related("sectors")
        .annotate(
            n_hazards=Count("hazards", filter=~Q(hazards__state=HazardState.CLOSED), distinct=True),
            n_overdue=Count("hazards", filter=overdue_q(today, prefix="hazards__"), distinct=True),
        )
        .order_by("path")
    )
    enterprises = text_search(enterprises, request, "code", "name")
    sector = request.GET.get("sector", "")
    if sector:
        enterprises = enterprises.filter(sectors__code=sector)
    region = request.GET.get("region", "")
    if region:
        enterprises = enterprises.filter(region__code=region)
    if request.GET.get("overdue"):
        enterprises = enterprises.filter(n_overdue__gt=0)
    page = Paginator(enterprises, 50).get_page(request.GET.get("page"))
    return render_page(
        request,
        "accountability/enterprise_list.html",
        {
            "page": page,
            "query": query_without_page(request),
            "filters": request.GET,
            "sectors": Sector.objects.order_by("path").values_list("code", "name"),
            "regions": Region.objects.filter(units__in=vis.enterprises().values("pk"))
            .distinct()
            .order_by("path")
            .values_list("code", "name"),
        },
    )


@page("reference", "read")
def enterprise_detail(request, code):
    """An enterprise's own page: its duty list (全员安全生产责任清单), its regulators, its hazards and deadlines."""
    vis = request_visibility(request)
    enterprise = get_object_or_404(
        vis.enterprises().select_related("region").prefetch_related("sectors"), code=code
    )
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = _today()
    duties = list(
        Duty.objects.on(day)
        .filter(Q(holder_position__unit__enterprise=enterprise) | Q(holder_unit__enterprise=enterprise))
        .select_related("holder_position__unit", "holder_unit")
        .prefetch_related("sectors")
        .order_by("holder_position__unit__path", "holder_unit__path", "code")
    )
    holders = {
        t.position_id: t.person
        for t in Tenure.objects.on(day)
        .filter(position_id__in=[d.holder_position_id for d in duties if d.holder_position_id])
        .select_related("person")
    }
    duty_rows = [
        {
            "duty": d,
            "unit": d.unit,
            "position": d.holder_position,
            "person": holders.get(d.holder_position_id),
            "vacant": d.holder_position_id is not None and d.holder_position_id not in holders,
            "type_label": d.get_type_display(),
            "sectors": "、".join(s.name for s in d.sectors.all()) or "全部行业",
        }
        for d in duties
    ]
    sectors = list(enterprise.sectors.all())
    scope = EventScope(region=enterprise.region, enterprise=enterprise)
    links = resolve_chains([ChainRequest(scope, sector, day) for sector in sectors])
    chains = {sector.code: chain for sector, chain in zip(sectors, links, strict=True)}
    regulators = [
        {
            "sector": sector,
            "links": [_link_card(link) for link in chains[sector.code] if link.track == Track.SUPERVISION],
        }
        for sector in sectors
    ]
    today = _today()
    hazards = list(
        visible_hazards(vis)
        .filter(enterprise=enterprise)
        .select_related("sector", "listing__listing_unit", "responsible_position")
        .prefetch_related("extensions")
        .order_by("deadline")
    )
    for hazard in hazards:
        hazard.overdue = hazard.is_overdue(today)
        hazard.days_left = (hazard.deadline - today).days
        hazard.pending_extension = next((e for e in hazard.extensions.all() if e.decision == "pending"), None)
    accidents = list(
        visible_accidents(vis).filter(enterprise=enterprise).select_related("sector").order_by("-occurred_at")
    )
    return render_page(
        request,
        "accountability/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "day": day,
            "duty_rows": duty_rows,
            "regulators": regulators,
            "hazards": hazards,
            "accidents": accidents,
            "sources": dict(HazardSource.choices),
            "may_report": may(vis, "hazard", "report"),
        },
    )
