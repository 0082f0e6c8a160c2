"""The access policy (DESIGN §1 "What each role sees"): one table, asked by the pages, the API and the admin.

Two questions, always in this order:
1. May this role do this action in this area? `POLICY[(area, action)]` — no: 403 (pages and API alike).
2. Is the object in the user's scope? `visible(vis, queryset)` — no: the object is simply not in the
   queryset, so it answers 404 and codes cannot be probed.

An anonymous visitor is sent to the login page (pages) or answered 401 (API) before either question.
A signed-in account without a role (Role.NONE) may use only its own account (API keys, reminders).

The admin site (/admin/) is the 安委办's desk and sees everything: it is reached only by staff accounts
(`is_staff`) holding no scoped role (纪检监察, 监管 or 企业 staff never reach it, so nobody can step outside
their scope there); inside it Django's model permissions decide what each staff account may view or change.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from .permissions import Role, Visibility, request_visibility, role_of

ADMIN = frozenset({Role.ADMIN})
EVERY_ROLE = frozenset({Role.ADMIN, Role.INSPECTOR, Role.REGULATOR, Role.ENTERPRISE})
OVERSIGHT = frozenset({Role.ADMIN, Role.INSPECTOR, Role.REGULATOR})
CASE_SIDE = frozenset({Role.ADMIN, Role.INSPECTOR})  # 一案双查: regulators are its supervision-track subjects
SUPERVISORS = frozenset({Role.ADMIN, Role.REGULATOR})
ENTERPRISE_SIDE = frozenset({Role.ADMIN, Role.ENTERPRISE})
ANY_ACCOUNT = EVERY_ROLE | {Role.NONE}

# (area, action) → the roles that may do it. Scope (which objects) is `visible` below.
POLICY: dict[tuple[str, str], frozenset[str]] = {
    # Regions, sectors, units, posts, people, duties, enterprises: each role reads its own scope of them.
    ("reference", "read"): EVERY_ROLE,
    ("me", "read"): EVERY_ROLE,
    # 全员安全生产责任清单 of one's own enterprise (the enterprise page shows it to every role in scope).
    ("own_duties", "read"): frozenset({Role.ENTERPRISE}),
    # One's own API keys and reminders: every signed-in account.
    ("account", "use"): ANY_ACCOUNT,
    ("dashboard", "read"): OVERSIGHT,
    ("matrix", "read"): OVERSIGHT,  # an enterprise may not see the matrix of others
    ("matrix", "edit"): ADMIN,  # the workbook round trip (export and import) edits the whole matrix
    ("coverage", "read"): OVERSIGHT,
    # An enterprise traces its own events: its own links and the supervision track (`Visibility.visible_links`).
    ("trace", "read"): EVERY_ROLE,
    ("accident", "read"): EVERY_ROLE,
    ("accident", "report"): SUPERVISORS,
    ("accident", "revise"): SUPERVISORS,  # 补报
    ("hazard", "read"): EVERY_ROLE,
    ("hazard", "report"): frozenset({Role.ADMIN, Role.REGULATOR, Role.ENTERPRISE}),
    ("hazard", "rectify"): ENTERPRISE_SIDE,  # 五到位 plan, start, submit, ask for an extension
    ("hazard", "supervise"): SUPERVISORS,  # 销号 or reject, 挂牌督办, decide an extension
    ("case", "read"): CASE_SIDE,  # cases, their records, reports and 终身追责
    ("case", "write"): CASE_SIDE,
    # Patterns that escalate: 安委办 and 纪检 read and handle alerts; an enterprise reads its own Art 113 ones.
    ("alert", "read"): frozenset({Role.ADMIN, Role.INSPECTOR, Role.ENTERPRISE}),
    ("alert", "handle"): CASE_SIDE,
    # 督查反馈问题 against government units: the issuer issues and verifies (销号), the assigned unit
    # rectifies; which side a regulator is on is its unit's (accountability/govfindings.py).
    ("finding", "read"): OVERSIGHT,
    ("finding", "issue"): SUPERVISORS,
    ("finding", "rectify"): SUPERVISORS,
    ("finding", "verify"): SUPERVISORS,
}

DENIED = "您的角色无权执行此操作"


def roles(area: str, action: str) -> frozenset[str]:
    return POLICY[(area, action)]


def may(who: Visibility | str, area: str, action: str) -> bool:
    role = who.role if isinstance(who, Visibility) else who
    return role in POLICY[(area, action)]


def require(vis: Visibility, area: str, action: str) -> None:
    """A role lacking the action: 403."""
    if not may(vis, area, action):
        raise PermissionDenied(DENIED)


def page(area: str, action: str) -> Callable:
    """A page: sign-in first (a redirect to the login page), then the role (403); scope is the view's 404."""

    def decorate(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            require(request_visibility(request), area, action)
            return view(request, *args, **kwargs)

        checked.access = (area, action)
        return login_required(checked)

    return decorate


def api_roles(**actions: tuple[str, str]) -> dict[str, frozenset[str]]:
    """A view's `action_roles` (read by `HasActionRole`): each DRF action (or method) → its policy entry."""
    return {name: POLICY[entry] for name, entry in actions.items()}


def may_use_admin(user) -> bool:
    """The admin site: 安委办 staff only (see the module docstring)."""
    return bool(
        user.is_active and user.is_staff and (user.is_superuser or role_of(user) in (Role.ADMIN, Role.NONE))
    )


# ---- scope: the objects of each kind a user may see (one lazy queryset each, applied as a subquery) ------


def _related(qs: QuerySet, field: str):
    return qs.model._meta.get_field(field).related_model.objects.all()


def _accidents(vis: Visibility, qs: QuerySet) -> QuerySet:
    return vis.filter_events(qs)


def _hazards(vis: Visibility, qs: QuerySet) -> QuerySet:
    return vis.filter_events(qs, region_field="enterprise__region")


def _cases(vis: Visibility, qs: QuerySet) -> QuerySet:
    if not may(vis, "case", "read"):
        return qs.none()
    if vis.everything:
        return qs
    accidents = _accidents(vis, _related(qs, "accident"))
    hazards = _hazards(vis, _related(qs, "hazard"))
    findings = _findings(vis, _related(qs, "finding"))
    return qs.filter(
        Q(accident__in=accidents.values("pk"))
        | Q(hazard__in=hazards.values("pk"))
        | Q(finding__in=findings.values("pk"))
    )


def _findings(vis: Visibility, qs: QuerySet) -> QuerySet:
    """A township or a department sees the findings assigned to it, an issuer what it issued; 纪检 those
    of the units in its regions; an enterprise none (they are about government units)."""
    if vis.everything:
        return qs
    if vis.role == Role.REGULATOR:
        return qs.filter(Q(assigned_unit__in=vis.unit_ids) | Q(issuing_unit__in=vis.unit_ids))
    if vis.role == Role.INSPECTOR:
        return qs.filter(vis._region_subtrees_q("assigned_unit__region"))
    return qs.none()


def _alerts(vis: Visibility, qs: QuerySet) -> QuerySet:
    """纪检: alerts of its regions; an enterprise: its own closure (Art 113) alerts; a regulator: none."""
    if vis.everything:
        return qs
    if vis.role == Role.INSPECTOR:
        return qs.filter(vis._region_subtrees_q("region"))
    if vis.role == Role.ENTERPRISE:
        return qs.filter(kind="closure", enterprise__in=vis.enterprise_ids)
    return qs.none()


SCOPE: dict[str, Callable[[Visibility, QuerySet], QuerySet]] = {
    "accountability.accident": _accidents,
    "accountability.hazard": _hazards,
    "accountability.case": _cases,
    "accountability.govfinding": _findings,
    "accountability.alert": _alerts,
}


def visible(vis: Visibility, qs: QuerySet) -> QuerySet:
    """The part of `qs` (accidents, hazards, cases, government findings, alerts) in the user's scope."""
    return SCOPE[qs.model._meta.label_lower](vis, qs)
