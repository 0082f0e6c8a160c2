"""GET /api/v1/trace/ serves what `manage.py trace --json` prints, for every trace of the worked example."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from tests.conftest import EXPECTED_FILE

LINK_KEYS = ("track", "type", "unit", "position", "person", "vacant", "enterprise", "role")
TRACE_KEYS = sorted(json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))["traces"])


def command_json(*args) -> dict:
    out = StringIO()
    call_command("trace", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize("key", TRACE_KEYS)
@pytest.mark.parametrize("role", ["admin", "inspector"])
def test_the_trace_of_each_event_is_the_commands_and_the_worked_examples(
    shared_world, db, expected, key, role
):
    kind, code = key.split(":")
    response = shared_world.clients[role].get("/api/v1/trace/", {kind: code})
    assert response.status_code == 200
    got = response.json()
    assert got == command_json(f"--{kind}", code)
    want = expected["traces"][key]
    assert [[link[k] for k in LINK_KEYS] for link in got["links"]] == [
        [link[k] for k in LINK_KEYS] for link in want["links"]
    ]


def test_a_trace_by_enterprise_sector_date_grade_unit_and_post_is_the_commands(shared_world, db):
    params = {
        "enterprise": "e1",
        "sector": "housing",
        "date": "2024-02-26",
        "grade": "larger",
        "unit": "e1_rebar",
        "post": "e1_crane",
    }
    response = shared_world.clients["regulator"].get("/api/v1/trace/", params)
    assert response.status_code == 200
    assert response.json() == command_json(*[arg for k, v in params.items() for arg in (f"--{k}", v)])


def test_a_trace_by_region_is_the_commands(shared_world, db):
    params = {"region": "T2", "sector": "road", "date": "2024-04-02", "grade": "general"}
    response = shared_world.clients["inspector"].get("/api/v1/trace/", params)
    assert response.status_code == 200
    assert response.json() == command_json(*[arg for k, v in params.items() for arg in (f"--{k}", v)])


@pytest.mark.parametrize(
    "params, field",
    [
        ({"enterprise": "e1", "date": "2024-02-26"}, "sector"),
        ({"enterprise": "e1", "sector": "housing"}, "date"),
        ({"enterprise": "e1", "region": "T1", "sector": "housing", "date": "2024-02-26"}, "enterprise"),
        ({"enterprise": "e1", "sector": "nope", "date": "2024-02-26"}, "sector"),
        ({"enterprise": "e1", "sector": "housing", "date": "2024-02-30"}, "date"),
        ({"enterprise": "e1", "sector": "housing", "date": "0001-01-01"}, "date"),
        ({"enterprise": "e1", "sector": "housing", "date": "2024-02-26", "grade": "huge"}, "grade"),
        ({"enterprise": "e1", "sector": "housing", "date": "2024-02-26", "post": "e2_gm"}, "post"),
        ({"region": "T1", "sector": "housing", "date": "2024-02-26", "unit": "e1_pm"}, "unit"),
    ],
)
def test_a_bad_trace_request_is_a_400_naming_the_field(shared_world, db, params, field):
    response = shared_world.clients["admin"].get("/api/v1/trace/", params)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    "role, params",
    [
        ("regulator", {"enterprise": "e2", "sector": "hazchem", "date": "2024-02-26"}),
        ("regulator", {"region": "T2", "sector": "road", "date": "2024-04-02"}),
        ("inspector", {"enterprise": "e6", "sector": "special_eq", "date": "2024-02-26"}),
        ("inspector", {"enterprise": "no-such", "sector": "housing", "date": "2024-02-26"}),
        ("township", {"hazard": "H1"}),
    ],
)
def test_a_trace_outside_scope_is_not_found_like_one_that_does_not_exist(shared_world, db, role, params):
    assert shared_world.clients[role].get("/api/v1/trace/", params).status_code == 404
