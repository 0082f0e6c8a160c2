"""The trace request — parse, validate within the caller's scope, resolve, serialise — once, for the
`trace` command, the API (`/api/v1/trace/`) and the trace page and its JSON (DESIGN §3, §4, §5).

- `TraceQuerySerializer` parses raw parameters (strings: the command's options, the API's query);
  the page parses with its own form (widgets) and builds the same `TraceRequest`.
- `TraceRequest.problems()` holds the rules between parameters; `resolve()` looks every code up
  within the caller's `Visibility` — a code that does not exist and one outside scope read the same,
  one message naming the field — and resolves the chain.
- `as_codes()` is the contract JSON (`manage.py trace --json`).
Errors are `TraceRefused({field: message})`; each caller says it its own way (CommandError, 400/404,
a form error). Field names are the API's (`also_sector`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from rest_framework import serializers

from responsibility.api.serializers import DayField
from responsibility.chain import EventScope, Link
from responsibility.models import Position, Region, Sector, Unit
from responsibility.permissions import Role, Visibility

from .api.serializers.common import code_input
from .events import EVENT_PREFETCH, TracedEvent, accident_event, hazard_event
from .grading import Grade
from .models import Accident, Hazard
from .pickers import NOT_FOUND, pick

# What a trace is of: exactly one of these.
SUBJECTS = ("accident", "hazard", "enterprise", "region")
# The command and maintenance code trace with no scope.
UNRESTRICTED = Visibility(role=Role.ADMIN, everything=True)


class TraceRefused(Exception):
    """Why a trace request cannot be answered, per field. `unknown_subject`: the accident, hazard,
    enterprise or region does not exist or lies outside the caller's scope (the API answers 404)."""

    def __init__(self, errors: dict[str, str], *, unknown_subject: bool = False):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors
        self.unknown_subject = unknown_subject


class TraceQuerySerializer(serializers.Serializer):
    """The raw parameters of a trace (the API's query, the command's options)."""

    accident = code_input(required=False, help_text="按事故追溯（其企业、车间、岗位、行业、日期、等级）")
    hazard = code_input(required=False, help_text="按隐患追溯（日期为整改期限）")
    enterprise = code_input(required=False)
    region = code_input(required=False, help_text="无企业的事件（如道路交通事故）")
    sector = code_input(required=False)
    date = DayField(required=False)
    grade = serializers.ChoiceField(choices=Grade.choices, required=False)
    unit = serializers.CharField(required=False, max_length=200, help_text="事发车间/班组（编码或名称）")
    post = serializers.CharField(required=False, max_length=200, help_text="事发岗位（编码或名称）")
    since = DayField(
        required=False,
        help_text="隐患形成日期：追溯 [since, date] 期间的历任责任人（与 enterprise/region 一起）",
    )
    also_sector = serializers.ListField(
        child=code_input(), required=False, help_text="同时涉及的行业（可重复，与 enterprise/region 一起）"
    )

    def validate(self, attrs):
        problems = TraceRequest.of(attrs).problems()
        if problems:
            raise serializers.ValidationError(problems)
        return attrs

    @property
    def trace_request(self) -> TraceRequest:
        return TraceRequest.of(self.validated_data)


def unknown_parameters(query, known: set[str]) -> dict[str, str]:
    """The query's parameters that are not the trace's, each with the message naming it."""
    return {
        name: f"未知参数“{name}”（可用：{'、'.join(sorted(known))}）" for name in query if name not in known
    }


@dataclass(frozen=True)
class TraceRequest:
    accident: str = ""
    hazard: str = ""
    enterprise: str = ""
    region: str = ""
    sector: str = ""
    date: dt.date | None = None
    grade: str | None = None
    unit: str = ""
    post: str = ""
    since: dt.date | None = None
    also_sectors: tuple[str, ...] = ()

    @classmethod
    def of(cls, data: Mapping) -> TraceRequest:
        """From parsed values, under the API's names (`also_sector`); blanks read as absent."""
        text = {name: (data.get(name) or "").strip() for name in (*SUBJECTS, "sector", "unit", "post")}
        return cls(
            **text,
            date=data.get("date"),
            grade=data.get("grade") or None,
            since=data.get("since"),
            also_sectors=tuple(data.get("also_sector") or ()),
        )

    @classmethod
    def parse(cls, raw: Mapping) -> TraceRequest:
        """Raw strings (the command's options) → a request, or TraceRefused naming the fields."""
        query = TraceQuerySerializer(data={k: v for k, v in raw.items() if v not in (None, "", [], ())})
        if not query.is_valid():
            raise TraceRefused({name: _first(errors) for name, errors in query.errors.items()})
        return query.trace_request

    @property
    def subject(self) -> str | None:
        return next((name for name in SUBJECTS if getattr(self, name)), None)

    def problems(self) -> dict[str, str]:
        """The rules between the parameters, field by field (no database)."""
        given = [name for name in SUBJECTS if getattr(self, name)]
        if len(given) != 1:
            return {(given or ["enterprise"])[0]: "须且只能给出事故、隐患、企业或区划之一"}
        errors = {}
        if self.accident or self.hazard:
            # An accident or hazard carries its own place, period and sectors.
            if self.unit or self.post:
                errors["unit"] = "车间/班组和岗位只在按企业追溯时使用"
            if self.since:
                errors["since"] = "隐患形成日期只在按企业或区划追溯时使用"
            if self.also_sectors:
                errors["also_sector"] = "同时涉及的行业只在按企业或区划追溯时使用"
            return errors
        by = "企业" if self.enterprise else "区划"
        for name, label in (("sector", "行业领域"), ("date", "日期")):
            if not getattr(self, name):
                errors[name] = f"按{by}追溯须选择{label}"
        if self.since and self.date and self.since > self.date:
            errors["since"] = "隐患形成日期不能晚于日期"
        if self.region and (self.unit or self.post):
            errors["unit"] = "车间/班组和岗位只在按企业追溯时使用"
        return errors


@dataclass
class Traced:
    """A resolved trace: the event, its scope and the links the caller may see."""

    title: str
    scope: EventScope
    sector: Sector
    on_date: dt.date
    grade: str | None
    since: dt.date | None = None  # DESIGN §5.1
    also_sectors: tuple[Sector, ...] = ()  # §5.2
    links: list[Link] = field(default_factory=list)
    accident: Accident | None = None
    hazard: Hazard | None = None


def resolve(request: TraceRequest, vis: Visibility = UNRESTRICTED) -> Traced:
    """Look the request's codes up within `vis` and resolve the chain; TraceRefused when it cannot."""
    problems = request.problems()
    if problems:
        raise TraceRefused(problems)
    accident = hazard = None
    if request.accident:
        accident = _in_scope(
            vis.filter_events(
                Accident.objects.select_related(
                    "region", "enterprise__region", "sector", "unit", "post"
                ).prefetch_related(*EVENT_PREFETCH)
            ),
            "accident",
            request.accident,
        )
        event, title = accident_event(accident), accident.title or accident.code
    elif request.hazard:
        hazard = _in_scope(
            vis.filter_events(
                Hazard.objects.select_related("enterprise__region", "sector", "unit").prefetch_related(
                    *EVENT_PREFETCH
                ),
                region_field="enterprise__region",
            ),
            "hazard",
            request.hazard,
        )
        event, title = hazard_event(hazard), hazard.title or hazard.code
    else:
        event, title = _described_event(request, vis)
    return Traced(
        title=title,
        scope=event.scope,
        sector=event.sector,
        on_date=event.on_date,
        grade=event.grade,
        since=event.since,
        also_sectors=event.also_sectors,
        links=vis.visible_links(event.links()),
        accident=accident,
        hazard=hazard,
    )


def _described_event(request: TraceRequest, vis: Visibility) -> tuple[TracedEvent, str]:
    """An event given by its place (enterprise or region), sector, day and grade."""
    sector = Sector.objects.filter(code=request.sector).first()
    if sector is None:
        raise TraceRefused({"sector": NOT_FOUND.format(value=request.sector)})
    also = tuple(Sector.objects.filter(code__in=request.also_sectors).order_by("code"))
    missing = sorted(set(request.also_sectors) - {s.code for s in also})
    if missing:
        raise TraceRefused({"also_sector": NOT_FOUND.format(value="、".join(missing))})
    if request.enterprise:
        enterprise = _in_scope(vis.enterprises().select_related("region"), "enterprise", request.enterprise)
        # The site and post: a code or an exact name, inside this enterprise.
        unit = _picked("unit", "units", Unit.objects.filter(enterprise=enterprise), request.unit)
        post = _picked(
            "post", "positions", Position.objects.filter(unit__enterprise=enterprise), request.post
        )
        scope = EventScope(region=enterprise.region, enterprise=enterprise, unit=unit, post=post)
        title = enterprise.name
    else:
        region = Region.objects.filter(code=request.region).first()
        if region is None or not vis.sees_place(region, sector):
            raise TraceRefused({"region": NOT_FOUND.format(value=request.region)}, unknown_subject=True)
        scope, title = EventScope(region=region), region.name
    event = TracedEvent(scope, sector, request.date, request.grade, since=request.since, also_sectors=also)
    return event, title


def _in_scope(qs, name: str, code: str):
    """DESIGN §1: a code that does not exist and one outside scope get one and the same answer."""
    # codes are unique: no ORDER BY (first() would sort a wide select_related by pk)
    found = next(iter(qs.filter(code=code).order_by()[:1]), None)
    if found is None:
        raise TraceRefused({name: NOT_FOUND.format(value=code)}, unknown_subject=True)
    return found


def _picked(name: str, kind: str, qs, value: str):
    if not value:
        return None
    try:
        found = pick(qs, kind, value)
    except ValidationError as exc:
        raise TraceRefused({name: exc.messages[0]}) from None
    if found is None:
        raise TraceRefused({name: NOT_FOUND.format(value=value)})
    return found


def as_codes(traced: Traced) -> dict:
    """The `manage.py trace --json` shape (DESIGN §4, with §5's since and also_sectors when given)."""
    codes = {
        "enterprise": traced.scope.enterprise.code if traced.scope.enterprise else None,
        "region": traced.scope.region.code,
        "sector": traced.sector.code,
        "date": traced.on_date.isoformat(),
        "grade": traced.grade,
    }
    if traced.since:
        codes["since"] = traced.since.isoformat()
    if traced.also_sectors:
        codes["also_sectors"] = [s.code for s in traced.also_sectors]
    codes["links"] = [link.as_codes() for link in traced.links]
    return codes


def _first(errors) -> str:
    """The first message of a DRF error list (a list field's errors are keyed by index)."""
    if isinstance(errors, dict):
        return _first(next(iter(errors.values())))
    return str(errors[0])
