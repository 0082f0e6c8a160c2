"""The trace over the API: a thin caller of `accountability.tracing`."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from responsibility.access import api_roles
from responsibility.api.permissions import HasActionRole
from responsibility.permissions import request_visibility

from ...tracing import TraceRefused, as_codes, resolve, unknown_parameters
from ..serializers.trace import TraceQuerySerializer, TraceSerializer


class TraceView(APIView):
    """The duty chain of an event on its day, both tracks in chain order — the JSON of
    `manage.py trace --json`. Either `accident` or `hazard`, or `enterprise` (with optional `unit`
    and `post`) or `region`, plus `sector`, `date` and optionally `grade`."""

    permission_classes = [IsAuthenticated, HasActionRole]
    # An enterprise traces its own events: its own links and the supervision track (DESIGN §1).
    action_roles = api_roles(get=("trace", "read"))

    @extend_schema(parameters=[TraceQuerySerializer], responses=TraceSerializer)
    def get(self, request):
        query = TraceQuerySerializer(data=request.query_params)
        # A misspelt parameter (also_sectors for also_sector) is refused by name, never silently dropped.
        unknown = unknown_parameters(request.query_params, set(query.fields))
        if unknown:
            raise serializers.ValidationError({name: [message] for name, message in unknown.items()})
        query.is_valid(raise_exception=True)
        try:
            traced = resolve(query.trace_request, request_visibility(request))
        except TraceRefused as refused:
            # An event, enterprise or region out of scope answers like one that does not exist: 404.
            if refused.unknown_subject:
                raise Http404 from None
            raise serializers.ValidationError(refused.errors) from None
        return Response(as_codes(traced))
