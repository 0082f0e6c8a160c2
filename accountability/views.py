"""The server-rendered pages: dashboard, trace, events, enterprises and the 一案双查 case workbench.

Views are thin: scope comes from `request_visibility` (the same as the API: every list and every
lookup is filtered, an object outside scope is a 404), reads from selectors and the chain, writes
only through accountability/cases.py.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from responsibility.api.permissions import HAZARD_REPORTERS
from responsibility.chain import ChainRequest, EventScope, Link, resolve_chain, resolve_chains
from responsibility.models import (
    Duty,
    DutyType,
    PartyRole,
    Position,
    Region,
    RegionLevel,
    Sector,
    Tenure,
    Track,
    Unit,
)
from responsibility.permissions import Role, Visibility, request_visibility
from responsibility.validators import EARLIEST_YEAR, LATEST_YEAR, year_problem
from responsibility.views import render_page

from . import cases as case_services
from . import trace_cards
from .events import EVENT_PREFETCH, accident_event, hazard_event
from .exports import accident_ledger_xlsx, case_docx, hazard_ledger_xlsx
from .forms import (
    AddSubjectForm,
    AmendForm,
    CauseForm,
    CompleteActionForm,
    CorrectiveActionForm,
    EducationForm,
    FindingForm,
    MeasureFormSet,
    TraceForm,
    apply_service_errors,
    measure_needs,
)
from .grading import GRADE_ORDER, Grade
from .listing import query_without_page, text_search
from .measures import label_of as measure_label
from .measures import suggested_ranges
from .models import (
    Accident,
    AccountabilityRecord,
    Case,
    CaseState,
    CorrectiveAction,
    Finding,
    Hazard,
    HazardLevel,
    HazardListing,
    HazardSource,
    HazardState,
)
from .pickers import in_scope_or_form_error, picked
from .selectors import case_records, overdue_investigations, records_by_track

# As the API: 一案双查 is the 纪检监察 side's work; regulators are themselves its supervision-track subjects.
CASE_READERS = {Role.ADMIN, Role.INSPECTOR}
CASE_WRITERS = {Role.ADMIN, Role.INSPECTOR}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# ---- page plumbing ---------------------------------------------------------------------------------


def visible_accidents(vis: Visibility):
    return vis.filter_events(Accident.objects.all())


def visible_hazards(vis: Visibility):
    return vis.filter_events(Hazard.objects.all(), region_field="enterprise__region")


def visible_cases(vis: Visibility):
    if vis.role not in CASE_READERS:
        return Case.objects.none()
    if vis.everything:
        return Case.objects.all()
    return Case.objects.filter(
        Q(accident__in=visible_accidents(vis).values("pk")) | Q(hazard__in=visible_hazards(vis).values("pk"))
    )


def require_case_reader(vis: Visibility) -> None:
    # DESIGN §1: a role lacking cases gets 403 (enterprise users, and regulators who are their subjects).
    if vis.role not in CASE_READERS:
        raise PermissionDenied("只有纪检监察人员和安委办可以查看案件")


def require_case_writer(vis: Visibility) -> None:
    if vis.role not in CASE_WRITERS:
        raise PermissionDenied("只有纪检监察人员和安委办可以办理案件")


def _today() -> dt.date:
    return timezone.localdate()


@login_required
def home(request):
    vis = request_visibility(request)
    if vis.role == Role.ENTERPRISE:
        codes = list(vis.enterprises().values_list("code", flat=True)[:2])
        if len(codes) == 1:
            return redirect("accountability:enterprise_detail", code=codes[0])
        return redirect("accountability:enterprise_list")
    return redirect("accountability:dashboard")


# ---- charts (server-rendered SVG geometry) ---------------------------------------------------------


def _nice_step(value: float) -> int:
    """A round step so that four steps cover `value`: ticks are whole numbers."""
    for magnitude in (1, 10, 100, 1000, 10000, 100000):
        for step in (1, 2, 5):
            if step * magnitude * 4 >= value:
                return step * magnitude
    return int(value / 4) + 1


def grouped_bar_chart(categories: list[str], series: list[tuple[str, list[int], str]], height: int = 200):
    """Bars per category for each series (e.g. this year and last year), with a y axis and a legend."""
    left, bottom, top_pad = 36, 24, 10
    band = 44
    width = left + band * len(categories) + 10
    plot_h = height - bottom - top_pad
    step = _nice_step(max([v for _, values, _ in series for v in values] + [0]))
    top = step * 4
    bar_w = (band - 10) / max(len(series), 1)
    bars = []
    for ci, _category in enumerate(categories):
        for si, (name, values, css) in enumerate(series):
            value = values[ci]
            h = plot_h * value / top if top else 0
            x = left + ci * band + 5 + si * bar_w
            bars.append(
                {
                    "x": round(x, 1),
                    "y": round(top_pad + plot_h - h, 1),
                    "w": round(bar_w - 1, 1),
                    "h": round(h, 1),
                    "css": css,
                    "title": f"{categories[ci]} {name}：{value}",
                    "value": value,
                    "label_y": round(top_pad + plot_h - h - 2, 1),
                }
            )
    ticks = [{"y": round(top_pad + plot_h - plot_h * i / 4, 1), "label": step * i} for i in range(5)]
    labels = [
        {"x": round(left + ci * band + band / 2, 1), "y": height - 6, "text": category}
        for ci, category in enumerate(categories)
    ]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - 10,
        "bars": bars,
        "ticks": ticks,
        "labels": labels,
        "legend": [{"name": name, "css": css} for name, _values, css in series],
        "base_y": top_pad + plot_h,
    }


def horizontal_bars(rows: list[tuple[str, int]], width: int = 360):
    """One bar per row (label, value), longest first, for the by-sector and by-territory charts."""
    top = max([v for _, v in rows] + [0]) or 1
    label_w, row_h = 130, 22
    bars = []
    for i, (label, value) in enumerate(rows):
        w = (width - label_w - 40) * value / top
        bars.append(
            {"y": i * row_h + 4, "w": round(w, 1), "label": label, "value": value, "text_y": i * row_h + 16}
        )
    return {
        "width": width,
        "height": max(len(rows), 1) * row_h + 8,
        "label_w": label_w,
        "bars": bars,
    }


def _yoy(this: int, last: int) -> str:
    if last == 0:
        return "—" if this == 0 else "新增"
    change = (this - last) * 100 / last
    return f"{change:+.0f}%"


# ---- dashboard --------------------------------------------------------------------------------------


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime(year, 1, 1, tzinfo=tz),
        dt.datetime(year + 1, 1, 1, tzinfo=tz),
    )


@login_required
def dashboard(request):
    """Accidents and deaths by month with 同比, by grade, sector and territory; overdue hazards; 督办; reminders.

    Every figure is one aggregate query, whatever the number of rows.
    """
    vis = request_visibility(request)
    accidents = visible_accidents(vis)
    hazards = visible_hazards(vis)
    today = _today()
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = None
    if year is None or year_problem(year) or year == EARLIEST_YEAR:
        latest = accidents.aggregate(latest=Max("occurred_at"))["latest"]
        year = timezone.localtime(latest).year if latest else today.year

    start_prev, _ = _year_bounds(year - 1)
    _, end_this = _year_bounds(year)
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
                "yoy_n": _yoy(this_n, last_n),
                "yoy_deaths": _yoy(this_d, last_d),
            }
        )
    totals = {
        "n": sum(m["n"] for m in months),
        "deaths": sum(m["deaths"] for m in months),
        "last_n": sum(m["last_n"] for m in months),
        "last_deaths": sum(m["last_deaths"] for m in months),
    }
    totals["yoy_n"] = _yoy(totals["n"], totals["last_n"])
    totals["yoy_deaths"] = _yoy(totals["deaths"], totals["last_deaths"])
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

    in_year = accidents.filter(occurred_at__gte=_year_bounds(year)[0], occurred_at__lt=end_this)
    grade_rows = {
        r["grade"]: r
        for r in in_year.values("grade").annotate(n=Count("id"), deaths=Sum("deaths")).order_by()
    }
    by_grade = [
        {
            "label": Grade(g).label,
            "n": grade_rows.get(g, {}).get("n", 0),
            "deaths": grade_rows.get(g, {}).get("deaths") or 0,
        }
        for g in GRADE_ORDER
    ]
    by_sector = list(
        in_year.values("sector__code", "sector__name")
        .annotate(n=Count("id"), deaths=Sum("deaths"))
        .order_by("-n", "sector__code")
    )
    by_territory = list(
        in_year.values("region__code", "region__name")
        .annotate(n=Count("id"), deaths=Sum("deaths"))
        .order_by("-n", "region__code")
    )

    overdue = hazards.overdue(today)
    overdue_by_sector = list(
        overdue.values("sector__code", "sector__name")
        .annotate(n=Count("id"), major=Count("id", filter=Q(level=HazardLevel.MAJOR)))
        .order_by("-n", "sector__code")
    )
    overdue_by_territory = list(
        overdue.values("enterprise__region__code", "enterprise__region__name")
        .annotate(n=Count("id"), major=Count("id", filter=Q(level=HazardLevel.MAJOR)))
        .order_by("-n", "enterprise__region__code")
    )
    soon = today + dt.timedelta(days=30)
    listings = list(
        HazardListing.objects.filter(
            lifted_on__isnull=True, due_on__lte=soon, hazard__in=hazards.values("pk")
        )
        .exclude(hazard__state=HazardState.CLOSED)
        .select_related("hazard__enterprise", "listing_unit")
        .order_by("due_on")[:20]
    )
    for listing in listings:
        listing.days_left = (listing.due_on - today).days

    reminders = _reminders_sent(vis)
    late_cases = overdue_investigations(visible_cases(vis), today) if vis.role in CASE_READERS else None
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
            "by_grade": by_grade,
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
            "listings": listings,
            "today": today,
            "reminders": reminders,
            "late_cases": late_cases,
        },
    )


def _reminders_sent(vis: Visibility) -> dict:
    """The reminders delivered about deadlines in scope: counts of the last 30 days and the latest ten."""
    try:
        log = apps.get_model("accountability", "ReminderLog")
    except LookupError:
        return {"available": False}
    qs = log.objects.filter(state="delivered")
    if not vis.everything:
        hazards = visible_hazards(vis).values("pk")
        qs = qs.filter(
            Q(subject_type="hazard", subject_id__in=hazards)
            | Q(
                subject_type="listing",
                subject_id__in=HazardListing.objects.filter(hazard__in=hazards).values("pk"),
            )
            | Q(subject_type="case", subject_id__in=visible_cases(vis).values("pk"))
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


# ---- trace --------------------------------------------------------------------------------------------


def _trace_form(request) -> TraceForm:
    data = request.GET if any(request.GET.get(k) for k in ("accident", "hazard", "enterprise")) else None
    return TraceForm(data, sectors=Sector.objects.order_by("path").values_list("code", "name"))


PICKER_SIZE = 200


def _trace_pickers(vis: Visibility) -> dict:
    """Suggestions for the code inputs: the latest events and the enterprises in scope (bounded lists)."""
    return {
        "accident_codes": visible_accidents(vis)
        .order_by("-occurred_at")
        .values_list("code", "title")[:PICKER_SIZE],
        "hazard_codes": visible_hazards(vis)
        .order_by("-found_on", "code")
        .values_list("code", "title")[:PICKER_SIZE],
        "enterprise_codes": vis.enterprises().order_by("code").values_list("code", "name")[:PICKER_SIZE],
    }


class Traced:
    """What the trace page shows: the event, its scope and its links."""

    def __init__(
        self, *, title, scope, sector, on_date, grade, accident=None, hazard=None, since=None, also_sectors=()
    ):
        self.title, self.scope, self.sector, self.on_date, self.grade = title, scope, sector, on_date, grade
        self.accident, self.hazard = accident, hazard
        self.since, self.also_sectors = since, tuple(also_sectors)  # DESIGN §5.1, §5.2
        self.links: list[Link] = resolve_chain(
            scope, sector, on_date, grade, since=since, also_sectors=self.also_sectors
        )

    def as_codes(self) -> dict:
        """The `manage.py trace --json` shape (DESIGN §4, with §5's since and also_sectors when given)."""
        codes = {
            "enterprise": self.scope.enterprise.code if self.scope.enterprise else None,
            "region": self.scope.region.code,
            "sector": self.sector.code,
            "date": self.on_date.isoformat(),
            "grade": self.grade,
        }
        if self.since:
            codes["since"] = self.since.isoformat()
        if self.also_sectors:
            codes["also_sectors"] = [s.code for s in self.also_sectors]
        codes["links"] = [link.as_codes() for link in self.links]
        return codes


def _traced(form: TraceForm, vis: Visibility) -> Traced | None:
    """The event of the form, with the links this user may see (an enterprise: its own and supervision)."""
    traced = _traced_event(form, vis)
    if traced is not None:
        traced.links = vis.visible_links(traced.links)
    return traced


def _traced_event(form: TraceForm, vis: Visibility) -> Traced | None:
    data = form.cleaned_data
    if data.get("accident"):
        accident = in_scope_or_form_error(
            form,
            "accident",
            visible_accidents(vis)
            .select_related("region", "enterprise__region", "sector", "unit", "post")
            .prefetch_related(*EVENT_PREFETCH),
        )
        if accident is None:
            return None
        event = accident_event(accident)
        return Traced(
            title=accident.title or accident.code,
            scope=event.scope,
            sector=event.sector,
            on_date=event.on_date,
            grade=event.grade,
            accident=accident,
            since=event.since,
            also_sectors=event.also_sectors,
        )
    if data.get("hazard"):
        hazard = in_scope_or_form_error(
            form,
            "hazard",
            visible_hazards(vis)
            .select_related("enterprise__region", "sector", "unit")
            .prefetch_related(*EVENT_PREFETCH),
        )
        if hazard is None:
            return None
        event = hazard_event(hazard)
        return Traced(
            title=hazard.title or hazard.code,
            scope=event.scope,
            sector=event.sector,
            on_date=event.on_date,
            grade=None,
            hazard=hazard,
            since=event.since,
            also_sectors=event.also_sectors,
        )
    enterprise = in_scope_or_form_error(form, "enterprise", vis.enterprises().select_related("region"))
    if enterprise is None:
        return None
    sector = Sector.objects.get(code=data["sector"])
    # The site and post: a code or an exact name, inside this enterprise (autocomplete offers both).
    unit = picked(form, "unit", "units", Unit.objects.filter(enterprise=enterprise))
    post = picked(form, "post", "positions", Position.objects.filter(unit__enterprise=enterprise))
    if form.errors:
        return None
    scope = EventScope(region=enterprise.region, enterprise=enterprise, unit=unit, post=post)
    return Traced(
        title=enterprise.name,
        scope=scope,
        sector=sector,
        on_date=data["date"],
        grade=data.get("grade") or None,
        since=data.get("since"),
        also_sectors=Sector.objects.filter(code__in=data.get("also_sectors") or []).order_by("code"),
    )


def _link_card(link: Link) -> dict:
    return {
        "type": link.type,
        "type_label": DutyType(link.type).label,
        "unit": link.unit.name if link.unit else "",
        "unit_code": link.unit.code if link.unit else "",
        "position": link.position.title if link.position else "",
        "position_code": link.position.code if link.position else "",
        "person": link.person.name if link.person else "",
        "person_code": link.person.code if link.person else "",
        "vacant": link.vacant,
        "unknown": link.unknown,  # §5.7: 未录入, not a vacancy
        "earlier": link.is_earlier,
        "term_note": f"在任期间 {link.span[0]:%Y-%m-%d} 至 {link.span[1]:%Y-%m-%d}" if link.span else "",
        "basis": link.basis,
        "source": link.source,
        "enterprise": link.enterprise.name if link.enterprise and link.track == Track.SUPERVISION else "",
        "role": PartyRole(link.role).label if link.role else "",
    }


def chain_diagram(links: list[Link]) -> dict:
    """Both tracks grouped for the diagram, highest level first (the page reads top-down, the chain runs up)."""
    groups: OrderedDict = OrderedDict()
    bands: OrderedDict = OrderedDict()
    for link in links:
        if link.track == Track.ENTERPRISE:
            if link.type == DutyType.ACTOR:
                key = ("actor", link.person.code if link.person else "")
                title = f"相关责任人（{PartyRole(link.role).label if link.role else ''}）"
            else:
                key = ("enterprise", link.enterprise.code if link.enterprise else "")
                role = PartyRole(link.role).label if link.role else ""
                title = f"{role}：{link.enterprise.name}" if link.enterprise else role
            groups.setdefault(key, {"title": title, "links": []})["links"].append(_link_card(link))
        else:
            region = link.unit.region
            key = region.code
            title = f"{RegionLevel(region.level).label} · {region.name}"
            bands.setdefault(key, {"title": title, "level": region.level, "links": []})["links"].append(
                _link_card(link)
            )
    for group in [*groups.values(), *bands.values()]:
        group["links"].reverse()
    return {
        "enterprise_groups": list(groups.values()),
        "supervision_bands": list(reversed(bands.values())),
        "n_enterprise": sum(len(g["links"]) for g in groups.values()),
        "n_supervision": sum(len(b["links"]) for b in bands.values()),
        "n_vacant": sum(1 for link in links if link.vacant),
    }


@login_required
def trace(request):
    vis = request_visibility(request)
    form = _trace_form(request)
    traced = None
    if form.is_bound and form.is_valid() and form.mode:
        traced = _traced(form, vis)
    context = {"form": form, "traced": traced, **_trace_pickers(vis)}
    if traced is not None:
        traced.links = trace_cards.links_for(vis, traced.links)
        context["diagram"] = chain_diagram(traced.links)
        trace_cards.annotate(context["diagram"], traced.links, traced.on_date, vis)
        context["json_url"] = reverse("accountability:trace_json") + "?" + request.GET.urlencode()
        source = traced.accident or traced.hazard
        if source is not None and vis.role in CASE_READERS:
            context["case"] = visible_cases(vis).filter(**{_source_field(source): source}).first()
            context["may_open_case"] = vis.role in CASE_WRITERS and (
                traced.accident is not None or traced.hazard.is_overdue(_today())
            )
    # A search form: its errors (an unknown code, one outside scope) are shown on a 200 page.
    return render_page(request, "accountability/trace.html", context)


def _source_field(source) -> str:
    return "accident" if isinstance(source, Accident) else "hazard"


@login_required
def trace_json(request):
    """The same trace as JSON, in the `manage.py trace --json` shape."""
    vis = request_visibility(request)
    form = _trace_form(request)
    if not form.is_bound:
        return JsonResponse(
            {"errors": {"__all__": ["accident, hazard or enterprise is required"]}}, status=400
        )
    traced = _traced(form, vis) if form.is_valid() else None
    if traced is None:
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    traced.links = trace_cards.links_for(vis, traced.links)
    return JsonResponse(traced.as_codes(), json_dumps_params={"ensure_ascii": False})


# ---- accidents and hazards ----------------------------------------------------------------------------


def _accident_filters(request, vis):
    qs = visible_accidents(vis).select_related("enterprise", "region", "sector").order_by("-occurred_at")
    year = request.GET.get("year", "").strip()
    if year:
        # A year outside the calendar the product stores is a bad request, not a 500 from datetime().
        if not year.isdigit() or len(year) > 4 or year_problem(int(year)):
            raise BadRequest(f"年份须为 {EARLIEST_YEAR} 至 {LATEST_YEAR} 之间的整数")
        start, end = _year_bounds(int(year))
        qs = qs.filter(occurred_at__gte=start, occurred_at__lt=end)
    grade = request.GET.get("grade", "")
    if grade in Grade.values:
        qs = qs.filter(grade=grade)
    sector = request.GET.get("sector", "")
    if sector:
        qs = qs.filter(sector__code=sector)
    return text_search(qs, request, "code", "title", "enterprise__name", "region__name")


@login_required
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
            "may_read_cases": vis.role in CASE_READERS,
        },
    )


@login_required
def accident_ledger(request):
    vis = request_visibility(request)
    qs = _accident_filters(request, vis).select_related("case", "unit", "post")
    response = HttpResponse(accident_ledger_xlsx(qs), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="accidents-{_today():%Y%m%d}.xlsx"'
    return response


@login_required
def accident_detail(request, code):
    vis = request_visibility(request)
    accident = get_object_or_404(
        visible_accidents(vis)
        .select_related("enterprise", "region", "sector", "unit", "post")
        .prefetch_related("parties__enterprise", "actors__person", "revisions"),
        code=code,
    )
    case = visible_cases(vis).filter(accident=accident).first()
    return render_page(
        request,
        "accountability/accident_detail.html",
        {
            "accident": accident,
            "case": case,
            "may_open_case": vis.role in CASE_WRITERS,
            # DESIGN §1: an enterprise user is not shown other enterprises' parts (parties, actors).
            "show_parties": vis.role != Role.ENTERPRISE,
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


@login_required
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
            "may_report": vis.role in HAZARD_REPORTERS,
        },
    )


@login_required
def hazard_ledger(request):
    """隐患台账 as a spreadsheet, with the filters of the list."""
    vis = request_visibility(request)
    qs = _hazard_filters(request, vis).select_related("listing__listing_unit", "unit")
    response = HttpResponse(hazard_ledger_xlsx(qs, _today()), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="hazards-{_today():%Y%m%d}.xlsx"'
    return response


# ---- enterprises -------------------------------------------------------------------------------------


@login_required
def enterprise_list(request):
    vis = request_visibility(request)
    today = _today()
    enterprises = (
        vis.enterprises()
        .select_related("region")
        .prefetch_related("sectors")
        .annotate(
            n_hazards=Count("hazards", filter=~Q(hazards__state=HazardState.CLOSED), distinct=True),
            n_overdue=Count(
                "hazards",
                filter=~Q(hazards__state=HazardState.CLOSED) & Q(hazards__deadline__lt=today),
                distinct=True,
            ),
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


@login_required
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
            "may_report": vis.role in HAZARD_REPORTERS,
        },
    )


# ---- cases -------------------------------------------------------------------------------------------


def _case_or_404(vis: Visibility, code: str) -> Case:
    require_case_reader(vis)
    return get_object_or_404(
        visible_cases(vis).select_related(
            "accident__enterprise",
            "accident__region",
            "accident__sector",
            "hazard__enterprise__region",
            "hazard__sector",
            "opened_by",
            "closed_by",
        ),
        code=code,
    )


@login_required
def case_list(request):
    vis = request_visibility(request)
    require_case_reader(vis)
    qs = visible_cases(vis).select_related("accident", "hazard").order_by("-opened_at")
    state = request.GET.get("state", "")
    if state in CaseState.values:
        qs = qs.filter(state=state)
    qs = text_search(qs, request, "code", "title", "accident__code", "hazard__code")
    qs = qs.annotate(n_records=Count("records"))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    today = _today()
    for case in page:
        case.investigation_overdue = case.is_investigation_overdue(today)
    return render_page(
        request,
        "accountability/case_list.html",
        {"page": page, "states": CaseState.choices, "state": state, "query": query_without_page(request)},
    )


@login_required
@require_POST
def case_open(request):
    """Open the case of an accident or an overdue hazard (idempotent: an open case is returned)."""
    vis = request_visibility(request)
    require_case_writer(vis)
    accident = hazard = None
    if request.POST.get("accident"):
        accident = get_object_or_404(visible_accidents(vis), code=request.POST["accident"])
        back = reverse("accountability:accident_detail", args=[accident.code])
    elif request.POST.get("hazard"):
        hazard = get_object_or_404(visible_hazards(vis), code=request.POST["hazard"])
        back = reverse("accountability:hazard_detail", args=[hazard.code])
    else:
        raise Http404
    try:
        opened = case_services.open_case(accident=accident, hazard=hazard, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    if opened.created:
        messages.success(
            request, f"已立案：{opened.case.code}，按事发当日责任链生成 {opened.case.records.count()} 条记录"
        )
    return redirect("accountability:case_workbench", code=opened.case.code)


FOUR_NOTS = [
    (case_services.CAUSE, "事故原因未查清不放过"),
    (case_services.PEOPLE, "事故责任者未受到处理不放过"),
    (case_services.MEASURES, "整改措施未落实不放过"),
    (case_services.EDUCATION, "有关人员未受到教育不放过"),
]


def _four_nots(blockers: list[tuple[str, str]]) -> list[dict]:
    missing = dict(blockers)
    return [
        {"code": code, "label": label, "ok": code not in missing, "message": missing.get(code, "")}
        for code, label in FOUR_NOTS
    ]


def _record_rows(records: list[AccountabilityRecord]) -> list[AccountabilityRecord]:
    for record in records:
        snap = record.snapshot
        record.type_labels = [DutyType(t).label if t in DutyType.values else t for t in record.types]
        record.bases = [
            link
            for link in snap.get("links", [])
            if link.get("basis") or link.get("source") or link.get("role")
        ]
        for link in record.bases:
            link["role_label"] = PartyRole(link["role"]).label if link.get("role") in PartyRole.values else ""
        decision = record.current_decision
        record.finding_label = decision.get_finding_display() if decision else ""
        record.measure_labels = [measure_label(m.kind) for m in decision.measures.all()] if decision else []
        record.amended = len(record.decision_history) > 1
    return records


def _ranges_text(grade: str) -> list[str]:
    ranges = suggested_ranges(grade or None)
    if not ranges:
        return []

    def wan(value: str) -> str:
        return f"{int(float(value)) // 10000}万元"

    low, high = ranges["enterprise_fine_yuan"]
    s_low, s_high = ranges["enterprise_fine_especially_serious_yuan"]
    return [
        f"主要负责人罚款：上一年年收入的 {ranges['principal_fine_percent_of_income']}%（安全生产法第九十五条）",
        f"生产经营单位罚款：{wan(low)}至{wan(high)}；情节特别严重、影响特别恶劣的：{wan(s_low)}至{wan(s_high)}（第一百一十四条）",
        f"行业禁入：{ranges['industry_ban']}（第九十四条）",
    ]


def _workbench(request, case: Case, vis: Visibility, *, status: int = 200, **bound):
    records = _record_rows(case_records(case))
    tracks = records_by_track(records)
    blockers = case_services.closing_blockers(case)
    actions = list(case.corrective_actions.select_related("verified_by"))
    education = list(case.education.all())
    writer = vis.role in CASE_WRITERS and not case.is_closed
    context = {
        "case": case,
        "source": case.accident or case.hazard,
        "enterprise_records": tracks.get(Track.ENTERPRISE, []),
        "supervision_records": tracks.get(Track.SUPERVISION, []),
        "n_records": len(records),
        "n_decided": sum(1 for r in records if r.current_decision),
        "four_nots": _four_nots(blockers),
        "blockers": blockers,
        "actions": actions,
        "education": education,
        "may_write": writer,
        "ranges": _ranges_text(case.grade),
        "cause_form": bound.get("cause_form") or CauseForm(initial={"cause": case.cause}),
        "action_form": bound.get("action_form") or CorrectiveActionForm(),
        "complete_form": CompleteActionForm(),
        "education_form": bound.get("education_form") or EducationForm(),
        "subject_form": bound.get("subject_form") or AddSubjectForm(vis=vis),
        "close_refused": bound.get("close_refused"),
        "investigation_overdue": case.is_investigation_overdue(_today()),
        "action_errors": bound.get("action_errors"),
    }
    return render_page(request, "accountability/case_workbench.html", context, status=status)


@login_required
def case_workbench(request, code):
    vis = request_visibility(request)
    case = _case_or_404(vis, code)
    refused = request.session.pop(_refused_key(case), None)
    return _workbench(request, case, vis, close_refused=[tuple(b) for b in refused] if refused else None)


def _post_case(request, code) -> tuple[Visibility, Case]:
    vis = request_visibility(request)
    case = _case_or_404(vis, code)
    require_case_writer(vis)
    return vis, case


def _done(request, case: Case, message: str, anchor: str = ""):
    messages.success(request, message)
    return redirect(reverse("accountability:case_workbench", args=[case.code]) + anchor)


def _case_form_post(request, code, form_class, write, done_message: str, anchor: str, form_name: str):
    """Validate a workbench form, write through a case service, and show the service's refusal on the form."""
    vis, case = _post_case(request, code)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            write(case, form.cleaned_data)
            return _done(request, case, done_message, anchor)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return _workbench(request, case, vis, status=400, **{form_name: form})


@login_required
@require_POST
def case_cause(request, code):
    return _case_form_post(
        request,
        code,
        CauseForm,
        lambda case, data: case_services.record_cause(case=case, cause=data["cause"], by=request.user),
        "已记录事故原因",
        "#four-nots",
        "cause_form",
    )


@login_required
@require_POST
def case_action_add(request, code):
    return _case_form_post(
        request,
        code,
        CorrectiveActionForm,
        lambda case, data: case_services.add_corrective_action(case=case, **data),
        "已登记整改措施",
        "#actions",
        "action_form",
    )


@login_required
@require_POST
def case_action_done(request, code, pk):
    vis, case = _post_case(request, code)
    action = get_object_or_404(CorrectiveAction.objects.filter(case=case), pk=pk)
    action.case = case
    form = CompleteActionForm(request.POST)
    if form.is_valid():
        try:
            case_services.complete_corrective_action(
                action=action, done_on=form.cleaned_data["done_on"], by=request.user
            )
            return _done(request, case, "已确认整改措施完成", "#actions")
        except ValidationError as exc:
            return _workbench(request, case, vis, status=400, action_errors=exc.messages)
    return _workbench(
        request, case, vis, status=400, action_errors=[m for ms in form.errors.values() for m in ms]
    )


@login_required
@require_POST
def case_education(request, code):
    return _case_form_post(
        request,
        code,
        EducationForm,
        lambda case, data: case_services.record_education(case=case, by=request.user, **data),
        "已记录警示教育",
        "#education",
        "education_form",
    )


@login_required
@require_POST
def case_add_subject(request, code):
    vis, case = _post_case(request, code)
    form = AddSubjectForm(request.POST, vis=vis)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record = case_services.add_subject(
                case=case,
                track=data["track"],
                reason=data["reason"],
                types=data["types"],
                unit=data["unit"],
                position=data["position"],
                person=data["person"],
                by=request.user,
            )
            return _done(request, case, "已增列责任主体", f"#record-{record.pk}")
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return _workbench(request, case, vis, status=400, subject_form=form)


@login_required
@require_POST
def case_close(request, code):
    vis, case = _post_case(request, code)
    try:
        case_services.close_case(case=case, by=request.user)
    except case_services.CaseNotClosable as exc:
        refused = exc.blockers
    except ValidationError as exc:
        refused = [("", m) for m in exc.messages]
    else:
        return _done(request, case, "四不放过条件均已满足，案件已结案")
    # Post/redirect/get: the refusal is shown once on the workbench, so a reload never re-submits.
    request.session[_refused_key(case)] = [list(b) for b in refused]
    return redirect(reverse("accountability:case_workbench", args=[case.code]) + "#close-refused")


def _refused_key(case: Case) -> str:
    return f"close_refused:{case.code}"


@login_required
def record_detail(request, code, pk):
    """One subject of the case: its snapshot and basis, the finding or its amendment, and the measures."""
    vis = request_visibility(request)
    case = _case_or_404(vis, code)
    records = {r.pk: r for r in case_records(case)}
    record = records.get(pk)
    if record is None:
        raise Http404
    _record_rows([record])
    amending = record.current_decision is not None
    form_class = AmendForm if amending else FindingForm
    status = 200
    if request.method == "POST":
        require_case_writer(vis)
        form = form_class(request.POST)
        formset = MeasureFormSet(request.POST, prefix="m")
        if form.is_valid() and formset.is_valid():
            used = [f for f in formset.forms if f.cleaned_data and f.as_measure()]
            measures = [f.as_measure() for f in used]
            data = form.cleaned_data
            try:
                if amending:
                    case_services.amend_finding(
                        record=record,
                        finding=data["finding"],
                        category=data.get("category", ""),
                        reason=data["reason"],
                        grounds=data["grounds"],
                        measures=measures,
                        by=request.user,
                    )
                    message = "已提交更正认定（原认定保留在记录中）"
                else:
                    case_services.record_finding(
                        record=record,
                        finding=data["finding"],
                        category=data.get("category", ""),
                        grounds=data["grounds"],
                        measures=measures,
                        by=request.user,
                    )
                    message = "已记录认定结论"
                return _done(request, case, message, f"#record-{record.pk}")
            except ValidationError as exc:
                apply_service_errors(form, exc, used)
        status = 400
    else:
        initial = {}
        if amending:
            initial = {
                "finding": record.current_decision.finding,
                "category": record.current_decision.category,
                "grounds": record.current_decision.grounds,
            }
        form = form_class(initial=initial)
        formset = MeasureFormSet(prefix="m")
    return render_page(
        request,
        "accountability/record_detail.html",
        {
            "case": case,
            "record": record,
            "form": form,
            "formset": formset,
            "amending": amending,
            "may_write": vis.role in CASE_WRITERS and not case.is_closed,
            "ranges": _ranges_text(case.grade),
            "measure_needs": measure_needs(),
            "findings": Finding,
        },
        status=status,
    )


def case_report_data(case: Case) -> dict:
    """Everything the 一案双查 report says, for the print page and the Word export alike."""
    records = _record_rows(case_records(case))
    tracks = records_by_track(records)
    source = case.accident or case.hazard
    return {
        "amended": [r for r in records if r.amended],
        "case": case,
        "source": source,
        "is_accident": case.accident_id is not None,
        "enterprise_records": tracks.get(Track.ENTERPRISE, []),
        "supervision_records": tracks.get(Track.SUPERVISION, []),
        "actions": list(case.corrective_actions.all()),
        "education": list(case.education.all()),
        "four_nots": _four_nots(case_services.closing_blockers(case)),
        "printed_on": _today(),
    }


@login_required
def case_report(request, code):
    vis = request_visibility(request)
    case = _case_or_404(vis, code)
    return render_page(request, "accountability/case_report.html", case_report_data(case))


@login_required
def case_report_docx(request, code):
    vis = request_visibility(request)
    case = _case_or_404(vis, code)
    response = HttpResponse(case_docx(case_report_data(case)), content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="{case.code}.docx"'
    return response


# ---- notifications -------------------------------------------------------------------------------------


@login_required
def notification_list(request):
    """My reminders (站内提醒), newest first; unread ones marked."""
    from .notifications import notifications_for

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


@login_required
@require_POST
def notification_mark_read(request):
    """Mark one (`id`) or all of my notifications read; only ever my own."""
    from .notifications import mark_read

    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    marked = mark_read(user=request.user, ids=ids)
    messages.success(request, f"已标记 {marked} 条提醒为已读")
    return redirect("accountability:notification_list")
