"""Serializers of hazards, accidents, traces and 一案双查 cases.

Read serializers present codes; write serializers only parse and check references against the
caller's scope — the rules themselves live in the services (hazards.py, accidents.py, cases.py).
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from responsibility.api.serializers import DayField, LinkSerializer, MomentField, code_field
from responsibility.models import CadreAuthority, DutyType, PartyRole, Region, Sector, Track
from responsibility.permissions import Role
from responsibility.validators import text_problem, validate_evidence

from ..grading import Grade
from ..measures import BY_CODE as MEASURE_KINDS
from ..measures import CHANNELS, CRIMINAL_ARTICLES, label_of
from ..models import (
    Accident,
    AccountabilityRecord,
    AppraisalPeriod,
    Case,
    CaseNature,
    CasualtyRevision,
    Category,
    CorrectiveAction,
    Decision,
    EducationActivity,
    ExtensionDecision,
    ExtensionRequest,
    Finding,
    HandOver,
    Hazard,
    HazardLevel,
    HazardListing,
    HazardSource,
    HazardTransition,
    InvestigatorRole,
    Measure,
)

CODE_VALIDATOR = RegexValidator(r"^[A-Za-z0-9_.\-]+$", "编码只能包含字母、数字、下划线、点和短横线")
PARTY_ROLES = [c for c in PartyRole.choices if c[0] != PartyRole.MAIN]
MAX_COUNT = 1_000_000


def code_input(**kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=64, validators=[CODE_VALIDATOR], **kwargs)


def money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0, **kwargs)


def username_of(user) -> str | None:
    return user.get_username() if user is not None else None


@extend_schema_field(OpenApiTypes.STR)
class CodeRefField(serializers.SlugRelatedField):
    """A reference by code; text no code can have (not a string, NUL) reads as unknown, never a 500."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if text_problem(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value="?")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.STR)
class ScopedSlugField(CodeRefField):
    """A reference by code, looked up among what the caller may see: a code outside scope reads as unknown."""

    def __init__(self, scope, **kwargs):
        self.scope = scope
        super().__init__(queryset=None, **kwargs)

    def get_queryset(self):
        return self.scope(self.context["visibility"])


# ---- hazards -----------------------------------------------------------------------------------------------


class ListingSerializer(serializers.ModelSerializer):
    listing_unit = code_field()

    class Meta:
        model = HazardListing
        fields = ["listing_unit", "listed_on", "due_on", "lifted_on", "document"]


class ExtensionSerializer(serializers.ModelSerializer):
    requested_by = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "previous_deadline",
            "requested_deadline",
            "reason",
            "requested_at",
            "requested_by",
            "decision",
            "decided_at",
            "decided_by",
            "decision_note",
        ]

    def get_requested_by(self, obj) -> str | None:
        return username_of(obj.requested_by)

    def get_decided_by(self, obj) -> str | None:
        return username_of(obj.decided_by)


class TransitionSerializer(serializers.ModelSerializer):
    by = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField(help_text="整改证明材料的下载地址（需同样的权限）")

    class Meta:
        model = HazardTransition
        fields = ["id", "from_state", "to_state", "at", "by", "note", "evidence"]

    def get_by(self, obj) -> str | None:
        return username_of(obj.by)

    def get_evidence(self, obj) -> str | None:
        if not obj.evidence:
            return None
        return reverse(
            "accountability-api:hazard-evidence", kwargs={"code": obj.hazard.code, "transition_id": obj.pk}
        )


class HazardSerializer(serializers.ModelSerializer):
    enterprise = code_field()
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    sector = code_field()
    unit = code_field(allow_null=True)
    inspection = code_field(allow_null=True)
    responsible_position = code_field(allow_null=True)
    overdue = serializers.SerializerMethodField(help_text="未销号且已过整改期限（今日）")
    review_due = serializers.DateField(read_only=True, allow_null=True)
    five_in_place_missing = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="五到位尚缺的部分"
    )
    listing = serializers.SerializerMethodField(help_text="挂牌督办（未挂牌为 null）")
    pending_extension = serializers.SerializerMethodField()

    class Meta:
        model = Hazard
        fields = [
            "code",
            "title",
            "enterprise",
            "enterprise_name",
            "sector",
            "unit",
            "level",
            "source",
            "inspection",
            "found_on",
            "deadline",
            "original_deadline",
            "state",
            "submitted_on",
            "review_due",
            "closed_on",
            "overdue",
            "measures",
            "responsible_position",
            "funds_yuan",
            "contingency_plan",
            "five_in_place_missing",
            "listing",
            "pending_extension",
        ]

    def get_overdue(self, hazard) -> bool:
        return hazard.is_overdue()

    @extend_schema_field(ListingSerializer(allow_null=True))
    def get_listing(self, hazard):
        listing = getattr(hazard, "listing", None)
        return ListingSerializer(listing).data if listing is not None else None

    @extend_schema_field(ExtensionSerializer(allow_null=True))
    def get_pending_extension(self, hazard):
        pending = [e for e in hazard.extensions.all() if e.decision == ExtensionDecision.PENDING]
        return ExtensionSerializer(pending[0]).data if pending else None


class HazardDetailSerializer(HazardSerializer):
    extensions = ExtensionSerializer(many=True, read_only=True)
    transitions = TransitionSerializer(many=True, read_only=True)

    class Meta(HazardSerializer.Meta):
        fields = [*HazardSerializer.Meta.fields, "extensions", "transitions"]


def _visible_enterprises(visibility):
    return visibility.enterprises()


def _visible_units(visibility):
    return visibility.units()


def _visible_positions(visibility):
    return visibility.positions().select_related("unit")


def _visible_actors(visibility):
    return visibility.actors()


def _all_sectors(visibility):
    return Sector.objects.all()


def _all_regions(visibility):
    return Region.objects.all()


class HazardPlanSerializer(serializers.Serializer):
    """五到位: measures, responsible post, funds and contingency plan (the deadline is the hazard's)."""

    measures = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    responsible_position = ScopedSlugField(_visible_positions, required=False, allow_null=True)
    funds_yuan = money(required=False, allow_null=True)
    contingency_plan = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class HazardCreateSerializer(HazardPlanSerializer):
    code = code_input(required=False, help_text="留空则自动编号")
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    enterprise = ScopedSlugField(_visible_enterprises, required=False, help_text="企业用户可省略（本企业）")
    sector = ScopedSlugField(_all_sectors, help_text="须为该企业的行业（或其下级）；监管人员须在本单位职责内")
    unit = ScopedSlugField(_visible_units, required=False, allow_null=True, help_text="所在车间/班组")
    level = serializers.ChoiceField(choices=HazardLevel.choices)
    source = serializers.ChoiceField(
        choices=HazardSource.choices, default=HazardSource.SELF_CHECK, help_text="企业用户只能上报自查隐患"
    )
    inspection = serializers.CharField(
        max_length=64, required=False, allow_null=True, help_text="发现该隐患的检查编码"
    )
    found_on = DayField()
    deadline = DayField()

    def validate(self, attrs):
        """The enterprise (an enterprise user's own by default); what the hazard names must be inside it."""
        visibility = self.context["visibility"]
        enterprise = attrs.get("enterprise")
        if enterprise is None:
            own = (
                list(visibility.enterprises().order_by("code")[:2])
                if visibility.role == Role.ENTERPRISE
                else []
            )
            if len(own) != 1:
                raise serializers.ValidationError({"enterprise": "请指定企业"})
            enterprise = attrs["enterprise"] = own[0]
        if visibility.role == Role.ENTERPRISE and attrs["source"] != HazardSource.SELF_CHECK:
            raise serializers.ValidationError({"source": "企业只能上报自查隐患（self_check）"})
        # Refused before anything is written: a hazard the caller could not then read is not created.
        if not visibility.sees_event(enterprise=enterprise, region=enterprise.region, sector=attrs["sector"]):
            raise serializers.ValidationError({"sector": "该行业不在您的监管职责范围内"})
        errors = _outside_enterprise(
            enterprise, unit=attrs.get("unit"), responsible_position=attrs.get("responsible_position")
        )
        if attrs.get("inspection"):
            attrs["inspection"] = enterprise.inspections.filter(code=attrs["inspection"]).first()
            if attrs["inspection"] is None:
                errors["inspection"] = f"企业 {enterprise.code} 没有该编码的检查"
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def _outside_enterprise(enterprise, **references) -> dict:
    """Field errors for units or posts (by field name) that are not part of `enterprise`."""
    errors = {}
    for name, ref in references.items():
        owner = getattr(ref, "unit", ref)
        if ref is not None and (enterprise is None or owner.enterprise_id != enterprise.pk):
            errors[name] = f"{ref.code} 不属于企业 {enterprise.code if enterprise else '（未指定）'}"
    return errors


class StartRectificationSerializer(HazardPlanSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SubmitRectificationSerializer(serializers.Serializer):
    evidence = serializers.FileField(
        max_length=200,
        validators=[validate_evidence],
        help_text="整改证明材料（照片、扫描件、验收报告…），不超过 20 MB",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class VerifySerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    on = DayField(required=False, help_text="销号日期，默认今日")


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ListForSupervisionSerializer(serializers.Serializer):
    listing_unit = ScopedSlugField(
        _visible_units, required=False, help_text="挂牌督办单位（监管人员默认本单位）"
    )
    due_on = DayField()
    listed_on = DayField(required=False)
    document = serializers.CharField(required=False, allow_blank=True, max_length=200)


class RequestExtensionSerializer(serializers.Serializer):
    requested_deadline = DayField()
    reason = serializers.CharField(max_length=2000)


class DecideExtensionSerializer(serializers.Serializer):
    extension = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="延期申请 id（默认待审批的那一项）"
    )
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


# ---- accidents ---------------------------------------------------------------------------------------------


class PartySerializer(serializers.Serializer):
    enterprise = ScopedSlugField(_visible_enterprises, help_text="在您权限范围内的企业")
    role = serializers.ChoiceField(choices=PARTY_ROLES)


class ActorSerializer(serializers.Serializer):
    person = ScopedSlugField(_visible_actors, help_text="您可见的人员，或不在任何单位任职的人员")
    role = serializers.ChoiceField(choices=PARTY_ROLES)


class RevisionSerializer(serializers.ModelSerializer):
    by = serializers.SerializerMethodField()

    class Meta:
        model = CasualtyRevision
        fields = [
            "id",
            "at",
            "by",
            "deaths_before",
            "deaths_after",
            "serious_injuries_before",
            "serious_injuries_after",
            "loss_before",
            "loss_after",
            "grade_before",
            "grade_after",
            "note",
        ]

    def get_by(self, obj) -> str | None:
        return username_of(obj.by)


class AccidentSerializer(serializers.ModelSerializer):
    enterprise = code_field(allow_null=True)
    region = code_field()
    sector = code_field()
    unit = code_field(allow_null=True)
    post = code_field(allow_null=True)
    event_day = serializers.DateField(read_only=True, help_text="事发日（北京时间）：责任认定之日")
    late_report = serializers.BooleanField(
        source="is_late_report", read_only=True, help_text="迟报（超过1小时）"
    )
    grade = serializers.ChoiceField(
        choices=Grade.choices, read_only=True, help_text="由伤亡和损失计算，不可填写"
    )
    parties = serializers.SerializerMethodField()
    actors = serializers.SerializerMethodField()

    class Meta:
        model = Accident
        fields = [
            "code",
            "title",
            "enterprise",
            "region",
            "sector",
            "unit",
            "post",
            "occurred_at",
            "reported_at",
            "event_day",
            "late_report",
            "deaths",
            "serious_injuries",
            "direct_loss_yuan",
            "grade",
            "parties",
            "actors",
        ]

    @extend_schema_field(PartySerializer(many=True))
    def get_parties(self, accident):
        return [{"enterprise": p.enterprise.code, "role": p.role} for p in accident.parties.all()]

    @extend_schema_field(ActorSerializer(many=True))
    def get_actors(self, accident):
        return [{"person": a.person.code, "role": a.role} for a in accident.actors.all()]


class AccidentDetailSerializer(AccidentSerializer):
    revisions = RevisionSerializer(many=True, read_only=True)

    class Meta(AccidentSerializer.Meta):
        fields = [*AccidentSerializer.Meta.fields, "revisions"]


class AccidentCreateSerializer(serializers.Serializer):
    code = code_input(required=False, help_text="留空则自动编号")
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    enterprise = ScopedSlugField(_visible_enterprises, required=False, allow_null=True)
    region = ScopedSlugField(_all_regions, required=False, help_text="省略时取事发企业的属地")
    sector = ScopedSlugField(_all_sectors)
    unit = ScopedSlugField(_visible_units, required=False, allow_null=True)
    post = ScopedSlugField(_visible_positions, required=False, allow_null=True)
    occurred_at = MomentField()
    reported_at = MomentField(required=False, allow_null=True)
    deaths = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, default=0)
    serious_injuries = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, default=0)
    direct_loss_yuan = money(default=0)
    parties = PartySerializer(many=True, required=False)
    actors = ActorSerializer(many=True, required=False)

    def validate(self, attrs):
        """The region defaults to the enterprise's 属地; the event must lie in the caller's scope."""
        enterprise, sector = attrs.get("enterprise"), attrs["sector"]
        region = attrs.get("region") or (enterprise.region if enterprise else None)
        if region is None:
            raise serializers.ValidationError({"region": "无事发企业时须给出事发区划"})
        attrs["region"] = region
        if not self.context["visibility"].sees_event(enterprise=enterprise, region=region, sector=sector):
            raise serializers.ValidationError({"region": "该区划和行业不在您的管辖范围内"})
        errors = _outside_enterprise(enterprise, unit=attrs.get("unit"), post=attrs.get("post"))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class CasualtiesSerializer(serializers.Serializer):
    """补报: the new totals (not increments); the grade follows."""

    deaths = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    serious_injuries = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)
    direct_loss_yuan = money()
    at = MomentField(required=False, help_text="补报时间，默认现在")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CasualtiesResultSerializer(serializers.Serializer):
    revision = RevisionSerializer()
    accident = AccidentDetailSerializer()


# ---- trace ---------------------------------------------------------------------------------------------------


class TraceQuerySerializer(serializers.Serializer):
    accident = code_input(required=False, help_text="按事故追溯（其企业、车间、岗位、行业、日期、等级）")
    hazard = code_input(required=False, help_text="按隐患追溯（日期为整改期限）")
    enterprise = code_input(required=False)
    region = code_input(required=False, help_text="无企业的事件（如道路交通事故）")
    sector = code_input(required=False)
    date = DayField(required=False)
    grade = serializers.ChoiceField(choices=Grade.choices, required=False)
    unit = code_input(required=False, help_text="事发车间/班组")
    post = code_input(required=False, help_text="事发岗位")
    since = DayField(
        required=False,
        help_text="隐患形成日期：追溯 [since, date] 期间的历任责任人（与 enterprise/region 一起）",
    )
    also_sector = serializers.ListField(
        child=code_input(), required=False, help_text="同时涉及的行业（可重复，与 enterprise/region 一起）"
    )


class TraceSerializer(serializers.Serializer):
    """The JSON of `manage.py trace --json`."""

    enterprise = serializers.CharField(allow_null=True)
    region = serializers.CharField()
    sector = serializers.CharField()
    date = serializers.DateField()
    grade = serializers.ChoiceField(choices=Grade.choices, allow_null=True)
    since = serializers.DateField(required=False)
    also_sectors = serializers.ListField(child=serializers.CharField(), required=False)
    links = LinkSerializer(many=True)


# ---- cases ---------------------------------------------------------------------------------------------------


class MeasureSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()
    channel = serializers.SerializerMethodField(help_text="处理渠道")

    class Meta:
        model = Measure
        fields = [
            "id",
            "kind",
            "label",
            "channel",
            "detail",
            "period_months",
            "amount_yuan",
            "article",
            "handover",
            "document_number",
            "decided_on",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=list(CHANNELS)))
    def get_channel(self, obj) -> str:
        return obj.channel

    def get_label(self, obj) -> str:
        return label_of(obj.kind)


class DecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.SerializerMethodField()
    measures = MeasureSerializer(many=True, read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "record",
            "finding",
            "category",
            "grounds",
            "amends",
            "amendment_reason",
            "decided_at",
            "decided_by",
            "measures",
        ]

    def get_decided_by(self, obj) -> str | None:
        return username_of(obj.decided_by)


def decisions_of(record) -> tuple[list, Decision | None]:
    """The record's decisions oldest first (prefetched), and the one no later decision amends."""
    history = list(record.decisions.all())
    amended = {d.amends_id for d in history if d.amends_id}
    current = next((d for d in reversed(history) if d.pk not in amended), None)
    return history, current


class RecordSerializer(serializers.ModelSerializer):
    case = code_field()
    unit = serializers.CharField(source="unit_code", allow_blank=True)
    position = serializers.CharField(source="position_code", allow_blank=True)
    person = serializers.CharField(source="person_code", allow_blank=True)
    types = serializers.ListField(child=serializers.ChoiceField(choices=DutyType.choices))
    snapshot = serializers.DictField(help_text="事发日的名称、职务、单位、责任类型与依据")
    current_decision = serializers.SerializerMethodField(help_text="现行认定（未认定为 null）")
    decision_history = serializers.SerializerMethodField(help_text="全部认定，含被更正的，先后为序")
    authority = serializers.CharField(
        read_only=True, help_text="干部管理权限（central/provincial/city/county/other；空 = 未设置）"
    )

    class Meta:
        model = AccountabilityRecord
        fields = [
            "id",
            "case",
            "track",
            "types",
            "unit",
            "position",
            "person",
            "vacant",
            "origin",
            "subject_type",
            "authority",
            "added_reason",
            "order",
            "snapshot",
            "current_decision",
            "decision_history",
        ]

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_current_decision(self, record):
        _history, current = decisions_of(record)
        return DecisionSerializer(current).data if current is not None else None

    @extend_schema_field(DecisionSerializer(many=True))
    def get_decision_history(self, record):
        history, _current = decisions_of(record)
        return DecisionSerializer(history, many=True).data


class CorrectiveActionSerializer(serializers.ModelSerializer):
    verified_by = serializers.SerializerMethodField()

    class Meta:
        model = CorrectiveAction
        fields = ["id", "description", "responsible", "due_on", "done_on", "verified_by"]

    def get_verified_by(self, obj) -> str | None:
        return username_of(obj.verified_by)


class EducationSerializer(serializers.ModelSerializer):
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = EducationActivity
        fields = ["id", "held_on", "description", "participants", "recorded_by"]

    def get_recorded_by(self, obj) -> str | None:
        return username_of(obj.recorded_by)


class BlockerSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[
            "cause_not_found",
            "people_not_dealt_with",
            "measures_not_carried_out",
            "people_not_educated",
        ]
    )
    message = serializers.CharField()


class CaseSerializer(serializers.ModelSerializer):
    source_type = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField(help_text="事故或隐患编码")
    investigation_due = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "code",
            "title",
            "source_type",
            "source",
            "grade",
            "event_day",
            "state",
            "opened_at",
            "closed_at",
            "investigation_due",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=["accident", "hazard"]))
    def get_source_type(self, case):
        return "accident" if case.accident_id else "hazard"

    def get_source(self, case) -> str:
        return case.accident.code if case.accident_id else case.hazard.code


RecordsByTrack = inline_serializer(
    "RecordsByTrack",
    fields={track: RecordSerializer(many=True) for track in Track.values},
)


class InvestigatorSerializer(serializers.Serializer):
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    role = serializers.ChoiceField(choices=InvestigatorRole.choices)


class AppraisalPeriodSerializer(serializers.ModelSerializer):
    class Meta:
        model = AppraisalPeriod
        fields = ["id", "start", "end", "subject", "days"]

    days = serializers.IntegerField(read_only=True)


class UnitProblemSerializer(serializers.Serializer):
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    problems = serializers.CharField()


class HandOverSerializer(serializers.ModelSerializer):
    records = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    decisions = MeasureSerializer(many=True, read_only=True, source="measures")

    class Meta:
        model = HandOver
        fields = [
            "id",
            "records",
            "receiving_body",
            "authority",
            "handed_on",
            "decision_due",
            "completed_on",
            "note",
            "decisions",
        ]


class CaseDetailSerializer(CaseSerializer):
    records = serializers.SerializerMethodField(help_text="按责任轨道：主体责任、监管责任")
    corrective_actions = CorrectiveActionSerializer(many=True, read_only=True)
    education = EducationSerializer(many=True, read_only=True)
    closing_blockers = serializers.SerializerMethodField(
        help_text="四不放过：尚未满足的条件（空 = 可以结案）"
    )
    investigators = serializers.SerializerMethodField(help_text="调查组（事故的调查组，一份名单）")
    appraisal_periods = AppraisalPeriodSerializer(many=True, read_only=True)
    unit_problems = UnitProblemSerializer(many=True, read_only=True)
    handovers = HandOverSerializer(many=True, read_only=True)

    @extend_schema_field(InvestigatorSerializer(many=True))
    def get_investigators(self, case):
        rows = case.accident.investigator_rows.select_related("unit") if case.accident_id else []
        return InvestigatorSerializer(rows, many=True).data

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "nature",
            "cause",
            "indirect_cause",
            "cause_recorded_at",
            "course_and_rescue",
            "lessons",
            "set_period_days",
            "appraisal_days",
            "investigators",
            "appraisal_periods",
            "unit_problems",
            "handovers",
            "records",
            "corrective_actions",
            "education",
            "closing_blockers",
        ]

    @extend_schema_field(RecordsByTrack)
    def get_records(self, case):
        grouped = {track: [] for track in Track.values}
        for record in self.context["records"]:
            grouped[record.track].append(record)
        return {track: RecordSerializer(rows, many=True).data for track, rows in grouped.items()}

    @extend_schema_field(BlockerSerializer(many=True))
    def get_closing_blockers(self, case):
        return [{"code": code, "message": message} for code, message in self.context["blockers"]]


class OpenCaseSerializer(serializers.Serializer):
    accident = code_input(required=False)
    hazard = code_input(required=False, help_text="须为逾期隐患")

    def validate(self, attrs):
        if bool(attrs.get("accident")) == bool(attrs.get("hazard")):
            raise serializers.ValidationError({"accident": "须且只能给出事故或隐患之一"})
        return attrs


class AddSubjectSerializer(serializers.Serializer):
    track = serializers.ChoiceField(choices=Track.choices)
    reason = serializers.CharField(max_length=5000, help_text="增列理由（必填）")
    types = serializers.ListField(child=serializers.ChoiceField(choices=DutyType.choices), min_length=1)
    unit = ScopedSlugField(_visible_units, required=False)
    position = ScopedSlugField(_visible_positions, required=False)
    person = ScopedSlugField(_visible_actors, required=False)
    entity = serializers.BooleanField(default=False, help_text="企业本身作为单位责任主体（仅主体责任轨道）")


class CauseSerializer(serializers.Serializer):
    cause = serializers.CharField(max_length=20000)


class ConclusionsSerializer(serializers.Serializer):
    nature = serializers.ChoiceField(choices=CaseNature.choices, required=False, allow_blank=True)
    direct_cause = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    indirect_cause = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    course_and_rescue = serializers.CharField(max_length=50000, required=False, allow_blank=True)
    lessons = serializers.CharField(max_length=20000, required=False, allow_blank=True)


class UnitProblemCreateSerializer(serializers.Serializer):
    unit = ScopedSlugField(_visible_units)
    problems = serializers.CharField(max_length=20000)


class InvestigatorCreateSerializer(serializers.Serializer):
    unit = ScopedSlugField(_visible_units)
    role = serializers.ChoiceField(choices=InvestigatorRole.choices)


class AppraisalCreateSerializer(serializers.Serializer):
    start = DayField()
    end = DayField(required=False, allow_null=True)
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AppraisalEndSerializer(serializers.Serializer):
    end = DayField()


class PeriodSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=60, max_value=3650, help_text="国务院确定的调查期限（天）")


class HandOverCreateSerializer(serializers.Serializer):
    records = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1)
    handed_on = DayField()
    authority = serializers.ChoiceField(choices=CadreAuthority.choices, required=False, allow_blank=True)
    receiving_body = serializers.CharField(max_length=200, required=False, allow_blank=True)
    decision_due = DayField(required=False, allow_null=True)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class CorrectiveActionCreateSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=5000)
    responsible = serializers.CharField(max_length=200, required=False, allow_blank=True)
    due_on = DayField(required=False, allow_null=True)


class CompleteActionSerializer(serializers.Serializer):
    done_on = DayField(required=False, help_text="完成日期，默认今日")


class EducationCreateSerializer(serializers.Serializer):
    held_on = DayField()
    description = serializers.CharField(max_length=5000)
    participants = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, default=0)


class MeasureInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=sorted(MEASURE_KINDS))
    detail = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    period_months = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=600)
    amount_yuan = serializers.DecimalField(
        max_digits=16, decimal_places=2, required=False, allow_null=True, min_value=0
    )
    article = serializers.ChoiceField(choices=sorted(CRIMINAL_ARTICLES), required=False, allow_blank=True)


class FindingSerializer(serializers.Serializer):
    finding = serializers.ChoiceField(choices=Finding.choices)
    category = serializers.ChoiceField(
        choices=Category.choices,
        required=False,
        allow_blank=True,
        help_text="责任类别：负有责任（含已死亡）时必填",
    )
    grounds = serializers.CharField(
        required=False, allow_blank=True, max_length=20000, help_text="尽职免责须写明"
    )
    measures = MeasureInputSerializer(many=True, required=False)


class HandOverDecisionSerializer(serializers.Serializer):
    record = serializers.IntegerField(min_value=1)
    measure = MeasureInputSerializer()
    document_number = serializers.CharField(max_length=200)
    decided_on = DayField()


class AmendSerializer(FindingSerializer):
    reason = serializers.CharField(max_length=5000, help_text="更正理由（必填）")


class ClosingRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    blockers = BlockerSerializer(many=True)


# ---- 终身追责 ----------------------------------------------------------------------------------------------------


class WeighingMeasureSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    until = serializers.DateField(allow_null=True, help_text="影响期届满日")
    still_weighs = serializers.BooleanField()


class PersonRecordSerializer(serializers.Serializer):
    case = serializers.CharField()
    case_title = serializers.CharField()
    event_day = serializers.DateField()
    record = serializers.IntegerField()
    track = serializers.ChoiceField(choices=Track.choices)
    types = serializers.ListField(child=serializers.CharField())
    unit = serializers.CharField(allow_blank=True)
    position = serializers.CharField(allow_blank=True)
    snapshot = serializers.DictField()
    current_decision = DecisionSerializer(allow_null=True)
    decision_history = DecisionSerializer(many=True)
    measures = WeighingMeasureSerializer(many=True)


class PersonAccountabilitySerializer(serializers.Serializer):
    person = inline_serializer(
        "PersonRef", fields={"code": serializers.CharField(), "name": serializers.CharField()}
    )
    records = PersonRecordSerializer(many=True)
