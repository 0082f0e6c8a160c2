"""Login throttling (django-axes, database handler): failures are counted per username *and* address
together, so nobody can lock a colleague out from another machine; a lockout answers 429 in Chinese.

Every authenticate() that comes with a request is throttled — the login page, the admin login and the
API's token endpoint alike; a call without one (a management command) is no login attempt and passes."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

LOCKED_OUT = "登录失败次数过多，该账号在本机已被暂时锁定，请 {minutes} 分钟后再试，或联系安委办管理员解锁。"


class LoginThrottleBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        # DRF wraps the request; axes reads (and flags) the Django request underneath.
        request = getattr(request, "_request", request)
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return LOCKED_OUT.format(minutes=minutes)


def lockout_response(request, original_response=None, credentials=None):
    message = lockout_message()
    wants_json = request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")
    if wants_json:
        return JsonResponse({"detail": message}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


def client_ip(request) -> str:
    """The address a login is counted against: REMOTE_ADDR, or behind PROXY_COUNT trusted reverse
    proxies the address the first of them saw (X-Forwarded-For, counted from the right)."""
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    count = settings.PROXY_COUNT
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")
