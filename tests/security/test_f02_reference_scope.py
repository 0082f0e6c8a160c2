"""Finding 2: a regulator named other enterprises and their people as parties and actors, and the trace
then showed their names. Every reference a write accepts is now looked up within the caller's scope:
outside it reads exactly as a code that does not exist, and nothing is written."""

from __future__ import annotations

import pytest

from accountability.models import Accident, AccountabilityRecord

ACCIDENT = {"enterprise": "e1", "sector": "housing", "occurred_at": "2024-06-01T08:00:00+08:00"}


def error_of(response, *path):
    body = response.json()
    for key in path:
        body = body[key]
    return body


@pytest.mark.parametrize("outside", ["e2", "e6"])
def test_a_party_outside_the_regulators_scope_reads_as_unknown(world, outside, tried):
    client = world.clients["regulator"]
    before = Accident.objects.count()
    refused = client.post(
        "/api/v1/accidents/",
        {**ACCIDENT, "parties": [{"enterprise": outside, "role": "owner"}]},
        format="json",
    )
    unknown = client.post(
        "/api/v1/accidents/", {**ACCIDENT, "parties": [{"enterprise": "nx9", "role": "owner"}]}, format="json"
    )
    tried["api: references outside scope"] += 2
    assert (refused.status_code, unknown.status_code) == (400, 400)
    message = error_of(refused, "parties", "0", "enterprise")[0]
    assert message == error_of(unknown, "parties", "0", "enterprise")[0].replace("nx9", outside)
    assert Accident.objects.count() == before


@pytest.mark.parametrize("outside", ["p23", "p28"])
def test_someone_elses_staff_cannot_be_named_as_an_actor(world, outside, tried):
    client = world.clients["regulator"]
    before = Accident.objects.count()
    response = client.post(
        "/api/v1/accidents/", {**ACCIDENT, "actors": [{"person": outside, "role": "landlord"}]}, format="json"
    )
    tried["api: references outside scope"] += 1
    assert response.status_code == 400
    assert "actors" in response.json()
    assert Accident.objects.count() == before


def test_parties_and_actors_in_scope_are_recorded(world, tried):
    response = world.clients["regulator"].post(
        "/api/v1/accidents/",
        {
            **ACCIDENT,
            "parties": [{"enterprise": "e4", "role": "owner"}],
            "actors": [{"person": "p30", "role": "landlord"}],
        },
        format="json",
    )
    tried["api: references in scope"] += 1
    assert response.status_code == 201, response.json()
    assert response.json()["parties"] == [{"enterprise": "e4", "role": "owner", "unit": None, "post": None}]
    assert response.json()["actors"] == [{"person": "p30", "role": "landlord"}]


@pytest.mark.parametrize("field,code", [("person", "p28"), ("unit", "e6"), ("position", "e6_gm")])
def test_an_investigator_cannot_add_a_subject_outside_the_region(world, client, field, code, tried):
    before = AccountabilityRecord.objects.count()
    body = {"track": "enterprise", "reason": "串通", "types": ["primary"], field: code}
    response = world.clients["inspector"].post("/api/v1/cases/CASE-A-A0226/subjects/", body, format="json")
    tried["api: references outside scope"] += 1
    assert response.status_code == 400
    assert field in response.json()
    client.force_login(world.users["inspector"])
    page = client.post(
        "/cases/CASE-A-A0226/subjects/",
        {"track": "enterprise", "reason": "串通", "types": ["primary"], field: code},
    )
    tried["pages: references outside scope"] += 1
    assert page.status_code == 400
    # One and the same form error for a code that does not exist and one outside scope (DESIGN §1).
    assert f"“{code}”不存在或不在您的查看范围内".encode() in page.content
    assert AccountabilityRecord.objects.count() == before
