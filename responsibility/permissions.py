"""Who may see what: roles, and the scope of each user computed once per request.

Roles are groups; scope comes from django-guardian object permissions on the objects that define
it (a region for 纪检监察, a department or township unit for 监管人员, an enterprise for 企业用户).
Scope is expressed as *grants* — (region subtree, sectors or all, one enterprise or any) — and
applied to lists as one subquery, never as a per-row permission check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import (
    Duty,
    Person,
    Position,
    Region,
    RegionGroupObjectPermission,
    RegionUserObjectPermission,
    Tenure,
    Track,
    Unit,
    UnitGroupObjectPermission,
    UnitKind,
    UnitUserObjectPermission,
)


class Role:
    ADMIN = "admin"  # 安委办
    INSPECTOR = "inspector"  # 纪检监察
    REGULATOR = "regulator"  # 部门/乡镇监管人员
    ENTERPRISE = "enterprise"  # 企业用户
    NONE = "none"


# Group names as the admin shows them; the role is what the code reads.
ROLE_GROUPS = {
    Role.ADMIN: "安委办",
    Role.INSPECTOR: "纪检监察",
    Role.REGULATOR: "监管人员",
    Role.ENTERPRISE: "企业用户",
}
ROLE_OF_GROUP = {name: role for role, name in ROLE_GROUPS.items()}
# The strongest role wins when a user is in several groups.
ROLE_ORDER = [Role.ADMIN, Role.INSPECTOR, Role.REGULATOR, Role.ENTERPRISE]

INSPECT_REGION = "inspect_region"
REGULATE_UNIT = "regulate_unit"
ACT_FOR_ENTERPRISE = "act_for_enterprise"


def any_of(qs: QuerySet, *conditions: Q) -> QuerySet:
    """Rows of `qs` meeting any of `conditions`, each condition its own branch of a UNION of primary keys.

    ORed in one WHERE, conditions over different joins or subqueries leave the planner no index to use
    (it scans the table and tests every row); as branches, each follows its own index."""
    model = qs.model
    first, *rest = (model._default_manager.filter(c).order_by().values("pk") for c in conditions)
    return qs.filter(pk__in=first.union(*rest, all=True) if rest else first)


@dataclass(frozen=True)
class Grant:
    """Events and enterprises in `region_path`'s subtree, in `sector_paths` (None = all), of `enterprise_id` (None = any)."""

    region_path: str
    sector_paths: tuple[str, ...] | None = None
    enterprise_id: int | None = None


@dataclass(frozen=True)
class Visibility:
    role: str
    everything: bool = False
    grants: tuple[Grant, ...] = ()
    enterprise_ids: frozenset[int] = frozenset()  # an enterprise user's own enterprises
    unit_ids: frozenset[int] = frozenset()  # a regulator's own units
    region_ids: frozenset[int] = frozenset()  # an inspector's regions
    user_id: int | None = field(default=None, compare=False)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def _grant_q(self, region_field: str, sector_field: str | None, enterprise_field: str | None) -> Q:
        parts = []
        for grant in self.grants:
            q = Q(**{f"{region_field}__path__startswith": grant.region_path})
            if grant.sector_paths is not None and sector_field is not None:
                q &= reduce(or_, (Q(**{f"{sector_field}__path__startswith": p}) for p in grant.sector_paths))
            if grant.enterprise_id is not None and enterprise_field is not None:
                q &= Q(**{enterprise_field: grant.enterprise_id})
            parts.append(q)
        return reduce(or_, parts) if parts else Q(pk__in=[])

    def enterprises(self) -> QuerySet[Unit]:
        """The enterprises this user may see (lazy: used as a subquery)."""
        qs = Unit.objects.filter(kind=UnitKind.ENTERPRISE)
        if self.everything:
            return qs
        if self.role == Role.ENTERPRISE:
            return qs.filter(pk__in=self.enterprise_ids)
        if not self.grants:
            return qs.none()
        # An enterprise is in a grant's sectors when one of its sectors lies under them.
        return qs.filter(pk__in=Unit.objects.filter(self._grant_q("region", "sectors", "pk")).values("pk"))

    def visible_enterprise_ids(self):
        return self.enterprises().values("pk")

    def filter_by_enterprise(self, qs: QuerySet, enterprise_field: str = "enterprise") -> QuerySet:
        if self.everything:
            return qs
        return qs.filter(**{f"{enterprise_field}__in": self.visible_enterprise_ids()})

    def filter_events(
        self, qs: QuerySet, *, enterprise_field="enterprise", region_field="region", sector_field="sector"
    ) -> QuerySet:
        """Accidents (or anything with an optional enterprise, a region and a sector) this user may see."""
        if self.everything:
            return qs
        by_grant = self._grant_q(region_field, sector_field, enterprise_field)
        if self.role == Role.REGULATOR:
            # A department answers for its sectors: an enterprise it regulates may have events in others.
            return qs.filter(by_grant)
        by_enterprise = Q(**{f"{enterprise_field}__in": self.visible_enterprise_ids()})
        if self.role == Role.ENTERPRISE:
            return qs.filter(by_enterprise)
        return any_of(qs, by_enterprise, by_grant)

    def visible_links(self, links: list) -> list:
        """DESIGN §1: an enterprise sees its own links and the supervision track of its events; other
        enterprises' links (parties, actors, their permits and inspections) are left out."""
        if self.role != Role.ENTERPRISE:
            return links
        return [
            link
            for link in links
            if (
                link.enterprise.pk in self.enterprise_ids
                if link.enterprise
                else link.track == Track.SUPERVISION
            )
        ]

    def visible_parties(self, parties, actors) -> tuple[list, list]:
        """DESIGN §1, an event's other parties: an enterprise sees its own party entry and the people who
        control it (actors `of` it); other enterprises' parties and actors are left out — on the page and
        the API alike (their trace leaves out the same links, `visible_links`)."""
        parties, actors = list(parties), list(actors)
        if self.role != Role.ENTERPRISE:
            return parties, actors
        return (
            [party for party in parties if party.enterprise_id in self.enterprise_ids],
            [actor for actor in actors if actor.of_id in self.enterprise_ids],
        )

    def sees_enterprise(self, enterprise: Unit) -> bool:
        return self.everything or self.enterprises().filter(pk=enterprise.pk).exists()

    @staticmethod
    def _covers(grant: Grant, region: Region, sector, enterprise: Unit | None) -> bool:
        """The in-memory twin of `_grant_q`, for one event."""
        return (
            region.path.startswith(grant.region_path)
            and grant.enterprise_id in (None, enterprise.pk if enterprise is not None else None)
            and (
                grant.sector_paths is None
                or (sector is not None and sector.path.startswith(grant.sector_paths))
            )
        )

    def sees_place(self, region: Region, sector=None) -> bool:
        """An event with no enterprise (a road accident): inside a grant's region subtree and sectors."""
        return self.everything or any(self._covers(g, region, sector, None) for g in self.grants)

    def sees_event(self, *, enterprise: Unit | None, region: Region, sector) -> bool:
        """Whether an event at this enterprise, or at this place, lies in scope: the test of `filter_events`."""
        if self.everything:
            return True
        if self.role != Role.REGULATOR and enterprise is not None and self.sees_enterprise(enterprise):
            return True
        return self.role != Role.ENTERPRISE and any(
            self._covers(g, region, sector, enterprise) for g in self.grants
        )

    # ---- the reference lists: one lazy queryset each, used as a subquery by the API ----

    def _region_subtrees_q(self, region_field: str = "") -> Q:
        lookup = f"{region_field}__path__startswith" if region_field else "path__startswith"
        parts = [Q(**{lookup: grant.region_path}) for grant in self.grants]
        return reduce(or_, parts) if parts else Q(pk__in=[])

    def regions(self) -> QuerySet[Region]:
        """Regions: the subtrees of the grants and the way up to them; an enterprise sees where it sits, upwards."""
        qs = Region.objects.all()
        if self.everything:
            return qs
        if self.role == Role.ENTERPRISE:
            below = Unit.objects.filter(pk__in=self.enterprise_ids, region__path__startswith=OuterRef("path"))
            return qs.filter(Exists(below))
        if not self.grants:
            return qs.none()
        ancestors: set[str] = set()
        for grant in self.grants:
            codes = [c for c in grant.region_path.split("/") if c]
            ancestors.update("/" + "/".join(codes[:i]) + "/" for i in range(1, len(codes)))
        return qs.filter(Q(path__in=sorted(ancestors)) | self._region_subtrees_q())

    def units(self) -> QuerySet[Unit]:
        """Units: an enterprise user's own enterprise and its departments; otherwise what lies in scope."""
        qs = Unit.objects.all()
        if self.everything:
            return qs
        if self.role == Role.ENTERPRISE:
            return qs.filter(enterprise_id__in=self.enterprise_ids)
        in_enterprises = Q(enterprise_id__in=self.visible_enterprise_ids())
        if self.role == Role.INSPECTOR:
            return any_of(qs, in_enterprises, self._region_subtrees_q("region"))
        if self.role == Role.REGULATOR:
            public_bodies = Q(enterprise__isnull=True) & self._region_subtrees_q("region")
            return any_of(qs, in_enterprises, public_bodies, Q(pk__in=self.unit_ids))
        return qs.none()

    def positions(self) -> QuerySet[Position]:
        qs = Position.objects.all()
        return qs if self.everything else qs.filter(unit__in=self.units().values("pk"))

    def people(self) -> QuerySet[Person]:
        """People who hold or held a post in a visible unit."""
        qs = Person.objects.all()
        if self.everything:
            return qs
        held = Tenure.objects.filter(position__unit__in=self.units().values("pk")).values("person_id")
        return qs.filter(pk__in=held)

    def actors(self) -> QuerySet[Person]:
        """People an event may name as actors: the people this user sees, and people who hold no post
        anywhere (房东, 实际控制人 — an actor acts outside any unit). Someone else's staff reads as unknown."""
        qs = Person.objects.all()
        if self.everything:
            return qs
        return any_of(
            qs, Q(pk__in=self.people().values("pk")), ~Exists(Tenure.objects.filter(person=OuterRef("pk")))
        )

    def duties(self) -> QuerySet[Duty]:
        """Duties held by a visible unit or by a post in one."""
        qs = Duty.objects.all()
        if self.everything:
            return qs
        if self.role == Role.ENTERPRISE:
            # A handful of units and posts: their ids first (one query), then two indexed columns.
            unit_ids, position_ids = self._holder_ids()
            return qs.filter(Q(holder_unit_id__in=unit_ids) | Q(holder_position_id__in=position_ids))
        units = self.units().values("pk")
        return any_of(qs, Q(holder_unit__in=units), Q(holder_position__unit__in=units))

    def _holder_ids(self) -> tuple[list[int], list[int]]:
        """The ids of the visible units and of the posts in them, in one query (a unit without posts comes
        back once, with None)."""
        unit_ids, position_ids = set(), []
        for unit_id, position_id in self.units().order_by().values_list("pk", "positions__pk"):
            unit_ids.add(unit_id)
            if position_id is not None:
                position_ids.append(position_id)
        return sorted(unit_ids), position_ids


def role_of(user) -> str:
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated or not user.is_active:
        return Role.NONE
    if user.is_superuser:
        return Role.ADMIN
    names = {g.name for g in user.groups.all()}
    roles = {ROLE_OF_GROUP[n] for n in names if n in ROLE_OF_GROUP}
    return next((r for r in ROLE_ORDER if r in roles), Role.NONE)


def _unit_perm_ids(user: User, codename: str) -> set[int]:
    direct = UnitUserObjectPermission.objects.filter(user=user, permission__codename=codename)
    via_groups = UnitGroupObjectPermission.objects.filter(group__user=user, permission__codename=codename)
    return set(direct.values_list("content_object_id", flat=True)) | set(
        via_groups.values_list("content_object_id", flat=True)
    )


def _region_perm_ids(user: User, codename: str) -> set[int]:
    direct = RegionUserObjectPermission.objects.filter(user=user, permission__codename=codename)
    via_groups = RegionGroupObjectPermission.objects.filter(group__user=user, permission__codename=codename)
    return set(direct.values_list("content_object_id", flat=True)) | set(
        via_groups.values_list("content_object_id", flat=True)
    )


def _regulator_grants(unit_ids: set[int]) -> tuple[Grant, ...]:
    """A regulator sees what its units' duties cover today: their region subtree, sectors and enterprise."""
    held = any_of(
        Duty.objects.all(), Q(holder_unit_id__in=unit_ids), Q(holder_position__unit_id__in=unit_ids)
    )
    duties = (
        held.on(timezone.localdate())
        .select_related("region", "holder_unit__region", "holder_position__unit__region")
        .prefetch_related("sectors")
    )
    grants = set()
    for duty in duties:
        region = duty.region if duty.region_id else duty.unit.region
        sectors = tuple(sorted(s.path for s in duty.sectors.all())) or None
        grants.add(Grant(region.path, sectors, duty.enterprise_id))
    return tuple(sorted(grants, key=lambda g: (g.region_path, g.sector_paths or (), g.enterprise_id or 0)))


def visibility_for(user) -> Visibility:
    """The user's scope, computed once (cache it on the request: `request_visibility`)."""
    role = role_of(user)
    if role == Role.ADMIN:
        return Visibility(role, everything=True, user_id=user.pk)
    if role == Role.INSPECTOR:
        from .models import Region

        region_ids = _region_perm_ids(user, INSPECT_REGION)
        paths = Region.objects.filter(pk__in=region_ids).values_list("path", flat=True)
        return Visibility(
            role,
            grants=tuple(Grant(p) for p in sorted(paths)),
            region_ids=frozenset(region_ids),
            user_id=user.pk,
        )
    if role == Role.REGULATOR:
        unit_ids = _unit_perm_ids(user, REGULATE_UNIT)
        return Visibility(
            role, grants=_regulator_grants(unit_ids), unit_ids=frozenset(unit_ids), user_id=user.pk
        )
    if role == Role.ENTERPRISE:
        return Visibility(
            role, enterprise_ids=frozenset(_unit_perm_ids(user, ACT_FOR_ENTERPRISE)), user_id=user.pk
        )
    return Visibility(Role.NONE, user_id=getattr(user, "pk", None))


def request_visibility(request) -> Visibility:
    """Once per request, however many lists and checks use it."""
    cached = getattr(request, "_visibility", None)
    if cached is None:
        cached = visibility_for(request.user)
        request._visibility = cached
    return cached


def ensure_role_groups() -> dict[str, Group]:
    return {role: Group.objects.get_or_create(name=name)[0] for role, name in ROLE_GROUPS.items()}
