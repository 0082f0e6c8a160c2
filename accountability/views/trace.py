"""The trace page and its JSON: the responsibility chain of an accident, a hazard or an enterprise."""

from __future__ import annotations

from collections import OrderedDict

from django.http import JsonResponse
from django.urls import reverse

from responsibility.access import may, page
from responsibility.chain import Link
from responsibility.models import (
    DutyType,
    PartyRole,
    RegionLevel,
    Sector,
    Track,
)
from responsibility.permissions import Visibility, request_visibility
from responsibility.views import render_page

from .. import trace_cards
from ..forms import (
    TraceForm,
)
from ..models import (
    Accident,
)
from ..tracing import Traced, TraceRefused, TraceRequest, as_codes, resolve, unknown_parameters
from .common import _today, visible_accidents, visible_cases, visible_hazards


def _trace_form(request) -> TraceForm:
    data = request.GET if any(request.GET.get(k) for k in ("accident", "hazard", "enterprise")) else None
    form = TraceForm(data, sectors=Sector.objects.order_by("path").values_list("code", "name"))
    # A misspelt parameter is refused by name (as the API refuses it), never silently dropped.
    form.unknown = unknown_parameters(data, set(form.fields)) if data is not None else {}
    for message in form.unknown.values():
        form.add_error(None, message)
    return form


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


# The page's field for each of the request's (the page has no region field: it reads as the enterprise).
PAGE_FIELD = {"region": "enterprise"}


def _traced(form: TraceForm, vis: Visibility) -> Traced | None:
    """The event of the form, with the links this user may see; a refusal becomes the form's errors."""
    data = form.cleaned_data
    request = TraceRequest.of(data)
    try:
        return resolve(request, vis)
    except TraceRefused as refused:
        for name, message in refused.errors.items():
            form.add_error(PAGE_FIELD.get(name, name), message)
        return None


def _term_note(link: Link) -> str:
    """An earlier holder's term; an inspection (谁检查谁负责) is the day of the inspection, not a term."""
    if not link.span:
        return ""
    start, end = link.span
    if link.type == DutyType.INSPECTION:
        return f"检查日期 {start:%Y-%m-%d}"
    return f"在任期间 {start:%Y-%m-%d} 至 {end:%Y-%m-%d}"


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
        "term_note": _term_note(link),
        "basis": link.basis,
        "source": link.source,
        "enterprise": link.enterprise.name if link.enterprise and link.track == Track.SUPERVISION else "",
        "role": PartyRole(link.role).label if link.role else "",
    }


def _party_sites(scope) -> dict[str, str]:
    """§5.12: where each party's own people were working (its crew), by enterprise code, for the group head."""
    sites = {}
    for enterprise, _role, *where in scope.parties if scope is not None else ():
        unit, post = (*where, None, None)[:2]
        parts = [f"作业班组：{unit.name}" if unit else "", f"岗位：{post.title}" if post else ""]
        if any(parts):
            sites[enterprise.code] = " · ".join(p for p in parts if p)
    return sites


def chain_diagram(links: list[Link], scope=None) -> dict:
    """Both tracks grouped for the diagram, highest level first (the page reads top-down, the chain runs up).
    With the event's scope, a party's group says where its crew was working (§5.12)."""
    sites = _party_sites(scope)
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
            site = sites.get(link.enterprise.code, "") if link.enterprise and link.role != "main" else ""
            group = groups.setdefault(key, {"title": title, "site": site, "links": []})
            group["links"].append(_link_card(link))
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


@page("trace", "read")
def trace(request):
    vis = request_visibility(request)
    form = _trace_form(request)
    traced = None
    if form.is_bound and form.is_valid() and form.mode:
        traced = _traced(form, vis)
    context = {"form": form, "traced": traced, **_trace_pickers(vis)}
    if traced is not None:
        traced.links = trace_cards.links_for(vis, traced.links)
        context["diagram"] = chain_diagram(traced.links, traced.scope)
        trace_cards.annotate(context["diagram"], traced.links, traced.on_date, vis)
        context["json_url"] = reverse("accountability:trace_json") + "?" + request.GET.urlencode()
        source = traced.accident or traced.hazard
        if source is not None and may(vis, "case", "read"):
            context["case"] = visible_cases(vis).filter(**{_source_field(source): source}).first()
            context["may_open_case"] = may(vis, "case", "write") and (
                traced.accident is not None or traced.hazard.is_overdue(_today())
            )
    # A search form: its errors (an unknown code, one outside scope) are shown on a 200 page; a parameter
    # the trace does not know is a 400, as on the API.
    return render_page(request, "accountability/trace.html", context, status=400 if form.unknown else 200)


def _source_field(source) -> str:
    return "accident" if isinstance(source, Accident) else "hazard"


@page("trace", "read")
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
        return JsonResponse(
            {"errors": form.errors.get_json_data()}, status=400, json_dumps_params={"ensure_ascii": False}
        )
    traced.links = trace_cards.links_for(vis, traced.links)
    return JsonResponse(as_codes(traced), json_dumps_params={"ensure_ascii": False})
