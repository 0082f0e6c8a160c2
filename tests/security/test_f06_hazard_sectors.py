"""Finding 6: a regulator filing a hazard in a sector it does not regulate got 404 but the row was
written; enterprises filed hazards under sectors they do not operate in. Both are refused now, before
anything is written."""

from __future__ import annotations

import datetime as dt

import pytest

from accountability.models import Hazard


def hazard_body(world, **fields):
    return {
        "enterprise": "e1",
        "sector": "housing",
        "level": "general",
        "source": "inspection",
        "found_on": (world.today - dt.timedelta(days=1)).isoformat(),
        "deadline": (world.today + dt.timedelta(days=30)).isoformat(),
        **fields,
    }


@pytest.mark.parametrize(
    "role,fields",
    [
        ("regulator", {"sector": "hazchem"}),  # neither d_housing's duty nor e1's trade
        ("regulator", {"sector": "road"}),
        (
            "township",
            {"sector": "gas"},
        ),  # the township covers every sector of T1; e1 builds, it supplies no gas
        ("enterprise", {"sector": "gas", "source": "self_check", "enterprise": None}),
    ],
)
def test_a_hazard_outside_the_enterprises_or_the_regulators_sectors_is_refused_unwritten(
    world, role, fields, tried
):
    before = Hazard.objects.count()
    body = {k: v for k, v in hazard_body(world, **fields).items() if v is not None}
    response = world.clients[role].post("/api/v1/hazards/", body, format="json")
    tried["api: hazard sectors"] += 1
    assert response.status_code == 400, response.content
    assert "sector" in response.json()
    assert Hazard.objects.count() == before


def test_a_hazard_in_the_enterprises_sector_within_the_duties_is_filed(world, tried):
    response = world.clients["regulator"].post("/api/v1/hazards/", hazard_body(world), format="json")
    tried["api: hazard sectors"] += 1
    assert response.status_code == 201, response.content
