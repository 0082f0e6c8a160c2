"""Scope and plumbing shared by the accountability viewsets."""

from __future__ import annotations

import secrets

from django.db.models import Q
from django.utils import timezone

from responsibility.api.schema import code_path_parameter
from responsibility.permissions import Visibility, request_visibility

from ...models import (
    Accident,
    Case,
    Hazard,
)


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
