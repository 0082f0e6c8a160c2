"""Accidents over the API: list, report, casualty revisions (补报)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from responsibility.access import api_roles
from responsibility.api.permissions import HasActionRole
from responsibility.api.schema import CODE_LOOKUP_REGEX
from responsibility.permissions import request_visibility

from ... import accidents as accident_services
from ...filters import AccidentFilter
from ...models import (
    Accident,
    CasualtyRevision,
    EventActor,
    EventParty,
)
from ..serializers.accidents import (
    AccidentCreateSerializer,
    AccidentDetailSerializer,
    AccidentSerializer,
    CasualtiesResultSerializer,
    CasualtiesSerializer,
    RevisionSerializer,
)
from .common import CODE_LOOKUP, _new_code, _parse, visible_accidents


@extend_schema_view(
    retrieve=extend_schema(parameters=CODE_LOOKUP),
    create=extend_schema(request=AccidentCreateSerializer, responses={201: AccidentDetailSerializer}),
)
class AccidentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """事故: grade computed from casualties and loss; 补报 re-grades and widens an open case."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = api_roles(
        list=("accident", "read"),
        retrieve=("accident", "read"),
        create=("accident", "report"),
        casualties=("accident", "revise"),
    )
    filterset_class = AccidentFilter
    lookup_field = "code"
    lookup_value_regex = CODE_LOOKUP_REGEX

    def get_queryset(self):
        qs = (
            visible_accidents(request_visibility(self.request))
            .select_related("enterprise", "region", "sector", "unit", "post")
            .prefetch_related(
                Prefetch("parties", queryset=EventParty.objects.select_related("enterprise", "unit", "post")),
                Prefetch("actors", queryset=EventActor.objects.select_related("person")),
                "also_sectors",
            )
            .order_by("-occurred_at", "code")
        )
        if self.action != "list":
            qs = qs.prefetch_related(
                Prefetch("revisions", queryset=CasualtyRevision.objects.select_related("by"))
            )
        return qs

    def get_serializer_class(self):
        return AccidentSerializer if self.action == "list" else AccidentDetailSerializer

    def create(self, request, *args, **kwargs):
        """Record an accident in scope: at a visible enterprise, or (no enterprise) in a region and sector of a grant."""
        data = _parse(AccidentCreateSerializer, self)
        fields = {
            name: data[name]
            for name in (
                "title",
                "enterprise",
                "region",
                "sector",
                "unit",
                "post",
                "occurred_at",
                "reported_at",
                "deaths",
                "serious_injuries",
                "direct_loss_yuan",
                "investigation_level",
            )
            if name in data
        }
        accident = accident_services.record_accident(
            code=data.get("code") or _new_code("AC", Accident),
            parties=[
                (p["enterprise"], p["role"], p.get("unit"), p.get("post")) for p in data.get("parties", [])
            ],
            actors=[(a["person"], a["role"]) for a in data.get("actors", [])],
            by=request.user,
            **fields,
        )
        fresh = self.get_queryset().get(pk=accident.pk)
        return Response(
            AccidentDetailSerializer(fresh, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=CasualtiesSerializer, responses=CasualtiesResultSerializer, parameters=CODE_LOOKUP)
    @action(detail=True, methods=["post"])
    def casualties(self, request, code=None):
        """补报 (493号令 Art 13): new totals within the window; the grade follows and an open case widens."""
        accident = self.get_object()
        data = _parse(CasualtiesSerializer, self)
        with transaction.atomic():
            revision = accident_services.report_casualties(
                accident=accident,
                deaths=data["deaths"],
                serious_injuries=data["serious_injuries"],
                direct_loss_yuan=data["direct_loss_yuan"],
                at=data.get("at"),
                note=data.get("note", ""),
                by=request.user,
            )
        fresh = self.get_queryset().get(pk=accident.pk)
        return Response(
            {
                "revision": RevisionSerializer(revision).data,
                "accident": AccidentDetailSerializer(fresh, context=self.get_serializer_context()).data,
            }
        )
