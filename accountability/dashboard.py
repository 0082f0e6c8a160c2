"""Reads for the dashboard: each figure is one aggregate query over the querysets in scope.

The page (views/dashboard.py) passes in the accidents, hazards and cases the user may see; these
functions never decide scope themselves.
"""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from responsibility.validators import EARLIEST_YEAR, year_problem

from .charts import year_on_year
from .grading import GRADE_ORDER, Grade
from .models import HazardLevel, HazardListing, HazardState
from .selectors import year_bounds


def dashboard_year(accidents, requested: str, today: dt.date) -> int:
    """The year asked for, or (if missing or out of range) the year of the latest accident in scope."""
    try:
        year = int(requested)
    except ValueError:
        year = None
    if year is None or year_problem(year) or year == EARLIEST_YEAR:
        latest = accidents.aggregate(latest=Max("occurred_at"))["latest"]
        year = timezone.localtime(latest).year if latest else today.year
    return year


def monthly_figures(accidents, year: int) -> tuple[list[dict], dict]:
    """Accidents and deaths per month of `year` and of the year before, with 同比; and the year's totals."""
    start_prev, _ = year_bounds(year - 1)
    _, end_this = year_bounds(year)
    monthly = (
        accidents.filter(occurred_at__gte=start_prev, occurred_at__lt=end_this)
        .annotate(y=ExtractYear("occurred_at"), m=ExtractMonth("occurred_at"))
        .values("y", "m")
        .annotate(n=Count("id"), deaths=Sum("deaths"))
        .order_by()
    )
    counts = {(year, m): [0, 0] for m in range(1, 13)} | {(year - 1, m): [0, 0] for m in range(1, 13)}
    for row in monthly:
        counts[(row["y"], row["m"])] = [row["n"], row["deaths"] or 0]
    months = []
    for m in range(1, 13):
        this_n, this_d = counts[(year, m)]
        last_n, last_d = counts[(year - 1, m)]
        months.append(
            {
                "month": m,
                "n": this_n,
                "deaths": this_d,
                "last_n": last_n,
                "last_deaths": last_d,
                "yoy_n": year_on_year(this_n, last_n),
                "yoy_deaths": year_on_year(this_d, last_d),
            }
        )
    totals = {
        "n": sum(m["n"] for m in months),
        "deaths": sum(m["deaths"] for m in months),
        "last_n": sum(m["last_n"] for m in months),
        "last_deaths": sum(m["last_deaths"] for m in months),
    }
    totals["yoy_n"] = year_on_year(totals["n"], totals["last_n"])
    totals["yoy_deaths"] = year_on_year(totals["deaths"], totals["last_deaths"])
    return months, totals


def accidents_in_year(accidents, year: int):
    start, end = year_bounds(year)
    return accidents.filter(occurred_at__gte=start, occurred_at__lt=end)


def accidents_by_grade(in_year) -> list[dict]:
    grade_rows = {
        r["grade"]: r
        for r in in_year.values("grade").annotate(n=Count("id"), deaths=Sum("deaths")).order_by()
    }
    return [
        {
            "label": Grade(g).label,
            "n": grade_rows.get(g, {}).get("n", 0),
            "deaths": grade_rows.get(g, {}).get("deaths") or 0,
        }
        for g in GRADE_ORDER
    ]


def accidents_by_sector(in_year) -> list[dict]:
    return list(
        in_year.values("sector__code", "sector__name")
        .annotate(n=Count("id"), deaths=Sum("deaths"))
        .order_by("-n", "sector__code")
    )


def accidents_by_territory(in_year) -> list[dict]:
    return list(
        in_year.values("region__code", "region__name")
        .annotate(n=Count("id"), deaths=Sum("deaths"))
        .order_by("-n", "region__code")
    )


def overdue_hazards_by_sector(overdue) -> list[dict]:
    return list(
        overdue.values("sector__code", "sector__name")
        .annotate(n=Count("id"), major=Count("id", filter=Q(level=HazardLevel.MAJOR)))
        .order_by("-n", "sector__code")
    )


def overdue_hazards_by_territory(overdue) -> list[dict]:
    return list(
        overdue.values("enterprise__region__code", "enterprise__region__name")
        .annotate(n=Count("id"), major=Count("id", filter=Q(level=HazardLevel.MAJOR)))
        .order_by("-n", "enterprise__region__code")
    )


def listings_due_soon(hazards, today: dt.date, days: int = 30, limit: int = 20) -> list[HazardListing]:
    """督办 of open hazards in scope due within `days` (or already past), each with its `days_left`."""
    soon = today + dt.timedelta(days=days)
    listings = list(
        HazardListing.objects.filter(
            lifted_on__isnull=True, due_on__lte=soon, hazard__in=hazards.values("pk")
        )
        .exclude(hazard__state=HazardState.CLOSED)
        .select_related("hazard__enterprise", "listing_unit")
        .order_by("due_on")[:limit]
    )
    for listing in listings:
        listing.days_left = (listing.due_on - today).days
    return listings


def reminders_sent(hazards, cases, *, everything: bool) -> dict:
    """The reminders delivered about deadlines in scope: counts of the last 30 days and the latest ten."""
    try:
        log = apps.get_model("accountability", "ReminderLog")
    except LookupError:
        return {"available": False}
    qs = log.objects.filter(state="delivered")
    if not everything:
        hazards = hazards.values("pk")
        qs = qs.filter(
            Q(subject_type="hazard", subject_id__in=hazards)
            | Q(
                subject_type="listing",
                subject_id__in=HazardListing.objects.filter(hazard__in=hazards).values("pk"),
            )
            | Q(subject_type="case", subject_id__in=cases.values("pk"))
        )
    since = timezone.now() - dt.timedelta(days=30)
    labels = dict(log._meta.get_field("subject_type").choices)
    by_subject = [
        {"label": labels.get(row["subject_type"], row["subject_type"]), "n": row["n"]}
        for row in qs.filter(delivered_at__gte=since)
        .values("subject_type")
        .annotate(n=Count("id"))
        .order_by("subject_type")
    ]
    latest = list(qs.select_related("rule", "person", "user").order_by("-delivered_at", "-id")[:10])
    return {"available": True, "by_subject": by_subject, "latest": latest}


def open_alerts_by_kind_and_region(alerts) -> list[dict]:
    """Open alerts in scope, counted by kind and region (one aggregate query)."""
    from .models import AlertKind, AlertState

    rows = (
        alerts.filter(state=AlertState.OPEN)
        .values("kind", "region__name")
        .annotate(n=Count("id"))
        .order_by("kind", "region__name")
    )
    return [{**row, "kind_label": AlertKind(row["kind"]).label} for row in rows]


def overdue_findings_by_unit(findings, today: dt.date) -> list[dict]:
    """Government findings overdue on `today`, counted by the unit they are assigned to."""
    return list(
        findings.overdue(today)
        .values("assigned_unit__code", "assigned_unit__name")
        .annotate(n=Count("id"))
        .order_by("-n", "assigned_unit__code")
    )
