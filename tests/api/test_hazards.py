"""The hazard workflow over the API: self-report, 五到位, evidence, 销号 or rejection, 督办, extensions."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from accountability.models import Hazard, HazardState
from tests import evidence_files

TODAY = dt.date.today()


def post(client, path, data=None, **kwargs):
    return client.post(path, data or {}, format=kwargs.pop("format", "json"), **kwargs)


PHOTO = evidence_files.jpeg(b"after-photo")  # a real JPEG: the service reads the type from the content


def evidence(name="after.jpg", content=PHOTO):
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def test_an_enterprise_reports_a_self_check_hazard_of_its_own_enterprise(shared_world, db):
    client = shared_world.clients["enterprise"]
    response = post(
        client,
        "/api/v1/hazards/",
        {
            "sector": "housing",
            "level": "general",
            "title": "临边防护缺失",
            "found_on": str(TODAY),
            "deadline": str(TODAY),
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["enterprise"], body["state"], body["source"]) == ("e1", "reported", "self_check")
    assert [(t["to_state"], t["by"]) for t in body["transitions"]] == [("reported", "enterprise")]
    assert client.get(f"/api/v1/hazards/{body['code']}/").status_code == 200


def test_an_enterprise_may_not_report_a_hazard_as_found_by_inspection(shared_world, db):
    body = {
        "sector": "housing",
        "level": "general",
        "source": "inspection",
        "found_on": str(TODAY),
        "deadline": str(TODAY),
    }
    response = post(shared_world.clients["enterprise"], "/api/v1/hazards/", body)
    assert response.status_code == 400
    assert "source" in response.json()


def test_a_deadline_before_the_finding_is_a_field_error(shared_world, db):
    body = {
        "sector": "housing",
        "level": "general",
        "found_on": str(TODAY),
        "deadline": str(TODAY - dt.timedelta(days=1)),
    }
    response = post(shared_world.clients["enterprise"], "/api/v1/hazards/", body)
    assert response.status_code == 400
    assert "deadline" in response.json()


def test_a_major_hazard_enters_rectification_only_with_the_whole_five_in_place_plan(shared_world, db):
    client = shared_world.clients["enterprise"]
    Hazard.objects.filter(code="HZ1").update(level="major")
    refused = post(client, "/api/v1/hazards/HZ1/start-rectification/")
    assert refused.status_code == 400
    assert set(refused.json()) == {"measures", "responsible_position", "funds_yuan", "contingency_plan"}
    plan = {
        "measures": "加装连墙件",
        "responsible_position": "e1_safety",
        "funds_yuan": "5000.00",
        "contingency_plan": "高处坠落应急预案",
    }
    started = post(client, "/api/v1/hazards/HZ1/start-rectification/", plan)
    assert started.status_code == 200, started.json()
    assert started.json()["state"] == "rectifying"
    assert started.json()["five_in_place_missing"] == []


def test_a_plan_naming_another_enterprises_post_is_refused_as_unknown(shared_world, db):
    response = post(
        shared_world.clients["enterprise"],
        "/api/v1/hazards/HZ1/start-rectification/",
        {"responsible_position": "e2_gm"},
    )
    assert response.status_code == 400
    assert "responsible_position" in response.json()


def test_a_rejected_submission_returns_to_rectification_and_a_verified_one_is_closed(shared_world, db):
    enterprise, regulator = shared_world.clients["enterprise"], shared_world.clients["regulator"]
    Hazard.objects.filter(code="HZ1").update(state=HazardState.RECTIFYING)
    submitted = post(enterprise, "/api/v1/hazards/HZ1/submit/", {"evidence": evidence()}, format="multipart")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == "submitted"
    rejected = post(regulator, "/api/v1/hazards/HZ1/reject/", {"reason": "照片不清晰"})
    assert rejected.json()["state"] == "rectifying"
    assert rejected.json()["transitions"][-1]["note"] == "照片不清晰"
    post(enterprise, "/api/v1/hazards/HZ1/submit/", {"evidence": evidence("again.jpg")}, format="multipart")
    closed = post(regulator, "/api/v1/hazards/HZ1/verify/", {"note": "现场核查合格"})
    assert closed.status_code == 200
    assert (closed.json()["state"], closed.json()["closed_on"]) == ("closed", str(TODAY))


def test_the_evidence_file_is_served_to_those_who_see_the_hazard(shared_world, db):
    enterprise = shared_world.clients["enterprise"]
    Hazard.objects.filter(code="HZ1").update(state=HazardState.RECTIFYING)
    body = post(
        enterprise, "/api/v1/hazards/HZ1/submit/", {"evidence": evidence()}, format="multipart"
    ).json()
    url = body["transitions"][-1]["evidence"]
    for role in ("enterprise", "regulator", "inspector"):
        response = shared_world.clients[role].get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PHOTO
    assert shared_world.clients["enterprise2"].get(url).status_code == 404


def test_evidence_that_is_not_what_its_name_says_is_a_field_error(shared_world, db):
    Hazard.objects.filter(code="HZ1").update(state=HazardState.RECTIFYING)
    response = post(
        shared_world.clients["enterprise"],
        "/api/v1/hazards/HZ1/submit/",
        {"evidence": evidence("after.jpg", b"MZ not a photo")},
        format="multipart",
    )
    assert response.status_code == 400
    assert "不是 JPG 格式" in str(response.json())
    assert Hazard.objects.get(code="HZ1").state == HazardState.RECTIFYING


def test_a_submission_without_evidence_is_a_field_error(shared_world, db):
    Hazard.objects.filter(code="HZ1").update(state=HazardState.RECTIFYING)
    response = post(
        shared_world.clients["enterprise"], "/api/v1/hazards/HZ1/submit/", {"note": "x"}, format="multipart"
    )
    assert response.status_code == 400
    assert "evidence" in response.json()


def test_a_transition_from_the_wrong_state_is_a_400_naming_the_state(shared_world, db):
    response = post(shared_world.clients["regulator"], "/api/v1/hazards/HZ1/verify/")
    assert response.status_code == 400
    assert "state" in response.json()


def test_an_approved_extension_moves_the_deadline_and_keeps_the_one_it_replaced(shared_world, db):
    hazard = Hazard.objects.get(code="HZ1")
    new_deadline = hazard.deadline + dt.timedelta(days=30)
    requested = post(
        shared_world.clients["enterprise"],
        "/api/v1/hazards/HZ1/request-extension/",
        {"requested_deadline": str(new_deadline), "reason": "材料到货延迟"},
    )
    assert requested.json()["pending_extension"]["requested_deadline"] == str(new_deadline)
    decided = post(
        shared_world.clients["regulator"], "/api/v1/hazards/HZ1/decide-extension/", {"approve": True}
    )
    body = decided.json()
    assert (body["deadline"], body["original_deadline"], body["pending_extension"]) == (
        str(new_deadline),
        str(hazard.deadline),
        None,
    )
    assert [(e["previous_deadline"], e["decision"]) for e in body["extensions"]] == [
        (str(hazard.deadline), "approved")
    ]


def test_a_regulator_lists_a_hazard_for_supervision_in_its_own_name(shared_world, db):
    regulator = shared_world.clients["regulator"]
    listed = post(
        regulator, "/api/v1/hazards/HZ1/list-for-supervision/", {"due_on": str(TODAY + dt.timedelta(days=30))}
    )
    assert listed.status_code == 200
    assert listed.json()["listing"]["listing_unit"] == "d_housing"
    assert [h["code"] for h in regulator.get("/api/v1/hazards/", {"listed": "true"}).json()["results"]] == [
        "HZ1"
    ]
    other_unit = post(
        shared_world.clients["township"],
        "/api/v1/hazards/HZ1/list-for-supervision/",
        {"due_on": str(TODAY), "listing_unit": "d_housing"},
    )
    assert other_unit.status_code == 400
    assert "listing_unit" in other_unit.json()


def test_the_overdue_filter_finds_the_hazard_past_its_deadline(shared_world, db):
    response = shared_world.clients["enterprise2"].get("/api/v1/hazards/", {"overdue": "true"})
    assert [(h["code"], h["overdue"]) for h in response.json()["results"]] == [("H1", True)]


def test_a_regulator_sees_hazards_of_its_sectors_only_even_at_an_enterprise_it_regulates(shared_world, db):
    from tests.api.conftest import add_hazard

    # 区住建局 regulates construction and gas at e1, not hazardous chemicals there.
    add_hazard("HZ1C", "e1", "hazchem", shared_world.today)
    regulator, township = shared_world.clients["regulator"], shared_world.clients["township"]
    codes = {h["code"] for h in regulator.get("/api/v1/hazards/", {"page_size": 200}).json()["results"]}
    assert "HZ1" in codes and "HZ1C" not in codes
    assert regulator.get("/api/v1/hazards/HZ1C/").status_code == 404
    # The street office answers for everything in its territory, whatever the sector.
    assert township.get("/api/v1/hazards/HZ1C/").status_code == 200
