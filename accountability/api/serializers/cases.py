"""Serializers of 一案双查 cases: reads, opening, cause, conclusions, periods, hand-overs, actions and closing."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from responsibility.api.serializers import DayField
from responsibility.models import CadreAuthority, DutyType, Track

from ...models import (
    AppraisalPeriod,
    Case,
    CaseNature,
    CorrectiveAction,
    EducationActivity,
    HandOver,
    InvestigatorRole,
)
from .common import (
    MAX_COUNT,
    ScopedSlugField,
    _visible_actors,
    _visible_positions,
    _visible_units,
    code_input,
    username_of,
)
from .records import MeasureInputSerializer, MeasureSerializer, RecordSerializer


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

    @extend_schema_field(serializers.ChoiceField(choices=["accident", "hazard", "finding"]))
    def get_source_type(self, case):
        return case.source_label.split(":", 1)[0]

    def get_source(self, case) -> str:
        return case.source.code


RecordsByTrack = inline_serializer(
    "RecordsByTrack",
    fields={track: RecordSerializer(many=True) for track in Track.values},
)


class InvestigatorSerializer(serializers.Serializer):
    unit = serializers.SerializerMethodField(help_text="单位编码；矩阵外的机关（专家组）为 null")
    unit_name = serializers.CharField(source="display_name")
    role = serializers.ChoiceField(choices=InvestigatorRole.choices)
    duty = serializers.CharField(help_text="组内职责")

    def get_unit(self, row) -> str | None:
        return row.unit.code if row.unit_id else None


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
        rows = (
            case.accident.investigator_rows.filter(withdrawn_at__isnull=True).select_related("unit")
            if case.accident_id
            else []
        )
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
    finding = code_input(required=False, help_text="须为逾期的督查反馈问题（整改不力问责）")

    def validate(self, attrs):
        if sum(bool(attrs.get(name)) for name in ("accident", "hazard", "finding")) != 1:
            raise serializers.ValidationError({"accident": "须且只能给出事故、隐患或督查问题之一"})
        return attrs


class CorrectionInput(serializers.Serializer):
    """An entry's create fields, and — to correct one — the id of the entry it replaces with the reason."""

    replaces = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="更正：被更正条目的编号（原条目撤销并保留）"
    )
    correction_reason = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default="", help_text="更正理由（更正时必填）"
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("replaces") and not attrs.get("correction_reason", "").strip():
            raise serializers.ValidationError({"correction_reason": "更正须写明理由"})
        return attrs

    def correction(self) -> dict:
        """The write_entry keywords, taken out of the validated data."""
        data = self.validated_data
        return {"replaces": data.pop("replaces", None), "reason": data.pop("correction_reason", "")}


class AddSubjectSerializer(CorrectionInput):
    track = serializers.ChoiceField(choices=Track.choices)
    reason = serializers.CharField(max_length=5000, help_text="增列理由（必填）")
    types = serializers.ListField(child=serializers.ChoiceField(choices=DutyType.choices), min_length=1)
    unit = ScopedSlugField(_visible_units, required=False)
    position = ScopedSlugField(_visible_positions, required=False)
    person = ScopedSlugField(_visible_actors, required=False)
    entity = serializers.BooleanField(default=False, help_text="企业本身作为单位责任主体（仅主体责任轨道）")


class RevisionReasonInput(serializers.Serializer):
    correction_reason = serializers.CharField(
        max_length=97,
        required=False,
        allow_blank=True,
        default="",
        help_text="更正理由：修改或撤销已记录的内容时必填",
    )


class CauseSerializer(RevisionReasonInput):
    cause = serializers.CharField(max_length=20000)


class ConclusionsSerializer(RevisionReasonInput):
    nature = serializers.ChoiceField(choices=CaseNature.choices, required=False, allow_blank=True)
    direct_cause = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    indirect_cause = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    course_and_rescue = serializers.CharField(max_length=50000, required=False, allow_blank=True)
    lessons = serializers.CharField(max_length=20000, required=False, allow_blank=True)


class UnitProblemCreateSerializer(serializers.Serializer):
    unit = ScopedSlugField(_visible_units)
    problems = serializers.CharField(max_length=20000)


class InvestigatorCreateSerializer(serializers.Serializer):
    unit = ScopedSlugField(_visible_units, required=False, allow_null=True)
    name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="矩阵外的机关或专家组（不填单位时）",
    )
    role = serializers.ChoiceField(choices=InvestigatorRole.choices)
    duty = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="组内职责"
    )


class AppraisalCreateSerializer(CorrectionInput):
    start = DayField()
    end = DayField(required=False, allow_null=True)
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AppraisalEndSerializer(serializers.Serializer):
    end = DayField()


class PeriodSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=60, max_value=3650, help_text="国务院确定的调查期限（天）")


class HandOverCreateSerializer(CorrectionInput):
    records = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1)
    handed_on = DayField()
    authority = serializers.ChoiceField(choices=CadreAuthority.choices, required=False, allow_blank=True)
    receiving_body = serializers.CharField(max_length=200, required=False, allow_blank=True)
    decision_due = DayField(required=False, allow_null=True)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class CorrectiveActionCreateSerializer(CorrectionInput):
    description = serializers.CharField(max_length=5000)
    responsible = serializers.CharField(max_length=200, required=False, allow_blank=True)
    due_on = DayField(required=False, allow_null=True)


class CompleteActionSerializer(serializers.Serializer):
    done_on = DayField(required=False, help_text="完成日期，默认今日")


class EducationCreateSerializer(CorrectionInput):
    held_on = DayField()
    description = serializers.CharField(max_length=5000)
    participants = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, default=0)


class HandOverDecisionSerializer(serializers.Serializer):
    record = serializers.IntegerField(min_value=1)
    measure = MeasureInputSerializer()
    document_number = serializers.CharField(max_length=200)
    decided_on = DayField()
    correction_reason = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        default="",
        help_text="该移交对该记录已有处理结果时，本次登记即为更正，须写明理由",
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, help_text="撤销理由（必填）")


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=95, help_text="重新开启理由（必填，不超过95字）")


class WithdrawnSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField()
    withdrawn_at = serializers.DateTimeField()
    withdrawn_by = serializers.CharField(allow_null=True)
    withdrawal_reason = serializers.CharField()


class ClosingRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    blockers = BlockerSerializer(many=True)
