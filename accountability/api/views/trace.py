"""The trace over the API."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from responsibility.access import api_roles
from responsibility.api.permissions import HasActionRole
from responsibility.chain import EventScope, resolve_chain
from responsibility.models import Position, Region, Sector
from responsibility.permissions import Visibility, request_visibility

from ...events import accident_event, hazard_event, load_accident, load_hazard
from ..serializers.trace import TraceQuerySerializer, TraceSerializer
from .common import visible_accidents, visible_hazards


class TraceView(APIView):
    """The duty chain of an event on its day, both tracks in chain order — the JSON of
    `manage.py trace --json`. Either `accident` or `hazard`, or `enterprise` (with optional `unit`
    and `post`) or `region`, plus `sector`, `date` and optionally `grade`."""

    permission_classes = [IsAuthenticated, HasActionRole]
    # An enterprise traces its own events: its own links and the supervision track (DESIGN §1).
    action_roles = api_roles(get=("trace", "read"))

    @extend_schema(parameters=[TraceQuerySerializer], responses=TraceSerializer)
    def get(self, request):
        query = TraceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        visibility = request_visibility(request)
        scope, sector, day, grade, since, also = self._event(visibility, query.validated_data)
        links = resolve_chain(scope, sector, day, grade, since=since, also_sectors=also)
        body = {
            "enterprise": scope.enterprise.code if scope.enterprise else None,
            "region": scope.region.code,
            "sector": sector.code,
            "date": day.isoformat(),
            "grade": grade,
        }
        if since:
            body["since"] = since.isoformat()
        if also:
            body["also_sectors"] = [s.code for s in also]
        body["links"] = [link.as_codes() for link in visibility.visible_links(links)]
        return Response(body)

    def _event(self, visibility: Visibility, q: dict):
        if q.get("accident"):
            if not visible_accidents(visibility).filter(code=q["accident"]).exists():
                raise Http404
            traced = accident_event(load_accident(q["accident"]))
            return (
                traced.scope,
                traced.sector,
                traced.on_date,
                traced.grade,
                traced.since,
                traced.also_sectors,
            )
        if q.get("hazard"):
            if not visible_hazards(visibility).filter(code=q["hazard"]).exists():
                raise Http404
            traced = hazard_event(load_hazard(q["hazard"]))
            return traced.scope, traced.sector, traced.on_date, None, traced.since, traced.also_sectors
        errors = {name: "未给出 accident 或 hazard 时必填" for name in ("sector", "date") if not q.get(name)}
        if q.get("since") and q.get("date") and q["since"] > q["date"]:
            errors["since"] = "隐患形成日期不能晚于 date"
        also = list(Sector.objects.filter(code__in=q.get("also_sector") or []).order_by("code"))
        missing = set(q.get("also_sector") or []) - {s.code for s in also}
        if missing:
            errors["also_sector"] = f"没有编码为 {'、'.join(sorted(missing))} 的行业"
        if bool(q.get("enterprise")) == bool(q.get("region")):
            errors["enterprise"] = "须且只能给出 enterprise 或 region 之一"
        if errors:
            raise serializers.ValidationError(errors)
        sector = Sector.objects.filter(code=q["sector"]).first()
        if sector is None:
            raise serializers.ValidationError({"sector": f"没有编码为 {q['sector']} 的行业"})
        if q.get("enterprise"):
            enterprise = (
                visibility.enterprises().select_related("region").filter(code=q["enterprise"]).first()
            )
            if enterprise is None:
                raise Http404
            unit = post = None
            if q.get("unit"):
                unit = enterprise.enterprise_units.filter(code=q["unit"]).first()
                if unit is None:
                    raise serializers.ValidationError({"unit": f"{q['unit']} 不属于企业 {enterprise.code}"})
            if q.get("post"):
                post = Position.objects.filter(code=q["post"], unit__enterprise=enterprise).first()
                if post is None:
                    raise serializers.ValidationError(
                        {"post": f"{q['post']} 不是企业 {enterprise.code} 的岗位"}
                    )
            scope = EventScope(region=enterprise.region, enterprise=enterprise, unit=unit, post=post)
        else:
            if q.get("unit") or q.get("post"):
                raise serializers.ValidationError({"unit": "unit 和 post 须与 enterprise 一起给出"})
            region = Region.objects.filter(code=q["region"]).first()
            if region is None or not visibility.sees_place(region, sector):
                raise Http404
            scope = EventScope(region=region)
        return scope, sector, q["date"], q.get("grade"), q.get("since"), tuple(also)
