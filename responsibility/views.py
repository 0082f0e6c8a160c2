"""The responsibility matrix page: for a region and a day, who owes which duty type in which sector.

The coverage report (责任真空, 多头管理) is shown with it, limited to the region and the user's scope.
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_

from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from .access import may, page
from .chain import STORED_SUPERVISION_TYPES, scope_region
from .coverage import cached_coverage_report
from .forms import MatrixForm
from .models import LEVEL_RANK, Duty, DutyType, Region, RegionLevel, Sector, Tenure, Track
from .permissions import Role, Visibility, any_of, request_visibility

# A province holds tens of thousands of posts: the page shows them a page at a time (?page=N).
ROWS_PER_PAGE = 200

# ---- page plumbing shared by every page (base.html reads `role` and `nav`) ----------------------------

NAV = [
    # (url name, label, the access policy's (area, action) of the page: a role sees the entries it may open)
    ("accountability:dashboard", "驾驶舱", ("dashboard", "read")),
    ("accountability:trace", "责任链追溯", ("trace", "read")),
    ("accountability:case_list", "一案双查", ("case", "read")),
    ("accountability:accident_list", "事故", ("accident", "read")),
    ("accountability:hazard_list", "隐患台账", ("hazard", "read")),
    ("accountability:alert_list", "预警", ("alert", "read")),
    ("accountability:finding_list", "督查问题", ("finding", "read")),
    ("responsibility:matrix", "责任矩阵", ("matrix", "read")),
    ("accountability:enterprise_list", "企业", ("reference", "read")),
    ("accountability:unit_list", "单位", ("reference", "read")),
    ("accountability:person_list", "人员", ("reference", "read")),
]
ROLE_LABELS = {
    Role.ADMIN: "安委办",
    Role.INSPECTOR: "纪检监察",
    Role.REGULATOR: "监管人员",
    Role.ENTERPRISE: "企业用户",
    Role.NONE: "未分配角色",
}


def page_context(request) -> dict:
    """Role and navigation for base.html (one role lookup per request, shared with the scope)."""
    vis = request_visibility(request)
    current = request.resolver_match.view_name if request.resolver_match else ""
    nav = [
        {"url": reverse(name), "label": label, "active": current == name}
        for name, label, (area, action) in NAV
        if may(vis, area, action)
    ]
    return {"role": vis.role, "role_label": ROLE_LABELS.get(vis.role, ""), "nav": nav}


def render_page(request, template: str, context: dict, status: int = 200):
    return render(request, template, {**page_context(request), **context}, status=status)


def allowed_regions(vis: Visibility):
    """The regions whose matrix this user may read: everything for 安委办, else the subtrees of their grants."""
    if vis.everything:
        return Region.objects.all()
    if not vis.grants:
        return Region.objects.none()
    return Region.objects.filter(reduce(or_, (Q(path__startswith=g.region_path) for g in vis.grants)))


def _navigable(regions, requested: str | None):
    """The regions the matrix form offers: the one asked for (else the first this user may read), the way up
    to it and its subdivisions — not the whole province, whose 1,300 options made the page cost what the
    province holds rather than what it shows. A region outside `regions` is not offered (the form refuses it)."""
    if requested and (
        len(requested) > Region._meta.get_field("code").max_length or not requested.isprintable()
    ):
        return []  # not a code: the form refuses it as it would any region not offered
    current = (regions.filter(code=requested) if requested else regions).first()
    if current is None:
        return []
    near = regions.filter(Q(code__in=current.ancestor_codes()) | Q(parent_id=current.pk))
    return near.values_list("code", "name", "level")


def _duties(region: Region, day: dt.date, track: str, vis: Visibility) -> list[Duty]:
    """Duties on `day` whose scope covers the region from above or lies inside it."""
    ancestors = region.ancestor_codes()

    def around(prefix: str) -> Q:
        return Q(**{f"{prefix}path__startswith": region.path}) | Q(**{f"{prefix}code__in": ancestors})

    # One branch per way a duty reaches the region (its own region, its holder unit's, its post's unit's).
    qs = any_of(
        Duty.objects.on(day),
        Q(region__isnull=False) & around("region__"),
        Q(region__isnull=True) & around("holder_unit__region__"),
        Q(region__isnull=True) & around("holder_position__unit__region__"),
    )
    if track == Track.SUPERVISION:
        qs = qs.filter(type__in=STORED_SUPERVISION_TYPES)
    elif track == Track.ENTERPRISE:
        qs = qs.exclude(type__in=STORED_SUPERVISION_TYPES)
    if not vis.everything:
        visible = vis.visible_enterprise_ids()
        qs = any_of(
            qs,
            Q(type__in=STORED_SUPERVISION_TYPES),
            Q(holder_unit__enterprise__in=visible),
            Q(holder_position__unit__enterprise__in=visible),
        )
    return list(
        qs.select_related("region", "holder_unit__region", "holder_position__unit__region")
        .prefetch_related(Prefetch("sectors", queryset=Sector.objects.only("id", "code")))
        .order_by("code")
    )


def build_matrix(duties: list[Duty], sectors: list[Sector], holders: dict[int, object]) -> list[dict]:
    """Rows (a position or a unit holding duties) × sector columns, each cell the duty types covering it."""
    rows: dict[tuple, dict] = {}
    for duty in duties:
        unit = duty.unit
        key = ("p", duty.holder_position_id) if duty.holder_position_id else ("u", duty.holder_unit_id)
        row = rows.get(key)
        if row is None:
            position = duty.holder_position
            row = rows[key] = {
                "unit": unit,
                "region": unit.region,
                "level_label": RegionLevel(unit.region.level).label,
                "position": position,
                "person": holders.get(position.pk) if position else None,
                "vacant": position is not None and position.pk not in holders,
                "is_enterprise": unit.enterprise_id is not None,
                "cells": [[] for _ in sectors],
                "scope_region": scope_region(duty),
            }
        codes = {s.code for s in duty.sectors.all()}
        for i, sector in enumerate(sectors):
            path = sector.ancestor_codes()
            if codes and codes.isdisjoint(path):
                continue
            how = "all" if not codes else ("direct" if sector.code in codes else "inherited")
            cell = row["cells"][i]
            if all(c["type"] != duty.type for c in cell):
                cell.append(
                    {"type": duty.type, "label": DutyType(duty.type).label, "how": how, "duty": duty.code}
                )
    return sorted(
        rows.values(),
        key=lambda r: (
            r["is_enterprise"],
            LEVEL_RANK[r["region"].level],
            r["unit"].path,
            r["position"].code if r["position"] else "",
        ),
    )


@page("matrix", "read")
def matrix(request):
    vis = request_visibility(request)
    regions = allowed_regions(vis).order_by("path")
    form = MatrixForm(request.GET or None, regions=_navigable(regions, request.GET.get("region")))
    status = 200
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        region_code, day, track = data["region"], data["date"], data["track"]
    else:
        if form.is_bound and "region" in form.errors:
            raise Http404  # a region outside the user's scope, as for any object lookup
        status = 400 if form.is_bound else 200
        first = regions.first()
        if first is None:
            raise Http404
        region_code, day, track = first.code, timezone.localdate(), Track.SUPERVISION
    day = day or timezone.localdate()
    region = get_object_or_404(regions, code=region_code)

    sectors = list(Sector.objects.order_by("path"))
    duties = _duties(region, day, track, vis)
    holders = {
        t.position_id: t.person
        for t in Tenure.objects.on(day)
        .filter(position_id__in={d.holder_position_id for d in duties if d.holder_position_id})
        .select_related("person")
    }
    rows = build_matrix(duties, sectors, holders)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))

    # Coverage of the region shown only (its enterprises), kept until the matrix changes.
    report = cached_coverage_report(day, region)
    visible = None
    if not vis.everything:  # which of the gaps' enterprises this user sees (not all those they see)
        shown = {g.enterprise.pk for g in report.gaps}
        visible = set(vis.enterprises().filter(pk__in=shown).values_list("pk", flat=True))
    gaps = [
        {
            "enterprise": g.enterprise,
            "sector": g.sector,
            "type_label": DutyType(g.type).label,
            "reason": g.reason,
        }
        for g in report.gaps
        if visible is None or g.enterprise.pk in visible
    ]
    overlaps = report.overlaps
    gap_sectors = {g["sector"].code for g in gaps}
    columns = [
        {"sector": s, "gap": s.code in gap_sectors, "depth": len(s.ancestor_codes()) - 1} for s in sectors
    ]
    return render_page(
        request,
        "responsibility/matrix.html",
        {
            "form": form,
            "region": region,
            "day": day,
            "track": track,
            "columns": columns,
            "rows": page.object_list,
            "page_obj": page,
            "query": _query_without_page(request),
            "n_rows": len(rows),
            "n_vacant": sum(1 for r in rows if r["vacant"]),
            "gaps": gaps,
            "overlaps": overlaps,
        },
        status=status,
    )


def _query_without_page(request) -> str:
    """The form's values as a query string, without the page (for the pager's links)."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
