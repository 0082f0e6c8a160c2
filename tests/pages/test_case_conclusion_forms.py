"""The workbench's 调查结论 forms (views_conclusions.py): each writes through its service and redirects;
a bad value re-renders the workbench with the field's error and writes nothing; a role that may not
write gets 403 and a case outside the investigator's scope 404, as every workbench form."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from accountability import cases
from accountability.models import (
    Accident,
    AccountabilityRecord,
    AppraisalPeriod,
    Case,
    CorrectiveAction,
    HandOver,
    Investigator,
    Measure,
    ReviewItem,
    UnitProblem,
)
from responsibility.models import Region, Unit
from responsibility.permissions import INSPECT_REGION, Role, ensure_role_groups
from tests.factories import opened_on, replied

CODE = "CASE-A-A0226"


def url(name, *args):
    return reverse(f"accountability:{name}", args=[CODE, *args])


def workbench():
    return reverse("accountability:case_workbench", args=[CODE])


@pytest.fixture
def case(demo_users):
    case = cases.open_case(accident=Accident.objects.get(code="A0226")).case
    return opened_on(case, dt.date(2024, 2, 27))


@pytest.fixture
def responsible(case):
    """Two officials found responsible (the only records that may be handed over)."""
    records = {r.position_code: r for r in case.records.filter(track="supervision").exclude(person_code="")}
    for code in ("d_vhead_build", "d_sec"):
        cases.record_finding(record=records[code], finding="responsible", category="leadership")
    return records["d_vhead_build"], records["d_sec"]


@pytest.fixture
def outsider(demo_users):
    """An inspector of township T2 only: A0226 (in T1) is outside their scope."""
    user = User.objects.create_user("inspector_t2", password="pages-test-pw-1")
    user.groups.add(ensure_role_groups()[Role.INSPECTOR])
    assign_perm(f"responsibility.{INSPECT_REGION}", user, Region.objects.get(code="T2"))
    client = Client()
    assert client.login(username="inspector_t2", password="pages-test-pw-1")
    return client


def field_error(response, text):
    """The error is on the workbench, next to its field (the .field.has-error wrapper), status 400."""
    html = response.content.decode()
    assert response.status_code == 400, response.status_code
    assert text in html, text
    assert 'class="field has-error"' in html
    return html


def refused_for_others(login, outsider, name, data, *args):
    """403 for a regulator (no cases at all) and for an enterprise user; 404 for an out-of-scope inspector."""
    assert login("regulator").post(url(name, *args), data).status_code == 403
    assert login("enterprise").post(url(name, *args), data).status_code == 403
    assert outsider.post(url(name, *args), data).status_code == 404


# ---- 事故性质、直接原因、间接原因 ----------------------------------------------------------------------


def test_nature_and_causes_are_recorded_through_record_conclusions(inspector, case):
    response = inspector.post(
        url("case_nature_causes"),
        {"nature": "liability", "direct_cause": "塔吊附着螺栓松动", "indirect_cause": "总包未落实设备管理"},
    )
    assert response.status_code == 302 and response["Location"] == workbench() + "#conclusions"
    case.refresh_from_db()
    assert (case.nature, case.cause, case.indirect_cause) == (
        "liability",
        "塔吊附着螺栓松动",
        "总包未落实设备管理",
    )
    assert case.cause_recorded_at is not None  # 四不放过 (1) reads it
    html = inspector.get(workbench()).content.decode()
    assert "生产安全责任事故" in html and "总包未落实设备管理" in html


def test_a_bad_nature_is_a_field_error_and_nothing_is_written(inspector, case, responsible):
    field_error(
        inspector.post(url("case_nature_causes"), {"nature": "act_of_god", "direct_cause": "x"}),
        "选择一个有效的选项",
    )
    # The service's refusal lands on the field too: responsible findings exist, so not 非责任事故.
    html = field_error(
        inspector.post(url("case_nature_causes"), {"nature": "non_liability", "direct_cause": "x"}),
        "已有负有责任的认定，不能定性为非责任事故",
    )
    assert 'id="nature-causes"' in html
    case.refresh_from_db()
    assert (case.nature, case.cause) == ("", "")


def test_nature_and_causes_are_refused_to_other_roles_and_out_of_scope(login, outsider, case):
    refused_for_others(login, outsider, "case_nature_causes", {"nature": "liability", "direct_cause": "x"})
    case.refresh_from_db()
    assert (case.nature, case.cause) == ("", "")


# ---- 经过和救援、主要教训 ---------------------------------------------------------------------------------


def test_course_and_lessons_are_recorded_and_a_blank_one_is_refused(login, outsider, inspector, case):
    assert (
        inspector.post(url("case_course"), {"course_and_rescue": "9时30分塔吊倒塌，救援2小时"}).status_code
        == 302
    )
    assert inspector.post(url("case_lessons"), {"lessons": "设备管理缺位"}).status_code == 302
    case.refresh_from_db()
    assert (case.course_and_rescue, case.lessons) == ("9时30分塔吊倒塌，救援2小时", "设备管理缺位")
    field_error(inspector.post(url("case_lessons"), {"lessons": ""}), "该字段是必填项")
    field_error(inspector.post(url("case_course"), {"course_and_rescue": "x" * 50001}), "50000")
    case.refresh_from_db()
    assert case.lessons == "设备管理缺位"
    refused_for_others(login, outsider, "case_lessons", {"lessons": "y"})
    refused_for_others(login, outsider, "case_course", {"course_and_rescue": "y"})
    case.refresh_from_db()
    assert (case.course_and_rescue, case.lessons) == ("9时30分塔吊倒塌，救援2小时", "设备管理缺位")


# ---- 有关责任单位存在的主要问题 --------------------------------------------------------------------------


def test_a_units_problems_are_recorded_through_set_unit_problems_and_replaced(
    login, outsider, inspector, case
):
    assert (
        inspector.post(url("case_unit_problems"), {"unit": "d_housing", "problems": "未督促整改"}).status_code
        == 302
    )
    assert (
        inspector.post(
            url("case_unit_problems"),
            {"unit": Unit.objects.get(code="d_housing").name, "problems": "监管缺位"},
        ).status_code
        == 302
    )
    (row,) = UnitProblem.objects.filter(case=case)
    assert (row.unit.code, row.problems) == ("d_housing", "监管缺位")
    # e6 sits in the city, outside the investigator's county: the same error as a code that does not exist.
    field_error(
        inspector.post(url("case_unit_problems"), {"unit": "e6", "problems": "x"}),
        "“e6”不存在或不在您的查看范围内",
    )
    field_error(inspector.post(url("case_unit_problems"), {"unit": "d_em", "problems": ""}), "该字段是必填项")
    refused_for_others(login, outsider, "case_unit_problems", {"unit": "d_em", "problems": "x"})
    assert UnitProblem.objects.filter(case=case).count() == 1


# ---- 技术鉴定期间 -------------------------------------------------------------------------------------------


def test_an_appraisal_period_moves_the_due_date_and_bad_dates_are_refused(login, outsider, inspector, case):
    due = case.investigation_due
    response = inspector.post(url("case_appraisal_add"), {"start": "2024-03-01", "subject": "螺栓金相分析"})
    assert response.status_code == 302
    period = AppraisalPeriod.objects.get(case=case)
    assert period.end is None
    # Before the event day: the service's refusal on `start`; an end before the start: on `end`.
    field_error(
        inspector.post(url("case_appraisal_add"), {"start": "2024-01-01"}),
        "鉴定开始日期（2024-01-01）不能早于事发日（2024-02-26）",
    )
    field_error(
        inspector.post(url("case_appraisal_add"), {"start": "2024-05-01", "end": "2024-04-01"}),
        "鉴定结束日期（2024-04-01）不能早于鉴定开始日期（2024-05-01）",
    )
    field_error(inspector.post(url("case_appraisal_add"), {"start": "2024-13-45"}), "输入一个有效的日期")
    assert AppraisalPeriod.objects.filter(case=case).count() == 1
    # Ending it: 10 days that do not count.
    refused = inspector.post(url("case_appraisal_end", period.pk), {"end": "2024-02-01"})
    assert refused.status_code == 400 and "鉴定结束日期不能早于开始日期" in refused.content.decode()
    assert inspector.post(url("case_appraisal_end", period.pk), {"end": "2024-03-10"}).status_code == 302
    case.refresh_from_db()
    assert case.appraisal_days == 10 and case.investigation_due == due + dt.timedelta(days=10)
    assert inspector.post(url("case_appraisal_end", 999999), {"end": "2024-03-10"}).status_code == 404
    refused_for_others(login, outsider, "case_appraisal_add", {"start": "2024-04-01"})
    refused_for_others(login, outsider, "case_appraisal_end", {"end": "2024-04-01"}, period.pk)
    assert AppraisalPeriod.objects.filter(case=case).count() == 1


# ---- 问题线索移交 and the decision that comes back ----------------------------------------------------------


def test_a_hand_over_and_its_decision_are_recorded_through_the_services(
    login, outsider, inspector, case, responsible
):
    vhead, sec = responsible
    html = inspector.get(workbench()).content.decode()
    assert f'value="{vhead.pk}"' in html and "登记问题线索移交" in html
    response = inspector.post(
        url("case_handover"),
        {"records": [vhead.pk, sec.pk], "handed_on": "2024-04-01", "authority": "county"},
    )
    assert response.status_code == 302
    handover = HandOver.objects.get(case=case)
    assert handover.receiving_body == "县纪委监委" and handover.decision_due == dt.date(2024, 6, 30)
    assert set(handover.records.all()) == {vhead, sec}

    decision = {
        f"h{handover.pk}-record": vhead.pk,
        f"h{handover.pk}-kind": "gov_demerit",
        f"h{handover.pk}-document_number": "县纪发〔2024〕12号",
        f"h{handover.pk}-decided_on": "2024-05-20",
    }
    assert inspector.post(url("case_handover_decision", handover.pk), decision).status_code == 302
    measure = Measure.objects.get(handover=handover)
    assert (measure.kind, measure.document_number, measure.decision.record) == (
        "gov_demerit",
        "县纪发〔2024〕12号",
        vhead,
    )
    handover.refresh_from_db()
    assert handover.completed_on is None  # the secretary's decision has not come back yet
    html = inspector.get(workbench()).content.decode()
    assert "县纪发〔2024〕12号" in html and "待反馈" in html


def test_bad_hand_overs_and_decisions_are_field_errors_and_write_nothing(inspector, case, responsible):
    vhead, sec = responsible
    not_found = case.records.get(position_code="e1_crane")  # no finding: not offered, not accepted
    field_error(
        inspector.post(
            url("case_handover"),
            {"records": [not_found.pk], "handed_on": "2024-04-01", "authority": "county"},
        ),
        "不在可用的选项中",
    )
    field_error(
        inspector.post(url("case_handover"), {"records": [vhead.pk], "handed_on": "2024-04-01"}),
        "须写明接收机关",
    )
    field_error(
        inspector.post(
            url("case_handover"),
            {
                "records": [vhead.pk],
                "handed_on": "2024-04-01",
                "authority": "county",
                "decision_due": "2024-03-01",
            },
        ),
        "处理结果反馈期限（2024-03-01）不能早于移交日期（2024-04-01）",
    )
    assert not HandOver.objects.exists()
    handover = cases.hand_over(case=case, records=[vhead], handed_on=dt.date(2024, 4, 1), authority="county")
    p = f"h{handover.pk}-"
    good = {
        p + "record": vhead.pk,
        p + "kind": "gov_demerit",
        p + "document_number": "x号",
        p + "decided_on": "2024-05-01",
    }
    # A measure that does not fit the subject: on `kind`; a decision before the hand-over: on `decided_on`.
    field_error(
        inspector.post(
            url("case_handover_decision", handover.pk),
            {**good, p + "kind": "enterprise_fine", p + "amount_yuan": "1"},
        ),
        "本记录的主体是公职人员",
    )
    field_error(
        inspector.post(url("case_handover_decision", handover.pk), {**good, p + "decided_on": "2024-03-01"}),
        "决定日期（2024-03-01）不能早于移交日期（2024-04-01）",
    )
    field_error(
        inspector.post(url("case_handover_decision", handover.pk), {**good, p + "document_number": ""}),
        "该字段是必填项",
    )
    # The secretary was not handed over in this one: not a choice.
    field_error(
        inspector.post(url("case_handover_decision", handover.pk), {**good, p + "record": sec.pk}),
        "不在可用的选项中",
    )
    assert not Measure.objects.filter(handover=handover).exists()
    assert inspector.post(url("case_handover_decision", 999999), good).status_code == 404


def test_hand_overs_are_refused_to_other_roles_and_out_of_scope(login, outsider, case, responsible):
    vhead, _ = responsible
    refused_for_others(
        login,
        outsider,
        "case_handover",
        {"records": [vhead.pk], "handed_on": "2024-04-01", "authority": "county"},
    )
    handover = cases.hand_over(case=case, records=[vhead], handed_on=dt.date(2024, 4, 1), authority="county")
    p = f"h{handover.pk}-"
    data = {
        p + "record": vhead.pk,
        p + "kind": "gov_demerit",
        p + "document_number": "x号",
        p + "decided_on": "2024-05-01",
    }
    refused_for_others(login, outsider, "case_handover_decision", data, handover.pk)
    assert HandOver.objects.count() == 1 and not Measure.objects.filter(handover=handover).exists()


# ---- 回头看 ---------------------------------------------------------------------------------------------------


def test_the_review_records_an_item_and_an_undone_one_opens_a_follow_up_record(
    login, outsider, inspector, case
):
    replied(case, submitted=dt.date(2024, 4, 20), reply=dt.date(2024, 5, 20))
    action = cases.add_corrective_action(case=case, description="全面排查塔吊附着装置")
    done = {"reviewed_on": "2025-06-01", "item": f"action-{action.pk}", "carried_out": "yes"}
    assert inspector.post(url("case_review"), done).status_code == 302
    assert ReviewItem.objects.get().carried_out is True

    undone = {
        **done,
        "carried_out": "no",
        "note": "排查流于形式",
        "follow_up": "on",
        "track": "supervision",
        "types": ["supervisory"],
        "person": "p14",
    }
    assert inspector.post(url("case_review"), undone).status_code == 302
    item = ReviewItem.objects.filter(carried_out=False).get()
    assert item.follow_up.person_code == "p14" and item.follow_up.origin == "review"
    assert "排查流于形式" in item.follow_up.added_reason
    # The undone 整改措施 is registered again, for 四不放过.
    assert CorrectiveAction.objects.filter(case=case, description__startswith="（回头看未落实）").count() == 1
    html = inspector.get(workbench()).content.decode()
    assert "未落实" in html and "排查流于形式" in html


def test_bad_review_entries_are_field_errors_and_write_nothing(login, outsider, inspector, case):
    replied(case, submitted=dt.date(2024, 4, 20), reply=dt.date(2024, 5, 20))
    action = cases.add_corrective_action(case=case, description="全面排查塔吊附着装置")
    base = {"reviewed_on": "2025-06-01", "item": f"action-{action.pk}", "carried_out": "no"}
    field_error(inspector.post(url("case_review"), {**base, "carried_out": "maybe"}), "选择一个有效的选项")
    field_error(inspector.post(url("case_review"), {**base, "item": "action-999999"}), "选择一个有效的选项")
    field_error(inspector.post(url("case_review"), {**base, "follow_up": "on"}), "增列追责记录须选择责任轨道")
    field_error(
        inspector.post(
            url("case_review"),
            {
                **base,
                "carried_out": "yes",
                "follow_up": "on",
                "track": "supervision",
                "types": ["supervisory"],
                "person": "p14",
            },
        ),
        "已落实的事项不增列追责记录",
    )
    # A subject already held to account in this 回头看 (a subject of the case may be, once per round):
    # add_subject's refusal on the person field, and the whole review undone.
    em_dir = case.records.get(position_code="d_em_dir")
    cases.add_subject(
        case=case,
        track="supervision",
        types=["supervisory"],
        unit=em_dir.unit,
        position=em_dir.position,
        person=em_dir.person,
        reason="回头看：应急局局长未督促整改",
        origin="review",
    )
    field_error(
        inspector.post(
            url("case_review"),
            {
                **base,
                "follow_up": "on",
                "track": "supervision",
                "types": ["supervisory"],
                "unit": "d_em",
                "position": "d_em_dir",
                "person": "p14",
            },
        ),
        "该责任主体已在回头看中追责",
    )
    assert not ReviewItem.objects.exists()
    assert not CorrectiveAction.objects.filter(description__startswith="（回头看未落实）").exists()
    refused_for_others(login, outsider, "case_review", {**base, "carried_out": "yes"})
    assert not ReviewItem.objects.exists()


def test_the_review_is_open_on_a_closed_case(inspector, case):
    """回头看 comes a year after the 批复: the case is closed, the other forms are gone, the review is not."""
    Case.objects.filter(pk=case.pk).update(state="closed")
    html = inspector.get(workbench()).content.decode()
    assert "记录回头看评估" in html and "登记问题线索移交" not in html and "保存性质和原因" not in html
    refused = inspector.post(url("case_lessons"), {"lessons": "x"})
    assert refused.status_code == 400 and "案件已结案，不能再修改" in refused.content.decode()


def test_the_workbench_reads_the_conclusions_in_a_fixed_number_of_queries(inspector, case, responsible):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert inspector.get(workbench()).status_code == 200
        return len(ctx)

    vhead, sec = responsible
    replied(case, submitted=dt.date(2024, 4, 20), reply=dt.date(2024, 5, 20))
    first = cases.hand_over(case=case, records=[vhead], handed_on=dt.date(2024, 4, 1), authority="county")
    cases.record_handover_decision(
        handover=first,
        record=vhead,
        measure={"kind": "gov_demerit"},
        document_number="1号",
        decided_on=dt.date(2024, 5, 1),
    )
    action = cases.add_corrective_action(case=case, description="措施")
    cases.record_review(
        case=case,
        reviewed_on=dt.date(2025, 6, 1),
        entries=[cases.ReviewEntry(carried_out=True, corrective_action=action)],
    )
    cases.add_appraisal_period(case=case, start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 5))
    before = count()
    second = cases.hand_over(
        case=case, records=[sec], handed_on=dt.date(2024, 4, 2), receiving_body="市纪委监委"
    )
    cases.record_handover_decision(
        handover=second,
        record=sec,
        measure={"kind": "party_warning"},
        document_number="2号",
        decided_on=dt.date(2024, 5, 2),
    )
    for i in range(3):
        more = cases.add_corrective_action(case=case, description=f"措施{i}")
        cases.record_review(
            case=case,
            reviewed_on=dt.date(2025, 6, 1),
            entries=[cases.ReviewEntry(carried_out=True, corrective_action=more)],
        )
    cases.add_appraisal_period(case=case, start=dt.date(2024, 3, 10), end=dt.date(2024, 3, 12))
    assert count() == before
    assert AccountabilityRecord.objects.filter(case=case).count() > 20


# ---- 调查组、国务院确定的调查期限 --------------------------------------------------------------------------


def test_team_units_are_registered_through_set_investigator_and_a_second_lead_is_refused(
    login, outsider, inspector, case
):
    county_gov, housing = Unit.objects.get(code="d_gov"), Unit.objects.get(code="d_housing")
    assert (
        inspector.post(url("case_investigator"), {"unit": county_gov.code, "role": "lead"}).status_code == 302
    )
    assert (
        inspector.post(url("case_investigator"), {"unit": housing.code, "role": "member"}).status_code == 302
    )
    html = field_error(
        inspector.post(url("case_investigator"), {"unit": housing.code, "role": "lead"}), "调查组已有牵头单位"
    )
    assert 'id="team"' in html
    team = list(
        Investigator.objects.filter(accident=case.accident)
        .order_by("order")
        .values_list("unit__code", "role")
    )
    assert team == [(county_gov.code, "lead"), (housing.code, "member")]
    field_error(inspector.post(url("case_investigator"), {"unit": "NO-SUCH-UNIT", "role": "member"}), "单位")
    refused_for_others(login, outsider, "case_investigator", {"unit": housing.code, "role": "expert"})
    assert Investigator.objects.filter(accident=case.accident).count() == 2


def test_only_an_especially_major_accident_takes_a_state_council_period(inspector, case):
    assert case.grade != "especially_major"
    field_error(
        inspector.post(url("case_investigation_period"), {"days": 200}),
        "只有特别重大事故由国务院确定调查期限",
    )
    Case.objects.filter(pk=case.pk).update(grade="especially_major")
    field_error(inspector.post(url("case_investigation_period"), {"days": 30}), "60")
    due_before = Case.objects.get(pk=case.pk).investigation_due
    assert inspector.post(url("case_investigation_period"), {"days": 220}).status_code == 302
    case.refresh_from_db()
    assert case.set_period_days == 220
    assert case.appraisal_days == 0 and (case.investigation_due - case.event_day).days == 220
    assert case.investigation_due != due_before
    assert "国务院确定 220 天" in inspector.get(workbench()).content.decode()
