"""更正 of every entry a workbench form writes (issue 22 item 1): the form that added it, opened with
?correct=<kind>-<id>, comes filled and asks why; the API's create endpoints take `replaces` and
`correction_reason`. The old entry is withdrawn with the reason, the new one says what it replaces, and a
refused new version leaves the old one standing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse

from accountability import cases
from accountability.closing_record import closing_sections
from accountability.models import (
    Accident,
    AccountabilityRecord,
    AppraisalPeriod,
    Case,
    CorrectiveAction,
    EducationActivity,
    HandOver,
)
from accountability.withdrawals import conclusion_corrections
from responsibility.models import Unit
from tests.api.conftest import token_client
from tests.factories import opened_on


@pytest.fixture
def case(demo_users):
    case = cases.open_case(accident=Accident.objects.get(code="A0226")).case
    return opened_on(case, dt.date(2024, 2, 27))


@pytest.fixture
def vhead(case):
    record = case.records.get(position_code="d_vhead_build")
    cases.record_finding(
        record=record,
        finding="responsible",
        category="important_leadership",
        measures=[{"kind": "gov_demerit"}],
    )
    return record


# Per kind: the model, a first entry, the page's form fields and URL name, the API's path and payload of
# the corrected version, and the field whose value the correction changes.
def _entries(case, vhead):
    unit = Unit.objects.get(code="e2")
    return {
        "handover": (
            HandOver,
            lambda: cases.hand_over(
                case=case, records=[vhead], handed_on=dt.date(2024, 4, 1), authority="county"
            ),
            {"records": [vhead.pk], "handed_on": "2024-04-02", "authority": "county", "note": "更正后的移交"},
            "case_handover",
            "handovers",
            "note",
        ),
        "appraisal": (
            AppraisalPeriod,
            lambda: cases.add_appraisal_period(case=case, start=dt.date(2024, 3, 1), subject="塔吊鉴定"),
            {"start": "2024-03-02", "subject": "塔吊结构鉴定"},
            "case_appraisal_add",
            "appraisal-periods",
            "subject",
        ),
        "education": (
            EducationActivity,
            lambda: cases.record_education(
                case=case, held_on=dt.date(2024, 5, 10), description="警示", participants=8
            ),
            {"held_on": "2024-05-10", "description": "全县警示教育大会", "participants": 80},
            "case_education",
            "education",
            "description",
        ),
        "action": (
            CorrectiveAction,
            lambda: cases.add_corrective_action(case=case, description="塔吊排查"),
            {"description": "全县塔吊专项排查", "responsible": "县住建局"},
            "case_action_add",
            "corrective-actions",
            "description",
        ),
        "subject": (
            AccountabilityRecord,
            lambda: cases.add_subject(
                case=case, track="enterprise", types=["primary"], unit=unit, entity=True, reason="误写理由"
            ),
            {
                "track": "enterprise",
                "types": ["primary"],
                "unit": "e2",
                "entity": True,
                "reason": "单位负有责任",
            },
            "case_add_subject",
            "subjects",
            "added_reason",
        ),
    }


KINDS = ["handover", "appraisal", "education", "action", "subject"]


def _page_data(fields: dict) -> dict:
    # The page's subject form has no 单位本身 box (an added unit is the unit as such).
    return {k: v for k, v in fields.items() if k != "entity"}


@pytest.mark.parametrize("kind", KINDS)
def test_the_page_corrects_an_entry_through_the_form_that_added_it(login, case, vhead, kind):
    model, first, fields, url_name, _path, changed = _entries(case, vhead)[kind]
    old = first()
    client = login("inspector")
    workbench = reverse("accountability:case_workbench", args=[case.code])
    shown = client.get(workbench, {"correct": f"{kind}-{old.pk}"}).content.decode()
    assert 'id="correcting"' in shown and f'name="replaces" value="{old.pk}"' in shown
    assert f"?correct={kind}-{old.pk}#correcting" in client.get(workbench).content.decode()

    post = reverse(f"accountability:{url_name}", args=[case.code])
    unexplained = client.post(post, _page_data(fields) | {"replaces": old.pk})
    assert unexplained.status_code == 400 and "更正须写明理由" in unexplained.content.decode()
    assert model.objects.filter(pk=old.pk).exists()

    response = client.post(post, _page_data(fields) | {"replaces": old.pk, "correction_reason": "录入有误"})
    assert response.status_code == 302, response.content.decode()[:2000]
    withdrawn = model.every.get(pk=old.pk)
    assert withdrawn.is_withdrawn and withdrawn.withdrawal_reason == "录入有误"
    new = withdrawn.correction
    assert new is not None and new.replaces_id == old.pk and not new.is_withdrawn
    assert getattr(new, changed) != getattr(old, changed)
    # The workbench lists the corrected entry struck through with the reason.
    listed = client.get(workbench).content.decode()
    assert "录入有误" in listed


@pytest.mark.parametrize("kind", KINDS)
def test_the_api_corrects_an_entry_with_replaces_and_a_reason(demo_users, case, vhead, kind):
    model, first, fields, _url, path, _changed = _entries(case, vhead)[kind]
    old = first()
    client = token_client(User.objects.get(username="inspector"))
    url = f"/api/v1/cases/{case.code}/{path}/"

    unexplained = client.post(url, fields | {"replaces": old.pk}, format="json")
    assert unexplained.status_code == 400 and "correction_reason" in unexplained.json()
    response = client.post(url, fields | {"replaces": old.pk, "correction_reason": "录入有误"}, format="json")
    assert response.status_code == 201, response.content
    assert model.every.get(pk=old.pk).correction.pk == response.json()["id"]
    # The withdrawn entry cannot be corrected twice; the refusal names the field.
    again = client.post(url, fields | {"replaces": old.pk, "correction_reason": "再改"}, format="json")
    assert again.status_code == 400 and "不在本案中或已撤销" in again.json()["replaces"][0]


def test_a_refused_correction_leaves_the_old_entry_standing(login, case, vhead):
    old = cases.hand_over(case=case, records=[vhead], handed_on=dt.date(2024, 4, 1), authority="county")
    client = login("inspector")
    response = client.post(
        reverse("accountability:case_handover", args=[case.code]),
        {
            "records": [vhead.pk],
            "handed_on": "1900-01-01",
            "authority": "county",
            "replaces": old.pk,
            "correction_reason": "改日期",
        },
    )
    assert response.status_code == 400 and "移交日期" in response.content.decode()
    assert list(HandOver.objects.filter(case=case)) == [old]
    assert not HandOver.every.get(pk=old.pk).is_withdrawn


def test_another_case_entry_cannot_be_replaced(login, case, vhead):
    other = cases.open_case(accident=Accident.objects.get(code="A0318")).case
    foreign = cases.record_education(
        case=opened_on(other, other.event_day), held_on=other.event_day, description="x", participants=3
    )
    client = token_client(User.objects.get(username="inspector"))
    response = client.post(
        f"/api/v1/cases/{case.code}/education/",
        {
            "held_on": "2024-05-10",
            "description": "x",
            "participants": 3,
            "replaces": foreign.pk,
            "correction_reason": "x",
        },
        format="json",
    )
    assert response.status_code == 400 and "replaces" in response.json()
    assert not EducationActivity.every.get(pk=foreign.pk).is_withdrawn


def test_a_closed_case_takes_corrections_only_after_reopening(demo_users, case, vhead):
    education = cases.record_education(
        case=case, held_on=dt.date(2024, 5, 10), description="x", participants=3
    )
    Case.objects.filter(pk=case.pk).update(state="closed")
    client = token_client(User.objects.get(username="inspector"))
    response = client.post(
        f"/api/v1/cases/{case.code}/education/",
        {
            "held_on": "2024-05-10",
            "description": "y",
            "participants": 30,
            "replaces": education.pk,
            "correction_reason": "人数",
        },
        format="json",
    )
    assert response.status_code == 400 and "重新开启调查" in response.json()["case"][0]
    assert not EducationActivity.every.get(pk=education.pk).is_withdrawn


def test_the_api_refuses_responsible_without_a_proposal_or_a_reason(demo_users, case):
    record = case.records.get(position_code="d_vhead_build")
    client = token_client(User.objects.get(username="inspector"))
    url = f"/api/v1/records/{record.pk}/finding/"
    bare = {"finding": "responsible", "category": "important_leadership"}
    refused = client.post(url, bare, format="json")
    assert refused.status_code == 400 and "免予处理" in refused.json()["no_measure_reason"][0]
    exempt = client.post(url, bare | {"no_measure_reason": "情节轻微，经批评教育"}, format="json")
    assert exempt.status_code == 201, exempt.content


# ---- a closed case reopened with a reason (issue 22 item 1) ----------------------------------------------


def _closable(case):
    cases.record_cause(case=case, cause="附着装置螺栓松动")
    action = cases.add_corrective_action(case=case, description="全面排查塔吊附着")
    cases.complete_corrective_action(action=action, done_on=dt.date(2024, 3, 1))
    cases.record_education(case=case, held_on=dt.date(2024, 3, 10), description="警示教育", participants=60)
    for record in case.records.all():
        cases.record_finding(record=record, finding="not_responsible", grounds="经调查未发现失职")


def test_a_closed_case_is_reopened_with_a_reason_corrected_and_closed_again(login, case):
    _closable(case)
    cases.close_case(case=case)
    education = case.education.get()
    client = token_client(User.objects.get(username="inspector"))
    base = f"/api/v1/cases/{case.code}"
    unexplained = client.post(f"{base}/reopen/", {"reason": ""}, format="json")
    assert unexplained.status_code == 400 and "reason" in unexplained.json()
    reopened = client.post(f"{base}/reopen/", {"reason": "警示教育人数录错"}, format="json")
    assert reopened.status_code == 200 and reopened.json()["state"] == "open"
    again = client.post(f"{base}/reopen/", {"reason": "再开"}, format="json")
    assert again.status_code == 400 and "尚未结案" in again.json()["reason"][0]
    corrected = client.post(
        f"{base}/education/",
        {
            "held_on": "2024-03-10",
            "description": "警示教育",
            "participants": 600,
            "replaces": education.pk,
            "correction_reason": "人数少写一位",
        },
        format="json",
    )
    assert corrected.status_code == 201, corrected.content
    assert client.post(f"{base}/close/").status_code == 200
    # The workbench and the 结案 record say when, by whom and why it was reopened.
    page = login("inspector").get(reverse("accountability:case_workbench", args=[case.code])).content.decode()
    assert "重新开启：警示教育人数录错" in page
    text = str(closing_sections(Case.objects.get(pk=case.pk)))
    assert "重新开启案件" in text and "警示教育人数录错" in text and "人数少写一位" in text


def test_the_page_reopens_a_closed_case_and_refuses_without_a_reason(login, case):
    _closable(case)
    cases.close_case(case=case)
    client = login("inspector")
    url = reverse("accountability:case_reopen", args=[case.code])
    workbench = reverse("accountability:case_workbench", args=[case.code])
    assert 'id="reopen"' in client.get(workbench).content.decode()
    refused = client.post(url, {"reason": " "}, follow=True)
    assert "重新开启案件须写明理由" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).is_closed
    too_long = client.post(url, {"reason": "长" * 96}, follow=True)
    assert "不超过 95 字" in too_long.content.decode() and Case.objects.get(pk=case.pk).is_closed
    assert client.post(url, {"reason": "更正移交日期"}).status_code == 302
    assert not Case.objects.get(pk=case.pk).is_closed
    assert login("enterprise").post(url, {"reason": "x"}).status_code == 403


# ---- cause and nature: a recorded conclusion is corrected with a reason, never silently rewritten --------


def test_changing_a_recorded_cause_needs_a_reason_and_keeps_both_versions(login, case):
    cases.record_conclusions(case=case, nature="liability", direct_cause="附着螺栓松动")
    # The same values again, or a field not yet recorded, are no correction.
    cases.record_conclusions(case=case, nature="liability", direct_cause="附着螺栓松动", lessons="教训")
    with pytest.raises(ValidationError) as refused:
        cases.record_conclusions(case=case, direct_cause="司机违章操作")
    assert "直接原因已记录" in refused.value.message_dict["correction_reason"][0]
    assert Case.objects.get(pk=case.pk).cause == "附着螺栓松动"

    client = token_client(User.objects.get(username="inspector"))
    api = client.post(f"/api/v1/cases/{case.code}/conclusions/", {"nature": ""}, format="json")
    assert api.status_code == 400 and "事故性质已记录" in api.json()["correction_reason"][0]
    done = client.post(
        f"/api/v1/cases/{case.code}/conclusions/",
        {"direct_cause": "塔吊司机违章操作", "correction_reason": "监控录像复核"},
        format="json",
    )
    assert done.status_code == 200, done.content

    page = login("inspector")
    refused_page = page.post(reverse("accountability:case_cause", args=[case.code]), {"cause": "另一原因"})
    assert refused_page.status_code == 400 and "修改或撤销须写明更正理由" in refused_page.content.decode()

    (row,) = conclusion_corrections(Case.objects.get(pk=case.pk))
    assert row["reason"] == "监控录像复核" and row["by"].username == "inspector"
    assert "直接原因：附着螺栓松动 → 塔吊司机违章操作" in row["text"]
    shown = page.get(reverse("accountability:case_workbench", args=[case.code])).content.decode()
    assert "监控录像复核" in shown
    assert "监控录像复核" in str(closing_sections(Case.objects.get(pk=case.pk)))


def test_the_corrections_of_conclusions_are_read_in_one_query(case, django_assert_num_queries):
    cases.record_conclusions(case=case, direct_cause="甲")
    for n, cause in enumerate(("乙", "丙", "丁")):
        cases.record_conclusions(case=case, direct_cause=cause, correction_reason=f"第{n + 1}次更正")
    fresh = Case.objects.get(pk=case.pk)
    with django_assert_num_queries(1):
        rows = conclusion_corrections(fresh)
    assert [row["reason"] for row in rows] == ["第1次更正", "第2次更正", "第3次更正"]
    assert [row["text"] for row in rows] == ["直接原因：甲 → 乙", "直接原因：乙 → 丙", "直接原因：丙 → 丁"]
