"""Errors as JSON with field-level messages: the services' django ValidationError becomes a DRF 400."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

NON_FIELD = "non_field_errors"


def validation_detail(exc: DjangoValidationError) -> dict:
    """{"field": ["message", …]} as DRF writes it; a message with no field goes under non_field_errors."""
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD if field == "__all__" else field): list(messages)
            for field, messages in exc.message_dict.items()
        }
    return {NON_FIELD: list(exc.messages)}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_detail(exc))
    elif isinstance(exc, ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, IntegrityError):
        # A concurrent write won a uniqueness race the services did not foresee: a conflict, not a crash.
        set_rollback()
        return Response({"detail": "与并发修改冲突，请刷新后重试"}, status=status.HTTP_409_CONFLICT)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {NON_FIELD: response.data}
    return response
