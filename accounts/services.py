"""Writes of API keys: issue, revoke, and the audit record of each attempt."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from responsibility.auth import client_ip

from .models import ApiKey, ApiKeyEvent

NAME_MAX = ApiKey._meta.get_field("name").max_length


def client_address(request) -> str | None:
    """The client's address as the login throttles count it (trusted proxies only)."""
    if request is None:
        return None
    return client_ip(request) or None


def default_key_name() -> str:
    return f"API 密钥 {timezone.localdate():%Y-%m-%d}"


@transaction.atomic
def issue_api_key(*, user, name: str = "", via: str, address: str | None = None) -> tuple[ApiKey, str]:
    """A new key for `user`; returns the stored row and the key itself (never stored, shown once)."""
    name = (name or "").strip()[:NAME_MAX] or default_key_name()
    key, token = ApiKey.objects.create(user=user, expiry=None, name=name)
    ApiKeyEvent.objects.create(
        action=ApiKeyEvent.Action.CREATED,
        user=user,
        username=user.get_username(),
        key_prefix=key.token_key,
        key_name=name,
        via=via,
        address=address,
    )
    return key, token


@transaction.atomic
def revoke_api_key(*, user, token_key: str, via: str, address: str | None = None) -> bool:
    """Revoke one of `user`'s own keys (by its visible prefix); False when there is none such."""
    keys = list(ApiKey.objects.filter(user=user, token_key=token_key))
    if not keys:
        return False
    for key in keys:
        ApiKeyEvent.objects.create(
            action=ApiKeyEvent.Action.REVOKED,
            user=user,
            username=user.get_username(),
            key_prefix=key.token_key,
            key_name=key.name,
            via=via,
            address=address,
        )
        key.delete()
    return True


def revoke_all_api_keys(*, user, via: str) -> int:
    count = 0
    for token_key in ApiKey.objects.filter(user=user).values_list("token_key", flat=True):
        count += revoke_api_key(user=user, token_key=token_key, via=via)
    return count


def record_refused_key_request(*, username: str, via: str, address: str | None = None) -> None:
    ApiKeyEvent.objects.create(
        action=ApiKeyEvent.Action.REFUSED, username=username[:150], via=via, address=address
    )
