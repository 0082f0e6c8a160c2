"""Who may call which endpoint: each view's `action_roles`, filled from the access policy
(responsibility/access.py `api_roles`), checked by `HasActionRole`.

A role lacking the action gets 403; an object outside the caller's scope is simply not in the
view's queryset (`access.visible`), so it answers 404 and ids cannot be probed.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import BasePermission

from responsibility.permissions import Role, request_visibility

ROLE_LABELS = {
    Role.ADMIN: "安委办 admin",
    Role.INSPECTOR: "纪检监察 inspector",
    Role.REGULATOR: "监管人员 regulator",
    Role.ENTERPRISE: "企业用户 enterprise",
}


def roles_of_view(view, action: str | None) -> frozenset[str]:
    """The roles a view grants `action` (a viewset action, or the lower-case method of an APIView)."""
    table = getattr(view, "action_roles", None) or {}
    if action == "metadata":
        return frozenset().union(*table.values()) if table else frozenset()
    return table.get(action, frozenset())


def describe_roles(roles) -> str:
    return "、".join(
        ROLE_LABELS[r] for r in (Role.ADMIN, Role.INSPECTOR, Role.REGULATOR, Role.ENTERPRISE) if r in roles
    )


class HasActionRole(BasePermission):
    """The caller's role must be listed for the action in the view's `action_roles` (fail closed)."""

    message = "您的角色无权执行此操作"

    def has_permission(self, request, view) -> bool:
        method = request.method.lower()
        action = getattr(view, "action", None) or {"head": "get", "options": "metadata"}.get(method, method)
        return request_visibility(request).role in roles_of_view(view, action)


class DocsAccess(BasePermission):
    """The OpenAPI schema and its docs: public while developing, behind login in production
    (settings.DUTYCHAIN["API_DOCS_LOGIN_REQUIRED"], read per request)."""

    def has_permission(self, request, view) -> bool:
        if not settings.DUTYCHAIN.get("API_DOCS_LOGIN_REQUIRED"):
            return True
        return bool(request.user and request.user.is_authenticated)
