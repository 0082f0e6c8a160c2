"""me, my duty list (全员安全生产责任清单) and coverage: what each role is told about itself and its scope."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from responsibility.chain import EventScope, resolve_chain
from responsibility.models import Position, Sector, Tenure, Unit


@pytest.mark.parametrize(
    "role, person, scope",
    [
        ("admin", None, {"enterprises": [], "units": [], "regions": []}),
        ("inspector", None, {"enterprises": [], "units": [], "regions": ["SD"]}),
        ("regulator", "p09", {"enterprises": [], "units": ["d_housing"], "regions": []}),
        ("enterprise", "p17", {"enterprises": ["e1"], "units": [], "regions": []}),
    ],
)
def test_me_names_my_role_my_person_and_what_defines_my_scope(shared_world, db, role, person, scope):
    body = shared_world.clients[role].get("/api/v1/me/").json()
    assert (body["username"], body["role"]) == (role, role)
    assert (body["person"] or {}).get("code") == person
    assert {k: [row["code"] for row in body[k]] for k in scope} == scope


def test_my_duty_list_names_every_post_of_my_enterprise_with_todays_holder_and_duties(shared_world, db):
    body = shared_world.clients["enterprise"].get("/api/v1/my/duties/").json()
    assert body["enterprise"]["code"] == "e1"
    posts = {p["code"]: p for p in body["positions"]}
    assert set(posts) == set(
        Position.objects.filter(unit__enterprise__code="e1").values_list("code", flat=True)
    )
    today = timezone.localdate()
    for code, post in posts.items():
        tenure = Tenure.objects.on(today).filter(position__code=code).first()
        assert (post["holder"] or {}).get("code") == (tenure.person.code if tenure else None)
        assert post["vacant"] is (tenure is None)
    assert [d["type"] for d in posts["e1_chair"]["duties"]] == ["primary"]


def test_my_duty_list_names_who_answers_for_my_enterprise_by_sector_today(shared_world, db):
    body = shared_world.clients["enterprise"].get("/api/v1/my/duties/").json()
    e1 = Unit.objects.select_related("region").get(code="e1")
    want = [
        link.as_codes()
        for link in resolve_chain(
            EventScope(region=e1.region, enterprise=e1),
            Sector.objects.get(code="housing"),
            timezone.localdate(),
        )
        if link.track == "supervision"
    ]
    [housing] = body["answerable"]
    assert housing["sector"] == "housing"
    keys = ("track", "type", "unit", "position", "person", "vacant")
    assert [[link[k] for k in keys] for link in housing["links"]] == [
        [link[k] for k in keys] for link in want
    ]
    assert {"territorial", "competent", "party_gov_lead"} <= {link["type"] for link in housing["links"]}


def coverage_command(day: str) -> dict:
    out = StringIO()
    call_command("coverage", "--date", day, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_coverage_for_the_admin_is_the_commands(shared_world, db):
    body = shared_world.clients["admin"].get("/api/v1/coverage/", {"date": "2024-02-26"}).json()
    assert body == coverage_command("2024-02-26")


def test_coverage_for_a_regulator_keeps_only_the_enterprises_in_its_scope(shared_world, db):
    everything = coverage_command("2024-02-26")
    body = shared_world.clients["regulator"].get("/api/v1/coverage/", {"date": "2024-02-26"}).json()
    assert {g["enterprise"] for g in body["gaps"]} <= {"e1", "e3", "e4", "e5"}
    assert [g for g in everything["gaps"] if g["enterprise"] in {"e1", "e3", "e4", "e5"}] == body["gaps"]
    assert [(o["region"], o["sector"]) for o in body["overlaps"]] == [("SD", "gas")]


def test_coverage_on_an_impossible_date_is_a_field_error(shared_world, db):
    response = shared_world.clients["inspector"].get("/api/v1/coverage/", {"date": "2024-13-01"})
    assert response.status_code == 400
    assert "date" in response.json()
