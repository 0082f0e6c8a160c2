"""Alerts and government findings over the API (issue 28). Each endpoint states its permission through
`action_roles`, filled from the access policy (responsibility/access.py)."""

from __future__ import annotations

import secrets

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from responsibility.access import api_roles
from responsibility.api.parsers import StrictJSONParser
from responsibility.api.permissions import HasActionRole
from responsibility.api.schema import CODE_LOOKUP_REGEX
from responsibility.permissions import request_visibility

from ... import alerts as alert_services
from ... import govfindings as finding_services
from ...models import AlertKind, AlertState, FindingState
from ..serializers.alerts import (
    AlertDetailSerializer,
    AlertSerializer,
    DismissAlertSerializer,
    FindingCreateSerializer,
    FindingDetailSerializer,
    FindingSerializer,
    HandleAlertSerializer,
    RectifySerializer,
    VerifyFindingSerializer,
)
from .common import CODE_LOOKUP, _parse, visible_alerts, visible_findings


def _with_code(request_serializer, response):
    return extend_schema(request=request_serializer, responses=response, parameters=CODE_LOOKUP)


@extend_schema_view(retrieve=extend_schema(parameters=CODE_LOOKUP))
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """预警: 约谈, 提请关闭 (Art 113), 挂牌督办逾期, 督查问题逾期, 回头看未落实. 安委办 and 纪检 read and
    handle those of their scope; an enterprise reads its own closure alerts; regulators: 403.
    Filters: `kind`, `state`, `search` (code or subject)."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = api_roles(
        list=("alert", "read"),
        retrieve=("alert", "read"),
        handle=("alert", "handle"),
        close=("alert", "handle"),
        dismiss=("alert", "handle"),
    )
    lookup_field = "code"
    lookup_value_regex = CODE_LOOKUP_REGEX
    parser_classes = [StrictJSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        qs = (
            visible_alerts(request_visibility(self.request))
            .select_related("rule", "region", "enterprise", "unit", "summoned_by")
            .prefetch_related("named__person", "named__position", "named__unit")
            .order_by("-fired_on", "code")
        )
        params = self.request.query_params
        if params.get("kind") in AlertKind.values:
            qs = qs.filter(kind=params["kind"])
        if params.get("state") in AlertState.values:
            qs = qs.filter(state=params["state"])
        if params.get("search"):
            text = params["search"][:100]
            qs = qs.filter(code__icontains=text) | qs.filter(subject_label__icontains=text)
        return qs

    def get_serializer_class(self):
        return AlertSerializer if self.action == "list" else AlertDetailSerializer

    def _detail(self, alert):
        fresh = self.get_queryset().get(pk=alert.pk)
        return Response(AlertDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @_with_code(HandleAlertSerializer, AlertDetailSerializer)
    @action(detail=True, methods=["post"])
    def handle(self, request, code=None):
        """约谈 held (held_on, attendees, minutes) or closure decided (decision_document): open → handled."""
        alert = self.get_object()
        data = _parse(HandleAlertSerializer, self)
        return self._detail(alert_services.handle_alert(alert=alert, by=request.user, **data))

    @_with_code(None, AlertDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, code=None):
        """handled → closed."""
        return self._detail(alert_services.close_alert(alert=self.get_object(), by=request.user))

    @_with_code(DismissAlertSerializer, AlertDetailSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, code=None):
        """Dismissed, with the reason (kept in the history)."""
        alert = self.get_object()
        data = _parse(DismissAlertSerializer, self)
        return self._detail(alert_services.dismiss_alert(alert=alert, reason=data["reason"], by=request.user))


@extend_schema_view(
    retrieve=extend_schema(parameters=CODE_LOOKUP),
    create=extend_schema(request=FindingCreateSerializer, responses={201: FindingDetailSerializer}),
)
class FindingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """督查反馈问题 against government units: a township or a department sees what is assigned to it, the
    issuer what it issued, 纪检 those of its regions; enterprises: 403. Filters: `state`, `overdue`, `search`."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = api_roles(
        list=("finding", "read"),
        retrieve=("finding", "read"),
        create=("finding", "issue"),
        rectify=("finding", "rectify"),
        verify=("finding", "verify"),
    )
    lookup_field = "code"
    lookup_value_regex = CODE_LOOKUP_REGEX
    parser_classes = [StrictJSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        qs = (
            visible_findings(request_visibility(self.request))
            .select_related("issuing_unit", "assigned_unit", "responsible_position", "sector")
            .order_by("-found_on", "code")
        )
        params = self.request.query_params
        if params.get("state") in FindingState.values:
            qs = qs.filter(state=params["state"])
        if params.get("overdue"):
            qs = qs.overdue()
        if params.get("search"):
            text = params["search"][:100]
            qs = qs.filter(code__icontains=text) | qs.filter(title__icontains=text)
        if self.action != "list":
            qs = qs.prefetch_related("transitions__by")
        return qs

    def get_serializer_class(self):
        return FindingSerializer if self.action == "list" else FindingDetailSerializer

    def _detail(self, finding, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().prefetch_related("transitions__by").get(pk=finding.pk)
        return Response(
            FindingDetailSerializer(fresh, context=self.get_serializer_context()).data, status=status_code
        )

    def create(self, request, *args, **kwargs):
        """下发 (issue) a finding from one of the caller's own units."""
        data = _parse(FindingCreateSerializer, self)
        code = data.pop("code", "") or f"GF{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"
        finding = finding_services.issue_finding(
            code=code, vis=request_visibility(request), by=request.user, **data
        )
        return self._detail(finding, status.HTTP_201_CREATED)

    @_with_code(RectifySerializer, FindingDetailSerializer)
    @action(detail=True, methods=["post"])
    def rectify(self, request, code=None):
        """The assigned unit: `step` start (下发 → 整改) or submit (整改 → 提交, with `rectification`)."""
        finding = self.get_object()
        data = _parse(RectifySerializer, self)
        vis = request_visibility(request)
        if data["step"] == "submit":
            done = finding_services.submit_rectification(
                finding=finding,
                rectification=data.get("rectification", ""),
                evidence=data.get("evidence"),
                vis=vis,
                by=request.user,
            )
        else:
            done = finding_services.start_rectification(
                finding=finding, note=data.get("note", ""), vis=vis, by=request.user
            )
        return self._detail(done)

    @_with_code(VerifyFindingSerializer, FindingDetailSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, code=None):
        """The issuing unit: `decision` close (销号) or reject (back to 整改, with `reason`)."""
        finding = self.get_object()
        data = _parse(VerifyFindingSerializer, self)
        vis = request_visibility(request)
        if data["decision"] == "reject":
            done = finding_services.reject_submission(
                finding=finding, reason=data.get("reason", ""), vis=vis, by=request.user
            )
        else:
            done = finding_services.verify_and_close(
                finding=finding, note=data.get("note", ""), vis=vis, by=request.user
            )
        return self._detail(done)
