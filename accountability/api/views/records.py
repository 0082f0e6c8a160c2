"""Accountability records and 终身追责 per person over the API."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from responsibility.access import api_roles
from responsibility.api.permissions import HasActionRole
from responsibility.api.schema import code_path_parameter
from responsibility.models import Person
from responsibility.permissions import request_visibility

from ... import cases as case_services
from ...filters import RecordFilter
from ...models import (
    AccountabilityRecord,
    Decision,
    Measure,
)
from ...selectors import person_accountability
from ..serializers.records import (
    AmendSerializer,
    DecisionSerializer,
    FindingSerializer,
    PersonAccountabilitySerializer,
    RecordSerializer,
)
from .common import _parse, visible_cases


def _records():
    return AccountabilityRecord.objects.select_related("case").prefetch_related(
        Prefetch(
            "decisions",
            queryset=Decision.objects.select_related("decided_by")
            .prefetch_related(Prefetch("measures", queryset=Measure.objects.order_by("id")))
            .order_by("decided_at", "id"),
        )
    )


@extend_schema_view(retrieve=extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)]))
class RecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """责任认定记录 of visible cases: each with its current decision and full decision history."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = api_roles(
        list=("case", "read"), retrieve=("case", "read"), finding=("case", "write"), amend=("case", "write")
    )
    serializer_class = RecordSerializer
    filterset_class = RecordFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        cases = visible_cases(request_visibility(self.request)).values("pk")
        return _records().filter(case__in=cases).order_by("case__opened_at", "case_id", "order", "id")

    @extend_schema(
        request=FindingSerializer,
        responses={201: DecisionSerializer},
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"])
    def finding(self, request, pk=None):
        """The first finding on a record, with measures when responsible (a decided record is amended, not edited)."""
        record = self.get_object()
        data = _parse(FindingSerializer, self)
        with transaction.atomic():
            decision = case_services.record_finding(
                record=record,
                finding=data["finding"],
                category=data.get("category", ""),
                grounds=data.get("grounds", ""),
                no_measure_reason=data.get("no_measure_reason", ""),
                measures=[dict(m) for m in data.get("measures", [])],
                # As on the page and in the admin: 负有责任 needs a measure or a written 免予处理 reason.
                require_measure=True,
                by=request.user,
            )
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AmendSerializer,
        responses={201: DecisionSerializer},
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        """A correction: a new decision linked to the one it replaces, with the reason; both stay in the history."""
        record = self.get_object()
        data = _parse(AmendSerializer, self)
        with transaction.atomic():
            decision = case_services.amend_finding(
                record=record,
                finding=data["finding"],
                category=data.get("category", ""),
                reason=data["reason"],
                grounds=data.get("grounds", ""),
                no_measure_reason=data.get("no_measure_reason", ""),
                measures=[dict(m) for m in data.get("measures", [])],
                # As on the page and in the admin: 负有责任 needs a measure or a written 免予处理 reason.
                require_measure=True,
                by=request.user,
            )
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


class PersonAccountabilityView(APIView):
    """终身追责: every record of a person across cases and posts, with each measure's weighing period."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = api_roles(get=("case", "read"))

    @extend_schema(
        parameters=[code_path_parameter("code", "人员编码")], responses=PersonAccountabilitySerializer
    )
    def get(self, request, code):
        visibility = request_visibility(request)
        cases = visible_cases(visibility)
        people = Person.objects.filter(code=code)
        if not visibility.everything:
            people = people.filter(
                Q(pk__in=visibility.people().values("pk"))
                | Q(
                    pk__in=AccountabilityRecord.objects.filter(case__in=cases.values("pk")).values(
                        "person_id"
                    )
                )
            )
        person = people.first()
        if person is None:
            raise Http404
        rows = person_accountability(person)
        if not visibility.everything:
            allowed = set(cases.filter(records__person=person).values_list("pk", flat=True))
            rows = [row for row in rows if row["case"].pk in allowed]
        records = []
        for row in rows:
            record, current = row["record"], row["current"]
            records.append(
                {
                    "case": row["case"].code,
                    "case_title": row["case"].title,
                    "event_day": row["case"].event_day,
                    "record": record.pk,
                    "track": record.track,
                    "types": list(record.types),
                    "unit": record.unit_code,
                    "position": record.position_code,
                    "snapshot": record.snapshot,
                    "current_decision": current,
                    "decision_history": row["history"],
                    "measures": [
                        {
                            "kind": w.measure.kind,
                            "label": str(w.measure),
                            "detail": w.measure.detail,
                            "until": w.until,
                            "still_weighs": w.still_weighs,
                        }
                        for w in row["measures"]
                    ],
                }
            )
        data = {"person": {"code": person.code, "name": person.name}, "records": records}
        return Response(PersonAccountabilitySerializer(data).data)
