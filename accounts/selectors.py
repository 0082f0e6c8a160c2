"""Reads of API keys: a user's own keys only."""

from __future__ import annotations

from .models import ApiKey


def api_keys_of(user):
    return ApiKey.objects.filter(user=user).order_by("-created")
