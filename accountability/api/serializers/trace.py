"""The trace request (parsed by `accountability.tracing`, shared with the command and the page) and its answer."""

from __future__ import annotations

from rest_framework import serializers

from responsibility.api.serializers import LinkSerializer

from ...grading import Grade
from ...tracing import TraceQuerySerializer

__all__ = ["TraceQuerySerializer", "TraceSerializer"]


class TraceSerializer(serializers.Serializer):
    """The JSON of `manage.py trace --json` (`accountability.tracing.as_codes`)."""

    enterprise = serializers.CharField(allow_null=True)
    region = serializers.CharField()
    sector = serializers.CharField()
    date = serializers.DateField()
    grade = serializers.ChoiceField(choices=Grade.choices, allow_null=True)
    since = serializers.DateField(required=False)
    also_sectors = serializers.ListField(child=serializers.CharField(), required=False)
    links = LinkSerializer(many=True)
