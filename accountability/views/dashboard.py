"""The home redirect and the dashboard page (figures from accountability/dashboard.py, charts from charts.py)."""

from __future__ import annotations

from django.shortcuts import redirect

from responsibility.access import may, page
from responsibility.permissions import Role, request_visibility
from responsibility.views import render_page

from .. import dashboard as figures
from ..charts import grouped_bar_chart, horizontal_bars
from ..selectors import overdue_investigations
from .common import (
    _today,
    visible_accidents,
    visible_alerts,
    visible_cases,
    visible_findings,
    visible_hazards,
)


@page("account", "use")
def home(request):
    vis = request_visibility(request)
    if vis.role == Role.ENTERPRISE:
        codes = list(vis.enterprises().values_list("code", flat=True)[:2])
        if len(codes) == 1:
            return redirect("accountability:enterprise_detail", code=codes[0])
        return redirect("accountability:enterprise_list")
    return redirect("accountability:dashboard")


@page("dashboard", "read")
def dashboard(request):
    """Accidents and deaths by month with 同比, by grade, sector and territory; overdue hazards; 督办; reminders.

    Every figure is one aggregate query, whatever the number of rows.
    """
    vis = request_visibility(request)
    accidents = visible_accidents(vis)
    hazards = visible_hazards(vis)
    today = _today()
    year = figures.dashboard_year(accidents, request.GET.get("year", ""), today)

    months, totals = figures.monthly_figures(accidents, year)
    categories = [f"{m}月" for m in range(1, 13)]
    accident_chart = grouped_bar_chart(
        categories,
        [
            (f"{year - 1}年", [m["last_n"] for m in months], "prev"),
            (f"{year}年", [m["n"] for m in months], "this"),
        ],
    )
    death_chart = grouped_bar_chart(
        categories,
        [
            (f"{year - 1}年", [m["last_deaths"] for m in months], "prev"),
            (f"{year}年", [m["deaths"] for m in months], "deaths"),
        ],
    )

    in_year = figures.accidents_in_year(accidents, year)
    by_sector = figures.accidents_by_sector(in_year)
    by_territory = figures.accidents_by_territory(in_year)
    overdue = hazards.overdue(today)
    overdue_by_sector = figures.overdue_hazards_by_sector(overdue)
    overdue_by_territory = figures.overdue_hazards_by_territory(overdue)
    cases = visible_cases(vis)
    late_cases = overdue_investigations(cases, today) if may(vis, "case", "read") else None
    return render_page(
        request,
        "accountability/dashboard.html",
        {
            "year": year,
            "years": [year - 1, year + 1],
            "months": months,
            "totals": totals,
            "accident_chart": accident_chart,
            "death_chart": death_chart,
            "by_grade": figures.accidents_by_grade(in_year),
            "by_sector": by_sector,
            "by_sector_chart": horizontal_bars([(r["sector__name"], r["n"]) for r in by_sector]),
            "by_territory": by_territory,
            "by_territory_chart": horizontal_bars([(r["region__name"], r["n"]) for r in by_territory]),
            "overdue_by_sector": overdue_by_sector,
            "overdue_by_sector_chart": horizontal_bars(
                [(r["sector__name"], r["n"]) for r in overdue_by_sector]
            ),
            "overdue_by_territory": overdue_by_territory,
            "overdue_total": sum(r["n"] for r in overdue_by_sector),
            "listings": figures.listings_due_soon(hazards, today),
            "today": today,
            "reminders": figures.reminders_sent(hazards, cases, everything=vis.everything),
            "late_cases": late_cases,
            # Patterns that escalate, and government findings left overdue (issue 28).
            "open_alerts": figures.open_alerts_by_kind_and_region(visible_alerts(vis))
            if may(vis, "alert", "read")
            else None,
            "overdue_findings": figures.overdue_findings_by_unit(visible_findings(vis), today),
        },
    )
