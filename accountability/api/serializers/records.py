"""Serializers of accountability records, their decisions and measures, and 终身追责 per person."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from responsibility.api.serializers import code_field
from responsibility.models import DutyType, Track

from ...measures import BY_CODE as MEASURE_KINDS
from ...measures import CHANNELS, CRIMINAL_ARTICLES, label_of
from ...models import (
    AccountabilityRecord,
    Category,
    Decision,
    Finding,
    Measure,
)
from .common import username_of


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
            "recorded_by",
            "replaces",
        ]

    recorded_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="录入人（移交处理结果由录入的纪检人员）",
    )
    replaces = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="本条更正的处理结果"
    )

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
            "no_measure_reason",
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
    return record.decision_history, record.current_decision


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
    no_measure_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text="免予处理理由：负有责任而不给予处理措施的必填",
    )


class AmendSerializer(FindingSerializer):
    reason = serializers.CharField(max_length=5000, help_text="更正理由（必填）")


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
