"""Scope and plumbing shared by the accountability viewsets."""

from __future__ import annotations

import secrets

from django.utils import timezone
from drf_spectacular.utils import extend_schema

from responsibility.api.schema import code_path_parameter
from responsibility.permissions import request_visibility

from ...selectors import (  # noqa: F401 (the viewsets' scope)
    visible_accidents,
    visible_alerts,
    visible_cases,
    visible_findings,
    visible_hazards,
)


def _context(view) -> dict:
    return {**view.get_serializer_context(), "visibility": request_visibility(view.request)}


def _parse(serializer_class, view):
    serializer = serializer_class(data=view.request.data, context=_context(view))
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _parse_entry(serializer_class, view) -> tuple[dict, dict]:
    """An entry's fields and its correction keywords (`replaces`, `reason`) for `write_entry`."""
    serializer = serializer_class(data=view.request.data, context=_context(view))
    serializer.is_valid(raise_exception=True)
    correction = serializer.correction()
    return serializer.validated_data, correction


def _new_code(prefix: str, model) -> str:
    while True:
        code = f"{prefix}{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"
        if not model.objects.filter(code=code).exists():
            return code


CODE_LOOKUP = [code_path_parameter("code", "编码")]


def _case_action(request_serializer, response, parameters=CODE_LOOKUP):
    return extend_schema(request=request_serializer, responses=response, parameters=parameters)
