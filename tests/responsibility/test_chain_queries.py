"""Resolution and coverage take a fixed number of SQL queries, whatever the depth and size (DESIGN §3),
the length of the period, the number of tenures and the number of sectors (§5).

The same generated world is built at 1×, 2× and 4× (deeper trees, more siblings, more duties, longer
tenure histories, permits, inspections, certifications, parties), an event is traced at the deepest node —
on its day, and over a 4-year period in 3 sectors — and the queries are counted.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_save
from django.test.utils import CaptureQueriesContext
from factory.django import mute_signals

from responsibility.chain import EventScope, resolve_chain
from responsibility.coverage import coverage_report
from responsibility.models import DutyType, PartyRole, RegionLevel, UnitKind
from tests.factories import (
    CertificationFactory,
    DutyFactory,
    EnterpriseFactory,
    InspectionFactory,
    PermitFactory,
    PositionFactory,
    RegionFactory,
    SectorFactory,
    TenureFactory,
    UnitFactory,
)

# Every test is marked, so the test database is set up even when only the `worlds` tests are selected.
pytestmark = pytest.mark.django_db

DAY = dt.date(2024, 2, 26)
SINCE = dt.date(2020, 2, 26)  # a 4-year responsibility period
SCALES = (1, 2, 4)
MAX_TRACE_QUERIES = 8
MAX_COVERAGE_QUERIES = 8
LEVELS = list(RegionLevel.values)  # national … village


HISTORY = {"changes": 3}  # tenures per position: build_world sets 3 × scale (more history at every scale)


def staffed_position(unit, changes=None):
    """A position held in turn by `changes` people from 2000 on, the last one still in post."""
    position = PositionFactory(unit=unit)
    changes = changes or HISTORY["changes"]
    step = (DAY - dt.date(2000, 1, 1)).days // changes
    starts = [dt.date(2000, 1, 1) + dt.timedelta(days=step * i) for i in range(changes)]
    for start, end in itertools.zip_longest(starts, starts[1:]):
        TenureFactory(position=position, start=start, end=end)
    return position


def position_duty(type_, unit, **kwargs):
    return DutyFactory(type=type_, holder_position=staffed_position(unit), holder_unit=None, **kwargs)


def unit_duty(type_, unit, **kwargs):
    return DutyFactory(type=type_, holder_unit=unit, **kwargs)


def build_world(scale: int):
    """Region chain of min(6, scale + 2) levels down to a village, sector and unit chains of depth
    2 × scale, 3 × scale siblings and noise duties at every step, and `scale` party enterprises."""
    depth, width = 2 * scale, 3 * scale
    HISTORY["changes"] = 3 * scale

    # Regions: the chain the event lies on, with siblings that must not match.
    regions, parent = [], None
    for level in LEVELS[len(LEVELS) - min(len(LEVELS), scale + 2) :]:
        node = RegionFactory(level=level, parent=parent)
        siblings = [RegionFactory(level=level, parent=parent) for _ in range(width if parent else 0)]
        regions.append((node, siblings))
        parent = node

    # Sectors: a chain with a sibling at every depth.
    sectors, parent, noise_sectors = [], None, []
    for _ in range(depth):
        node = SectorFactory(parent=parent)
        noise_sectors.append(SectorFactory(parent=parent))
        sectors.append(node)
        parent = node
    deepest_sector = sectors[-1]

    # Supervision: a government and departments in every region of the chain and its siblings.
    inspecting = []
    for index, (region, siblings) in enumerate(regions):
        for place in [region, *siblings[:2]]:
            gov = UnitFactory(kind=UnitKind.GOVERNMENT, region=place)
            position_duty(DutyType.PARTY_GOV_LEAD, gov)
            unit_duty(DutyType.TERRITORIAL, gov)
            position_duty(DutyType.LEADER_IN_CHARGE, gov, sectors=[sectors[index % depth]])
            position_duty(DutyType.LEADER_IN_CHARGE, gov, sectors=[noise_sectors[index % depth]])
            for n in range(width):
                department = UnitFactory(region=place, parent=gov)
                unit_duty(DutyType.COMPETENT, department, sectors=[sectors[n % depth]])
                position_duty(DutyType.SUPERVISORY, department, sectors=[noise_sectors[n % depth]])
                position_duty(DutyType.SUPERVISORY, department, end=dt.date(2010, 1, 1))  # expired
                if place is region:
                    inspecting.append(department)

    # The event's enterprise: a chain of departments down to a team, duties at every step.
    village = regions[-1][0]
    enterprise = EnterpriseFactory(region=village, sectors=[deepest_sector])
    for type_ in (DutyType.PRIMARY, DutyType.SAFETY_MANAGER, DutyType.GUARANTOR):
        position_duty(type_, enterprise)
    for n in range(width):
        position_duty(DutyType.ENTERPRISE_LEADER, enterprise, sectors=[sectors[n % depth]])
    unit = enterprise
    for level in range(depth):
        unit = UnitFactory(
            kind=UnitKind.TEAM if level == depth - 1 else UnitKind.ENTERPRISE_DEPT, parent=unit
        )
        position_duty(DutyType.TEAM_LEADER if level == depth - 1 else DutyType.DEPT_HEAD, unit)
        sibling = UnitFactory(kind=UnitKind.ENTERPRISE_DEPT, parent=unit.parent)
        position_duty(DutyType.DEPT_HEAD, sibling)
    post = staffed_position(unit)
    DutyFactory(type=DutyType.POST, holder_position=post, holder_unit=None)
    for _ in range(width):
        DutyFactory(type=DutyType.POST, holder_position=staffed_position(unit), holder_unit=None)

    # Parties, permits and inspections.
    parties = []
    for _ in range(scale):
        party = EnterpriseFactory(region=village, sectors=[deepest_sector])
        position_duty(DutyType.PRIMARY, party)
        position_duty(DutyType.SAFETY_MANAGER, party)
        shop = UnitFactory(kind=UnitKind.ENTERPRISE_DEPT, parent=party)
        position_duty(DutyType.DEPT_HEAD, shop)
        parties.append((party, PartyRole.SUBCONTRACTOR))
    staff = {department.pk: [staffed_position(department) for _ in range(2)] for department in inspecting}
    for firm in [enterprise, *(p for p, _ in parties)]:
        for n, department in enumerate(inspecting):
            approver, *inspectors = staff[department.pk]
            PermitFactory(
                enterprise=firm,
                sector=sectors[n % depth],
                position=approver,
                approved_on=dt.date(2012 + n % 10, 1, 1),
            )
            for days_before in (10, 200, 400):
                InspectionFactory(
                    enterprise=firm,
                    sector=sectors[n % depth],
                    unit=department,
                    inspectors=inspectors,
                    date=DAY - dt.timedelta(days=days_before + n),
                )

    # Certifications by a service body on every firm, some valid on the day, some expired in the period.
    body = EnterpriseFactory(region=village)
    signers = [staffed_position(UnitFactory(kind=UnitKind.ENTERPRISE_DEPT, parent=body)) for _ in range(2)]
    for firm in [enterprise, *(p for p, _ in parties)]:
        for n in range(scale):
            CertificationFactory(
                issuer=body,
                enterprise=firm,
                sector=sectors[n % depth],
                signers=signers,
                issued_on=SINCE + dt.timedelta(days=200 * n),
                valid_until=None if n % 2 else SINCE + dt.timedelta(days=200 * n + 300),
            )
    parties.append((body, PartyRole.SERVICE_BODY))

    scope = EventScope(region=village, enterprise=enterprise, unit=unit, post=post, parties=parties)
    # Two more sectors the event belongs to: one on the chain, one beside it.
    return scope, deepest_sector, [sectors[depth // 2], noise_sectors[-1]]


def count_queries(function) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        result = function()
    return len(captured.captured_queries), result


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker):
    """The world at 1×, 2× and 4×, built once for this module (each on top of the last), and measured.

    History rows are not written while building (post_save and m2m_changed muted): resolution never
    reads them and they only slow the build down. Everything is rolled back at the end.
    """
    measured = {}
    with django_db_blocker.unblock(), transaction.atomic():
        for scale in SCALES:
            with mute_signals(post_save, m2m_changed):
                scope, sector, also = build_world(scale)
            measured[scale] = measure(scope, sector, also)
        transaction.set_rollback(True)
    return measured


def read_back(links):
    return [link.as_codes() for link in links] + [link.unit.region.level for link in links if link.unit]


def measure(scope, sector, also) -> dict:
    """(queries, size of the answer, queries to read the answer back) per kind of event, and coverage."""
    result = {}
    for name, event, grade, period in [
        ("general", scope, "general", {}),
        ("especially_major", scope, "especially_major", {}),
        ("region", EventScope(region=scope.region), "major", {}),
        ("period_3_sectors", scope, "especially_major", {"since": SINCE, "also_sectors": also}),
    ]:
        queries, links = count_queries(lambda: resolve_chain(event, sector, DAY, grade, **period))  # noqa: B023
        result[name] = (queries, len(links), count_queries(lambda: read_back(links))[0])  # noqa: B023
    queries, report = count_queries(lambda: coverage_report(DAY))
    result["coverage"] = (queries, len(report.gaps) + len(report.overlaps), count_queries(report.as_codes)[0])
    return result


@pytest.mark.parametrize("event", ["general", "especially_major", "region", "period_3_sectors"])
def test_resolve_chain_takes_the_same_few_queries_at_every_depth_and_size(worlds, event):
    queries = {scale: worlds[scale][event][0] for scale in SCALES}
    sizes = [worlds[scale][event][1] for scale in SCALES]

    assert sizes == sorted(set(sizes)), sizes  # the bigger world really gives a longer chain
    assert len(set(queries.values())) == 1, queries
    assert queries[1] <= MAX_TRACE_QUERIES
    assert [worlds[scale][event][2] for scale in SCALES] == [0, 0, 0]  # no lazy loads afterwards
    print(f"resolve_chain {event}: queries {queries}, links {dict(zip(SCALES, sizes, strict=True))}")


def test_a_period_adds_earlier_links_without_adding_queries(worlds):
    """Over 4 years and 3 sectors the chain is longer than on the day alone, and costs the same queries."""
    for scale in SCALES:
        day, period = worlds[scale]["especially_major"], worlds[scale]["period_3_sectors"]
        assert period[1] > day[1], scale
        assert period[0] == day[0], scale


def test_the_coverage_report_takes_the_same_few_queries_on_deeper_trees(worlds):
    queries = {scale: worlds[scale]["coverage"][0] for scale in SCALES}

    assert all(worlds[scale]["coverage"][1] for scale in SCALES)
    assert len(set(queries.values())) == 1, queries
    assert queries[1] <= MAX_COVERAGE_QUERIES
    assert [worlds[scale]["coverage"][2] for scale in SCALES] == [0, 0, 0]


def build_enterprises(count: int):
    """`count` enterprises over the townships of one county, two sectors each, with duties of every
    required type held by units and by positions (some vacant), and competent overlaps."""
    city = RegionFactory(level=RegionLevel.CITY)
    county = RegionFactory(parent=city)
    towns = [RegionFactory(parent=county) for _ in range(4)]
    root = SectorFactory()
    sectors = [SectorFactory(parent=root) for _ in range(3)]
    gov = UnitFactory(kind=UnitKind.GOVERNMENT, region=county)
    position_duty(DutyType.PARTY_GOV_LEAD, gov)
    DutyFactory(type=DutyType.LEADER_IN_CHARGE, holder_position=PositionFactory(unit=gov), holder_unit=None)
    unit_duty(DutyType.SUPERVISORY, UnitFactory(region=county, parent=gov))
    for sector in sectors:
        unit_duty(DutyType.COMPETENT, UnitFactory(region=county, parent=gov), sectors=[sector])
    unit_duty(DutyType.COMPETENT, UnitFactory(region=county, parent=gov), sectors=[root])
    for town in towns[:2]:
        unit_duty(DutyType.TERRITORIAL, UnitFactory(kind=UnitKind.GOVERNMENT, region=town))
    for n in range(count):
        firm = EnterpriseFactory(region=towns[n % len(towns)], sectors=[sectors[n % 3], sectors[(n + 1) % 3]])
        if n % 3:
            position_duty(DutyType.PRIMARY, firm)
        else:
            DutyFactory(type=DutyType.PRIMARY, holder_position=PositionFactory(unit=firm), holder_unit=None)


def test_the_coverage_report_takes_the_same_few_queries_whatever_the_number_of_enterprises():
    counts, sizes = {}, {}
    built = 0
    for scale in SCALES:
        build_enterprises(5 * scale - built)
        built = 5 * scale
        counts[scale], report = count_queries(lambda: coverage_report(DAY))
        sizes[scale] = (len(report.gaps), len(report.overlaps))
        after, _ = count_queries(lambda: report.as_codes())  # noqa: B023
        assert after == 0
    assert sizes[4][0] > sizes[2][0] > sizes[1][0]
    assert all(overlaps for _, overlaps in sizes.values())
    assert len(set(counts.values())) == 1, counts
    assert counts[1] <= MAX_COVERAGE_QUERIES


def test_resolving_every_sector_at_once_gives_each_sectors_chain_in_no_more_queries_than_one(demo_county):
    from responsibility.chain import ChainRequest, resolve_chains
    from responsibility.models import Sector, Unit

    sectors = list(Sector.objects.order_by("code"))
    day = dt.date(2024, 2, 26)
    for enterprise in Unit.objects.filter(kind="enterprise").select_related("region").order_by("code"):
        scope = EventScope(region=enterprise.region, enterprise=enterprise)
        single, most = {}, 0
        for sector in sectors:
            with CaptureQueriesContext(connection) as one:
                single[sector.code] = resolve_chain(scope, sector, day)
            most = max(most, len(one))
        with CaptureQueriesContext(connection) as every:
            chains = resolve_chains([ChainRequest(scope, sector, day) for sector in sectors])
            together = {sector.code: links for sector, links in zip(sectors, chains, strict=True)}

        assert together == single
        assert len(every) <= most, (enterprise.code, len(every), most)
