"""一案双查 cases over the API: open, cause, conclusions, periods, hand-overs, actions, close."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from responsibility.access import api_roles
from responsibility.api.permissions import HasActionRole
from responsibility.api.schema import CODE_LOOKUP_REGEX
from responsibility.permissions import request_visibility

from ... import cases as case_services
from ...filters import CaseFilter
from ...models import (
    Case,
)
from ...selectors import case_export, case_records
from ..serializers.cases import (
    AddSubjectSerializer,
    CaseDetailSerializer,
    CaseSerializer,
    CauseSerializer,
    ClosingRefusedSerializer,
    CompleteActionSerializer,
    ConclusionsSerializer,
    CorrectiveActionCreateSerializer,
    CorrectiveActionSerializer,
    EducationCreateSerializer,
    EducationSerializer,
    InvestigatorCreateSerializer,
    OpenCaseSerializer,
    ReopenSerializer,
    UnitProblemCreateSerializer,
)
from ..serializers.records import RecordSerializer
from .case_conclusions import CaseConclusionActions
from .common import (
    CODE_LOOKUP,
    _case_action,
    _parse,
    _parse_entry,
    visible_accidents,
    visible_cases,
    visible_findings,
    visible_hazards,
)
from .records import _records


@extend_schema_view(retrieve=extend_schema(parameters=CODE_LOOKUP))
class CaseViewSet(
    CaseConclusionActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """一案双查 cases: records by track with findings, measures and amendments; closing through 四不放过."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = api_roles(
        list=("case", "read"),
        retrieve=("case", "read"),
        open=("case", "write"),
        subjects=("case", "write"),
        cause=("case", "write"),
        corrective_actions=("case", "write"),
        complete_corrective_action=("case", "write"),
        education=("case", "write"),
        close=("case", "write"),
        reopen=("case", "write"),
        conclusions=("case", "write"),
        unit_problems=("case", "write"),
        investigators=("case", "write"),
        appraisal_periods=("case", "write"),
        end_appraisal_period=("case", "write"),
        investigation_period=("case", "write"),
        handovers=("case", "write"),
        handover_decision=("case", "write"),
        withdraw_entry=("case", "write"),
        export=("case", "read"),
    )
    filterset_class = CaseFilter
    lookup_field = "code"
    lookup_value_regex = CODE_LOOKUP_REGEX

    def get_queryset(self):
        return (
            visible_cases(request_visibility(self.request))
            .select_related("accident", "hazard")
            .order_by("-opened_at", "code")
        )

    def get_serializer_class(self):
        return CaseSerializer if self.action == "list" else CaseDetailSerializer

    def _detail(self, case, status_code=status.HTTP_200_OK):
        case = (
            Case.objects.select_related("accident", "hazard")
            .prefetch_related("corrective_actions__verified_by", "education__recorded_by")
            .get(pk=case.pk)
        )
        context = {
            **self.get_serializer_context(),
            "records": case_records(case),
            "blockers": case_services.closing_blockers(case),
        }
        return Response(CaseDetailSerializer(case, context=context).data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(
        request=OpenCaseSerializer, responses={200: CaseDetailSerializer, 201: CaseDetailSerializer}
    )
    @action(detail=False, methods=["post"])
    def open(self, request):
        """Open the case of an accident, an overdue hazard or an overdue government finding; idempotent (200 with the case already open, 201 when created)."""
        data = _parse(OpenCaseSerializer, self)
        visibility = request_visibility(request)
        if data.get("accident"):
            source = {"accident": get_object_or_404(visible_accidents(visibility), code=data["accident"])}
        elif data.get("hazard"):
            source = {"hazard": get_object_or_404(visible_hazards(visibility), code=data["hazard"])}
        else:
            source = {"finding": get_object_or_404(visible_findings(visibility), code=data["finding"])}
        opened = case_services.open_case(**source, by=request.user)
        return self._detail(opened.case, status.HTTP_201_CREATED if opened.created else status.HTTP_200_OK)

    @_case_action(AddSubjectSerializer, {201: RecordSerializer})
    @action(detail=True, methods=["post"])
    def subjects(self, request, code=None):
        """Add a subject the chain did not name (always with the reason); nothing is ever removed."""
        case = self.get_object()
        data, correction = _parse_entry(AddSubjectSerializer, self)
        record = case_services.write_entry(
            case=case,
            kind="subject",
            write=lambda: case_services.add_subject(
                case=case,
                track=data["track"],
                reason=data["reason"],
                types=data["types"],
                unit=data.get("unit"),
                position=data.get("position"),
                person=data.get("person"),
                entity=data.get("entity", False),
                by=request.user,
            ),
            **correction,
            by=request.user,
        )
        return Response(RecordSerializer(_records().get(pk=record.pk)).data, status=status.HTTP_201_CREATED)

    @_case_action(ConclusionsSerializer, CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def conclusions(self, request, code=None):
        """事故性质, 直接原因, 间接原因, 经过和救援, 主要教训: each given field replaces the stored one."""
        case = self.get_object()
        data = _parse(ConclusionsSerializer, self)
        with transaction.atomic():
            case_services.record_conclusions(case=case, **data, by=request.user)
        return self._detail(case)

    @_case_action(UnitProblemCreateSerializer, CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="unit-problems")
    def unit_problems(self, request, code=None):
        """有关责任单位存在的主要问题 (one text per unit; a second post replaces it)."""
        case = self.get_object()
        data = _parse(UnitProblemCreateSerializer, self)
        with transaction.atomic():
            case_services.set_unit_problems(case=case, unit=data["unit"], problems=data["problems"])
        return self._detail(case)

    @_case_action(InvestigatorCreateSerializer, CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def investigators(self, request, code=None):
        """调查组: add a unit or change its role (牵头, 成员, 邀请检察机关, 专家组)."""
        case = self.get_object()
        data = _parse(InvestigatorCreateSerializer, self)
        with transaction.atomic():
            case_services.set_investigator(
                case=case,
                unit=data.get("unit"),
                name=data.get("name", ""),
                role=data["role"],
                duty=data.get("duty", ""),
                by=request.user,
            )
        return self._detail(case)

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, parameters=CODE_LOOKUP)
    @action(detail=True, methods=["get"])
    def export(self, request, code=None):
        """The case as `export_case --json` prints it: records with finding, category, measures by channel, authority and hand-overs."""
        return Response(case_export(self.get_object()))

    @_case_action(CauseSerializer, CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def cause(self, request, code=None):
        """四不放过 (1): record the cause."""
        case = self.get_object()
        data = _parse(CauseSerializer, self)
        with transaction.atomic():
            case_services.record_cause(
                case=case, cause=data["cause"], correction_reason=data["correction_reason"], by=request.user
            )
        return self._detail(case)

    @_case_action(CorrectiveActionCreateSerializer, {201: CorrectiveActionSerializer})
    @action(detail=True, methods=["post"], url_path="corrective-actions")
    def corrective_actions(self, request, code=None):
        """四不放过 (3): add a corrective action the case requires."""
        case = self.get_object()
        data, correction = _parse_entry(CorrectiveActionCreateSerializer, self)
        corrective = case_services.write_entry(
            case=case,
            kind="action",
            write=lambda: case_services.add_corrective_action(
                case=case,
                description=data["description"],
                responsible=data.get("responsible", ""),
                due_on=data.get("due_on"),
            ),
            **correction,
            by=request.user,
        )
        return Response(CorrectiveActionSerializer(corrective).data, status=status.HTTP_201_CREATED)

    @_case_action(
        CompleteActionSerializer,
        CorrectiveActionSerializer,
        parameters=[*CODE_LOOKUP, OpenApiParameter("action_id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"corrective-actions/(?P<action_id>[0-9]+)/complete")
    def complete_corrective_action(self, request, code=None, action_id=None):
        """Confirm a corrective action done."""
        case = self.get_object()
        corrective = case.corrective_actions.filter(pk=int(action_id)).select_related("case").first()
        if corrective is None:
            raise Http404
        data = _parse(CompleteActionSerializer, self)
        with transaction.atomic():
            corrective = case_services.complete_corrective_action(
                action=corrective, done_on=data.get("done_on") or timezone.localdate(), by=request.user
            )
        return Response(CorrectiveActionSerializer(corrective).data)

    @_case_action(EducationCreateSerializer, {201: EducationSerializer})
    @action(detail=True, methods=["post"])
    def education(self, request, code=None):
        """四不放过 (4): record the warning education."""
        case = self.get_object()
        data, correction = _parse_entry(EducationCreateSerializer, self)
        activity = case_services.write_entry(
            case=case,
            kind="education",
            write=lambda: case_services.record_education(
                case=case,
                held_on=data["held_on"],
                description=data["description"],
                participants=data["participants"],
                by=request.user,
            ),
            **correction,
            by=request.user,
        )
        return Response(EducationSerializer(activity).data, status=status.HTTP_201_CREATED)

    @_case_action(None, {200: CaseDetailSerializer, 409: ClosingRefusedSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, code=None):
        """Close through 四不放过; refused with 409 and the blockers by code when any of the four is missing."""
        case = self.get_object()
        try:
            case_services.close_case(case=case, by=request.user)
        except case_services.CaseNotClosable as refused:
            return Response(
                {
                    "detail": "四不放过：尚不能结案",
                    "blockers": [{"code": code, "message": message} for code, message in refused.blockers],
                },
                status=status.HTTP_409_CONFLICT,
            )
        return self._detail(case)

    @_case_action(ReopenSerializer, CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, code=None):
        """Reopen a closed case to correct its record, with the reason; it closes again under 四不放过."""
        case = self.get_object()
        data = _parse(ReopenSerializer, self)
        case_services.reopen_case(case=case, reason=data["reason"], by=request.user)
        return self._detail(case)
