"""The hazard workflow on the pages, through the API's services: report, 五到位, evidence, 销号 or
rejection, 挂牌督办 and extensions; the roles of the API; refusals on the form; post/redirect/get."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accountability import hazards as hazard_services
from accountability.models import ExtensionDecision, Hazard, HazardListing, HazardState
from responsibility.models import Sector, Unit
from tests import evidence_files

TODAY = dt.date.today()
JPEG = evidence_files.jpeg(b"after-photo" * 10)


def url(name, code, *args):
    return reverse(f"accountability:{name}", args=[code, *args])


def jpeg(name="after.jpg", content=JPEG):
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


@pytest.fixture
def major(demo_users):
    """A 重大隐患 of e1 (housing), just reported, without its plan."""
    return hazard_services.report_hazard(
        code="HZ-P1",
        title="塔吊基础积水",
        enterprise=Unit.objects.get(code="e1"),
        sector=Sector.objects.get(code="housing"),
        level="major",
        source="self_check",
        found_on=TODAY,
        deadline=TODAY + dt.timedelta(days=30),
    )


@pytest.fixture
def rectifying(major):
    hazard_services.complete_plan(
        hazard=major,
        measures="排水并加固基础",
        responsible_position=major.enterprise.positions.get(code="e1_safety"),
        funds_yuan=50000,
        contingency_plan="塔吊倾覆专项预案",
    )
    return hazard_services.start_rectification(hazard=major)


@pytest.fixture
def submitted(rectifying):
    return hazard_services.submit_rectification(hazard=rectifying, evidence=jpeg(), note="已整改")


def test_an_enterprise_reports_a_self_check_hazard_and_lands_on_its_page(login):
    client = login("enterprise")
    form = client.get(reverse("accountability:hazard_report"))
    assert form.status_code == 200 and 'value="e1"' in form.content.decode()
    response = client.post(
        reverse("accountability:hazard_report"),
        {
            "title": "临边防护缺失",
            "enterprise": "e1",
            "sector": "housing",
            "unit": "钢筋班组",
            "level": "general",
            "source": "self_check",
            "found_on": TODAY,
            "deadline": TODAY + dt.timedelta(days=7),
        },
    )
    hazard = Hazard.objects.get(title="临边防护缺失")
    assert response.status_code == 302 and response["Location"] == url("hazard_detail", hazard.code)
    assert (hazard.enterprise.code, hazard.unit.code, hazard.source) == ("e1", "e1_rebar", "self_check")
    page = client.get(response["Location"]).content.decode()
    assert "已上报隐患" in page and 'id="timeline"' in page and "上报" in page


def test_another_enterprise_and_a_missing_one_get_the_same_form_error(login):
    client = login("enterprise")
    base = {"title": "x", "sector": "housing", "level": "general", "found_on": TODAY, "deadline": TODAY}
    other = client.post(reverse("accountability:hazard_report"), {**base, "enterprise": "e2"})
    missing = client.post(reverse("accountability:hazard_report"), {**base, "enterprise": "e-none"})
    assert other.status_code == missing.status_code == 400
    assert "“e2”不存在或不在您的查看范围内" in other.content.decode()
    assert "“e-none”不存在或不在您的查看范围内" in missing.content.decode()
    assert not Hazard.objects.filter(title="x").exists()


def test_a_major_hazard_starts_rectification_only_with_its_whole_plan(login, major):
    client = login("enterprise")
    refused = client.post(url("hazard_plan", major.code), {"measures": "排水", "start": "1"})
    assert refused.status_code == 400
    assert "重大隐患进入整改前须五到位" in refused.content.decode()
    major.refresh_from_db()
    assert major.state == HazardState.REPORTED and major.measures == ""  # the plan and the move are one
    done = client.post(
        url("hazard_plan", major.code),
        {
            "measures": "排水并加固基础",
            "responsible_position": "安全总监",
            "funds_yuan": "50000",
            "contingency_plan": "塔吊倾覆专项预案",
            "start": "1",
        },
    )
    assert done.status_code == 302
    major.refresh_from_db()
    assert major.state == HazardState.RECTIFYING and major.responsible_position.code == "e1_safety"


def test_a_post_of_another_enterprise_is_the_same_form_error_as_an_unknown_one(login, major):
    client = login("enterprise")
    for value in ("e2_gm", "nobody"):
        response = client.post(url("hazard_plan", major.code), {"responsible_position": value})
        assert response.status_code == 400
        assert f"“{value}”不存在或不在您的查看范围内" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"hello", "只接受"),
        ("fake.jpg", b"%PDF-1.4 not a photo", "不是 JPG 格式"),
        ("empty.png", b"", "空文件"),
    ],
)
def test_evidence_of_the_wrong_type_is_refused_on_the_form(login, rectifying, name, content, message):
    response = login("enterprise").post(
        url("hazard_submit", rectifying.code), {"evidence": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 400 and message in response.content.decode()
    rectifying.refresh_from_db()
    assert rectifying.state == HazardState.RECTIFYING


def test_evidence_over_the_size_limit_is_refused(login, rectifying, settings):
    settings.DUTYCHAIN = {**settings.DUTYCHAIN, "EVIDENCE_MAX_BYTES": 1024 * 1024}
    big = jpeg(content=evidence_files.jpeg(size=1024 * 1024 + 100))
    response = login("enterprise").post(url("hazard_submit", rectifying.code), {"evidence": big})
    assert response.status_code == 400 and "不能超过 1 MB" in response.content.decode()


def test_the_submitted_evidence_is_linked_on_the_timeline_for_those_who_see_the_hazard(login, rectifying):
    enterprise = login("enterprise")
    response = enterprise.post(url("hazard_submit", rectifying.code), {"evidence": jpeg(), "note": "已排水"})
    assert response.status_code == 302
    transition = rectifying.transitions.exclude(evidence="").get()
    link = url("hazard_evidence", rectifying.code, transition.pk)
    for username in ("enterprise", "regulator", "township", "inspector"):
        page = login(username).get(url("hazard_detail", rectifying.code)).content.decode()
        assert link in page, username
        download = login(username).get(link)
        assert download.status_code == 200 and b"".join(download.streaming_content) == JPEG
        # an attachment, never rendered inline: the page serves it as the API does (one evidence_download)
        assert download["Content-Type"] == "application/octet-stream"
        assert download["Content-Disposition"].startswith("attachment")
    assert login("enterprise2").get(link).status_code == 404


def test_a_regulator_rejects_with_a_reason_and_then_verifies_the_resubmission(login, submitted):
    regulator = login("regulator")
    page = regulator.get(url("hazard_detail", submitted.code)).content.decode()
    assert 'id="verify-form"' in page and 'id="reject-form"' in page and 'id="submit-form"' not in page
    no_reason = regulator.post(url("hazard_reject", submitted.code), {"reason": ""})
    assert no_reason.status_code == 400
    rejected = regulator.post(url("hazard_reject", submitted.code), {"reason": "基础仍有积水"})
    assert rejected.status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == HazardState.RECTIFYING
    timeline = login("enterprise").get(url("hazard_detail", submitted.code)).content.decode()
    assert "基础仍有积水" in timeline and 'id="submit-form"' in timeline

    assert (
        login("enterprise").post(url("hazard_submit", submitted.code), {"evidence": jpeg()}).status_code
        == 302
    )
    verified = login("township").post(url("hazard_verify", submitted.code), {"note": "现场核查通过"})
    assert verified.status_code == 302
    submitted.refresh_from_db()
    assert submitted.state == HazardState.CLOSED and submitted.closed_on == TODAY


def test_each_side_is_refused_the_other_sides_actions(login, submitted):
    assert login("enterprise").post(url("hazard_verify", submitted.code)).status_code == 403
    assert login("regulator").post(url("hazard_submit", submitted.code)).status_code == 403
    assert login("inspector").post(url("hazard_reject", submitted.code), {"reason": "x"}).status_code == 403
    # The role is asked before the scope (responsibility/access.py): lacking the action is a 403 whatever
    # the hazard; with the action, another enterprise's hazard is a 404.
    assert login("enterprise2").post(url("hazard_verify", submitted.code)).status_code == 403
    assert login("enterprise2").post(url("hazard_submit", submitted.code)).status_code == 404
    submitted.refresh_from_db()
    assert submitted.state == HazardState.SUBMITTED


def test_a_regulator_lists_in_its_own_units_name_only(login, rectifying):
    regulator = login("regulator")
    other = regulator.post(url("hazard_listing", rectifying.code), {"listing_unit": "d_em", "due_on": TODAY})
    assert other.status_code == 400 and "“d_em”不存在或不在您的查看范围内" in other.content.decode()
    due = TODAY + dt.timedelta(days=20)
    listed = regulator.post(
        url("hazard_listing", rectifying.code),
        {"listing_unit": "d_housing", "due_on": due, "document": "住建督〔2024〕1号"},
    )
    assert listed.status_code == 302
    listing = HazardListing.objects.get(hazard=rectifying)
    assert (listing.listing_unit.code, listing.due_on) == ("d_housing", due)
    page = regulator.get(url("hazard_detail", rectifying.code)).content.decode()
    assert "挂牌督办，期限" in page and 'id="listing-form"' not in page


def test_an_extension_is_requested_by_the_enterprise_and_decided_by_the_regulator(login, rectifying):
    later = rectifying.deadline + dt.timedelta(days=15)
    enterprise = login("enterprise")
    earlier = enterprise.post(
        url("hazard_request_extension", rectifying.code),
        {"requested_deadline": rectifying.deadline, "reason": "设备到货延迟"},
    )
    assert earlier.status_code == 400 and "须晚于现期限" in earlier.content.decode()
    asked = enterprise.post(
        url("hazard_request_extension", rectifying.code),
        {"requested_deadline": later, "reason": "设备到货延迟"},
    )
    assert asked.status_code == 302
    extension = rectifying.extensions.get()
    regulator = login("regulator")
    assert 'id="decide-form"' in regulator.get(url("hazard_detail", rectifying.code)).content.decode()
    decided = regulator.post(
        url("hazard_decide_extension", rectifying.code),
        {"extension": extension.pk, "approve": "1", "note": "同意"},
    )
    assert decided.status_code == 302
    rectifying.refresh_from_db()
    extension.refresh_from_db()
    assert rectifying.deadline == later and extension.decision == ExtensionDecision.APPROVED
    again = regulator.post(
        url("hazard_decide_extension", rectifying.code), {"extension": extension.pk, "approve": "0"}
    )
    assert again.status_code == 400 and "该延期申请已审批" in again.content.decode()


def test_the_hazard_list_searches_and_offers_the_report_button_to_reporters(login, major):
    enterprise = login("enterprise")
    page = enterprise.get(reverse("accountability:hazard_list"), {"q": "塔吊基础"}).content.decode()
    assert "HZ-P1" in page and 'id="report-hazard"' in page
    assert (
        "HZ-P1" not in enterprise.get(reverse("accountability:hazard_list"), {"q": "报警仪"}).content.decode()
    )
    assert (
        'id="report-hazard"'
        not in login("inspector").get(reverse("accountability:hazard_list")).content.decode()
    )
    assert login("inspector").get(reverse("accountability:hazard_report")).status_code == 403


def _detail_queries(client, code) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("hazard_detail", code)).status_code == 200
    return len(queries)


def test_the_hazard_page_takes_the_same_queries_for_one_and_for_many_steps(login, submitted):
    regulator = login("regulator")
    one = _detail_queries(regulator, submitted.code)
    for i in range(4):
        hazard_services.reject_submission(hazard=submitted, reason=f"第{i}次退回")
        hazard_services.submit_rectification(hazard=submitted, evidence=jpeg(f"{i}.jpg"))
        hazard_services.request_extension(
            hazard=submitted, new_deadline=submitted.deadline + dt.timedelta(days=i + 1), reason="延期"
        )
        pending = submitted.extensions.get(decision="pending")
        hazard_services.decide_extension(request=pending, approve=False)
    many = _detail_queries(regulator, submitted.code)
    assert one == many
    assert many <= 16
