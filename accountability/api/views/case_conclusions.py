"""The case's timeline and hand-overs over the API (a part of CaseViewSet): appraisal periods, the State
Council's period, 问题线索移交 and the decisions that come back, and withdrawing any workbench entry."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from ... import cases as case_services
from ..serializers.cases import (
    AppraisalCreateSerializer,
    AppraisalEndSerializer,
    AppraisalPeriodSerializer,
    CaseDetailSerializer,
    HandOverCreateSerializer,
    HandOverDecisionSerializer,
    HandOverSerializer,
    PeriodSerializer,
    WithdrawnSerializer,
    WithdrawSerializer,
)
from ..serializers.records import MeasureSerializer
from .common import CODE_LOOKUP, _case_action, _parse, _parse_entry


class CaseConclusionActions:
    """CaseViewSet's actions on the timeline, hand-overs and withdrawals (their roles are in its table)."""

    @_case_action(AppraisalCreateSerializer, {201: AppraisalPeriodSerializer})
    @action(detail=True, methods=["post"], url_path="appraisal-periods")
    def appraisal_periods(self, request, code=None):
        """Art 27: a technical-appraisal period; its days move the investigation due date."""
        case = self.get_object()
        data, correction = _parse_entry(AppraisalCreateSerializer, self)
        period = case_services.write_entry(
            case=case,
            kind="appraisal",
            write=lambda: case_services.add_appraisal_period(case=case, **data, by=request.user),
            **correction,
            by=request.user,
        )
        return Response(AppraisalPeriodSerializer(period).data, status=status.HTTP_201_CREATED)

    @_case_action(
        AppraisalEndSerializer,
        AppraisalPeriodSerializer,
        parameters=[*CODE_LOOKUP, OpenApiParameter("period_id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"appraisal-periods/(?P<period_id>[0-9]+)/end")
    def end_appraisal_period(self, request, code=None, period_id=None):
        case = self.get_object()
        period = case.appraisal_periods.filter(pk=int(period_id)).first()
        if period is None:
            raise Http404
        data = _parse(AppraisalEndSerializer, self)
        with transaction.atomic():
            period = case_services.end_appraisal_period(period=period, end=data["end"], by=request.user)
        return Response(AppraisalPeriodSerializer(period).data)

    @_case_action(PeriodSerializer, CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="investigation-period")
    def investigation_period(self, request, code=None):
        """特别重大: the period the State Council sets."""
        case = self.get_object()
        data = _parse(PeriodSerializer, self)
        with transaction.atomic():
            case_services.set_investigation_period(case=case, days=data["days"], by=request.user)
        return self._detail(case)

    @_case_action(HandOverCreateSerializer, {201: HandOverSerializer})
    @action(detail=True, methods=["post"])
    def handovers(self, request, code=None):
        """问题线索移交: responsible records to the body with authority; decisions come back."""
        case = self.get_object()
        data, correction = _parse_entry(HandOverCreateSerializer, self)
        records = list(case.records.filter(pk__in=data.pop("records")))
        handover = case_services.write_entry(
            case=case,
            kind="handover",
            write=lambda: case_services.hand_over(case=case, records=records, **data, by=request.user),
            **correction,
            by=request.user,
        )
        return Response(HandOverSerializer(handover).data, status=status.HTTP_201_CREATED)

    @_case_action(
        HandOverDecisionSerializer,
        {201: MeasureSerializer},
        parameters=[*CODE_LOOKUP, OpenApiParameter("handover_id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"handovers/(?P<handover_id>[0-9]+)/decisions")
    def handover_decision(self, request, code=None, handover_id=None):
        """The decision that came back from a hand-over: the measure and its document number."""
        case = self.get_object()
        handover = case.handovers.filter(pk=int(handover_id)).select_related("case").first()
        data = _parse(HandOverDecisionSerializer, self)
        record = case.records.filter(pk=data["record"]).first()
        if handover is None or record is None:
            raise Http404
        with transaction.atomic():
            measure = case_services.record_handover_decision(
                handover=handover,
                record=record,
                measure=dict(data["measure"]),
                document_number=data["document_number"],
                decided_on=data["decided_on"],
                correction_reason=data["correction_reason"],
                by=request.user,
            )
        return Response(MeasureSerializer(measure).data, status=status.HTTP_201_CREATED)

    @_case_action(
        WithdrawSerializer,
        {200: WithdrawnSerializer},
        parameters=[
            *CODE_LOOKUP,
            OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=list(case_services.KINDS)),
            OpenApiParameter("entry_id", int, OpenApiParameter.PATH),
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"entries/(?P<kind>handover|decision|appraisal|education|action|subject)/(?P<entry_id>[0-9]+)/withdraw",
    )
    def withdraw_entry(self, request, code=None, kind=None, entry_id=None):
        """撤销 an entry the case's workbench wrote (kept, struck through, no longer counted), with the reason."""
        case = self.get_object()
        entry = case_services.entry_of(case, kind, int(entry_id))
        if entry is None:
            raise Http404
        data = _parse(WithdrawSerializer, self)
        with transaction.atomic():
            case_services.withdraw_entry(entry=entry, reason=data["reason"], by=request.user)
        return Response(
            {
                "kind": kind,
                "id": entry.pk,
                "withdrawn_at": entry.withdrawn_at,
                "withdrawn_by": request.user.username,
                "withdrawal_reason": entry.withdrawal_reason,
            }
        )
