"""Finding 5: 销号 could be backdated before the hazard was submitted, or dated in the future. Now a
closing date lies between the application (销号申请) and today."""

from __future__ import annotations

import datetime as dt

import pytest

from accountability.hazards import start_rectification, submit_rectification
from accountability.models import Hazard, HazardState


@pytest.fixture
def submitted(world):
    hazard = start_rectification(hazard=Hazard.objects.get(code="HZ1"))
    return submit_rectification(hazard=hazard, on=world.today - dt.timedelta(days=2))


@pytest.mark.parametrize("on", ["2000-01-01", "2099-12-31", "future", "before-submission"])
def test_a_closing_date_off_the_hazards_timeline_is_refused(world, submitted, on, tried):
    day = {
        "future": (world.today + dt.timedelta(days=1)).isoformat(),
        "before-submission": (world.today - dt.timedelta(days=3)).isoformat(),
    }.get(on, on)
    response = world.clients["regulator"].post("/api/v1/hazards/HZ1/verify/", {"on": day}, format="json")
    tried["api: closing dates"] += 1
    assert response.status_code == 400
    assert "on" in response.json()
    assert Hazard.objects.get(code="HZ1").state == HazardState.SUBMITTED


def test_a_closing_date_between_application_and_today_closes(world, submitted, tried):
    response = world.clients["regulator"].post(
        "/api/v1/hazards/HZ1/verify/", {"on": world.today.isoformat()}, format="json"
    )
    tried["api: closing dates"] += 1
    assert response.status_code == 200
    assert response.json()["closed_on"] == world.today.isoformat()
