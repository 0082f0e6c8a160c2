"""Autocomplete by name for the forms: units, posts, people and enterprises in the user's scope, as JSON.

Small and bounded: at most LIMIT rows, one query, only what the user may see (the pickers' querysets).
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import Http404, JsonResponse

from responsibility.access import page
from responsibility.permissions import request_visibility
from responsibility.views import page_context

from ..pickers import KINDS, label_of, scoped, search

LIMIT = 20


@page("reference", "read")
def lookup(request, kind):
    if kind not in KINDS:
        raise Http404
    vis = request_visibility(request)
    q = request.GET.get("q", "").strip()[:100]
    if not q:
        return JsonResponse({"results": []})
    qs = search(scoped(vis, kind), kind, q)
    enterprise = request.GET.get("enterprise", "").strip()
    if enterprise and kind in ("units", "positions"):
        field = "enterprise__code" if kind == "units" else "unit__enterprise__code"
        qs = qs.filter(**{field: enterprise})
    rows = qs.order_by("code")[:LIMIT]
    return JsonResponse(
        {"results": [{"code": obj.code, "label": label_of(obj, kind)} for obj in rows]},
        json_dumps_params={"ensure_ascii": False},
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, inside the site's navigation."""

    template_name = "registration/password_change.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **page_context(self.request)}


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **page_context(self.request)}
