"""The API's rate limits, counted per client address as the login lockout counts it (`client_ip`): DRF's
own get_ident believes any X-Forwarded-For, so a forged header would give each request a new address."""

from __future__ import annotations

from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

from .auth import client_ip


class ClientAddress:
    def get_ident(self, request):
        return client_ip(request)


class AnonThrottle(ClientAddress, AnonRateThrottle):
    pass


class UserThrottle(ClientAddress, UserRateThrottle):
    pass


class ScopedThrottle(ClientAddress, ScopedRateThrottle):
    pass
