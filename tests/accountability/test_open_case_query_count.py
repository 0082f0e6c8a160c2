"""open_case takes a bounded number of queries, whatever the length of the chain it freezes.

The records are written with one bulk INSERT. On PostgreSQL that holds up to 4,369 records; SQLite's
999-variable limit (Django's bulk_batch_size) splits it every 66 records, so the long chain here stays
under that size to compare like with like on both databases.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accountability.cases import open_case
from accountability.models import Accident, EventActor, EventParty
from responsibility.models import Duty, Inspection, Permit, Person, Position, Region, Sector, Tenure, Unit

DAY = dt.date(2024, 2, 26)
OCCURRED = dt.datetime(2024, 2, 26, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def build_event(prefix: str, size: int) -> Accident:
    """An accident whose chain has 3 + 10 × size records: per step of `size`, one more level of the
    enterprise's unit tree (a 车间 with its head), a department (competent unit and supervisory head),
    a leader in charge, an enterprise leader, a party enterprise, an actor, a permit and an inspection
    with two inspectors; the region tree also deepens (a village under the township) for size > 1."""
    seq = iter(range(1, 10_000))

    def code(kind):
        return f"{prefix}_{kind}{next(seq)}"

    def held(unit, duty_type, sectors=(), start=dt.date(2020, 1, 1)):
        position = Position.objects.create(code=code("pos"), title=f"{duty_type}岗位", unit=unit)
        person = Person.objects.create(code=code("p"), name=f"人员{position.code}")
        Tenure.objects.create(person=person, position=position, start=start)
        if duty_type:
            duty = Duty.objects.create(
                code=code("duty"), type=duty_type, holder_position=position, start=dt.date(2020, 1, 1)
            )
            duty.sectors.set(sectors)
        return position

    sector = Sector.objects.create(code=f"{prefix}_sector", name="建筑施工")
    province = Region.objects.create(code=f"{prefix}_P", name="省", level="province")
    city = Region.objects.create(code=f"{prefix}_C", name="市", level="city", parent=province)
    county = Region.objects.create(code=f"{prefix}_K", name="县", level="county", parent=city)
    place = Region.objects.create(code=f"{prefix}_T", name="镇", level="township", parent=county)
    if size > 1:
        place = Region.objects.create(code=f"{prefix}_V", name="村", level="village", parent=place)

    county_gov = Unit.objects.create(code=code("gov"), name="县政府", kind="government", region=county)
    held(county_gov, "party_gov_lead")
    town_gov = Unit.objects.create(code=code("tgov"), name="镇政府", kind="government", region=place)
    Duty.objects.create(
        code=code("duty"), type="territorial", holder_unit=town_gov, start=dt.date(2020, 1, 1)
    )
    firm = Unit.objects.create(code=code("e"), name="施工企业", kind="enterprise", region=place)
    firm.sectors.set([sector])
    held(firm, "primary")

    accident = Accident.objects.create(
        code=code("A"), enterprise=firm, region=place, sector=sector, occurred_at=OCCURRED, deaths=1
    )
    site = firm
    for index in range(size):
        site = Unit.objects.create(
            code=code("site"), name=f"第{index + 1}级车间", kind="enterprise_dept", parent=site, region=place
        )
        held(site, "dept_head")
        department = Unit.objects.create(code=code("dept"), name="部门", kind="department", region=county)
        Duty.objects.create(
            code=code("duty"), type="competent", holder_unit=department, start=dt.date(2020, 1, 1)
        )
        held(department, "supervisory", [sector])
        held(county_gov, "leader_in_charge", [sector])
        held(firm, "enterprise_leader")
        party = Unit.objects.create(code=code("e"), name=f"相关企业{index}", kind="enterprise", region=place)
        held(party, "primary")
        EventParty.objects.create(accident=accident, enterprise=party, role="owner", order=index)
        actor = Person.objects.create(code=code("actor"), name="包工头")
        EventActor.objects.create(accident=accident, person=actor, role="controller", order=index)
        Permit.objects.create(
            code=code("permit"),
            enterprise=party if index % 2 else firm,
            sector=sector,
            position=held(department, "", start=dt.date(2019, 1, 1)),
            approved_on=dt.date(2023, 1, 1),
            valid_until=dt.date(2025, 1, 1),
        )
        inspection = Inspection.objects.create(
            code=code("insp"), enterprise=firm, sector=sector, unit=department, date=dt.date(2023, 10, 1)
        )
        inspection.inspectors.add(held(department, ""), held(department, ""))
    accident.unit = site
    accident.save()
    return accident


def _queries_to_open(accident) -> tuple[int, int]:
    accident = Accident.objects.get(pk=accident.pk)
    with CaptureQueriesContext(connection) as captured:
        opened = open_case(accident=accident)
    assert opened.created
    # The records go in one bulk insert, which SQLite splits into batches of at most 999 parameters
    # (a chain's length in rows × the record's columns): counted once, as PostgreSQL runs it.
    inserts = [q for q in captured.captured_queries if q["sql"].startswith(RECORD_INSERT)]
    return len(captured.captured_queries) - len(inserts) + 1, opened.case.records.count()


RECORD_INSERT = 'INSERT INTO "accountability_accountabilityrecord"'


@pytest.mark.django_db
def test_opening_a_case_takes_the_same_queries_for_a_chain_four_times_longer():
    short_queries, short_records = _queries_to_open(build_event("S", 1))
    long_queries, long_records = _queries_to_open(build_event("L", 5))
    assert (short_records, long_records) == (13, 53)  # over four times longer
    assert long_queries == short_queries, (short_queries, long_queries)
    assert short_queries <= 20


def test_opening_a_worked_example_case_stays_within_the_same_bound(demo_county):
    queries, records = _queries_to_open(Accident.objects.get(code="A0318"))
    assert records == 27
    assert queries <= 20


@pytest.mark.django_db
def test_opening_an_already_open_case_is_one_query():
    accident = build_event("R", 2)
    open_case(accident=accident)
    with CaptureQueriesContext(connection) as captured:
        assert not open_case(accident=accident).created
    assert len(captured.captured_queries) == 1
