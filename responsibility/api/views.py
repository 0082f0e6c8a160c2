"""The duty matrix over the API: who I am, my duty list, coverage, and the scoped reference lists.

Thin views: scope comes from `request_visibility` (one computation per request, applied as a
subquery); reads go through the models and `resolve_chain` / `coverage_report`.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from responsibility.access import api_roles
from responsibility.chain import ChainRequest, EventScope, resolve_chains
from responsibility.coverage import coverage_report
from responsibility.filters import (
    DutyFilter,
    PersonFilter,
    PositionFilter,
    RegionFilter,
    SectorFilter,
    UnitFilter,
)
from responsibility.models import Duty, DutyType, Person, Position, Region, Sector, Tenure, Track, Unit
from responsibility.permissions import request_visibility
from responsibility.selectors import attach_sector_codes

from .permissions import HasActionRole
from .schema import CODE_LOOKUP_REGEX, code_path_parameter
from .serializers import (
    CoverageQuerySerializer,
    CoverageSerializer,
    DutySerializer,
    MeSerializer,
    MyDutiesQuerySerializer,
    MyDutiesSerializer,
    PersonSerializer,
    PositionSerializer,
    RegionSerializer,
    SectorSerializer,
    UnitSerializer,
    named_link,
)

READ = api_roles(list=("reference", "read"), retrieve=("reference", "read"))


def _named(rows) -> list[dict]:
    return [{"code": row.code, "name": row.name} for row in rows]


class MeView(APIView):
    """Who I am: my role, my person record, and what defines my scope."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = api_roles(get=("me", "read"))

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        visibility = request_visibility(request)
        person = Person.objects.filter(user=request.user).first()
        data = {
            "username": request.user.get_username(),
            "role": visibility.role,
            "person": {"code": person.code, "name": person.name} if person else None,
            "enterprises": _named(Unit.objects.filter(pk__in=visibility.enterprise_ids).order_by("code")),
            "units": _named(Unit.objects.filter(pk__in=visibility.unit_ids).order_by("code")),
            "regions": _named(Region.objects.filter(pk__in=visibility.region_ids).order_by("path")),
        }
        return Response(MeSerializer(data).data)


def _own_duty(duty: Duty) -> dict:
    return {
        "code": duty.code,
        "type": duty.type,
        "type_label": DutyType(duty.type).label,
        "sectors": sorted(s.code for s in duty.sectors.all()),
        "start": duty.start,
        "end": duty.end,
        "basis": duty.basis,
    }


class MyDutiesView(APIView):
    """全员安全生产责任清单: every post of my enterprise with today's holder and duties, and by sector
    the regulators, territory and leaders answerable for my enterprise today (`resolve_chain`)."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = api_roles(get=("own_duties", "read"))

    @extend_schema(parameters=[MyDutiesQuerySerializer], responses=MyDutiesSerializer)
    def get(self, request):
        query = MyDutiesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        enterprises = request_visibility(request).enterprises().select_related("region").order_by("code")
        code = query.validated_data.get("enterprise")
        enterprise = (enterprises.filter(code=code) if code else enterprises).first()
        if enterprise is None:
            raise Http404
        day = query.validated_data.get("date") or timezone.localdate()
        data = {
            "enterprise": {"code": enterprise.code, "name": enterprise.name},
            "date": day,
            "positions": _posts_of(enterprise, day),
            "unit_duties": _unit_duties_of(enterprise, day),
            "answerable": _answerable_for(enterprise, day),
        }
        return Response(MyDutiesSerializer(data).data)


def _current_duties(day):
    return Duty.objects.on(day).prefetch_related("sectors").order_by("code")


def _posts_of(enterprise: Unit, day) -> list[dict]:
    """Every post inside the enterprise, with the person holding it on `day` (or vacant) and its duties."""
    positions = (
        Position.objects.filter(unit__enterprise=enterprise)
        .select_related("unit")
        .prefetch_related(
            Prefetch(
                "tenures", queryset=Tenure.objects.on(day).select_related("person"), to_attr="current_tenures"
            ),
            Prefetch("duties", queryset=_current_duties(day), to_attr="current_duties"),
        )
        .order_by("unit__path", "code")
    )
    posts = []
    for position in positions:
        tenure = next(iter(position.current_tenures), None)
        holder = (
            {"code": tenure.person.code, "name": tenure.person.name, "since": tenure.start}
            if tenure
            else None
        )
        posts.append(
            {
                "code": position.code,
                "title": position.title,
                "unit": position.unit.code,
                "unit_name": position.unit.name,
                "holder": holder,
                "vacant": tenure is None,
                "duties": [_own_duty(d) for d in position.current_duties],
            }
        )
    return posts


def _unit_duties_of(enterprise: Unit, day) -> list[dict]:
    """Duties held by the enterprise's units as institutions (安全管理机构…), grouped by unit."""
    by_unit: dict[str, dict] = {}
    for duty in _current_duties(day).filter(holder_unit__enterprise=enterprise).select_related("holder_unit"):
        unit = duty.holder_unit
        by_unit.setdefault(unit.code, {"unit": unit.code, "unit_name": unit.name, "duties": []})
        by_unit[unit.code]["duties"].append(_own_duty(duty))
    return list(by_unit.values())


def _answerable_for(enterprise: Unit, day) -> list[dict]:
    """By sector of the enterprise: the supervision links `resolve_chain` gives on `day`."""
    sectors = list(enterprise.sectors.order_by("code"))
    scope = EventScope(region=enterprise.region, enterprise=enterprise)
    chains = resolve_chains([ChainRequest(scope, sector, day) for sector in sectors])
    return [
        {
            "sector": sector.code,
            "sector_name": sector.name,
            "links": [named_link(link) for link in links if link.track == Track.SUPERVISION],
        }
        for sector, links in zip(sectors, chains, strict=True)
    ]


class CoverageView(APIView):
    """责任真空与多头管理 on a date: required duty types with no holder or only vacant ones, and
    regions where two or more units hold `competent` for one sector — limited to the caller's scope."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = api_roles(get=("coverage", "read"))

    @extend_schema(parameters=[CoverageQuerySerializer], responses=CoverageSerializer)
    def get(self, request):
        query = CoverageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("date") or timezone.localdate()
        report = coverage_report(day)
        visibility = request_visibility(request)
        gaps, overlaps = report.gaps, report.overlaps
        if not visibility.everything:
            visible = {
                e.code: (e.region.ancestor_codes(), {s.code for s in e.sectors.all()})
                for e in visibility.enterprises().select_related("region").prefetch_related("sectors")
            }
            gaps = [g for g in gaps if g.enterprise.code in visible]
            overlaps = [
                o
                for o in overlaps
                if any(
                    o.region_code in region_codes and o.sector.code in sector_codes
                    for region_codes, sector_codes in visible.values()
                )
            ]
        data = {
            "date": day.isoformat(),
            "gaps": [g.as_codes() for g in gaps],
            "overlaps": [o.as_codes() for o in overlaps],
        }
        return Response(CoverageSerializer(data).data)


# ---- reference lists ------------------------------------------------------------------------------------


def _code_lookup(model_name: str):
    return extend_schema_view(
        retrieve=extend_schema(parameters=[code_path_parameter("code", f"{model_name}编码")])
    )


@_code_lookup("区划")
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """行政区划: the regions of my scope and the way up to them."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = READ
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    lookup_field = "code"
    lookup_value_regex = CODE_LOOKUP_REGEX

    def get_queryset(self):
        return request_visibility(self.request).regions().select_related("parent").order_by("path")


@_code_lookup("行业")
class SectorViewSet(viewsets.ReadOnlyModelViewSet):
    """行业领域: the sector tree (public reference data, the same for everyone)."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = READ
    serializer_class = SectorSerializer
    filterset_class = SectorFilter
    lookup_field = "code"
    lookup_value_regex = CODE_LOOKUP_REGEX
    queryset = Sector.objects.select_related("parent").order_by("path")


@_code_lookup("单位")
class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """单位: an enterprise user's own enterprise and its departments; regulators and inspectors what lies in scope."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = READ
    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    lookup_field = "code"
    lookup_value_regex = CODE_LOOKUP_REGEX

    def get_queryset(self):
        return (
            request_visibility(self.request)
            .units()
            .select_related("region", "parent", "enterprise")
            .prefetch_related(Prefetch("sectors", queryset=Sector.objects.order_by("code")))
            .order_by("path")
        )


@_code_lookup("岗位")
class PositionViewSet(viewsets.ReadOnlyModelViewSet):
    """岗位/职务 in visible units, each with today's holder (null = vacant)."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = READ
    serializer_class = PositionSerializer
    filterset_class = PositionFilter
    lookup_field = "code"
    lookup_value_regex = CODE_LOOKUP_REGEX

    def get_queryset(self):
        today = timezone.localdate()
        return (
            request_visibility(self.request)
            .positions()
            .select_related("unit")
            .prefetch_related(
                Prefetch(
                    "tenures",
                    queryset=Tenure.objects.on(today).select_related("person"),
                    to_attr="current_tenures",
                )
            )
            .order_by("code")
        )


@_code_lookup("人员")
class PersonViewSet(viewsets.ReadOnlyModelViewSet):
    """人员 who hold or held a post in a visible unit."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = READ
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    lookup_field = "code"
    lookup_value_regex = CODE_LOOKUP_REGEX

    def get_queryset(self):
        return request_visibility(self.request).people().order_by("code")


DUTY_LIST_FIELDS = (
    "code",
    "type",
    "start",
    "end",
    "basis",
    "holder_position__code",
    "holder_position__unit__code",
    "holder_unit__code",
    "region__code",
    "enterprise__code",
)


@_code_lookup("责任")
class DutyViewSet(viewsets.ReadOnlyModelViewSet):
    """责任清单: the duties held by visible units and their posts (enterprise users: their own enterprise's)."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = READ
    serializer_class = DutySerializer
    filterset_class = DutyFilter
    lookup_field = "code"
    lookup_value_regex = CODE_LOOKUP_REGEX

    def get_queryset(self):
        return (
            request_visibility(self.request)
            .duties()
            .select_related("holder_position__unit", "holder_unit", "region", "enterprise")
            # only what DutySerializer shows: Django hashes every selected column to order a page
            .only(*DUTY_LIST_FIELDS)
            .order_by("code")
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return attach_sector_codes(page) if page is not None else None

    def get_object(self):
        return attach_sector_codes([super().get_object()])[0]
