"""Serializers of hazards: reads, the report, and each step of the workflow (plan, submit, verify, 督办, extension)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from responsibility.api.serializers import DayField, code_field
from responsibility.permissions import Role
from responsibility.validators import validate_evidence

from ...hazards import reportable_sources
from ...models import (
    ExtensionDecision,
    ExtensionRequest,
    Hazard,
    HazardLevel,
    HazardListing,
    HazardSource,
    HazardTransition,
)
from .common import (
    ScopedSlugField,
    _all_sectors,
    _visible_enterprises,
    _visible_positions,
    _visible_units,
    code_input,
    money,
    username_of,
)


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
        if attrs["source"] not in reportable_sources(visibility.role):
            raise serializers.ValidationError({"source": "企业只能上报自查隐患（self_check）"})
        # Refused before anything is written: a hazard the caller could not then read is not created.
        if not visibility.sees_event(enterprise=enterprise, region=enterprise.region, sector=attrs["sector"]):
            raise serializers.ValidationError({"sector": "该行业不在您的监管职责范围内"})
        errors = Hazard(
            enterprise=enterprise,
            unit=attrs.get("unit"),
            responsible_position=attrs.get("responsible_position"),
        ).outside_enterprise()
        if attrs.get("inspection"):
            attrs["inspection"] = enterprise.inspections.filter(code=attrs["inspection"]).first()
            if attrs["inspection"] is None:
                errors["inspection"] = f"企业 {enterprise.code} 没有该编码的检查"
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


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


class PenaltySerializer(serializers.Serializer):
    decided_on = DayField(help_text="处罚决定日期")
    document = serializers.CharField(max_length=200, help_text="处罚决定书文号")
    amount_yuan = money(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
