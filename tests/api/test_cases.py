"""一案双查 over the API: opening (idempotent), records by track, findings and amendments, the 四不放过 gate."""

from __future__ import annotations

import json

import pytest

from accountability.models import AccountabilityRecord
from tests.conftest import EXPECTED_FILE

CASE_KEYS = sorted(json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))["cases"])


def post(client, path, data=None):
    return client.post(path, data or {}, format="json")


def flattened(case_body) -> list[tuple]:
    records = case_body["records"]["enterprise"] + case_body["records"]["supervision"]
    return [
        (r["track"], r["unit"] or None, r["position"] or None, r["person"] or None, sorted(r["types"]))
        for r in sorted(records, key=lambda r: r["order"])
    ]


@pytest.mark.parametrize("key", [k for k in CASE_KEYS if k != "accident:A0226" and k != "accident:A0402"])
def test_opening_a_case_freezes_the_records_of_the_worked_example(shared_world, db, expected, key):
    kind, code = key.split(":")
    response = post(shared_world.clients["inspector"], "/api/v1/cases/open/", {kind: code})
    assert response.status_code == 201, response.json()
    want = [
        (r["track"], r["unit"], r["position"], r["person"], sorted(r["types"]))
        for r in expected["cases"][key]
    ]
    assert flattened(response.json()) == want


def test_opening_twice_returns_the_same_case(shared_world, db):
    client = shared_world.clients["inspector"]
    first = post(client, "/api/v1/cases/open/", {"accident": "A0318"})
    second = post(client, "/api/v1/cases/open/", {"accident": "A0318"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["code"] == second.json()["code"]


def test_a_hazard_that_is_not_overdue_opens_no_case(shared_world, db):
    response = post(shared_world.clients["admin"], "/api/v1/cases/open/", {"hazard": "HZ1"})
    assert response.status_code == 400
    assert "hazard" in response.json()


def test_closing_a_fresh_case_is_refused_naming_all_four_blockers(shared_world, db):
    response = post(shared_world.clients["inspector"], "/api/v1/cases/CASE-A-A0226/close/")
    assert response.status_code == 409
    assert [b["code"] for b in response.json()["blockers"]] == [
        "cause_not_found",
        "people_not_dealt_with",
        "measures_not_carried_out",
        "people_not_educated",
    ]


def test_a_case_closes_once_the_four_conditions_hold(shared_world, db):
    client = shared_world.clients["inspector"]
    case = "/api/v1/cases/CASE-A-A0402"
    post(client, f"{case}/cause/", {"cause": "驾驶员疲劳驾驶"})
    for record in client.get("/api/v1/records/", {"case": "CASE-A-A0402"}).json()["results"]:
        post(client, f"/api/v1/records/{record['id']}/finding/", {"finding": "not_responsible"})
    action = post(client, f"{case}/corrective-actions/", {"description": "增设减速带"}).json()
    post(client, f"{case}/corrective-actions/{action['id']}/complete/", {"done_on": "2024-05-01"})
    post(
        client,
        f"{case}/education/",
        {"held_on": "2024-05-02", "description": "交通安全警示教育", "participants": 40},
    )
    assert client.get(f"{case}/").json()["closing_blockers"] == []
    closed = post(client, f"{case}/close/")
    assert closed.status_code == 200
    assert closed.json()["state"] == "closed"
    late = post(client, f"{case}/cause/", {"cause": "改写"})
    assert late.status_code == 400
    assert "case" in late.json()


def test_an_amendment_keeps_the_decision_it_corrects_in_the_history(shared_world, db):
    client = shared_world.clients["inspector"]
    record = AccountabilityRecord.objects.get(case__code="CASE-A-A0226", person_code="p17")
    measures = [{"kind": "principal_fine", "amount_yuan": "120000"}]
    first = post(
        client,
        f"/api/v1/records/{record.pk}/finding/",
        {"finding": "responsible", "category": "leadership", "measures": measures},
    )
    assert first.status_code == 201, first.json()
    again = post(client, f"/api/v1/records/{record.pk}/finding/", {"finding": "not_responsible"})
    assert again.status_code == 400
    amended = post(
        client,
        f"/api/v1/records/{record.pk}/amend/",
        {"finding": "exempt", "grounds": "已按规定履职", "reason": "复核认定尽职"},
    )
    assert amended.status_code == 201
    body = client.get(f"/api/v1/records/{record.pk}/").json()
    assert body["current_decision"]["finding"] == "exempt"
    assert body["current_decision"]["amends"] == first.json()["id"]
    assert [d["finding"] for d in body["decision_history"]] == ["responsible", "exempt"]
    assert body["decision_history"][0]["measures"][0]["kind"] == "principal_fine"


def test_a_measure_the_statute_does_not_allow_is_a_field_error(shared_world, db):
    record = AccountabilityRecord.objects.filter(case__code="CASE-A-A0226", person_code="").first()
    response = post(
        shared_world.clients["inspector"],
        f"/api/v1/records/{record.pk}/finding/",
        {"finding": "responsible", "category": "leadership", "measures": [{"kind": "gov_demerit"}]},
    )
    assert response.status_code == 400
    assert "measures[0].kind" in response.json()


def test_an_added_subject_carries_its_reason_and_one_without_is_refused(shared_world, db):
    client = shared_world.clients["inspector"]
    body = {"track": "supervision", "types": ["approval"], "person": "p12"}
    assert "reason" in post(client, "/api/v1/cases/CASE-A-A0226/subjects/", body).json()
    added = post(client, "/api/v1/cases/CASE-A-A0226/subjects/", {**body, "reason": "违规审批"})
    assert added.status_code == 201
    assert (added.json()["origin"], added.json()["added_reason"], added.json()["person"]) == (
        "added",
        "违规审批",
        "p12",
    )


def test_a_persons_lifelong_record_lists_the_cases_in_scope(shared_world, db):
    client = shared_world.clients["inspector"]
    record = AccountabilityRecord.objects.get(case__code="CASE-A-A0226", person_code="p17")
    post(
        client,
        f"/api/v1/records/{record.pk}/finding/",
        {"finding": "responsible", "category": "principal", "measures": [{"kind": "party_warning"}]},
    )
    body = client.get("/api/v1/persons/p17/accountability/").json()
    assert body["person"]["code"] == "p17"
    assert [(r["case"], r["current_decision"]["finding"]) for r in body["records"]] == [
        ("CASE-A-A0226", "responsible")
    ]
    assert body["records"][0]["measures"][0]["kind"] == "party_warning"
