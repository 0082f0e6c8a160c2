"""A trace and a case take the same number of queries with 1 and with 4 parties working in their own crews
(DESIGN §5.12), on an accident whose investigation was raised (§5.11): the crews' units and posts come
with the parties' prefetch, and their duties with the enterprise candidates — no query per party."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accountability.cases import open_case
from accountability.models import Accident, EventParty
from accountability.tracing import TraceRequest, resolve
from responsibility.models import Duty, Person, Position, Region, Sector, Tenure, Unit

OCCURRED = dt.datetime(2024, 2, 26, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
START = dt.date(2020, 1, 1)
CHANGE = dt.date(2023, 6, 1)


def build(prefix: str, parties: int) -> Accident:
    seq = iter(range(1, 10_000))

    def code(kind):
        return f"{prefix}_{kind}{next(seq)}"

    def held(unit, duty_type, people=1):
        position = Position.objects.create(code=code("pos"), title=f"{duty_type}岗位", unit=unit)
        # one holder since START, or two: an earlier one who left inside the period, then today's
        spans = [(START, None)] if people == 1 else [(START, CHANGE), (CHANGE, None)]
        for start, end in spans:
            person = Person.objects.create(code=code("p"), name=f"人员{position.code}")
            Tenure.objects.create(person=person, position=position, start=start, end=end)
        Duty.objects.create(code=code("duty"), type=duty_type, holder_position=position, start=START)
        return position

    sector = Sector.objects.create(code=f"{prefix}_sector", name="房屋加固")
    province = Region.objects.create(code=f"{prefix}_P", name="省", level="province")
    city = Region.objects.create(code=f"{prefix}_C", name="市", level="city", parent=province)
    county = Region.objects.create(code=f"{prefix}_K", name="县", level="county", parent=city)
    place = Region.objects.create(code=f"{prefix}_T", name="街道", level="township", parent=county)
    for region in (province, city, county):
        gov = Unit.objects.create(code=code("gov"), name="政府", kind="government", region=region)
        held(gov, "party_gov_lead")
    firm = Unit.objects.create(code=code("e"), name="业主", kind="enterprise", region=place)
    held(firm, "primary")
    accident = Accident.objects.create(
        code=code("A"),
        enterprise=firm,
        region=place,
        sector=sector,
        occurred_at=OCCURRED,
        deaths=1,
        hazard_since=dt.date(2023, 1, 1),
        investigation_level="province",
    )
    for index in range(parties):
        contractor = Unit.objects.create(
            code=code("e"), name=f"承包商{index}", kind="enterprise", region=place
        )
        held(contractor, "primary")
        pm = Unit.objects.create(
            code=code("pm"), name="项目部", kind="enterprise_dept", parent=contractor, region=place
        )
        held(pm, "dept_head")
        crew = Unit.objects.create(code=code("crew"), name="作业班组", kind="team", parent=pm, region=place)
        held(crew, "team_leader", people=2)
        post = held(crew, "post")
        other = Unit.objects.create(code=code("crew"), name="其他班组", kind="team", parent=pm, region=place)
        held(other, "team_leader")
        EventParty.objects.create(
            accident=accident, enterprise=contractor, role="subcontractor", unit=crew, post=post, order=index
        )
    return accident


def count(function) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        result = function()
    return len(captured.captured_queries), result


@pytest.mark.django_db
def test_a_trace_with_four_crews_takes_the_queries_of_one(record_property):
    one, four = build("O", 1), build("F", 4)
    q1, t1 = count(lambda: resolve(TraceRequest(accident=one.code)))
    q4, t4 = count(lambda: resolve(TraceRequest(accident=four.code)))
    crew_types = {"post", "team_leader", "dept_head"}
    crew_links = lambda traced: [link for link in traced.links if link.type in crew_types]  # noqa: E731
    assert (len(crew_links(t1)), len(crew_links(t4))) == (4, 16)  # today's and the earlier team leader
    assert {link.unit.region.level for link in t4.links if link.track == "supervision"} >= {"province"}
    record_property("trace_queries", {"1 party": q1, "4 parties": q4})
    print(f"\ntrace of an accident with crews: 1 party {q1} queries, 4 parties {q4} queries")
    assert q1 == q4, (q1, q4)
    assert q1 <= 12


@pytest.mark.django_db
def test_opening_a_case_with_four_crews_takes_the_queries_of_one():
    one, four = build("O", 1), build("F", 4)
    q1, o1 = count(lambda: open_case(accident=Accident.objects.get(pk=one.pk)))
    q4, o4 = count(lambda: open_case(accident=Accident.objects.get(pk=four.pk)))
    assert (o1.case.records.count(), o4.case.records.count()) == (
        9,
        24,
    )  # 3 governments, the owner; per party: leader, manager, 2 team leaders, post
    print(f"\nopen_case of an accident with crews: 1 party {q1} queries, 4 parties {q4} queries")
    assert q1 == q4, (q1, q4)
    assert q1 <= 20
