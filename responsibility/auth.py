"""Login throttling. Two guards, on every authenticate() that comes with a request — the login page,
the admin login and the API's key endpoint alike; a call without one (a management command) is no login
attempt and passes:

- django-axes (database handler): wrong passwords are counted per username *and* address together, so
  nobody can lock a colleague out from another machine; a lockout answers 429 in Chinese.
- rate limits (the cache, DRF's throttle machinery): attempts per address (one address trying many
  usernames) and per account (many addresses trying one), whatever the password; over either, 429.

Both count the client's address from `client_ip`: REMOTE_ADDR, unless it is one of the configured
trusted proxies (settings.TRUSTED_PROXIES, none by default), so a forged X-Forwarded-For counts nothing."""

from __future__ import annotations

import hashlib
import ipaddress
import math

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from rest_framework.throttling import SimpleRateThrottle

LOCKED_OUT = "登录失败次数过多，该账号在本机已被暂时锁定，请 {minutes} 分钟后再试，或联系安委办管理员解锁。"
THROTTLED = "登录尝试过于频繁，请 {seconds} 秒后再试。"


class LoginAttempts(SimpleRateThrottle):
    """Login attempts in a window, per address (`login_address`) or per account (`login_account`);
    the rates are REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]."""

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def get_cache_key(self, request, view):
        if self.scope == "login_account":
            # Case and spaces do not make another account; hashed, as cache keys must be plain.
            name = (view or "").strip().casefold().encode("utf-8", "surrogatepass")
            return self.cache_format % {"scope": self.scope, "ident": hashlib.sha256(name).hexdigest()}
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class LoginThrottleBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        # DRF wraps the request; axes reads (and flags) the Django request underneath.
        request = getattr(request, "_request", request)
        # A locked-out pair is refused first (axes raises), so it is told so, not "too fast".
        super().authenticate(request, username=username, password=password, **kwargs)
        for attempts in (LoginAttempts("login_address"), LoginAttempts("login_account")):
            # The account's name travels as the throttle's `view` (its cache key's ident).
            if not attempts.allow_request(request, username):
                request.login_throttled = math.ceil(attempts.wait() or 1)
                # Stops authenticate() before any password is checked (and counts as a failure).
                raise PermissionDenied("login throttled")
        return None


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return LOCKED_OUT.format(minutes=minutes)


def lockout_response(request, original_response=None, credentials=None):
    message = lockout_message()
    wants_json = request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")
    if wants_json:
        return JsonResponse({"detail": message}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


def throttled_response(request, seconds: int):
    message = THROTTLED.format(seconds=seconds)
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": message}, status=429, json_dumps_params={"ensure_ascii": False})
    else:
        context = {"message": message, "title": "登录尝试过于频繁"}
        response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address) -> bool:
    return address is not None and any(address in network for network in settings.TRUSTED_PROXIES)


def client_ip(request) -> str:
    """The client's address, for every throttle and the login lockout (axes' AXES_CLIENT_IP_CALLABLE,
    the API throttles' get_ident): REMOTE_ADDR, unless that is a trusted proxy (settings.TRUSTED_PROXIES,
    from DJANGO_TRUSTED_PROXIES; none by default). Then X-Forwarded-For is read from the right, past
    the trusted proxies, and the first address they did not add themselves is the client's: what lies
    further left was written by the client and proves nothing."""
    remote = request.META.get("REMOTE_ADDR", "")
    client = _address(remote)
    if not _trusted(client):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _address(hop)
        if address is None:
            break  # garbage where a proxy would have written an address: trust no further
        client = address
        if not _trusted(address):
            break
    return str(client)
