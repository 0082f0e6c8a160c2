"""Hazards, accidents, traces, 一案双查 cases and 终身追责 over the API.

Thin views: scope from `request_visibility` (computed once, applied as one subquery), writes through
the services (hazards.py, accidents.py, cases.py), whose ValidationError becomes a 400 with
field-level messages (responsibility/api/exceptions.py).
"""

from __future__ import annotations

import os
import secrets

from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from responsibility.api.parsers import StrictJSONParser
from responsibility.api.permissions import (
    ANY_ROLE,
    CASE_ROLES,
    ENTERPRISE_SIDE,
    HAZARD_READERS,
    HAZARD_REPORTERS,
    OVERSIGHT,
    REGULATORS,
    HasActionRole,
)
from responsibility.api.schema import CODE_LOOKUP_REGEX, code_path_parameter
from responsibility.chain import EventScope, resolve_chain
from responsibility.models import Person, Position, Region, Sector
from responsibility.permissions import Role, Visibility, request_visibility

from .. import accidents as accident_services
from .. import cases as case_services
from .. import hazards as hazard_services
from ..events import accident_event, hazard_event, load_accident, load_hazard
from ..filters import AccidentFilter, CaseFilter, HazardFilter, RecordFilter
from ..models import (
    Accident,
    AccountabilityRecord,
    Case,
    CasualtyRevision,
    Decision,
    EventActor,
    EventParty,
    ExtensionDecision,
    ExtensionRequest,
    Hazard,
    HazardTransition,
    Measure,
)
from ..selectors import case_export, case_records, person_accountability
from . import serializers as s

# ---- scope -------------------------------------------------------------------------------------------------


def visible_hazards(visibility: Visibility):
    return visibility.filter_events(Hazard.objects.all(), region_field="enterprise__region")


def visible_accidents(visibility: Visibility):
    return visibility.filter_events(Accident.objects.all())


def visible_cases(visibility: Visibility):
    if visibility.everything:
        return Case.objects.all()
    return Case.objects.filter(
        Q(accident__in=visible_accidents(visibility).values("pk"))
        | Q(hazard__in=visible_hazards(visibility).values("pk"))
    )


def _context(view) -> dict:
    return {**view.get_serializer_context(), "visibility": request_visibility(view.request)}


def _parse(serializer_class, view):
    serializer = serializer_class(data=view.request.data, context=_context(view))
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _new_code(prefix: str, model) -> str:
    while True:
        code = f"{prefix}{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"
        if not model.objects.filter(code=code).exists():
            return code


CODE_LOOKUP = [code_path_parameter("code", "编码")]


# ---- hazards ---------------------------------------------------------------------------------------------------


def _hazard_action(request_serializer, response=s.HazardDetailSerializer, **kwargs):
    return extend_schema(request=request_serializer, responses=response, parameters=CODE_LOOKUP, **kwargs)


@extend_schema_view(
    retrieve=extend_schema(parameters=CODE_LOOKUP),
    create=extend_schema(request=s.HazardCreateSerializer, responses={201: s.HazardDetailSerializer}),
)
class HazardViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """隐患台账: deadlines, 五到位, 挂牌督办 and extensions. Enterprise users see and report their own
    enterprise's hazards; regulators verify (销号), reject, list for 督办 and decide extensions in scope."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = {
        "list": HAZARD_READERS,
        "retrieve": HAZARD_READERS,
        "evidence": HAZARD_READERS,
        "create": HAZARD_REPORTERS,
        "start_rectification": ENTERPRISE_SIDE,
        "submit": ENTERPRISE_SIDE,
        "request_extension": ENTERPRISE_SIDE,
        "verify": REGULATORS,
        "reject": REGULATORS,
        "list_for_supervision": REGULATORS,
        "decide_extension": REGULATORS,
    }
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
        return s.HazardSerializer if self.action == "list" else s.HazardDetailSerializer

    def _detail(self, hazard, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=hazard.pk)
        return Response(
            s.HazardDetailSerializer(fresh, context=self.get_serializer_context()).data, status=status_code
        )

    def create(self, request, *args, **kwargs):
        """Report a hazard (enterprise users: a 自查 hazard of their own enterprise)."""
        data = _parse(s.HazardCreateSerializer, self)
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

    @_hazard_action(s.StartRectificationSerializer)
    @action(detail=True, methods=["post"], url_path="start-rectification")
    def start_rectification(self, request, code=None):
        """reported → rectifying. The 五到位 plan may be completed in the same call; a 重大隐患 needs all of it."""
        hazard = self.get_object()
        data = _parse(s.StartRectificationSerializer, self)
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

    @_hazard_action(s.SubmitRectificationSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def submit(self, request, code=None):
        """rectifying → submitted (销号申请), with the evidence file (multipart/form-data)."""
        hazard = self.get_object()
        data = _parse(s.SubmitRectificationSerializer, self)
        with transaction.atomic():
            hazard_services.submit_rectification(
                hazard=hazard, by=request.user, note=data.get("note", ""), evidence=data["evidence"]
            )
        return self._detail(hazard)

    @_hazard_action(s.VerifySerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, code=None):
        """submitted → closed (销号) after verification; a 挂牌督办 listing is lifted the same day."""
        hazard = self.get_object()
        data = _parse(s.VerifySerializer, self)
        with transaction.atomic():
            hazard_services.verify_and_close(
                hazard=hazard, by=request.user, note=data.get("note", ""), on=data.get("on")
            )
        return self._detail(hazard)

    @_hazard_action(s.RejectSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, code=None):
        """submitted → rectifying, the reason kept on the transition."""
        hazard = self.get_object()
        data = _parse(s.RejectSerializer, self)
        with transaction.atomic():
            hazard_services.reject_submission(hazard=hazard, reason=data["reason"], by=request.user)
        return self._detail(hazard)

    @_hazard_action(s.ListForSupervisionSerializer)
    @action(detail=True, methods=["post"], url_path="list-for-supervision")
    def list_for_supervision(self, request, code=None):
        """挂牌督办: list the hazard for supervision by a department, government or party committee."""
        hazard = self.get_object()
        data = _parse(s.ListForSupervisionSerializer, self)
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

    @_hazard_action(s.RequestExtensionSerializer)
    @action(detail=True, methods=["post"], url_path="request-extension")
    def request_extension(self, request, code=None):
        """Ask to move the deadline, with the reason; the deadline it would replace is kept."""
        hazard = self.get_object()
        data = _parse(s.RequestExtensionSerializer, self)
        with transaction.atomic():
            hazard_services.request_extension(
                hazard=hazard, new_deadline=data["requested_deadline"], reason=data["reason"], by=request.user
            )
        return self._detail(hazard)

    @_hazard_action(s.DecideExtensionSerializer)
    @action(detail=True, methods=["post"], url_path="decide-extension")
    def decide_extension(self, request, code=None):
        """Approve (the deadline moves) or deny a pending extension request."""
        hazard = self.get_object()
        data = _parse(s.DecideExtensionSerializer, self)
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
        hazard = self.get_object()
        transition = hazard.transitions.filter(pk=int(transition_id)).exclude(evidence="").first()
        if transition is None:
            raise Http404
        try:
            handle = transition.evidence.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=os.path.basename(transition.evidence.name),
            content_type="application/octet-stream",
        )


# ---- accidents ------------------------------------------------------------------------------------------------


@extend_schema_view(
    retrieve=extend_schema(parameters=CODE_LOOKUP),
    create=extend_schema(request=s.AccidentCreateSerializer, responses={201: s.AccidentDetailSerializer}),
)
class AccidentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """事故: grade computed from casualties and loss; 补报 re-grades and widens an open case."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = {
        "list": OVERSIGHT,
        "retrieve": OVERSIGHT,
        "create": REGULATORS,
        "casualties": REGULATORS,
    }
    filterset_class = AccidentFilter
    lookup_field = "code"
    lookup_value_regex = CODE_LOOKUP_REGEX

    def get_queryset(self):
        qs = (
            visible_accidents(request_visibility(self.request))
            .select_related("enterprise", "region", "sector", "unit", "post")
            .prefetch_related(
                Prefetch("parties", queryset=EventParty.objects.select_related("enterprise")),
                Prefetch("actors", queryset=EventActor.objects.select_related("person")),
            )
            .order_by("-occurred_at", "code")
        )
        if self.action != "list":
            qs = qs.prefetch_related(
                Prefetch("revisions", queryset=CasualtyRevision.objects.select_related("by"))
            )
        return qs

    def get_serializer_class(self):
        return s.AccidentSerializer if self.action == "list" else s.AccidentDetailSerializer

    def create(self, request, *args, **kwargs):
        """Record an accident in scope: at a visible enterprise, or (no enterprise) in a region and sector of a grant."""
        data = _parse(s.AccidentCreateSerializer, self)
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
            )
            if name in data
        }
        accident = accident_services.record_accident(
            code=data.get("code") or _new_code("AC", Accident),
            parties=[(p["enterprise"], p["role"]) for p in data.get("parties", [])],
            actors=[(a["person"], a["role"]) for a in data.get("actors", [])],
            by=request.user,
            **fields,
        )
        fresh = self.get_queryset().get(pk=accident.pk)
        return Response(s.AccidentDetailSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.CasualtiesSerializer, responses=s.CasualtiesResultSerializer, parameters=CODE_LOOKUP
    )
    @action(detail=True, methods=["post"])
    def casualties(self, request, code=None):
        """补报 (493号令 Art 13): new totals within the window; the grade follows and an open case widens."""
        accident = self.get_object()
        data = _parse(s.CasualtiesSerializer, self)
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
                "revision": s.RevisionSerializer(revision).data,
                "accident": s.AccidentDetailSerializer(fresh).data,
            }
        )


# ---- trace ------------------------------------------------------------------------------------------------------


class TraceView(APIView):
    """The duty chain of an event on its day, both tracks in chain order — the JSON of
    `manage.py trace --json`. Either `accident` or `hazard`, or `enterprise` (with optional `unit`
    and `post`) or `region`, plus `sector`, `date` and optionally `grade`."""

    permission_classes = [IsAuthenticated, HasActionRole]
    # An enterprise traces its own events: its own links and the supervision track (DESIGN §1).
    action_roles = {"get": ANY_ROLE}

    @extend_schema(parameters=[s.TraceQuerySerializer], responses=s.TraceSerializer)
    def get(self, request):
        query = s.TraceQuerySerializer(data=request.query_params)
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


# ---- cases ----------------------------------------------------------------------------------------------------


def _case_action(request_serializer, response, parameters=CODE_LOOKUP):
    return extend_schema(request=request_serializer, responses=response, parameters=parameters)


@extend_schema_view(retrieve=extend_schema(parameters=CODE_LOOKUP))
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """一案双查 cases: records by track with findings, measures and amendments; closing through 四不放过."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = {
        name: CASE_ROLES
        for name in (
            "list",
            "retrieve",
            "open",
            "subjects",
            "cause",
            "corrective_actions",
            "complete_corrective_action",
            "education",
            "close",
            "conclusions",
            "unit_problems",
            "investigators",
            "appraisal_periods",
            "end_appraisal_period",
            "investigation_period",
            "handovers",
            "handover_decision",
            "export",
        )
    }
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
        return s.CaseSerializer if self.action == "list" else s.CaseDetailSerializer

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
        return Response(s.CaseDetailSerializer(case, context=context).data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(
        request=s.OpenCaseSerializer, responses={200: s.CaseDetailSerializer, 201: s.CaseDetailSerializer}
    )
    @action(detail=False, methods=["post"])
    def open(self, request):
        """Open the case of an accident or an overdue hazard; idempotent (200 with the case already open, 201 when created)."""
        data = _parse(s.OpenCaseSerializer, self)
        visibility = request_visibility(request)
        if data.get("accident"):
            source = {"accident": get_object_or_404(visible_accidents(visibility), code=data["accident"])}
        else:
            source = {"hazard": get_object_or_404(visible_hazards(visibility), code=data["hazard"])}
        opened = case_services.open_case(**source, by=request.user)
        return self._detail(opened.case, status.HTTP_201_CREATED if opened.created else status.HTTP_200_OK)

    @_case_action(s.AddSubjectSerializer, {201: s.RecordSerializer})
    @action(detail=True, methods=["post"])
    def subjects(self, request, code=None):
        """Add a subject the chain did not name (always with the reason); nothing is ever removed."""
        case = self.get_object()
        data = _parse(s.AddSubjectSerializer, self)
        with transaction.atomic():
            record = case_services.add_subject(
                case=case,
                track=data["track"],
                reason=data["reason"],
                types=data["types"],
                unit=data.get("unit"),
                position=data.get("position"),
                person=data.get("person"),
                entity=data.get("entity", False),
                by=request.user,
            )
        return Response(s.RecordSerializer(_records().get(pk=record.pk)).data, status=status.HTTP_201_CREATED)

    @_case_action(s.ConclusionsSerializer, s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def conclusions(self, request, code=None):
        """事故性质, 直接原因, 间接原因, 经过和救援, 主要教训: each given field replaces the stored one."""
        case = self.get_object()
        data = _parse(s.ConclusionsSerializer, self)
        with transaction.atomic():
            case_services.record_conclusions(case=case, **data, by=request.user)
        return self._detail(case)

    @_case_action(s.UnitProblemCreateSerializer, s.CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="unit-problems")
    def unit_problems(self, request, code=None):
        """有关责任单位存在的主要问题 (one text per unit; a second post replaces it)."""
        case = self.get_object()
        data = _parse(s.UnitProblemCreateSerializer, self)
        with transaction.atomic():
            case_services.set_unit_problems(case=case, unit=data["unit"], problems=data["problems"])
        return self._detail(case)

    @_case_action(s.InvestigatorCreateSerializer, s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def investigators(self, request, code=None):
        """调查组: add a unit or change its role (牵头, 成员, 邀请检察机关, 专家组)."""
        case = self.get_object()
        data = _parse(s.InvestigatorCreateSerializer, self)
        with transaction.atomic():
            case_services.set_investigator(case=case, unit=data["unit"], role=data["role"])
        return self._detail(case)

    @_case_action(s.AppraisalCreateSerializer, {201: s.AppraisalPeriodSerializer})
    @action(detail=True, methods=["post"], url_path="appraisal-periods")
    def appraisal_periods(self, request, code=None):
        """Art 27: a technical-appraisal period; its days move the investigation due date."""
        case = self.get_object()
        data = _parse(s.AppraisalCreateSerializer, self)
        with transaction.atomic():
            period = case_services.add_appraisal_period(case=case, **data, by=request.user)
        return Response(s.AppraisalPeriodSerializer(period).data, status=status.HTTP_201_CREATED)

    @_case_action(
        s.AppraisalEndSerializer,
        s.AppraisalPeriodSerializer,
        parameters=[*CODE_LOOKUP, OpenApiParameter("period_id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"appraisal-periods/(?P<period_id>[0-9]+)/end")
    def end_appraisal_period(self, request, code=None, period_id=None):
        case = self.get_object()
        period = case.appraisal_periods.filter(pk=int(period_id)).first()
        if period is None:
            raise Http404
        data = _parse(s.AppraisalEndSerializer, self)
        with transaction.atomic():
            period = case_services.end_appraisal_period(period=period, end=data["end"], by=request.user)
        return Response(s.AppraisalPeriodSerializer(period).data)

    @_case_action(s.PeriodSerializer, s.CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="investigation-period")
    def investigation_period(self, request, code=None):
        """特别重大: the period the State Council sets."""
        case = self.get_object()
        data = _parse(s.PeriodSerializer, self)
        with transaction.atomic():
            case_services.set_investigation_period(case=case, days=data["days"], by=request.user)
        return self._detail(case)

    @_case_action(s.HandOverCreateSerializer, {201: s.HandOverSerializer})
    @action(detail=True, methods=["post"])
    def handovers(self, request, code=None):
        """问题线索移交: responsible records to the body with authority; decisions come back."""
        case = self.get_object()
        data = _parse(s.HandOverCreateSerializer, self)
        records = list(case.records.filter(pk__in=data.pop("records")))
        with transaction.atomic():
            handover = case_services.hand_over(case=case, records=records, **data, by=request.user)
        return Response(s.HandOverSerializer(handover).data, status=status.HTTP_201_CREATED)

    @_case_action(
        s.HandOverDecisionSerializer,
        {201: s.MeasureSerializer},
        parameters=[*CODE_LOOKUP, OpenApiParameter("handover_id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"handovers/(?P<handover_id>[0-9]+)/decisions")
    def handover_decision(self, request, code=None, handover_id=None):
        """The decision that came back from a hand-over: the measure and its document number."""
        case = self.get_object()
        handover = case.handovers.filter(pk=int(handover_id)).select_related("case").first()
        data = _parse(s.HandOverDecisionSerializer, self)
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
                by=request.user,
            )
        return Response(s.MeasureSerializer(measure).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, parameters=CODE_LOOKUP)
    @action(detail=True, methods=["get"])
    def export(self, request, code=None):
        """The case as `export_case --json` prints it: records with finding, category, measures by channel, authority and hand-overs."""
        return Response(case_export(self.get_object()))

    @_case_action(s.CauseSerializer, s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def cause(self, request, code=None):
        """四不放过 (1): record the cause."""
        case = self.get_object()
        data = _parse(s.CauseSerializer, self)
        with transaction.atomic():
            case_services.record_cause(case=case, cause=data["cause"], by=request.user)
        return self._detail(case)

    @_case_action(s.CorrectiveActionCreateSerializer, {201: s.CorrectiveActionSerializer})
    @action(detail=True, methods=["post"], url_path="corrective-actions")
    def corrective_actions(self, request, code=None):
        """四不放过 (3): add a corrective action the case requires."""
        case = self.get_object()
        data = _parse(s.CorrectiveActionCreateSerializer, self)
        with transaction.atomic():
            corrective = case_services.add_corrective_action(
                case=case,
                description=data["description"],
                responsible=data.get("responsible", ""),
                due_on=data.get("due_on"),
            )
        return Response(s.CorrectiveActionSerializer(corrective).data, status=status.HTTP_201_CREATED)

    @_case_action(
        s.CompleteActionSerializer,
        s.CorrectiveActionSerializer,
        parameters=[*CODE_LOOKUP, OpenApiParameter("action_id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"corrective-actions/(?P<action_id>[0-9]+)/complete")
    def complete_corrective_action(self, request, code=None, action_id=None):
        """Confirm a corrective action done."""
        case = self.get_object()
        corrective = case.corrective_actions.filter(pk=int(action_id)).select_related("case").first()
        if corrective is None:
            raise Http404
        data = _parse(s.CompleteActionSerializer, self)
        with transaction.atomic():
            corrective = case_services.complete_corrective_action(
                action=corrective, done_on=data.get("done_on") or timezone.localdate(), by=request.user
            )
        return Response(s.CorrectiveActionSerializer(corrective).data)

    @_case_action(s.EducationCreateSerializer, {201: s.EducationSerializer})
    @action(detail=True, methods=["post"])
    def education(self, request, code=None):
        """四不放过 (4): record the warning education."""
        case = self.get_object()
        data = _parse(s.EducationCreateSerializer, self)
        with transaction.atomic():
            activity = case_services.record_education(
                case=case,
                held_on=data["held_on"],
                description=data["description"],
                participants=data["participants"],
                by=request.user,
            )
        return Response(s.EducationSerializer(activity).data, status=status.HTTP_201_CREATED)

    @_case_action(None, {200: s.CaseDetailSerializer, 409: s.ClosingRefusedSerializer})
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
    action_roles = {name: CASE_ROLES for name in ("list", "retrieve", "finding", "amend")}
    serializer_class = s.RecordSerializer
    filterset_class = RecordFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        cases = visible_cases(request_visibility(self.request)).values("pk")
        return _records().filter(case__in=cases).order_by("case__opened_at", "case_id", "order", "id")

    @extend_schema(
        request=s.FindingSerializer,
        responses={201: s.DecisionSerializer},
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"])
    def finding(self, request, pk=None):
        """The first finding on a record, with measures when responsible (a decided record is amended, not edited)."""
        record = self.get_object()
        data = _parse(s.FindingSerializer, self)
        with transaction.atomic():
            decision = case_services.record_finding(
                record=record,
                finding=data["finding"],
                category=data.get("category", ""),
                grounds=data.get("grounds", ""),
                measures=[dict(m) for m in data.get("measures", [])],
                by=request.user,
            )
        return Response(s.DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.AmendSerializer,
        responses={201: s.DecisionSerializer},
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        """A correction: a new decision linked to the one it replaces, with the reason; both stay in the history."""
        record = self.get_object()
        data = _parse(s.AmendSerializer, self)
        with transaction.atomic():
            decision = case_services.amend_finding(
                record=record,
                finding=data["finding"],
                category=data.get("category", ""),
                reason=data["reason"],
                grounds=data.get("grounds", ""),
                measures=[dict(m) for m in data.get("measures", [])],
                by=request.user,
            )
        return Response(s.DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


# ---- 终身追责 ------------------------------------------------------------------------------------------------------


class PersonAccountabilityView(APIView):
    """终身追责: every record of a person across cases and posts, with each measure's weighing period."""

    permission_classes = [IsAuthenticated, HasActionRole]
    action_roles = {"get": CASE_ROLES}

    @extend_schema(
        parameters=[code_path_parameter("code", "人员编码")], responses=s.PersonAccountabilitySerializer
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
        return Response(s.PersonAccountabilitySerializer(data).data)
