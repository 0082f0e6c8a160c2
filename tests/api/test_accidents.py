"""Accidents over the API: the grade is computed, 补报 re-grades and widens the open case, scope holds."""

from __future__ import annotations

import datetime as dt

from accountability.models import Accident


def post(client, path, data):
    return client.post(path, data, format="json")


def test_a_recorded_accident_gets_its_grade_and_late_report_from_the_facts(shared_world, db):
    # The admin names a party anywhere; a regulator only within its scope (tests/security).
    response = post(
        shared_world.clients["admin"],
        "/api/v1/accidents/",
        {
            "code": "A0601",
            "enterprise": "e1",
            "sector": "housing",
            "unit": "e1_rebar",
            "post": "e1_crane",
            "occurred_at": "2024-06-01T08:00:00+08:00",
            "reported_at": "2024-06-01T10:00:00+08:00",
            "deaths": 3,
            "parties": [{"enterprise": "e6", "role": "installer"}],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["grade"], body["late_report"], body["region"], body["event_day"]) == (
        "larger",
        True,
        "T1",
        "2024-06-01",
    )
    assert body["parties"] == [{"enterprise": "e6", "role": "installer", "unit": None, "post": None}]


def test_an_accident_reported_before_it_occurred_is_a_field_error(shared_world, db):
    response = post(
        shared_world.clients["admin"],
        "/api/v1/accidents/",
        {
            "enterprise": "e1",
            "sector": "housing",
            "occurred_at": "2024-06-01T08:00:00+08:00",
            "reported_at": "2024-06-01T07:00:00+08:00",
        },
    )
    assert response.status_code == 400
    assert "reported_at" in response.json()


def test_a_regulator_records_no_accident_outside_its_sectors(shared_world, db):
    body = {"region": "T2", "sector": "road", "occurred_at": "2024-06-01T08:00:00+08:00"}
    response = post(shared_world.clients["regulator"], "/api/v1/accidents/", body)
    assert response.status_code == 400
    assert "region" in response.json()
    assert not Accident.objects.filter(sector__code="road", region__code="T2").exclude(code="A0402").exists()


def test_a_casualty_report_regrades_the_accident_and_widens_its_open_case(shared_world, db):
    client = shared_world.clients["admin"]
    before = client.get("/api/v1/cases/CASE-A-A0226/").json()
    occurred = Accident.objects.get(code="A0226").occurred_at
    response = post(
        client,
        "/api/v1/accidents/A0226/casualties/",
        {
            "deaths": 3,
            "serious_injuries": 1,
            "direct_loss_yuan": "3200000",
            "at": (occurred + dt.timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["revision"]["grade_before"], body["revision"]["grade_after"], body["accident"]["grade"]) == (
        "general",
        "larger",
        "larger",
    )
    after = client.get("/api/v1/cases/CASE-A-A0226/").json()
    units = {r["unit"] for r in after["records"]["supervision"]}
    assert after["grade"] == "larger"
    assert {"c_gov", "c_party"} <= units
    assert len(after["records"]["supervision"]) > len(before["records"]["supervision"])


def test_a_casualty_report_after_the_window_is_refused_on_its_time(shared_world, db):
    occurred = Accident.objects.get(code="A0226").occurred_at
    response = post(
        shared_world.clients["regulator"],
        "/api/v1/accidents/A0226/casualties/",
        {
            "deaths": 3,
            "serious_injuries": 1,
            "direct_loss_yuan": "0",
            "at": (occurred + dt.timedelta(days=31)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "at" in response.json()
    assert Accident.objects.get(code="A0226").grade == "general"
