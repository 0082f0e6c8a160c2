"""The trace request and its answer."""

from __future__ import annotations

from rest_framework import serializers

from responsibility.api.serializers import DayField, LinkSerializer

from ...grading import Grade
from .common import code_input


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
