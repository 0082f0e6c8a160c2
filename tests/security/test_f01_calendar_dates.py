"""Finding 1: a year-1 or year-9999 time took the accident lists down for everyone. Now the import, the
admin and the API refuse it as a field error, and the lists keep answering."""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from accountability.models import Accident
from responsibility.models import Sector, Tenure, Unit

HOSTILE_TIMES = ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-12:00", "1900-01-01T00:00:00+08:00"]
LIST_PAGES = [
    "/api/v1/accidents/",
    "/accidents/",
    "/accidents/ledger.xlsx",
    "/admin/accountability/accident/",
]


def accident_document(occurred_at: str, **extra) -> str:
    item = {
        "code": "AX1",
        "enterprise": "e1",
        "region": "T1",
        "sector": "housing",
        "occurred_at": occurred_at,
        "deaths": 0,
        "serious_injuries": 0,
        "direct_loss_yuan": 0,
        **extra,
    }
    return json.dumps({"accidents": [item]})


@pytest.mark.parametrize("moment", HOSTILE_TIMES)
def test_the_import_refuses_a_time_outside_the_calendar_naming_item_and_field(world, tmp_path, moment, tried):
    path = tmp_path / "bad.json"
    path.write_text(accident_document(moment), encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_scenario", str(path), quiet=True)
    tried["import: hostile dates"] += 1
    assert "accidents AX1 field occurred_at" in str(refused.value)
    assert not Accident.objects.filter(code="AX1").exists()


def test_the_import_refuses_a_hostile_reported_at_and_tenure_day(world, tmp_path, tried):
    path = tmp_path / "bad.json"
    path.write_text(
        accident_document("2024-03-01T08:00:00+08:00", reported_at="9999-12-31T23:59:59-12:00"),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="accidents AX1 field reported_at"):
        call_command("import_scenario", str(path), quiet=True)
    path.write_text(
        json.dumps({"tenures": [{"person": "p17", "position": "e1_chair", "start": "0001-01-01"}]}),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="field start"):
        call_command("import_scenario", str(path), quiet=True)
    tried["import: hostile dates"] += 2
    assert not Tenure.objects.filter(start__year=1).exists()


def test_the_admin_form_refuses_year_one_and_the_lists_answer(world, tried):
    admin_user = world.users["admin"]
    request = RequestFactory().post("/admin/accountability/accident/add/")
    request.user = admin_user
    form_class = admin.site._registry[Accident].get_form(request)
    form = form_class(
        data={
            "code": "AX2",
            "title": "x",
            "enterprise": Unit.objects.get(code="e1").pk,
            "region": Unit.objects.get(code="e1").region_id,
            "sector": Sector.objects.get(code="housing").pk,
            "occurred_at_0": "0001-01-01",
            "occurred_at_1": "00:00:00",
            "deaths": 0,
            "serious_injuries": 0,
            "direct_loss_yuan": 0,
        }
    )
    tried["admin: hostile dates"] += 1
    assert not form.is_valid()
    assert "occurred_at" in form.errors


def test_the_model_refuses_what_the_database_could_not_read_back(world):
    accident = Accident.objects.get(code="A0226")
    for moment in ("0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-12:00"):
        from responsibility.scenario import parse_datetime

        accident.occurred_at = parse_datetime(moment)
        with pytest.raises(ValidationError) as refused:
            accident.full_clean()
        assert "occurred_at" in refused.value.message_dict


@pytest.mark.parametrize("moment", HOSTILE_TIMES[:2])
def test_the_api_refuses_the_same_times_and_every_list_answers(world, client, moment, tried):
    response = world.clients["regulator"].post(
        "/api/v1/accidents/",
        {"enterprise": "e1", "sector": "housing", "occurred_at": moment},
        format="json",
    )
    tried["api: hostile dates"] += 1
    assert response.status_code == 400
    assert "occurred_at" in response.json()
    client.force_login(world.users["admin"])
    for page in LIST_PAGES:
        tried["pages: lists after hostile input"] += 1
        assert client.get(page).status_code == 200, page
