"""Hazards over the API: list, report, and each step of the workflow."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from responsibility.access import api_roles
from responsibility.api.parsers import StrictJSONParser
from responsibility.api.permissions import HasActionRole
from responsibility.api.schema import CODE_LOOKUP_REGEX
from responsibility.permissions import Role, request_visibility

from ... import alerts as alert_services
from ... import hazards as hazard_services
from ...evidence import evidence_download
from ...filters import HazardFilter
from ...models import (
    ExtensionDecision,
    ExtensionRequest,
    Hazard,
    HazardTransition,
)
from ..serializers.hazards import (
    DecideExtensionSerializer,
    HazardCreateSerializer,
    HazardDetailSerializer,
    HazardSerializer,
    ListForSupervisionSerializer,
    PenaltySerializer,
    RejectSerializer,
    RequestExtensionSerializer,
    StartRectificationSerializer,
    SubmitRectificationSerializer,
    VerifySerializer,
)
from .common import CODE_LOOKUP, _new_code, _parse, visible_hazards


def _hazard_action(request_serializer, response=HazardDetailSerializer, **kwargs):
    return extend_schema(request=request_serializer, responses=response, parameters=CODE_LOOKUP, **kwargs)


@extend_schema_view(
    retrieve=extend_schema(parameters=CODE_LOOKUP),
    create=extend_schema(request=HazardCreateSerializer, responses={201: HazardDetailSerializer}),
)
class HazardViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """隐患台账: deadlines, 五到位, 挂牌督办 and extensions. Enterprise users see and report their own
    enterprise's hazards; regulators verify (销号), reject, list for 督办 and decide extensions in scope."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = api_roles(
        list=("hazard", "read"),
        retrieve=("hazard", "read"),
        evidence=("hazard", "read"),
        create=("hazard", "report"),
        start_rectification=("hazard", "rectify"),
        submit=("hazard", "rectify"),
        request_extension=("hazard", "rectify"),
        verify=("hazard", "supervise"),
        reject=("hazard", "supervise"),
        list_for_supervision=("hazard", "supervise"),
        decide_extension=("hazard", "supervise"),
        penalties=("hazard", "supervise"),
    )
    filterset_class = HazardFilter
    lookup_field = "code"
    lookup_value_regex = CODE_LOOKUP_REGEX
    parser_classes = [StrictJSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        qs = (
            visible_hazards(request_visibility(self.request))
            .select_related(
                "enterprise", "sector", "unit", "inspection", "responsible_position", "listing__listing_unit"
            )
            .prefetch_related(
                Prefetch(
                    "extensions",
                    queryset=ExtensionRequest.objects.select_related("requested_by", "decided_by"),
                )
            )
            .order_by("-found_on", "code")
        )
        if self.action != "list":
            qs = qs.prefetch_related(
                Prefetch("transitions", queryset=HazardTransition.objects.select_related("by", "hazard"))
            )
        return qs

    def get_serializer_class(self):
        return HazardSerializer if self.action == "list" else HazardDetailSerializer

    def _detail(self, hazard, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=hazard.pk)
        return Response(
            HazardDetailSerializer(fresh, context=self.get_serializer_context()).data, status=status_code
        )

    def create(self, request, *args, **kwargs):
        """Report a hazard (enterprise users: a 自查 hazard of their own enterprise)."""
        data = _parse(HazardCreateSerializer, self)
        fields = {
            name: data[name]
            for name in (
                "title",
                "enterprise",
                "sector",
                "unit",
                "level",
                "source",
                "inspection",
                "found_on",
                "deadline",
                "measures",
                "responsible_position",
                "funds_yuan",
                "contingency_plan",
            )
            if name in data
        }
        hazard = hazard_services.report_hazard(
            code=data.get("code") or _new_code("HZ", Hazard), by=request.user, **fields
        )
        return self._detail(hazard, status.HTTP_201_CREATED)

    @_hazard_action(PenaltySerializer, {201: HazardDetailSerializer})
    @action(detail=True, methods=["post"])
    def penalties(self, request, code=None):
        """A 行政处罚 on the hazard; a 重大隐患 penalised 3 times in 180 days (or 4 in a year) raises its
        closure alert (安全生产法 Art 113) once the penalty is committed."""
        hazard = self.get_object()
        data = _parse(PenaltySerializer, self)
        alert_services.record_penalty(hazard=hazard, by=request.user, **data)
        return self._detail(hazard, status.HTTP_201_CREATED)

    @_hazard_action(StartRectificationSerializer)
    @action(detail=True, methods=["post"], url_path="start-rectification")
    def start_rectification(self, request, code=None):
        """reported → rectifying. The 五到位 plan may be completed in the same call; a 重大隐患 needs all of it."""
        hazard = self.get_object()
        data = _parse(StartRectificationSerializer, self)
        plan = {
            k: data[k]
            for k in ("measures", "responsible_position", "funds_yuan", "contingency_plan")
            if k in data
        }
        with transaction.atomic():
            if plan:
                hazard_services.complete_plan(hazard=hazard, by=request.user, **plan)
            hazard_services.start_rectification(hazard=hazard, by=request.user, note=data.get("note", ""))
        return self._detail(hazard)

    @_hazard_action(SubmitRectificationSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def submit(self, request, code=None):
        """rectifying → submitted (销号申请), with the evidence file (multipart/form-data)."""
        hazard = self.get_object()
        data = _parse(SubmitRectificationSerializer, self)
        with transaction.atomic():
            hazard_services.submit_rectification(
                hazard=hazard, by=request.user, note=data.get("note", ""), evidence=data["evidence"]
            )
        return self._detail(hazard)

    @_hazard_action(VerifySerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, code=None):
        """submitted → closed (销号) after verification; a 挂牌督办 listing is lifted the same day."""
        hazard = self.get_object()
        data = _parse(VerifySerializer, self)
        with transaction.atomic():
            hazard_services.verify_and_close(
                hazard=hazard, by=request.user, note=data.get("note", ""), on=data.get("on")
            )
        return self._detail(hazard)

    @_hazard_action(RejectSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, code=None):
        """submitted → rectifying, the reason kept on the transition."""
        hazard = self.get_object()
        data = _parse(RejectSerializer, self)
        with transaction.atomic():
            hazard_services.reject_submission(hazard=hazard, reason=data["reason"], by=request.user)
        return self._detail(hazard)

    @_hazard_action(ListForSupervisionSerializer)
    @action(detail=True, methods=["post"], url_path="list-for-supervision")
    def list_for_supervision(self, request, code=None):
        """挂牌督办: list the hazard for supervision by a department, government or party committee."""
        hazard = self.get_object()
        data = _parse(ListForSupervisionSerializer, self)
        visibility = request_visibility(request)
        unit = data.get("listing_unit")
        if unit is None:
            own = visibility.units().filter(pk__in=visibility.unit_ids).order_by("code").first()
            if own is None:
                raise serializers.ValidationError({"listing_unit": "请指定挂牌督办单位"})
            unit = own
        elif visibility.role == Role.REGULATOR and unit.pk not in visibility.unit_ids:
            raise serializers.ValidationError({"listing_unit": "只能以本单位名义挂牌督办"})
        with transaction.atomic():
            hazard_services.list_for_supervision(
                hazard=hazard,
                listing_unit=unit,
                due_on=data["due_on"],
                listed_on=data.get("listed_on"),
                document=data.get("document", ""),
            )
        return self._detail(hazard)

    @_hazard_action(RequestExtensionSerializer)
    @action(detail=True, methods=["post"], url_path="request-extension")
    def request_extension(self, request, code=None):
        """Ask to move the deadline, with the reason; the deadline it would replace is kept."""
        hazard = self.get_object()
        data = _parse(RequestExtensionSerializer, self)
        with transaction.atomic():
            hazard_services.request_extension(
                hazard=hazard, new_deadline=data["requested_deadline"], reason=data["reason"], by=request.user
            )
        return self._detail(hazard)

    @_hazard_action(DecideExtensionSerializer)
    @action(detail=True, methods=["post"], url_path="decide-extension")
    def decide_extension(self, request, code=None):
        """Approve (the deadline moves) or deny a pending extension request."""
        hazard = self.get_object()
        data = _parse(DecideExtensionSerializer, self)
        requests = hazard.extensions.all()
        if data.get("extension"):
            extension = requests.filter(pk=data["extension"]).first()
        else:
            extension = requests.filter(decision=ExtensionDecision.PENDING).first()
        if extension is None:
            raise serializers.ValidationError({"extension": "没有待审批的延期申请"})
        with transaction.atomic():
            hazard_services.decide_extension(
                request=extension, approve=data["approve"], note=data.get("note", ""), by=request.user
            )
        return self._detail(hazard)

    @extend_schema(
        parameters=[*CODE_LOOKUP, OpenApiParameter("transition_id", int, OpenApiParameter.PATH)],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="证明材料")
        },
    )
    @action(detail=True, methods=["get"], url_path=r"evidence/(?P<transition_id>[0-9]+)")
    def evidence(self, request, code=None, transition_id=None):
        """Download the evidence file of a transition (only for those who may see the hazard)."""
        return evidence_download(self.get_object(), transition_id)
