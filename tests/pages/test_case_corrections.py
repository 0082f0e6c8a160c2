"""Correct or withdraw, never delete (issue 22 item 1) and hand-over decisions with their author, a
second one a correction (issue 23 item 5): on the page and over the API, and what stops counting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse

from accountability import cases
from accountability.cases import EDUCATION, MEASURES, PEOPLE
from accountability.models import (
    Accident,
    AccountabilityRecord,
    Case,
    EducationActivity,
    HandOver,
    Measure,
    ReminderKind,
)
from accountability.reminders.due import SELECTORS
from accountability.selectors import case_records, person_accountability
from responsibility.models import Unit
from tests.api.conftest import token_client
from tests.factories import opened_on, replied


@pytest.fixture
def case(demo_users):
    case = cases.open_case(accident=Accident.objects.get(code="A0226")).case
    return opened_on(case, dt.date(2024, 2, 27))


@pytest.fixture
def vhead(case):
    record = case.records.get(position_code="d_vhead_build")
    cases.record_finding(record=record, finding="responsible", category="important_leadership")
    return record


@pytest.fixture
def handover(case, vhead):
    return cases.hand_over(case=case, records=[vhead], handed_on=dt.date(2024, 4, 1), authority="county")


@pytest.fixture
def inspector_user(demo_users):
    return User.objects.get(username="inspector")


def url(name, case, *args):
    return reverse(f"accountability:{name}", args=[case.code, *args])


def withdraw(client, case, kind, pk, reason):
    return client.post(url("case_entry_withdraw", case, kind, pk), {"reason": reason})


def blockers(case) -> dict:
    return dict(cases.closing_blockers(Case.objects.get(pk=case.pk)))


# ---- hand-over decisions: who entered them; a second one corrects the first -------------------------------


def _decide_on_page(client, case, handover, vhead, document, decided_on, reason=""):
    p = f"h{handover.pk}-"
    return client.post(
        url("case_handover_decision", case, handover.pk),
        {
            p + "record": vhead.pk,
            p + "kind": "gov_demerit",
            p + "document_number": document,
            p + "decided_on": decided_on,
            p + "correction_reason": reason,
        },
    )


def _decide_over_api(client, case, handover, vhead, document, decided_on, reason=""):
    return client.post(
        f"/api/v1/cases/{case.code}/handovers/{handover.pk}/decisions/",
        {
            "record": vhead.pk,
            "measure": {"kind": "gov_demerit"},
            "document_number": document,
            "decided_on": decided_on,
            "correction_reason": reason,
        },
        format="json",
    )


@pytest.mark.parametrize("surface", ["page", "api"])
def test_a_decision_names_who_entered_it_and_a_second_one_corrects_the_first(
    login, inspector_user, case, vhead, handover, surface
):
    if surface == "page":
        client, decide = login("inspector"), _decide_on_page
    else:
        client, decide = token_client(inspector_user), _decide_over_api
    assert decide(client, case, handover, vhead, "县纪发〔2024〕1号", "2024-05-01").status_code in (201, 302)
    first = Measure.objects.get(handover=handover)
    # The finding was recorded by nobody in particular; the decision that came back by the inspector.
    assert first.recorded_by == inspector_user and first.decision.decided_by is None
    handover.refresh_from_db()
    assert handover.completed_on == dt.date(2024, 5, 1)

    again = decide(client, case, handover, vhead, "县纪发〔2024〕2号", "2024-05-03")
    assert again.status_code == 400
    assert "再次登记即为更正，须写明更正理由" in again.content.decode()
    assert Measure.objects.filter(handover=handover).count() == 1

    corrected = decide(client, case, handover, vhead, "县纪发〔2024〕2号", "2024-05-03", "文号录错")
    assert corrected.status_code in (201, 302)
    current = Measure.objects.get(handover=handover)
    first = Measure.every.get(pk=first.pk)
    assert (current.document_number, current.replaces, current.recorded_by) == (
        "县纪发〔2024〕2号",
        first,
        inspector_user,
    )
    assert (first.withdrawal_reason, first.withdrawn_by) == ("文号录错", inspector_user)
    handover.refresh_from_db()
    assert handover.completed_on == dt.date(2024, 5, 3)
    # One sanction on the person's lifelong record, not two.
    rows = [r for r in person_accountability(vhead.person) if r["case"].pk == case.pk]
    assert [m.measure.document_number for m in rows[0]["measures"]] == ["县纪发〔2024〕2号"]


# ---- withdraw: kept, struck through, no longer counted -------------------------------------------------


def test_a_withdrawn_hand_over_no_longer_holds_the_case_open_and_stays_struck_through(
    login, inspector_user, case, handover
):
    assert "1 项移交尚未反馈处理结果" in blockers(case)[PEOPLE]
    pending = SELECTORS[ReminderKind.HANDOVER_DECISION](dt.date(2024, 1, 1), dt.date(2030, 1, 1))
    assert handover.pk in {item.handover.pk for item in pending}
    client = login("inspector")
    refused = withdraw(client, case, "handover", handover.pk, "")
    assert refused.status_code == 302 and HandOver.objects.filter(pk=handover.pk).exists()
    response = withdraw(client, case, "handover", handover.pk, "移交对象录错")
    assert response.status_code == 302
    assert not HandOver.objects.filter(pk=handover.pk).exists()  # the current ones
    kept = HandOver.every.get(pk=handover.pk)
    assert (kept.withdrawn_by, kept.withdrawal_reason) == (inspector_user, "移交对象录错")
    assert "移交尚未反馈" not in blockers(case).get(PEOPLE, "")
    # No reminder chases the decision of a withdrawn hand-over.
    due = SELECTORS[ReminderKind.HANDOVER_DECISION](dt.date(2024, 1, 1), dt.date(2030, 1, 1))
    assert handover.pk not in {item.handover.pk for item in due}
    html = client.get(reverse("accountability:case_workbench", args=[case.code])).content.decode()
    assert "更正与撤销记录" in html and "<del>2024-04-01 移交县纪委监委" in html and "移交对象录错" in html
    # Twice is refused (one winner).
    with pytest.raises(ValidationError, match="已撤销或已更正"):
        cases.withdraw_entry(entry=kept, reason="再撤一次", by=inspector_user)


def test_withdrawing_a_hand_over_withdraws_its_decisions_and_the_finding_is_unpunished_again(
    inspector_user, case, vhead, handover
):
    cases.record_handover_decision(
        handover=handover,
        record=vhead,
        measure={"kind": "gov_demerit"},
        document_number="县纪发〔2024〕1号",
        decided_on=dt.date(2024, 5, 1),
        by=inspector_user,
    )
    assert "没有处理措施" not in blockers(case).get(PEOPLE, "")
    cases.withdraw_entry(entry=handover, reason="重复移交", by=inspector_user)
    measure = Measure.every.get(handover=handover)
    assert measure.withdrawal_reason == "随移交撤销：重复移交"
    assert "1 条负有责任的记录没有处理措施" in blockers(case)[PEOPLE]
    rows = [r for r in person_accountability(vhead.person) if r["case"].pk == case.pk]
    assert rows[0]["measures"] == []


def test_withdrawn_education_and_actions_stop_counting_for_the_four_nots_over_the_api(inspector_user, case):
    client = token_client(inspector_user)
    education = cases.record_education(
        case=case, held_on=dt.date(2024, 5, 10), description="警示教育", participants=80
    )
    action = cases.add_corrective_action(case=case, description="塔吊专项排查")
    cases.complete_corrective_action(action=action, done_on=dt.date(2024, 5, 1))
    assert EDUCATION not in blockers(case) and MEASURES not in blockers(case)
    for kind, entry in (("education", education), ("action", action)):
        response = client.post(
            f"/api/v1/cases/{case.code}/entries/{kind}/{entry.pk}/withdraw/",
            {"reason": "录入有误"},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["withdrawal_reason"] == "录入有误"
    assert EDUCATION in blockers(case) and MEASURES in blockers(case)
    assert not EducationActivity.objects.filter(case=case).exists()
    missing = client.post(
        f"/api/v1/cases/{case.code}/entries/education/{education.pk}/withdraw/", {"reason": "x"}
    )
    assert missing.status_code == 404  # withdrawn already: no longer an entry of the case
    assert (
        client.post(f"/api/v1/cases/{case.code}/entries/action/999999/withdraw/", {"reason": "x"}).status_code
        == 404
    )


def test_an_added_subject_is_withdrawn_and_may_be_added_again_but_a_chain_record_is_not(
    login, inspector_user, case
):
    unit = Unit.objects.get(code="e2")
    added = cases.add_subject(
        case=case, track="enterprise", types=["primary"], unit=unit, entity=True, reason="误列"
    )
    client = login("inspector")
    assert withdraw(client, case, "subject", added.pk, "增列有误").status_code == 302
    assert added.pk not in {r.pk for r in case_records(case)}
    assert AccountabilityRecord.every.get(pk=added.pk).withdrawal_reason == "增列有误"
    again = cases.add_subject(
        case=case, track="enterprise", types=["primary"], unit=unit, entity=True, reason="单位负有责任"
    )
    assert again.pk != added.pk
    chain = case.records.filter(origin="chain").first()
    with pytest.raises(ValidationError, match="责任链认定的记录随立案冻结"):
        cases.withdraw_entry(entry=chain, reason="不想要", by=inspector_user)


def test_a_closed_case_takes_no_withdrawal(inspector_user, case):
    education = cases.record_education(
        case=case, held_on=dt.date(2024, 5, 10), description="警示教育", participants=80
    )
    Case.objects.filter(pk=case.pk).update(state="closed")
    with pytest.raises(ValidationError, match="更正只能通过回头看"):
        cases.withdraw_entry(entry=education, reason="录错", by=inspector_user)
    assert EducationActivity.objects.filter(pk=education.pk).exists()


def test_a_corrected_education_replaces_the_old_one_which_stays(inspector_user, case):
    wrong = cases.record_education(
        case=case, held_on=dt.date(2024, 5, 10), description="警示教育", participants=8
    )
    new = cases.correct_entry(
        entry=wrong,
        reason="人数漏了一位数",
        by=inspector_user,
        write=lambda: cases.record_education(
            case=case,
            held_on=dt.date(2024, 5, 10),
            description="警示教育",
            participants=80,
            by=inspector_user,
        ),
    )
    assert new.replaces == wrong and list(EducationActivity.objects.filter(case=case)) == [new]
    assert EducationActivity.every.get(pk=wrong.pk).correction == new
    # A refused new version leaves the old one standing.
    with pytest.raises(ValidationError):
        cases.correct_entry(
            entry=new,
            reason="改日期",
            by=inspector_user,
            write=lambda: cases.record_education(
                case=case, held_on=dt.date(2099, 1, 1), description="x", participants=1
            ),
        )
    assert list(EducationActivity.objects.filter(case=case)) == [new]


def test_other_roles_may_not_withdraw(login, case, handover):
    assert withdraw(login("enterprise"), case, "handover", handover.pk, "x").status_code in (403, 404)
    assert HandOver.objects.filter(pk=handover.pk).exists()


# ---- 回头看 holds people to account again (issue 22 item 5) ----------------------------------------------


def test_the_review_holds_a_subject_of_the_case_to_account_again_and_lists_each_proposal_once(
    login, inspector_user, case, vhead, handover
):
    proposal = cases.amend_finding(
        record=vhead,
        finding="responsible",
        category="important_leadership",
        measures=[{"kind": "gov_demerit"}],
        reason="补充处理建议",
    ).measures.get()
    cases.record_handover_decision(
        handover=handover,
        record=vhead,
        measure={"kind": "gov_demerit"},
        document_number="县纪发〔2024〕12号",
        decided_on=dt.date(2024, 5, 20),
        by=inspector_user,
    )
    replied(case, submitted=dt.date(2024, 6, 1), reply=dt.date(2024, 7, 1))
    client = login("inspector")
    html = client.get(reverse("accountability:case_workbench", args=[case.code])).content.decode()
    # The proposal once, its decision beside it; the decision that came back is not a second item.
    assert html.count(f'value="measure-{proposal.pk}"') == 1
    assert "处理建议：" in html and "——处理结果：政务处分：记过（县纪发〔2024〕12号）" in html
    assert html.count("处理建议：赵志强") == 1

    response = client.post(
        url("case_review", case),
        {
            "reviewed_on": "2025-07-10",
            "item": f"measure-{proposal.pk}",
            "carried_out": "no",
            "note": "处分决定未执行",
            "follow_up": "on",
            "track": vhead.track,
            "types": vhead.types,
            "unit": vhead.unit_code,
            "position": vhead.position_code,
            "person": vhead.person_code,
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    again = AccountabilityRecord.objects.get(case=case, origin="review")
    assert (again.person_code, again.position_code) == (vhead.person_code, vhead.position_code)
    assert "处分决定未执行" in again.added_reason and again.current_decision is None
    # The earlier record stays as it was, with its finding and the decision that came back.
    vhead = AccountabilityRecord.objects.get(pk=vhead.pk)
    assert vhead.origin == "chain" and vhead.current_decision.measures.count() == 2
    # Twice in the same round is refused.
    with pytest.raises(ValidationError, match="已在回头看中追责"):
        cases.add_subject(
            case=case,
            track=vhead.track,
            types=vhead.types,
            unit=vhead.unit,
            position=vhead.position,
            person=vhead.person,
            reason="再次",
            origin="review",
        )
