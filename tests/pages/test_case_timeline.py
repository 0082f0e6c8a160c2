"""The plausibility of a case's dates, one rule at a time, on every surface that writes the date
(issue 22 item 2; accountability/cases/timeline.py is the one home).

Each case submits a value that breaks exactly one rule and nothing else, through the page, the API and
(where it writes that date) the admin: it is refused with a message naming the field and the bound, and
nothing is written. Removing the rule makes that case pass the value through, so the case fails.
The A0226 case is opened on 2024-02-27, the day after the accident (2024-02-26).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from accountability import cases
from accountability.models import (
    Accident,
    AppraisalPeriod,
    Case,
    CorrectiveAction,
    EducationActivity,
    HandOver,
    Measure,
    ReviewItem,
)
from tests.api.conftest import token_client
from tests.factories import opened_on, replied

OPENED = dt.date(2024, 2, 27)
EVENT = dt.date(2024, 2, 26)


def tomorrow() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


@pytest.fixture
def case(demo_users):
    case = cases.open_case(accident=Accident.objects.get(code="A0226")).case
    return opened_on(case, OPENED)


@pytest.fixture
def vhead(case):
    record = case.records.get(position_code="d_vhead_build")
    cases.record_finding(record=record, finding="responsible", category="important_leadership")
    return record


@pytest.fixture
def surfaces(login):
    return {
        "page": login("inspector"),
        "api": token_client(User.objects.get(username="inspector")),
        "admin": login("admin"),
    }


def _text(response) -> str:
    return response.content.decode()


def _page(client, name, case, data, *args):
    response = client.post(reverse(f"accountability:{name}", args=[case.code, *args]), data)
    return response.status_code == 400, _text(response)


def _api(client, path, case, data):
    response = client.post(f"/api/v1/cases/{case.code}/{path}", data, format="json")
    return response.status_code == 400, _text(response)


def _management(prefix, total, initial):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _admin(client, case, *, fields=None, education=None, action=None, done_on=None):
    """The case's admin change form: the case's own fields, a new education or action row, or the
    completion of the case's first action."""
    case = Case.objects.get(pk=case.pk)
    records = list(case.records.order_by("order", "id"))
    actions = list(case.corrective_actions.order_by("id"))
    data = {
        "title": case.title,
        "cause": case.cause,
        "investigation_extension_days": str(case.investigation_extension_days),
        "report_submitted_on": "",
        "reply_on": "",
        "review_done_on": "",
        **(fields or {}),
        **_management("records", len(records), len(records)),
        **{f"records-{i}-id": r.pk for i, r in enumerate(records)},
        **{f"records-{i}-case": case.pk for i in range(len(records))},
        **_management("corrective_actions", len(actions) + (1 if action else 0), len(actions)),
        **_management("education", 1 if education else 0, 0),
    }
    for i, row in enumerate(actions):
        data |= {
            f"corrective_actions-{i}-id": row.pk,
            f"corrective_actions-{i}-case": case.pk,
            f"corrective_actions-{i}-description": row.description,
            f"corrective_actions-{i}-responsible": row.responsible,
            f"corrective_actions-{i}-due_on": row.due_on.isoformat() if row.due_on else "",
            f"corrective_actions-{i}-done_on": (done_on if i == 0 and done_on else "")
            or (row.done_on.isoformat() if row.done_on else ""),
        }
    if action:
        i = len(actions)
        data |= {f"corrective_actions-{i}-{k}": v for k, v in {"case": case.pk, **action}.items()}
    if education:
        data |= {f"education-0-{k}": v for k, v in {"case": case.pk, **education}.items()}
    response = client.post(reverse("admin:accountability_case_change", args=[case.pk]), data)
    return response.status_code == 200, _text(response)


# ---- the rules, each with its bad value per surface -------------------------------------------------------


def handover_before_opening(s, case, vhead, surface):
    data = {"records": [vhead.pk], "handed_on": "2024-02-26", "authority": "county"}
    if surface == "page":
        return _page(s["page"], "case_handover", case, data)
    return _api(s["api"], "handovers/", case, data)


def handover_after_today(s, case, vhead, surface):
    data = {"records": [vhead.pk], "handed_on": tomorrow(), "authority": "county"}
    if surface == "page":
        return _page(s["page"], "case_handover", case, data)
    return _api(s["api"], "handovers/", case, data)


def _decision(s, case, vhead, surface, decided_on):
    handover = cases.hand_over(case=case, records=[vhead], handed_on=dt.date(2024, 4, 1), authority="county")
    if surface == "page":
        p = f"h{handover.pk}-"
        data = {p + "record": vhead.pk, p + "kind": "gov_demerit", p + "document_number": "县纪发〔2024〕1号"}
        return _page(
            s["page"], "case_handover_decision", case, {**data, p + "decided_on": decided_on}, handover.pk
        )
    data = {"record": vhead.pk, "measure": {"kind": "gov_demerit"}, "document_number": "县纪发〔2024〕1号"}
    return _api(s["api"], f"handovers/{handover.pk}/decisions/", case, {**data, "decided_on": decided_on})


def decision_before_handover(s, case, vhead, surface):
    return _decision(s, case, vhead, surface, "2024-03-31")


def decision_after_today(s, case, vhead, surface):
    return _decision(s, case, vhead, surface, tomorrow())


def _appraisal(s, case, surface, **dates):
    if surface == "page":
        return _page(s["page"], "case_appraisal_add", case, {**dates, "subject": "螺栓金相分析"})
    return _api(s["api"], "appraisal-periods/", case, {**dates, "subject": "螺栓金相分析"})


def appraisal_before_accident(s, case, vhead, surface):
    return _appraisal(s, case, surface, start="2024-02-25")


def appraisal_starting_after_today(s, case, vhead, surface):
    return _appraisal(s, case, surface, start=tomorrow())


def appraisal_ending_before_it_starts(s, case, vhead, surface):
    return _appraisal(s, case, surface, start="2024-03-10", end="2024-03-09")


def _education(s, case, surface, held_on, participants):
    data = {"held_on": held_on, "description": "全县建筑施工警示教育", "participants": participants}
    if surface == "page":
        return _page(s["page"], "case_education", case, data)
    if surface == "api":
        return _api(s["api"], "education/", case, data)
    return _admin(s["admin"], case, education=data)


def education_after_today(s, case, vhead, surface):
    return _education(s, case, surface, tomorrow(), 80)


def education_without_participants(s, case, vhead, surface):
    return _education(s, case, surface, "2024-05-10", 0)


def action_due_on_the_accident(s, case, vhead, surface):
    data = {"description": "全县塔吊专项排查", "responsible": "住建局", "due_on": "2024-02-26"}
    if surface == "page":
        return _page(s["page"], "case_action_add", case, data)
    if surface == "api":
        return _api(s["api"], "corrective-actions/", case, data)
    return _admin(s["admin"], case, action={**data, "done_on": ""})


def _done(s, case, surface, done_on):
    action = cases.add_corrective_action(case=case, description="全县塔吊专项排查")
    if surface == "page":
        return _page(s["page"], "case_action_done", case, {"done_on": done_on}, action.pk)
    if surface == "api":
        return _api(s["api"], f"corrective-actions/{action.pk}/complete/", case, {"done_on": done_on})
    return _admin(s["admin"], case, done_on=done_on)


def action_done_before_accident(s, case, vhead, surface):
    return _done(s, case, surface, "2024-02-25")


def action_done_after_today(s, case, vhead, surface):
    return _done(s, case, surface, tomorrow())


def report_before_opening(s, case, vhead, surface):
    return _admin(s["admin"], case, fields={"report_submitted_on": "2024-02-26"})


def reply_before_report(s, case, vhead, surface):
    return _admin(s["admin"], case, fields={"report_submitted_on": "2024-04-20", "reply_on": "2024-04-19"})


def review_before_reply(s, case, vhead, surface):
    if surface == "admin":
        return _admin(s["admin"], case, fields={"review_done_on": "2025-06-01"})
    action = cases.add_corrective_action(case=case, description="全县塔吊专项排查")
    data = {"reviewed_on": "2025-06-01", "item": f"action-{action.pk}", "carried_out": "yes"}
    return _page(s["page"], "case_review", case, data)


def review_on_the_eve_of_the_reply(s, case, vhead, surface):
    if surface == "admin":
        fields = {
            "report_submitted_on": "2024-04-20",
            "reply_on": "2024-05-20",
            "review_done_on": "2024-05-19",
        }
        return _admin(s["admin"], case, fields=fields)
    action = cases.add_corrective_action(case=case, description="全县塔吊专项排查")
    data = {"reviewed_on": "2024-05-19", "item": f"action-{action.pk}", "carried_out": "yes"}
    return _page(s["page"], "case_review", case, data)


review_on_the_eve_of_the_reply.prepare = lambda case: replied(
    case, submitted=dt.date(2024, 4, 20), reply=dt.date(2024, 5, 20)
)


def _written(case) -> dict:
    case = Case.objects.get(pk=case.pk)
    return {
        "handovers": HandOver.every.filter(case=case).count(),
        "decisions": Measure.every.filter(handover__case=case).count(),
        "periods": AppraisalPeriod.every.filter(case=case).count(),
        "education": EducationActivity.every.filter(case=case).count(),
        "done": CorrectiveAction.every.filter(case=case, done_on__isnull=False).count(),
        "actions_due": CorrectiveAction.every.filter(case=case, due_on__isnull=False).count(),
        "dates": (case.report_submitted_on, case.review_done_on),
        "review": ReviewItem.objects.filter(case=case).count(),
    }


RULES = [
    # (rule, surfaces, the message naming the field and the bound)
    (handover_before_opening, ("page", "api"), "移交日期（2024-02-26）不能早于立案日期（2024-02-27）"),
    (handover_after_today, ("page", "api"), "移交日期（{tomorrow}）不能晚于今日（{today}）"),
    (decision_before_handover, ("page", "api"), "决定日期（2024-03-31）不能早于移交日期（2024-04-01）"),
    (decision_after_today, ("page", "api"), "决定日期（{tomorrow}）不能晚于今日（{today}）"),
    (appraisal_before_accident, ("page", "api"), "鉴定开始日期（2024-02-25）不能早于事发日（2024-02-26）"),
    (appraisal_starting_after_today, ("page", "api"), "鉴定开始日期（{tomorrow}）不能晚于今日（{today}）"),
    (
        appraisal_ending_before_it_starts,
        ("page", "api"),
        "鉴定结束日期（2024-03-09）不能早于鉴定开始日期（2024-03-10）",
    ),
    (education_after_today, ("page", "api", "admin"), "警示教育日期（{tomorrow}）不能晚于今日（{today}）"),
    (education_without_participants, ("page", "api", "admin"), "参加人数（0）须至少 1 人"),
    (
        action_due_on_the_accident,
        ("page", "api", "admin"),
        "整改完成期限（2024-02-26）须晚于事发日（2024-02-26）",
    ),
    (
        action_done_before_accident,
        ("page", "api", "admin"),
        "整改完成日期（2024-02-25）不能早于事发日（2024-02-26）",
    ),
    (action_done_after_today, ("page", "api", "admin"), "整改完成日期（{tomorrow}）不能晚于今日（{today}）"),
    (report_before_opening, ("admin",), "调查报告提交日期（2024-02-26）不能早于立案日期（2024-02-27）"),
    (reply_before_report, ("admin",), "批复日期（2024-04-19）不能早于调查报告提交日期（2024-04-20）"),
    (review_before_reply, ("page", "admin"), "回头看须在批复之后：尚未登记批复日期"),
    (
        review_on_the_eve_of_the_reply,
        ("page", "admin"),
        "回头看日期（2024-05-19）不能早于批复日期（2024-05-20）",
    ),
]


@pytest.mark.parametrize(
    ("rule", "surface", "message"),
    [
        pytest.param(rule, surface, message, id=f"{rule.__name__}-{surface}")
        for rule, on, message in RULES
        for surface in on
    ],
)
def test_a_date_outside_the_case_timeline_is_refused_naming_the_field_and_the_bound(
    surfaces, case, vhead, rule, surface, message
):
    getattr(rule, "prepare", lambda case: None)(case)
    before = _written(case)
    refused, text = rule(surfaces, case, vhead, surface)
    today = timezone.localdate()
    expected = message.format(today=today, tomorrow=today + dt.timedelta(days=1))
    assert refused and expected in text
    # Nothing of the refused value is written (a decision's rule sets up its hand-over first).
    expected = {
        **before,
        "handovers": before["handovers"] + (rule in (decision_before_handover, decision_after_today)),
    }
    assert _written(case) == expected


@pytest.mark.parametrize("surface", ["page", "api"])
def test_a_second_identical_hand_over_is_refused_naming_the_first(surfaces, case, vhead, surface):
    first = cases.hand_over(case=case, records=[vhead], handed_on=dt.date(2024, 4, 1), authority="county")
    data = {"records": [vhead.pk], "handed_on": "2024-04-02", "authority": "county"}
    if surface == "page":
        refused, text = _page(surfaces["page"], "case_handover", case, data)
    else:
        refused, text = _api(surfaces["api"], "handovers/", case, data)
    assert refused and f"已于 2024-04-01 移交县纪委监委（移交 #{first.pk}）" in text
    assert HandOver.objects.filter(case=case).count() == 1
    # Withdrawn, the first no longer stands in the way.
    cases.withdraw_entry(entry=first, reason="移交日期录错", by=User.objects.get(username="inspector"))
    assert cases.hand_over(case=case, records=[vhead], handed_on=dt.date(2024, 4, 2), authority="county")


def test_within_the_bounds_every_date_is_accepted(case, vhead):
    """The bounds are inclusive where the rules say "on or after": the edge day itself is plausible."""
    today = timezone.localdate()
    handover = cases.hand_over(case=case, records=[vhead], handed_on=OPENED, authority="county")
    cases.record_handover_decision(
        handover=handover,
        record=vhead,
        measure={"kind": "gov_demerit"},
        document_number="1号",
        decided_on=OPENED,
    )
    cases.add_appraisal_period(case=case, start=EVENT, end=EVENT)
    cases.record_education(case=case, held_on=today, description="警示教育", participants=1)
    action = cases.add_corrective_action(case=case, description="排查", due_on=EVENT + dt.timedelta(days=1))
    cases.complete_corrective_action(action=action, done_on=EVENT)
    assert HandOver.objects.get().completed_on == OPENED
