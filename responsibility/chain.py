"""resolve_chain: who held which duty for an event, on the event's day (DESIGN §3).

One small function per rule, in the order of §3. The database work is a fixed handful of
queries whatever the depth of the trees or the size of the tables: ancestors come from the
materialised paths, candidates are fetched in one duty query, and the Python predicates
below decide the rest.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch, Q

from .models import (
    LEVEL_RANK,
    Duty,
    DutyType,
    Inspection,
    PartyRole,
    Permit,
    Person,
    Position,
    Region,
    Sector,
    Tenure,
    Track,
    Unit,
    track_of,
)

# §3.5: the level that investigates each grade (493号令 Art 19) bounds how far up the chain reaches.
REACH_BY_GRADE = {
    None: "county",
    "general": "county",
    "larger": "city",
    "major": "province",
    "especially_major": "national",
}

# §3.2: what an enterprise owes as a whole; a party enterprise contributes only these (its leadership).
ENTERPRISE_WIDE_TYPES = (
    DutyType.PRIMARY,
    DutyType.ENTERPRISE_LEADER,
    DutyType.SAFETY_MANAGER,
    DutyType.GUARANTOR,
)
SITE_TYPES = (DutyType.DEPT_HEAD, DutyType.TEAM_LEADER)
STORED_SUPERVISION_TYPES = (
    DutyType.PARTY_GOV_LEAD,
    DutyType.LEADER_IN_CHARGE,
    DutyType.TERRITORIAL,
    DutyType.COMPETENT,
    DutyType.SUPERVISORY,
)

# §3.6 order.
ENTERPRISE_TYPE_ORDER = [
    DutyType.POST,
    DutyType.TEAM_LEADER,
    DutyType.DEPT_HEAD,
    DutyType.SAFETY_MANAGER,
    DutyType.ENTERPRISE_LEADER,
    DutyType.PRIMARY,
    DutyType.GUARANTOR,
    DutyType.ACTOR,
]
SUPERVISION_TYPE_ORDER = [
    DutyType.TERRITORIAL,
    DutyType.INSPECTION,
    DutyType.APPROVAL,
    DutyType.SUPERVISORY,
    DutyType.COMPETENT,
    DutyType.LEADER_IN_CHARGE,
    DutyType.PARTY_GOV_LEAD,
]


@dataclass(frozen=True)
class EventScope:
    """Where and to whom something happened: an enterprise (with its site and post), or a bare region."""

    region: Region
    enterprise: Unit | None = None
    unit: Unit | None = None
    post: Position | None = None
    parties: Sequence[tuple[Unit, str]] = ()
    actors: Sequence[tuple[Person, str]] = ()


@dataclass(frozen=True)
class Link:
    track: str
    type: str
    unit: Unit | None
    position: Position | None
    person: Person | None
    vacant: bool
    basis: str
    enterprise: Unit | None
    role: str | None
    source: str = ""  # the duty, permit or inspection code the link comes from: the evidence
    sort_key: tuple = field(default=(), compare=False, repr=False)

    @property
    def identity(self) -> tuple:
        return (
            self.track,
            self.type,
            self.unit.code if self.unit else None,
            self.position.code if self.position else None,
            self.person.code if self.person else None,
            self.enterprise.code if self.enterprise else None,
            self.role,
        )

    @property
    def type_label(self) -> str:
        return DutyType(self.type).label

    def as_codes(self) -> dict:
        return {
            "track": self.track,
            "type": self.type,
            "unit": self.unit.code if self.unit else None,
            "position": self.position.code if self.position else None,
            "person": self.person.code if self.person else None,
            "vacant": self.vacant,
            "enterprise": self.enterprise.code if self.enterprise else None,
            "role": self.role,
            "basis": self.basis,
            "source": self.source,
        }


# ---- predicates shared with the coverage report -------------------------------------------------


def covers_sector(duty_sector_codes: set[str], sector_path: Iterable[str]) -> bool:
    """A duty on a sector covers its sub-sectors; no sectors means all of them."""
    return not duty_sector_codes or not duty_sector_codes.isdisjoint(sector_path)


def duty_sector_codes(duty: Duty) -> set[str]:
    return {s.code for s in duty.sectors.all()}


def scope_region(duty: Duty) -> Region:
    """§3.1: the duty's region subtree, or the holder unit's region when it names none."""
    return duty.region if duty.region_id else duty.unit.region


def supervision_duty_applies(
    duty: Duty, region_path: Sequence[str], sector_path: Sequence[str], enterprise_id
) -> bool:
    return (
        scope_region(duty).code in region_path
        and covers_sector(duty_sector_codes(duty), sector_path)
        and duty.enterprise_id in (None, enterprise_id)
    )


class TenureBook:
    """Who held each position on a given day, from one query over the positions in play."""

    def __init__(self, position_ids: Iterable[int]):
        self._by_position: dict[int, list[Tenure]] = defaultdict(list)
        ids = set(position_ids)
        if ids:
            # Tenures of one position never overlap, so their order does not matter.
            for tenure in Tenure.objects.filter(position_id__in=ids).select_related("person").order_by():
                self._by_position[tenure.position_id].append(tenure)

    def holder(self, position_id: int, day: dt.date) -> Person | None:
        for tenure in self._by_position.get(position_id, ()):
            if tenure.covers(day):
                return tenure.person
        return None


# ---- the rules -------------------------------------------------------------------------------------


def _candidate_duties(scope: EventScope, on_date: dt.date, enterprise_ids: list[int]):
    """One query for every stored duty that might apply; the predicates below decide."""
    region_path = scope.region.ancestor_codes()
    supervision = Q(type__in=STORED_SUPERVISION_TYPES) & (
        Q(region__code__in=region_path)
        | Q(region__isnull=True, holder_unit__region__code__in=region_path)
        | Q(region__isnull=True, holder_position__unit__region__code__in=region_path)
    )
    wanted = supervision
    if enterprise_ids:
        wanted |= Q(type__in=ENTERPRISE_TYPE_ORDER) & (
            Q(holder_unit__enterprise_id__in=enterprise_ids)
            | Q(holder_position__unit__enterprise_id__in=enterprise_ids)
        )
    return list(
        Duty.objects.on(on_date)
        .filter(wanted)
        .select_related(
            "region",
            "holder_unit__region",
            "holder_unit__enterprise",
            "holder_position__unit__region",
            "holder_position__unit__enterprise",
        )
        .prefetch_related(Prefetch("sectors", queryset=Sector.objects.only("id", "code").order_by()))
    )


def _supervision_duties(duties, scope: EventScope, sector_path):
    """§3.1."""
    region_path = scope.region.ancestor_codes()
    enterprise_id = scope.enterprise.pk if scope.enterprise else None
    return [
        d
        for d in duties
        if d.type in STORED_SUPERVISION_TYPES
        and supervision_duty_applies(d, region_path, sector_path, enterprise_id)
    ]


def _enterprise_duties(duties, scope: EventScope, sector_path, party_ids: set[int]):
    """§3.2: (duty, owning enterprise) pairs for the event's enterprise and its parties."""
    main_id = scope.enterprise.pk if scope.enterprise else None
    site_path = (
        scope.unit.ancestor_codes() if scope.unit is not None and scope.unit.enterprise_id == main_id else []
    )
    matched = []
    for duty in duties:
        if duty.type not in ENTERPRISE_TYPE_ORDER or not covers_sector(duty_sector_codes(duty), sector_path):
            continue
        owner = duty.unit.enterprise
        if owner is None:
            continue
        if owner.pk == main_id:
            if (
                duty.type in ENTERPRISE_WIDE_TYPES
                or duty.type in SITE_TYPES
                and duty.unit.code in site_path
                or (
                    duty.type == DutyType.POST
                    and scope.post is not None
                    and duty.holder_position_id == scope.post.pk
                )
            ):
                matched.append((duty, owner))
        if owner.pk in party_ids and duty.type in ENTERPRISE_WIDE_TYPES:
            matched.append((duty, owner))
    return matched


def _permits(enterprise_ids, sector_codes, on_date):
    """§3.4 谁审批谁负责: permits valid on the day, for any of the sectors or their ancestors."""
    return list(
        Permit.objects.filter(
            enterprise_id__in=enterprise_ids,
            sector__code__in=sector_codes,
            approved_on__lte=on_date,
            valid_until__gte=on_date,
        ).select_related("enterprise", "sector", "position__unit__region")
    )


def _inspections(enterprise_ids, sector_codes, on_date):
    """§3.4 谁检查谁负责: the inspections in the window, for any of the sectors or their ancestors."""
    window = dt.timedelta(days=settings.DUTYCHAIN["INSPECTION_WINDOW_DAYS"])
    earliest = on_date - window if on_date - dt.date.min >= window else dt.date.min
    return list(
        Inspection.objects.filter(
            enterprise_id__in=enterprise_ids,
            sector__code__in=sector_codes,
            date__gte=earliest,
            date__lte=on_date,
        )
        .select_related("enterprise", "sector", "unit")
        .prefetch_related(
            Prefetch("inspectors", queryset=Position.objects.select_related("unit__region").order_by("code"))
        )
    )


def _latest_inspections(inspections, sector_path):
    """Of the inspections for this sector path, the latest per (inspected enterprise, inspecting unit)."""
    found = [i for i in inspections if i.sector.code in sector_path]
    latest: dict[tuple[int, int], dt.date] = {}
    for inspection in found:
        key = (inspection.enterprise_id, inspection.unit_id)
        latest[key] = max(latest.get(key, inspection.date), inspection.date)
    return [i for i in found if i.date == latest[(i.enterprise_id, i.unit_id)]]


def _reaches(unit: Unit, grade: str | None) -> bool:
    """§3.5: keep supervision links at or below the level that investigates the grade."""
    return LEVEL_RANK[unit.region.level] >= LEVEL_RANK[REACH_BY_GRADE[grade]]


def _link_order(link: Link, group_of: dict) -> tuple:
    """§3.6."""
    unit_code = link.unit.code if link.unit else ""
    position_code = link.position.code if link.position else ""
    if link.track == Track.ENTERPRISE:
        group = group_of.get(
            (
                link.enterprise.pk if link.enterprise else None,
                link.person.pk if link.type == DutyType.ACTOR and link.person else None,
            )
        )
        return (0, group, ENTERPRISE_TYPE_ORDER.index(link.type), unit_code, position_code)
    return (
        1,
        -LEVEL_RANK[link.unit.region.level],
        SUPERVISION_TYPE_ORDER.index(link.type),
        unit_code,
        position_code,
        link.enterprise.code if link.enterprise else "",
    )


def _involved_enterprise_ids(scope: EventScope) -> list[int]:
    """The event's own enterprise first, then its parties."""
    main_id = scope.enterprise.pk if scope.enterprise else None
    return ([main_id] if main_id else []) + [unit.pk for unit, _role in scope.parties if unit.pk != main_id]


def resolve_chain(
    scope: EventScope, sector: Sector, on_date: dt.date, grade: str | None = None
) -> list[Link]:
    """The links of both tracks for an event in `sector` on `on_date`, ordered as DESIGN §3.6."""
    return resolve_chains(scope, [sector], on_date, grade)[sector.code]


def resolve_chains(
    scope: EventScope, sectors: Iterable[Sector], on_date: dt.date, grade: str | None = None
) -> dict[str, list[Link]]:
    """`resolve_chain` for several sectors of one event at once (an enterprise's 责任清单 by sector):
    the same handful of queries whatever the number of sectors. Keyed by sector code."""
    paths = {sector.code: sector.ancestor_codes() for sector in sectors}
    enterprise_ids = _involved_enterprise_ids(scope)
    every_code = {code for path in paths.values() for code in path}

    duties = _candidate_duties(scope, on_date, enterprise_ids)
    permits = _permits(enterprise_ids, every_code, on_date) if enterprise_ids and paths else []
    inspections = _inspections(enterprise_ids, every_code, on_date) if enterprise_ids and paths else []
    selections = {
        code: _select(scope, path, grade, duties, permits, inspections) for code, path in paths.items()
    }
    # Tenures only of the positions some sector's chain names, not of every candidate duty.
    book = TenureBook(position for chosen in selections.values() for position in chosen.position_ids())
    return {code: _assemble(scope, chosen, on_date, grade, book) for code, chosen in selections.items()}


@dataclass
class _Selection:
    """What applies to one sector's chain (§3.1, 3.2, 3.4, 3.5), before the holders are looked up."""

    supervision: list[Duty]
    enterprise: list[tuple[Duty, Unit]]
    permits: list[Permit]
    inspections: list[Inspection]

    def position_ids(self) -> set[int]:
        ids = {d.holder_position_id for d in self.supervision if d.holder_position_id}
        ids |= {d.holder_position_id for d, _ in self.enterprise if d.holder_position_id}
        ids |= {p.position_id for p in self.permits}
        ids |= {pos.pk for i in self.inspections for pos in i.inspectors.all()}
        return ids


def _select(scope: EventScope, sector_path, grade, duties, permits, inspections) -> _Selection:
    party_ids = {unit.pk for unit, _role in scope.parties}
    return _Selection(
        supervision=[d for d in _supervision_duties(duties, scope, sector_path) if _reaches(d.unit, grade)],
        enterprise=_enterprise_duties(duties, scope, sector_path, party_ids),
        permits=[p for p in permits if p.sector.code in sector_path and _reaches(p.position.unit, grade)],
        inspections=_latest_inspections(inspections, sector_path),
    )


def _assemble(scope: EventScope, chosen: _Selection, on_date, grade, book: TenureBook) -> list[Link]:
    """§3.3 and 3.6 for one sector: the holders on their days, one link per identity, in order."""
    main_id = scope.enterprise.pk if scope.enterprise else None
    role_of = {unit.pk: role for unit, role in scope.parties}
    if main_id:
        role_of[main_id] = PartyRole.MAIN

    links: list[Link] = []

    def add(track, type_, unit, position, person_day, basis, enterprise_unit, role, source):
        person = book.holder(position.pk, person_day) if position is not None else None
        links.append(
            Link(
                track=track,
                type=type_,
                unit=unit,
                position=position,
                person=person,
                vacant=position is not None and person is None,
                basis=basis,
                enterprise=enterprise_unit,
                role=role,
                source=source,
            )
        )

    for duty, owner in chosen.enterprise:
        role = PartyRole.MAIN if owner.pk == main_id else role_of[owner.pk]
        add(
            Track.ENTERPRISE,
            duty.type,
            duty.unit,
            duty.holder_position,
            on_date,
            duty.basis,
            owner,
            role,
            duty.code,
        )
    # §3.2: "With no enterprise and no party there is no enterprise track" — actors included; such an
    # event's actors are still on the event, and investigators add them to the case with a reason.
    for person, role in scope.actors if main_id or scope.parties else ():
        links.append(
            Link(Track.ENTERPRISE, DutyType.ACTOR, None, None, person, False, "", None, role, source="event")
        )
    for duty in chosen.supervision:
        add(
            Track.SUPERVISION,
            duty.type,
            duty.unit,
            duty.holder_position,
            on_date,
            duty.basis,
            None,
            None,
            duty.code,
        )
    for permit in chosen.permits:
        basis = f"{permit.name or '许可'}（{permit.code}，{permit.approved_on:%Y-%m-%d} 审批，有效期至 {permit.valid_until:%Y-%m-%d}）"
        add(
            Track.SUPERVISION,
            DutyType.APPROVAL,
            permit.position.unit,
            permit.position,
            permit.approved_on,
            basis,
            permit.enterprise,
            None,
            permit.code,
        )
    for inspection in chosen.inspections:
        basis = f"{inspection.code}，{inspection.date:%Y-%m-%d} 检查" + (
            f"：{inspection.findings}" if inspection.findings else ""
        )
        for position in inspection.inspectors.all():
            if _reaches(position.unit, grade):
                add(
                    Track.SUPERVISION,
                    DutyType.INSPECTION,
                    position.unit,
                    position,
                    inspection.date,
                    basis,
                    inspection.enterprise,
                    None,
                    inspection.code,
                )

    # One link per identity: two duties or inspections saying the same thing name the subject once.
    unique: dict[tuple, Link] = {}
    for link in links:
        unique.setdefault(link.identity, link)

    group_of: dict = {(main_id, None): 0}
    for index, (unit, _role) in enumerate(scope.parties, start=1):
        group_of.setdefault((unit.pk, None), index)
    for index, (person, _role) in enumerate(scope.actors, start=len(scope.parties) + 1):
        group_of.setdefault((None, person.pk), index)
    return sorted(unique.values(), key=lambda link: _link_order(link, group_of))


def track_label(track: str) -> str:
    return Track(track).label


__all__ = ["EventScope", "Link", "resolve_chain", "resolve_chains", "track_of", "REACH_BY_GRADE"]
