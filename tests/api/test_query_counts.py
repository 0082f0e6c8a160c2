"""Every list endpoint runs the same number of SQL queries for 1 item as for 50 (a full page):
scope is one subquery, relations are joined or prefetched, nothing is fetched per row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from accountability.models import (
    Accident,
    AccountabilityRecord,
    Case,
    CasualtyRevision,
    Decision,
    EventActor,
    EventParty,
    ExtensionRequest,
    Hazard,
    HazardListing,
    Measure,
)
from responsibility.models import Duty, Person, Position, Region, Sector, Tenure, Unit
from responsibility.permissions import ACT_FOR_ENTERPRISE, INSPECT_REGION, Role, ensure_role_groups

from .conftest import token_client

OCCURRED = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def base(db):
    """A county with a township, one sector, an enterprise with a workshop, and three accounts."""
    county = Region.objects.create(code="QR", name="测试区", level="county")
    town = Region.objects.create(code="QT", name="测试镇", level="township", parent=county)
    sector = Sector.objects.create(code="qs", name="测试行业")
    Unit.objects.create(code="qgov", name="测试区政府", kind="government", region=county)
    enterprise = Unit.objects.create(code="qe", name="测试企业", kind="enterprise", region=town)
    enterprise.sectors.add(sector)
    Unit.objects.create(
        code="qe_dept", name="测试车间", kind="enterprise_dept", region=town, parent=enterprise
    )
    other = Unit.objects.create(code="qe2", name="相关企业", kind="enterprise", region=town)
    other.sectors.add(sector)
    groups = ensure_role_groups()
    admin = User.objects.create(username="q_admin", is_superuser=True, is_staff=True)
    inspector = User.objects.create(username="q_inspector")
    inspector.groups.add(groups[Role.INSPECTOR])
    assign_perm(f"responsibility.{INSPECT_REGION}", inspector, county)
    member = User.objects.create(username="q_enterprise")
    member.groups.add(groups[Role.ENTERPRISE])
    assign_perm(f"responsibility.{ACT_FOR_ENTERPRISE}", member, enterprise)
    return {"admin": admin, "inspector": inspector, "enterprise": member}


def _unit(code):
    return Unit.objects.get(code=code)


def _position(i) -> Position:
    position = Position.objects.create(code=f"qp{i}", title=f"岗位{i}", unit=_unit("qe_dept"))
    person = Person.objects.create(code=f"qperson{i}", name=f"人员{i}")
    Tenure.objects.create(person=person, position=position, start=dt.date(2020, 1, 1))
    duty = Duty.objects.create(
        code=f"qd{i}", type="post", holder_position=position, start=dt.date(2020, 1, 1)
    )
    duty.sectors.add(Sector.objects.get(code="qs"))
    return position


def _region(i):
    Region.objects.create(code=f"qv{i}", name=f"村{i}", level="village", parent=Region.objects.get(code="QT"))


def _sector(i):
    Sector.objects.create(code=f"qs_{i}", name=f"子行业{i}", parent=Sector.objects.get(code="qs"))


def _unit_item(i):
    unit = Unit.objects.create(
        code=f"qu{i}",
        name=f"班组{i}",
        kind="team",
        region=Region.objects.get(code="QT"),
        parent=_unit("qe_dept"),
    )
    unit.sectors.add(Sector.objects.get(code="qs"))


def _shared_position(code="qshared") -> Position:
    """A post every item may point at: joined rows cost the same query however many share them."""
    position = Position.objects.filter(code=f"qp{code}").first()
    return position or _position(code)


def _hazard(i):
    hazard = Hazard.objects.create(
        code=f"qh{i}",
        enterprise=_unit("qe"),
        sector=Sector.objects.get(code="qs"),
        unit=_unit("qe_dept"),
        level="major",
        source="self_check",
        found_on=dt.date(2024, 1, 1),
        deadline=dt.date(2024, 2, 1),
        responsible_position=_shared_position(),
    )
    HazardListing.objects.create(
        hazard=hazard, listing_unit=_unit("qgov"), listed_on=dt.date(2024, 1, 2), due_on=dt.date(2024, 3, 1)
    )
    ExtensionRequest.objects.create(
        hazard=hazard,
        previous_deadline=hazard.deadline,
        requested_deadline=dt.date(2024, 3, 1),
        reason="延期",
    )


def _accident(i) -> Accident:
    accident = Accident.objects.create(
        code=f"qa{i}",
        enterprise=_unit("qe"),
        region=Region.objects.get(code="QT"),
        sector=Sector.objects.get(code="qs"),
        unit=_unit("qe_dept"),
        post=_shared_position(),
        occurred_at=OCCURRED,
        reported_at=OCCURRED,
        deaths=1,
    )
    EventParty.objects.create(accident=accident, enterprise=_unit("qe2"), role="owner")
    EventActor.objects.create(
        accident=accident, person=Person.objects.get(code="qpersonqshared"), role="landlord"
    )
    CasualtyRevision.objects.create(
        accident=accident,
        deaths_before=0,
        deaths_after=1,
        serious_injuries_before=0,
        serious_injuries_after=0,
        loss_before=0,
        loss_after=0,
        grade_before="general",
        grade_after="general",
    )
    return accident


def _case(i) -> Case:
    accident = _accident(f"c{i}")
    return Case.objects.create(
        code=f"qc{i}", accident=accident, title=f"案件{i}", event_day=accident.event_day
    )


def _record(i):
    case = Case.objects.filter(code="qc0").first() or _case(0)
    record = AccountabilityRecord.objects.create(
        case=case, track="enterprise", types=["post"], unit_code="qe_dept", position_code=f"qr{i}", order=i
    )
    first = Decision.objects.create(record=record, finding="not_responsible")
    amended = Decision.objects.create(
        record=record, finding="responsible", category="leadership", amends=first, amendment_reason="复核"
    )
    Measure.objects.create(decision=amended, kind="acc_admonish")


ENTERPRISE_SIDE = ("admin", "inspector", "enterprise")
CASE_SIDE = ("admin", "inspector")
LISTS = [
    # An enterprise user sees only the way up to its own region, never the villages beside it.
    ("regions", "/api/v1/regions/", _region, CASE_SIDE),
    ("sectors", "/api/v1/sectors/", _sector, ENTERPRISE_SIDE),
    ("units", "/api/v1/units/", _unit_item, ENTERPRISE_SIDE),
    ("positions", "/api/v1/positions/", _position, ENTERPRISE_SIDE),
    ("people", "/api/v1/people/", _position, ENTERPRISE_SIDE),
    ("duties", "/api/v1/duties/", _position, ENTERPRISE_SIDE),
    ("my-duties", "/api/v1/my/duties/", _position, ("enterprise",)),
    ("hazards", "/api/v1/hazards/", _hazard, ENTERPRISE_SIDE),
    ("accidents", "/api/v1/accidents/", _accident, CASE_SIDE),
    ("cases", "/api/v1/cases/", _case, CASE_SIDE),
    ("records", "/api/v1/records/", _record, CASE_SIDE),
]


def count_queries(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    shown = len(body["results"]) if "results" in body else len(body["positions"])
    return len(queries), shown


@pytest.mark.parametrize("name, url, make, roles", LISTS, ids=[row[0] for row in LISTS])
def test_a_list_takes_as_many_queries_for_fifty_items_as_for_one(base, name, url, make, roles):
    clients = {role: token_client(base[role]) for role in roles}
    make(0)
    at_one = {role: count_queries(client, url) for role, client in clients.items()}
    for i in range(1, 50):
        make(i)
    at_fifty = {role: count_queries(client, url) for role, client in clients.items()}
    print(name, {role: (at_one[role][0], at_fifty[role][0]) for role in roles})
    for role in roles:
        (queries_one, shown_one), (queries_fifty, shown_fifty) = at_one[role], at_fifty[role]
        assert shown_fifty >= shown_one + 49 or shown_fifty == 50, (role, shown_one, shown_fifty)
        assert queries_fifty == queries_one, (name, role, at_one[role], at_fifty[role])


def _my_duties(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/my/duties/")
    assert response.status_code == 200, response.content[:300]
    return len(queries), response.json()


def test_my_duties_takes_as_many_queries_for_five_sectors_as_for_one(base):
    client = token_client(base["enterprise"])
    enterprise = _unit("qe")
    for code in ("qs_a", "qs_b", "qs_c", "qs_d"):
        sector = Sector.objects.create(code=code, name=f"行业{code}")
        Duty.objects.create(
            code=f"comp_{code}", type="competent", holder_unit=_unit("qgov"), start=dt.date(2020, 1, 1)
        ).sectors.add(sector)
    one, body_one = _my_duties(client)

    enterprise.sectors.add(*Sector.objects.filter(code__in=("qs_a", "qs_b", "qs_c", "qs_d")))
    five, body_five = _my_duties(client)

    answerable = {row["sector"]: [link["type"] for link in row["links"]] for row in body_five["answerable"]}
    assert list(answerable) == ["qs", "qs_a", "qs_b", "qs_c", "qs_d"]
    assert all(answerable[code] == ["competent"] for code in ("qs_a", "qs_b", "qs_c", "qs_d"))
    assert len(body_one["answerable"]) == 1
    assert five == one
