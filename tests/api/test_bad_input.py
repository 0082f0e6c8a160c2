"""Bad input is a 4xx with a JSON message, never a 500: odd characters, out-of-range numbers and dates."""

from __future__ import annotations

import pytest

NUL = "\x00"

GETS = [
    ("/api/v1/hazards/", {"search": f"H{NUL}1"}),
    ("/api/v1/units/", {"region": f"T{NUL}1"}),
    ("/api/v1/hazards/", {"deadline_before": "0001-01-01", "deadline_after": "9999-12-31"}),
    ("/api/v1/accidents/", {"occurred_after": "0001-01-01T00:00:00+14:00"}),
    ("/api/v1/accidents/", {"occurred_before": "9999-12-31T23:59:59-12:00"}),
    ("/api/v1/duties/", {"active_on": "0001-01-01"}),
    ("/api/v1/hazards/", {"page": "99999999999999999999"}),
    ("/api/v1/records/99999999999999999999/", {}),
    ("/api/v1/trace/", {"enterprise": "e1", "sector": "housing", "date": "9999-12-31"}),
    ("/api/v1/coverage/", {"date": "0001-01-01"}),
]

POSTS = [
    (
        "/api/v1/hazards/",
        {"sector": "housing", "level": "general", "found_on": "2024-01-01", "deadline": "9999-12-31"},
    ),
    (
        "/api/v1/hazards/",
        {
            "sector": "housing",
            "level": "general",
            "found_on": "2024-01-01",
            "deadline": "2024-02-01",
            "title": NUL,
        },
    ),
    (
        "/api/v1/hazards/",
        {"sector": ["housing"], "level": "general", "found_on": "2024-01-01", "deadline": "2024-02-01"},
    ),
    (
        "/api/v1/hazards/",
        {
            "sector": "housing",
            "level": "general",
            "found_on": "2024-01-01",
            "deadline": "2024-02-01",
            "funds_yuan": "1e400",
        },
    ),
    (
        "/api/v1/hazards/",
        {
            "sector": "housing",
            "level": "general",
            "found_on": "2024-01-01",
            "deadline": "2024-02-01",
            "code": "a/b",
        },
    ),
    ("/api/v1/hazards/HZ1/request-extension/", {"requested_deadline": "9999-12-31", "reason": "x"}),
]

ADMIN_POSTS = [
    ("/api/v1/hazards/HZ1/decide-extension/", {"approve": True, "extension": 2**63}),
    (
        "/api/v1/accidents/",
        {"enterprise": "e1", "sector": "housing", "occurred_at": "9999-12-31T23:59:59-12:00"},
    ),
    (
        "/api/v1/accidents/",
        {"enterprise": "e1", "sector": "housing", "occurred_at": "2024-01-01T00:00:00Z", "deaths": 2**40},
    ),
    ("/api/v1/accidents/A0226/casualties/", {"deaths": -1, "serious_injuries": 0, "direct_loss_yuan": "NaN"}),
    ("/api/v1/cases/open/", {"accident": "A0226", "hazard": "H1"}),
    ("/api/v1/cases/open/", {"accident": 12}),
    (
        "/api/v1/cases/CASE-A-A0226/education/",
        {"held_on": "2024-01-01", "description": "x", "participants": 2**40},
    ),
    ("/api/v1/cases/CASE-A-A0226/subjects/", {"track": "enterprise", "reason": "x", "types": ["approval"]}),
    (
        "/api/v1/records/1/finding/",
        {"finding": "responsible", "category": "leadership", "measures": [{"kind": "judicial_referral"}]},
    ),
]


@pytest.mark.parametrize("path, params", GETS)
def test_odd_query_parameters_are_answered_without_a_server_error(shared_world, db, path, params):
    response = shared_world.clients["admin"].get(path, params)
    assert response.status_code < 500
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("path, body", POSTS)
def test_odd_enterprise_bodies_are_a_400_with_json_messages(shared_world, db, path, body):
    response = shared_world.clients["enterprise"].post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert isinstance(response.json(), dict)


@pytest.mark.parametrize("path, body", ADMIN_POSTS)
def test_odd_oversight_bodies_are_a_4xx_with_json_messages(shared_world, db, path, body):
    response = shared_world.clients["admin"].post(path, body, format="json")
    assert 400 <= response.status_code < 500, response.content
    assert isinstance(response.json(), dict)
