"""Serializers of alerts and government findings (issue 28)."""

from __future__ import annotations

from rest_framework import serializers

from responsibility.api.serializers import DayField, code_field

from ...models import (
    Alert,
    AlertPerson,
    FindingSource,
    GovFinding,
    GovFindingTransition,
)
from .common import ScopedSlugField, _all_sectors, _visible_positions, _visible_units, code_input, username_of


class AlertPersonSerializer(serializers.ModelSerializer):
    person = code_field(allow_null=True)
    position = code_field(allow_null=True)
    unit = code_field(allow_null=True)

    class Meta:
        model = AlertPerson
        fields = ["duty_type", "unit", "position", "person", "vacant", "label"]


class AlertSerializer(serializers.ModelSerializer):
    rule = code_field()
    region = code_field()
    enterprise = code_field(allow_null=True)
    unit = code_field(allow_null=True)
    summoned_by = code_field(allow_null=True)
    named = AlertPersonSerializer(many=True, read_only=True)

    class Meta:
        model = Alert
        fields = [
            "code",
            "rule",
            "kind",
            "subject_key",
            "subject_label",
            "window_start",
            "window_end",
            "fired_on",
            "count",
            "region",
            "enterprise",
            "unit",
            "summoned_by",
            "named",
            "state",
            "held_on",
            "attendees",
            "decision_document",
            "dismissed_reason",
        ]


class AlertDetailSerializer(AlertSerializer):
    accidents = code_field(many=True)
    hazards = code_field(many=True)
    findings = code_field(many=True)
    penalties = serializers.SerializerMethodField()

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "accidents", "hazards", "findings", "penalties"]

    def get_penalties(self, alert) -> list[dict]:
        return [
            {"hazard": p.hazard.code, "decided_on": p.decided_on.isoformat(), "document": p.document}
            for p in alert.penalties.select_related("hazard")
        ]


class HandleAlertSerializer(serializers.Serializer):
    held_on = DayField(required=False, allow_null=True, help_text="约谈日期")
    attendees = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    minutes = serializers.FileField(required=False, help_text="约谈纪要（PDF、图片或文档）")
    decision_document = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="提请关闭：决定文号"
    )


class DismissAlertSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class FindingTransitionSerializer(serializers.ModelSerializer):
    by = serializers.SerializerMethodField()

    class Meta:
        model = GovFindingTransition
        fields = ["from_state", "to_state", "at", "by", "note"]

    def get_by(self, transition) -> str | None:
        return username_of(transition.by)


class FindingSerializer(serializers.ModelSerializer):
    issuing_unit = code_field()
    assigned_unit = code_field()
    responsible_position = code_field(allow_null=True)
    sector = code_field(allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = GovFinding
        fields = [
            "code",
            "title",
            "source",
            "issuing_unit",
            "assigned_unit",
            "responsible_position",
            "sector",
            "found_on",
            "deadline",
            "state",
            "overdue",
            "rectification",
            "submitted_on",
            "closed_on",
        ]

    def get_overdue(self, finding) -> bool:
        return finding.is_overdue()


class FindingDetailSerializer(FindingSerializer):
    transitions = FindingTransitionSerializer(many=True, read_only=True)

    class Meta(FindingSerializer.Meta):
        fields = [*FindingSerializer.Meta.fields, "transitions"]


def _my_units(visibility):
    units = visibility.units()
    return units if visibility.everything else units.filter(pk__in=visibility.unit_ids)


class FindingCreateSerializer(serializers.Serializer):
    code = code_input(required=False)
    title = serializers.CharField(max_length=300)
    source = serializers.ChoiceField(choices=FindingSource.choices)
    issuing_unit = ScopedSlugField(_my_units, help_text="下发单位：您本人所在单位")
    assigned_unit = ScopedSlugField(_visible_units, help_text="整改责任单位（党政机关或部门）")
    responsible_position = ScopedSlugField(_visible_positions, required=False)
    sector = ScopedSlugField(_all_sectors, required=False)
    found_on = DayField()
    deadline = DayField()
    media = serializers.FileField(required=False, help_text="暗访视频（MP4/MOV）或材料")


class RectifySerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=[("start", "开始整改"), ("submit", "提交整改")])
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    rectification = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    evidence = serializers.FileField(required=False)


class VerifyFindingSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("close", "核查合格，销号"), ("reject", "退回整改")])
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)
