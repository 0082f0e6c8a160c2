"""resolve_chain: who held which duty for an event, on the event's day and over the hazard's life
(DESIGN §3 and §5).

One small function per rule, in the order of §3 and §5. The database work is a fixed handful of
queries whatever the depth of the trees, the size of the tables, the length of the period or the
number of sectors: ancestors come from the materialised paths, candidates are fetched in one query
per source (duties, permits, inspections, certifications, tenures), and the Python predicates below
decide the rest.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from django.conf import settings
from django.db.models import Prefetch, Q

from .candidates import candidate_duties
from .models import (
    LEVEL_RANK,
    CertificationSigner,
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


def investigating_level(grade: str | None, investigation_level: str | None = None) -> str:
    """§3.5 and §5.11: the level that investigates — the grade's, or the higher body that took it over
    (提级调查). A level below the grade's is refused on entry; should a 补报 lift the grade above it later,
    the higher of the two still decides, so raising an investigation never narrows the reach."""
    by_grade = REACH_BY_GRADE[grade or None]
    if not investigation_level or LEVEL_RANK[investigation_level] > LEVEL_RANK[by_grade]:
        return by_grade
    return investigation_level


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
EVENT_DAY = "event_day"
EARLIER = "earlier"

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
    """Where and to whom something happened: an enterprise (with its site and post), or a bare region.

    `parties` are (enterprise, role) or (enterprise, role, unit, post): §5.12's unit and post inside the
    party's enterprise where its people were working (either may be None).
    `actors` are (person, role) or (person, role, enterprise it controls or invests in: §5.6)."""

    region: Region
    enterprise: Unit | None = None
    unit: Unit | None = None
    post: Position | None = None
    parties: Sequence[tuple] = ()
    actors: Sequence[tuple] = ()


@dataclass(frozen=True)
class Period:
    """§5.1: the responsibility period [since, event day], both inclusive; one day without `since`."""

    start: dt.date
    end: dt.date

    @classmethod
    def of(cls, on_date: dt.date, since: dt.date | None = None) -> Period:
        return cls(min(since, on_date) if since else on_date, on_date)

    @property
    def is_one_day(self) -> bool:
        return self.start == self.end

    def clip(self, start: dt.date, last: dt.date | None) -> tuple[dt.date, dt.date] | None:
        """[start, last] (last inclusive, None = open) intersected with the period, or None."""
        first, final = max(start, self.start), self.end if last is None else min(last, self.end)
        return (first, final) if first <= final else None


def _last_day(end: dt.date | None) -> dt.date | None:
    """The last day of a [start, end) period."""
    return None if end is None else end - dt.timedelta(days=1)


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
    source: str = ""  # the duty, permit, inspection or certification code the link comes from: the evidence
    unknown: bool = False  # §5.7: no holder on record before the post's records start (未录入)
    term: str = EVENT_DAY  # §5.3: held on the event day, or an earlier holder inside the period
    span: tuple[dt.date, dt.date] | None = None  # an earlier link's first and last day inside the period

    @property
    def identity(self) -> tuple:
        """§5.8: a link found more than once is kept once."""
        return (
            self.track,
            self.type,
            self.unit.code if self.unit else None,
            self.position.code if self.position else None,
            self.person.code if self.person else None,
            self.enterprise.code if self.enterprise else None,
        )

    @property
    def type_label(self) -> str:
        return DutyType(self.type).label

    @property
    def is_earlier(self) -> bool:
        return self.term == EARLIER

    def as_codes(self) -> dict:
        codes = {
            "track": self.track,
            "type": self.type,
            "unit": self.unit.code if self.unit else None,
            "position": self.position.code if self.position else None,
            "person": self.person.code if self.person else None,
            "vacant": self.vacant,
            "unknown": self.unknown,
            "enterprise": self.enterprise.code if self.enterprise else None,
            "role": self.role,
            "term": self.term,
            "basis": self.basis,
            "source": self.source,
        }
        if self.span is not None:
            codes["from"], codes["to"] = self.span[0].isoformat(), self.span[1].isoformat()
        return codes


# ---- predicates shared with the coverage report -------------------------------------------------


def covers_sector(duty_sector_codes: set[str], sector_path: Iterable[str]) -> bool:
    """A duty on a sector covers its sub-sectors; no sectors means all of them."""
    return not duty_sector_codes or not duty_sector_codes.isdisjoint(sector_path)


def duty_sector_codes(duty: Duty) -> frozenset[str]:
    """The codes of the sectors a duty names; a candidate duty carries them (`_candidate_duties`)."""
    codes = getattr(duty, "sector_codes", None)
    return codes if codes is not None else frozenset(s.code for s in duty.sectors.all())


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
    """Who held each position on a given day, and over a stretch, from one query over the positions in play."""

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

    def tenures(self, position_id: int) -> list[Tenure]:
        return self._by_position.get(position_id, [])


# ---- the rules -------------------------------------------------------------------------------------


def _in_force(start: dt.date, end: dt.date | None, day: dt.date) -> bool:
    """A [start, end) period contains `day`."""
    return start <= day and (end is None or day < end)


def _candidate_duties(
    region_codes: Iterable[str], enterprise_ids: Iterable[int], start: dt.date, end: dt.date
):
    """Every stored duty that might apply at some time in [start, end] (§5.3), in two queries whatever
    the batch (responsibility/candidates.py); the predicates below decide."""
    return candidate_duties(
        region_codes, enterprise_ids, start, end, STORED_SUPERVISION_TYPES, ENTERPRISE_TYPE_ORDER
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


def _party_sites(scope: EventScope) -> dict[int, tuple[set[str], set[int]]]:
    """§5.12: per party enterprise, the codes of its named unit and that unit's ancestors inside it, and
    its named post — where its people were working."""
    sites: dict[int, tuple[set[str], set[int]]] = defaultdict(lambda: (set(), set()))
    for enterprise, _role, *where in scope.parties:
        unit, post = (*where, None, None)[:2]
        paths, posts = sites[enterprise.pk]
        if unit is not None and unit.enterprise_id == enterprise.pk:
            paths.update(unit.ancestor_codes())
        if post is not None:
            posts.add(post.pk)
    return sites


def _enterprise_duties(duties, scope: EventScope, sector_path, party_ids: set[int]):
    """§3.2: (duty, owning enterprise) pairs for the event's enterprise and its parties (§5.12: a party
    with a unit or post also adds its own post, team_leader and dept_head links)."""
    main_id = scope.enterprise.pk if scope.enterprise else None
    site_path = (
        scope.unit.ancestor_codes() if scope.unit is not None and scope.unit.enterprise_id == main_id else []
    )
    party_sites = _party_sites(scope)
    # The owners are the event's own units: no need to join them to every candidate duty.
    owners = {unit.pk: unit for unit, _role, *_where in scope.parties}
    if scope.enterprise is not None:
        owners[main_id] = scope.enterprise
    matched = []
    for duty in duties:
        if duty.type not in ENTERPRISE_TYPE_ORDER or not covers_sector(duty_sector_codes(duty), sector_path):
            continue
        owner = owners.get(duty.unit.enterprise_id)
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
        if owner.pk in party_ids and _party_duty_applies(duty, *party_sites.get(owner.pk, ((), ()))):
            matched.append((duty, owner))
    return matched


def _party_duty_applies(duty: Duty, site_path, posts) -> bool:
    """§3.2 for a party: its leadership; §5.12: with a unit or post named, the site's holders too."""
    return (
        duty.type in ENTERPRISE_WIDE_TYPES
        or duty.type in SITE_TYPES
        and duty.unit.code in site_path
        or duty.type == DutyType.POST
        and duty.holder_position_id in posts
    )


def _permits(enterprise_ids, sector_codes, period: Period):
    """§3.4/§5.4 谁审批谁负责: permits valid at some time in the period (no end = never expires)."""
    return sorted(
        Permit.objects.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=period.start),
            enterprise_id__in=enterprise_ids,
            sector__code__in=sector_codes,
            approved_on__lte=period.end,
        )
        .select_related("sector", "position__unit__region")
        .order_by(),
        key=lambda p: p.code,  # the model's order, sorted here (see _certification_signers)
    )


def _inspection_window_start(on_date: dt.date) -> dt.date:
    window = dt.timedelta(days=settings.DUTYCHAIN["INSPECTION_WINDOW_DAYS"])
    return on_date - window if on_date - dt.date.min >= window else dt.date.min


def _inspections(enterprise_ids, sector_codes, earliest: dt.date, latest: dt.date):
    """§3.4 谁检查谁负责: the inspections in the window before the event day, and (§5.4) in the period."""
    return sorted(
        Inspection.objects.filter(
            enterprise_id__in=enterprise_ids,
            sector__code__in=sector_codes,
            date__gte=earliest,
            date__lte=latest,
        )
        .select_related("sector", "unit")
        .prefetch_related(
            Prefetch("inspectors", queryset=Position.objects.select_related("unit__region").order_by())
        )
        .order_by(),
        key=lambda i: (-i.date.toordinal(), i.code),  # the model's order, newest first
    )


def _earliest_inspection(period: Period) -> dt.date:
    """The first day an inspection can count for an event: its §3.4 window or its §5.4 period."""
    return min(_inspection_window_start(period.end), period.start)


def _certification_signers(enterprise_ids, sector_codes, period: Period):
    """§5.5 谁出具谁负责: the signers of certifications issued by the event day and valid in the period,
    one query (signer rows with their certification), in the order each document lists them."""
    return sorted(
        CertificationSigner.objects.filter(
            Q(certification__valid_until__isnull=True) | Q(certification__valid_until__gte=period.start),
            certification__enterprise_id__in=enterprise_ids,
            certification__sector__code__in=sector_codes,
            certification__issued_on__lte=period.end,
        )
        .select_related("certification__issuer", "certification__sector", "position__unit__region")
        .order_by(),
        # sorted here, not by the database: ordering a wide select_related costs Django more than sorting
        key=lambda s: (s.certification_id, s.order, s.pk),
    )


def _latest_inspections(inspections, sector_path, on_date: dt.date):
    """§3.4: of the inspections in the window for this sector path, the latest per (inspected enterprise,
    inspecting unit)."""
    window_start = _inspection_window_start(on_date)
    found = [i for i in inspections if i.sector.code in sector_path and i.date >= window_start]
    latest: dict[tuple[int, int], dt.date] = {}
    for inspection in found:
        key = (inspection.enterprise_id, inspection.unit_id)
        latest[key] = max(latest.get(key, inspection.date), inspection.date)
    return [i for i in found if i.date == latest[(i.enterprise_id, i.unit_id)]]


def _earlier_inspections(inspections, sector_path, period: Period, latest):
    """§5.4: with a period, every other inspection of this sector path dated inside it."""
    if period.is_one_day:
        return []
    chosen = {i.pk for i in latest}
    return [
        i
        for i in inspections
        if i.sector.code in sector_path and i.pk not in chosen and period.start <= i.date <= period.end
    ]


def _reaches(unit: Unit, level: str) -> bool:
    """§3.5: keep supervision links at or below the level that investigates (the grade's, or §5.11's
    raised level)."""
    return LEVEL_RANK[unit.region.level] >= LEVEL_RANK[level]


def _involved_enterprises(scope: EventScope) -> list[Unit]:
    return ([scope.enterprise] if scope.enterprise else []) + [unit for unit, _role, *_ in scope.parties]


def _involved_enterprise_ids(scope: EventScope) -> list[int]:
    """The event's own enterprise first, then its parties."""
    main_id = scope.enterprise.pk if scope.enterprise else None
    others = [unit.pk for unit, _role, *_ in scope.parties if unit.pk != main_id]
    return ([main_id] if main_id else []) + others


@dataclass(frozen=True)
class ChainRequest:
    """One event of a batch: what `resolve_chain` takes. accountability's TracedEvent has the same
    fields and is passed as it is."""

    scope: EventScope
    sector: Sector
    on_date: dt.date
    grade: str | None = None
    since: dt.date | None = None
    also_sectors: Sequence[Sector] = ()
    investigation_level: str | None = None  # §5.11 提级调查: replaces the grade's level when higher


def resolve_chain(
    scope: EventScope,
    sector: Sector,
    on_date: dt.date,
    grade: str | None = None,
    *,
    since: dt.date | None = None,
    also_sectors: Iterable[Sector] = (),
    investigation_level: str | None = None,
) -> list[Link]:
    """The links of both tracks for an event in `sector` (and `also_sectors`, §5.2) on `on_date`, over the
    period from `since` (§5.1), reaching up to the level that investigates (§3.5, §5.11), ordered as
    DESIGN §3.6 and §5.8."""
    request = ChainRequest(scope, sector, on_date, grade, since, tuple(also_sectors), investigation_level)
    return resolve_chains([request])[0]


def resolve_chains(requests: Iterable[ChainRequest]) -> list[list[Link]]:
    """`resolve_chain` for each event of a batch (accidents, hazards, an enterprise's sectors…), in the
    order given, in the same handful of queries whatever the number of events: the candidates of every
    event are fetched together, then each event takes its own from buckets in memory."""
    events = [_Event.of(request) for request in requests]
    if not events:
        return []
    pool = _Pool(events)
    selections = []
    for event in events:
        mine = pool.of(event)
        selections.append(
            {
                code: _select(event.scope, path, event.level, event.period, *mine)
                for code, path in event.paths.items()
            }
        )
    # Tenures only of the positions some chain names, not of every candidate duty.
    book = TenureBook(p for chosen in selections for one in chosen.values() for p in one.position_ids())
    return [
        _merge(
            [
                o
                for one in chosen.values()
                for o in _assemble(event.scope, one, event.period, event.level, book)
            ]
        )
        for event, chosen in zip(events, selections, strict=True)
    ]


@dataclass(frozen=True)
class _Event:
    scope: EventScope
    level: str  # the level that investigates: how far up supervision reaches (§3.5, §5.11)
    period: Period
    paths: dict[str, list[str]]  # sector code -> its ancestor codes: the main sector, then the others (§5.2)
    enterprise_ids: list[int]

    @classmethod
    def of(cls, request) -> _Event:
        sectors = [request.sector, *request.also_sectors]
        return cls(
            scope=request.scope,
            level=investigating_level(request.grade, request.investigation_level),
            period=Period.of(request.on_date, request.since),
            paths={s.code: s.ancestor_codes() for s in sectors},
            enterprise_ids=_involved_enterprise_ids(request.scope),
        )

    @property
    def sourced(self) -> bool:
        """Permits, inspections and certifications count only through an enterprise (§3.4, §5.5)."""
        return bool(self.enterprise_ids)


class _Pool:
    """The candidates of a whole batch, one query per source, bucketed so that each event reads only its
    own: supervision duties by the region they cover, the rest by enterprise."""

    def __init__(self, events: list[_Event]):
        start, end = min(e.period.start for e in events), max(e.period.end for e in events)
        self.duties = _candidate_duties(
            {code for e in events for code in e.scope.region.ancestor_codes()},
            {pk for e in events for pk in e.enterprise_ids},
            start,
            end,
        )
        sourced = [e for e in events if e.sourced]
        ids = {pk for e in sourced for pk in e.enterprise_ids}
        codes = {code for e in sourced for path in e.paths.values() for code in path}
        self.permits = self.inspections = self.signers = []
        if sourced:
            envelope = Period(min(e.period.start for e in sourced), max(e.period.end for e in sourced))
            self.permits = _permits(ids, codes, envelope)
            earliest = min(_earliest_inspection(e.period) for e in sourced)
            self.inspections = _inspections(ids, codes, earliest, envelope.end)
            self.signers = _certification_signers(ids, codes, envelope)
            # The enterprises are the events' own, already loaded: no join for them.
            known = {unit.pk: unit for e in sourced for unit in _involved_enterprises(e.scope)}
            for row in (*self.permits, *self.inspections):
                row.enterprise = known[row.enterprise_id]
        self._by_region: dict[str, list[int]] = defaultdict(list)
        self._by_owner: dict[int, list[int]] = defaultdict(list)
        for index, duty in enumerate(self.duties):
            if duty.type in STORED_SUPERVISION_TYPES:
                self._by_region[scope_region(duty).code].append(index)
            elif duty.unit.enterprise_id:
                self._by_owner[duty.unit.enterprise_id].append(index)
        self._permits_of = _indexed(self.permits, lambda p: p.enterprise_id)
        self._inspections_of = _indexed(self.inspections, lambda i: i.enterprise_id)
        self._signers_of = _indexed(self.signers, lambda s: s.certification.enterprise_id)

    def of(self, event: _Event):
        """The event's own candidates, in the order of the queries (the order ties are broken in)."""
        period = event.period
        reached = {i for code in event.scope.region.ancestor_codes() for i in self._by_region.get(code, ())}
        reached.update(i for pk in event.enterprise_ids for i in self._by_owner.get(pk, ()))
        duties = [
            d for d in (self.duties[i] for i in sorted(reached)) if period.clip(d.start, _last_day(d.end))
        ]
        if not event.sourced:
            return duties, [], [], []
        earliest = _earliest_inspection(period)

        def picked(rows, buckets, keep):
            return [r for r in (rows[i] for i in _gather(buckets, event.enterprise_ids)) if keep(r)]

        return (
            duties,
            picked(self.permits, self._permits_of, lambda p: period.clip(p.approved_on, p.valid_until)),
            picked(self.inspections, self._inspections_of, lambda i: earliest <= i.date <= period.end),
            picked(
                self.signers,
                self._signers_of,
                lambda s: (
                    period.clip(s.certification.issued_on, s.certification.valid_until)
                    and s.certification.issued_on <= period.end
                ),
            ),
        )


def _indexed(rows, key) -> dict[int, list[int]]:
    buckets: dict[int, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        buckets[key(row)].append(index)
    return buckets


def _gather(buckets: dict[int, list[int]], keys) -> list[int]:
    return sorted({i for key in keys for i in buckets.get(key, ())})


@dataclass
class _Selection:
    """What applies to one sector's chain (§3.1, 3.2, 3.4, 3.5, §5.4, 5.5), before holders are looked up."""

    supervision: list[Duty]
    enterprise: list[tuple[Duty, Unit]]
    permits: list[Permit]
    inspections: list[Inspection]  # §3.4's set: the latest per inspecting unit in the window
    earlier_inspections: list[Inspection]  # §5.4: the others inside the period
    signers: list[CertificationSigner]

    def position_ids(self) -> set[int]:
        ids = {d.holder_position_id for d in self.supervision if d.holder_position_id}
        ids |= {d.holder_position_id for d, _ in self.enterprise if d.holder_position_id}
        ids |= {p.position_id for p in self.permits}
        ids |= {pos.pk for i in (*self.inspections, *self.earlier_inspections) for pos in i.inspectors.all()}
        ids |= {s.position_id for s in self.signers}
        return ids


def _select(scope: EventScope, sector_path, level, period, duties, permits, inspections, signers):
    party_ids = {unit.pk for unit, _role, *_ in scope.parties}
    latest = _latest_inspections(inspections, sector_path, period.end)
    return _Selection(
        supervision=[d for d in _supervision_duties(duties, scope, sector_path) if _reaches(d.unit, level)],
        enterprise=_enterprise_duties(duties, scope, sector_path, party_ids),
        permits=[p for p in permits if p.sector.code in sector_path and _reaches(p.position.unit, level)],
        inspections=latest,
        earlier_inspections=_earlier_inspections(inspections, sector_path, period, latest),
        signers=[s for s in signers if s.certification.sector.code in sector_path],
    )


def _permit_basis(permit: Permit) -> str:
    until = f"有效期至 {permit.valid_until:%Y-%m-%d}" if permit.valid_until else "长期有效"
    return f"{permit.name or '许可'}（{permit.code}，{permit.approved_on:%Y-%m-%d} 审批，{until}）"


def _certification_basis(certification) -> str:
    until = f"，有效期至 {certification.valid_until:%Y-%m-%d}" if certification.valid_until else ""
    conclusion = f"：{certification.conclusion}" if certification.conclusion else ""
    return (
        f"{certification.get_kind_display()} {certification.code}（{certification.issued_on:%Y-%m-%d} 出具"
        f"{until}）{conclusion}"
    )


def _assemble(scope: EventScope, chosen: _Selection, period: Period, level: str, book: TenureBook):
    """§3.3 and §5.3–5.7 for one sector: every occurrence of a link, with its §3.6/§5.8 sort key."""
    on_date = period.end
    main_id = scope.enterprise.pk if scope.enterprise else None
    role_of = {unit.pk: role for unit, role, *_ in scope.parties}
    group_of = {main_id: 0} if main_id else {}
    for index, (unit, _role, *_where) in enumerate(scope.parties, start=1):
        group_of.setdefault(unit.pk, index)
    certification_group = len(scope.parties) + 1
    if main_id:
        role_of[main_id] = PartyRole.MAIN

    found: list[tuple[tuple, Link]] = []

    def add(head: tuple, link: Link) -> None:
        span_start = link.span[0] if link.span else dt.date.max
        tail = (link.is_earlier, -span_start.toordinal(), link.person.code if link.person else "")
        found.append(((*head, *tail), link))

    def held_on(position: Position, day: dt.date) -> dict:
        """§3.3/§5.7: the holder on one day; none is vacant, or unknown before the post's records start."""
        person = book.holder(position.pk, day)
        unknown = person is None and position.is_unrecorded_on(day)
        return {"person": person, "vacant": person is None and not unknown, "unknown": unknown}

    def enterprise_head(link_type, unit, position, owner_pk) -> tuple:
        return (
            0,
            group_of[owner_pk],
            ENTERPRISE_TYPE_ORDER.index(link_type),
            unit.code,
            position.code if position else "",
            "",
        )

    def supervision_head(link_type, unit, position, enterprise) -> tuple:
        return (
            1,
            -LEVEL_RANK[unit.region.level],
            SUPERVISION_TYPE_ORDER.index(link_type),
            unit.code,
            position.code if position else "",
            enterprise.code if enterprise else "",
        )

    def duty_links(duty: Duty, head: tuple, **fields) -> None:
        """§5.3: the holder on the event day when the duty is in force then, and every other holder inside
        the period; a unit holder once, as event_day or with the duty's overlap."""
        base = {"track": track_of(duty.type), "type": duty.type, "unit": duty.unit, "basis": duty.basis}
        base |= {"source": duty.code, **fields}
        in_force = _in_force(duty.start, duty.end, on_date)
        window = period.clip(duty.start, _last_day(duty.end))
        position = duty.holder_position
        if position is None:
            if in_force:
                add(head, Link(position=None, person=None, vacant=False, **base))
            elif window:
                add(head, Link(position=None, person=None, vacant=False, term=EARLIER, span=window, **base))
            return
        if in_force:
            add(head, Link(position=position, **held_on(position, on_date), **base))
        if window is None or period.is_one_day:
            return
        # One link per person: from their first to their last day inside the overlap, whatever the number
        # of their tenures (someone who left and came back is one earlier holder, not two).
        spans: dict[int, tuple[Person, dt.date, dt.date]] = {}
        held_today = book.holder(position.pk, on_date) if in_force else None
        for tenure in book.tenures(position.pk):
            if held_today is not None and tenure.person_id == held_today.pk:
                continue  # held on the event day wins
            stretch = Period(*window).clip(tenure.start, _last_day(tenure.end))
            if stretch:
                person, first, last = spans.get(tenure.person_id, (tenure.person, *stretch))
                spans[tenure.person_id] = (person, min(first, stretch[0]), max(last, stretch[1]))
        for person, first, last in spans.values():
            add(
                head,
                Link(
                    position=position, person=person, vacant=False, term=EARLIER, span=(first, last), **base
                ),
            )

    for duty, owner in chosen.enterprise:
        role = PartyRole.MAIN if owner.pk == main_id else role_of[owner.pk]
        duty_links(
            duty,
            enterprise_head(duty.type, duty.unit, duty.holder_position, owner.pk),
            enterprise=owner,
            role=role,
        )
    for signer in chosen.signers:
        certification, position = signer.certification, signer.position
        valid_today = certification.valid_until is None or certification.valid_until >= on_date
        head = (
            0,
            certification_group,
            -certification.issued_on.toordinal(),
            certification.code,
            signer.order,
            "",
        )
        add(
            head,
            Link(
                track=Track.ENTERPRISE,
                type=DutyType.CERTIFICATION,
                unit=position.unit,
                position=position,
                **held_on(position, certification.issued_on),
                basis=_certification_basis(certification),
                enterprise=certification.issuer,
                role=PartyRole.SERVICE_BODY,
                source=certification.code,
                term=EVENT_DAY if valid_today else EARLIER,
                span=None if valid_today else period.clip(certification.issued_on, certification.valid_until),
            ),
        )
    # §3.2: "With no enterprise and no party there is no enterprise track" — actors included; such an
    # event's actors are still on the event, and investigators add them to the case with a reason.
    for index, (person, role, *of) in enumerate(scope.actors if main_id or scope.parties else ()):
        head = (0, certification_group + 1 + index, 0, "", "", "")
        enterprise = of[0] if of else None
        add(
            head,
            Link(Track.ENTERPRISE, DutyType.ACTOR, None, None, person, False, "", enterprise, role, "event"),
        )
    for duty in chosen.supervision:
        duty_links(
            duty,
            supervision_head(duty.type, duty.unit, duty.holder_position, None),
            enterprise=None,
            role=None,
        )
    for permit in chosen.permits:
        valid_today = permit.valid_until is None or permit.valid_until >= on_date
        add(
            supervision_head(DutyType.APPROVAL, permit.position.unit, permit.position, permit.enterprise),
            Link(
                track=Track.SUPERVISION,
                type=DutyType.APPROVAL,
                unit=permit.position.unit,
                position=permit.position,
                **held_on(permit.position, permit.approved_on),
                basis=_permit_basis(permit),
                enterprise=permit.enterprise,
                role=None,
                source=permit.code,
                term=EVENT_DAY if valid_today else EARLIER,
                span=None if valid_today else period.clip(permit.approved_on, permit.valid_until),
            ),
        )
    for term, inspections in ((EVENT_DAY, chosen.inspections), (EARLIER, chosen.earlier_inspections)):
        for inspection in inspections:
            basis = f"{inspection.code}，{inspection.date:%Y-%m-%d} 检查" + (
                f"：{inspection.findings}" if inspection.findings else ""
            )
            for position in sorted(inspection.inspectors.all(), key=lambda p: p.code):
                if not _reaches(position.unit, level):
                    continue
                add(
                    supervision_head(DutyType.INSPECTION, position.unit, position, inspection.enterprise),
                    Link(
                        track=Track.SUPERVISION,
                        type=DutyType.INSPECTION,
                        unit=position.unit,
                        position=position,
                        **held_on(position, inspection.date),
                        basis=basis,
                        enterprise=inspection.enterprise,
                        role=None,
                        source=inspection.code,
                        term=term,
                        span=None if term == EVENT_DAY else (inspection.date, inspection.date),
                    ),
                )
    return found


def _merge(found: list[tuple[tuple, Link]]) -> list[Link]:
    """§5.8: order every occurrence, then keep each link once — as event_day at the place of that
    occurrence if any is event_day, otherwise at its first place with the span of all its occurrences."""
    found.sort(key=lambda occurrence: occurrence[0])
    kept: dict[tuple, tuple[tuple, Link]] = {}
    for key, link in found:
        current = kept.get(link.identity)
        if current is None or current[1].is_earlier and not link.is_earlier:
            kept[link.identity] = (key, link)
        elif current[1].is_earlier and link.is_earlier:
            (a, b), (c, d) = current[1].span, link.span
            kept[link.identity] = (current[0], replace(current[1], span=(min(a, c), max(b, d))))
    return [link for _key, link in sorted(kept.values(), key=lambda kept_link: kept_link[0])]


def track_label(track: str) -> str:
    return Track(track).label


__all__ = [
    "EARLIER",
    "EVENT_DAY",
    "EventScope",
    "Link",
    "Period",
    "resolve_chain",
    "resolve_chains",
    "ChainRequest",
    "track_of",
    "REACH_BY_GRADE",
    "investigating_level",
]
