"""Request guards and response headers that apply to every page and the API alike."""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.cache import patch_cache_control

from .validators import text_problem

BAD_CHARACTERS = "请求无效：路径或查询参数包含非法字符（NUL 等）"


class RequestGuardMiddleware:
    """A NUL byte (or text no encoding can store) in the path or a query parameter is a bad request:
    PostgreSQL refuses NUL in a query, so letting it through turns a typo or a probe into a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = [request.path, *request.GET.keys(), *(v for vs in request.GET.lists() for v in vs[1])]
        if any(text_problem(value) for value in values):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": BAD_CHARACTERS}, status=400, json_dumps_params={"ensure_ascii": False}
                )
            return HttpResponseBadRequest(BAD_CHARACTERS, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class NoStoreForSignedInMiddleware:
    """Pages shown to a signed-in user name people and findings: no cache (browser, proxy) may keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META
        if signed_in:
            patch_cache_control(response, no_store=True, private=True)
        return response


class LoginThrottleMiddleware:
    """A login attempt over a rate limit (flagged by responsibility.auth.LoginThrottleBackend) answers 429,
    whatever the view made of the refusal (the login form's "wrong password", the key endpoint's 400)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        seconds = getattr(request, "login_throttled", None)
        if seconds is not None and not getattr(request, "axes_locked_out", False):
            from .auth import throttled_response

            return throttled_response(request, seconds)
        return response
