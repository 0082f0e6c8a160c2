"""The OpenAPI schema: every operation names the roles allowed and documents its error responses."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .permissions import describe_roles, roles_of_view

CODE_PATTERN = r"^[A-Za-z0-9_.\-]+$"
# Router lookups by code: the characters CODE_HELP allows (dots included), never a slash.
CODE_LOOKUP_REGEX = r"[A-Za-z0-9_.\-]+"


def code_path_parameter(name: str = "code", description: str = "稳定编码") -> OpenApiParameter:
    return OpenApiParameter(name, str, OpenApiParameter.PATH, description=description, pattern=CODE_PATTERN)


class ErrorSerializer(serializers.Serializer):
    """An error: `detail`, or field-level messages `{"field": ["message"]}` (non_field_errors for the rest)."""

    detail = serializers.CharField(required=False)
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


class DutyChainSchema(AutoSchema):
    def get_description(self) -> str:
        description = super().get_description() or ""
        action = getattr(self.view, "action", None) or self.method.lower()
        roles = roles_of_view(self.view, action)
        if not hasattr(self.view, "action_roles"):
            return description
        allowed = describe_roles(roles) if roles else "无"
        return f"{description}\n\n权限：{allowed}。范围之外的对象返回 404。".strip()

    def _error_codes(self) -> list[str]:
        codes = ["401", "403", "404", "429"]
        if self.method != "GET" or any(p["in"] == "query" for p in self._get_parameters()):
            codes.insert(0, "400")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
        return responses
