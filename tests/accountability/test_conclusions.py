"""DESIGN §6 on the demo county's 2·26 case: categories, deceased, channels and fit, entity subjects,
nature, causes, hand-overs, appraisal periods and the 回头看."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accountability.cases import (
    CAUSE,
    PEOPLE,
    CaseNotClosable,
    ReviewEntry,
    add_appraisal_period,
    add_corrective_action,
    add_subject,
    amend_finding,
    close_case,
    complete_corrective_action,
    end_appraisal_period,
    extend_investigation,
    hand_over,
    record_conclusions,
    record_education,
    record_finding,
    record_handover_decision,
    record_review,
    set_investigation_period,
)
from accountability.measures import BY_CODE, CATALOGUE, CHANNELS, CRIMINAL_ARTICLES
from accountability.models import Case, CaseState, Decision, ReminderKind, ReminderRule
from accountability.reminders.due import SELECTORS
from accountability.reminders.rules import ensure_default_rules
from responsibility.models import Position, Unit
from tests.factories import replied


@pytest.fixture
def chair(case):
    return case.records.get(position_code="e1_chair")


@pytest.fixture
def official(case):
    return case.records.get(position_code="d_vhead_build")


def test_every_form_has_exactly_one_channel_and_the_subjects_it_fits():
    assert all(kind.channel in CHANNELS and kind.fits for kind in CATALOGUE)
    assert {kind.channel for kind in CATALOGUE} == set(CHANNELS)
    assert {"229", "385", "293", "138", "146", "389", "402", "134", "397"} <= set(CRIMINAL_ARTICLES)
    assert BY_CODE["enterprise_fine"].fits == {"enterprise"}


def test_a_responsible_finding_needs_its_category(chair):
    with pytest.raises(ValidationError) as refused:
        record_finding(
            record=chair, finding="responsible", measures=[{"kind": "principal_fine", "amount_yuan": 1}]
        )
    assert list(refused.value.message_dict) == ["category"]
    with pytest.raises(ValidationError) as refused:
        record_finding(record=chair, finding="not_responsible", category="direct")
    assert list(refused.value.message_dict) == ["category"]
    decision = record_finding(
        record=chair,
        finding="responsible",
        category="principal",
        measures=[{"kind": "principal_fine", "amount_yuan": 480000}],
    )
    assert (decision.category, decision.get_category_display()) == ("principal", "主要责任")


def test_a_deceased_subject_is_decided_without_measures_and_counts_as_dealt_with(case, chair):
    with pytest.raises(ValidationError) as refused:
        record_finding(
            record=chair, finding="deceased", category="direct", measures=[{"kind": "party_warning"}]
        )
    assert list(refused.value.message_dict) == ["measures"]
    decision = record_finding(
        record=chair, finding="deceased", category="direct", grounds="鉴于其已在事故中死亡，免予追究"
    )
    assert decision.get_finding_display() == "负有责任（已死亡，免予追究）"
    for record in case.records.exclude(pk=chair.pk):
        record_finding(record=record, finding="not_responsible")
    record_conclusions(case=case, direct_cause="塔吊附着螺栓松动")
    add_corrective_action(case=case, description="塔吊专项排查")
    complete_corrective_action(action=case.corrective_actions.get(), done_on=dt.date(2024, 5, 1))
    record_education(case=case, held_on=dt.date(2024, 5, 10), description="警示教育", participants=30)
    assert close_case(case=case).state == CaseState.CLOSED


def test_an_amendment_to_deceased_keeps_working(chair):
    record_finding(
        record=chair, finding="responsible", category="principal", measures=[{"kind": "party_warning"}]
    )
    amended = amend_finding(
        record=chair, finding="deceased", category="principal", reason="核实其已在事故中死亡"
    )
    assert amended.amends.finding == "responsible" and amended.measures.count() == 0


@pytest.mark.parametrize(
    "position,kind",
    [("e1_safety", "enterprise_fine"), ("e1_chair", "gov_warning"), ("d_vhead_build", "principal_fine")],
)
def test_a_measure_on_the_wrong_kind_of_subject_is_refused_with_its_field(case, position, kind):
    record = case.records.get(position_code=position)
    with pytest.raises(ValidationError) as refused:
        record_finding(
            record=record,
            finding="responsible",
            category="management",
            measures=[{"kind": kind, "amount_yuan": 9}],
        )
    assert list(refused.value.message_dict) == ["measures[0].kind"]
    assert not Decision.objects.exists()


def test_the_enterprise_as_a_legal_person_is_added_with_a_reason_and_fined(case):
    e1 = Unit.objects.get(code="e1")
    with pytest.raises(ValidationError) as refused:
        add_subject(case=case, track="supervision", reason="x", types=["primary"], unit=e1, entity=True)
    assert "track" in refused.value.message_dict
    entity = add_subject(
        case=case,
        track="enterprise",
        reason="未落实主体责任，单位负有责任",
        types=["primary"],
        unit=e1,
        entity=True,
    )
    assert (entity.subject_type, entity.get_subject_type_display()) == ("entity", "单位责任")
    with pytest.raises(ValidationError) as refused:
        record_finding(
            record=entity, finding="responsible", category="principal", measures=[{"kind": "gov_warning"}]
        )
    assert list(refused.value.message_dict) == ["measures[0].kind"]
    decision = record_finding(
        record=entity,
        finding="responsible",
        category="principal",
        measures=[{"kind": "enterprise_fine", "amount_yuan": 800000}, {"kind": "dishonest_list"}],
    )
    assert [m.channel for m in decision.measures.order_by("id")] == ["administrative_penalty", "credit"]


def test_a_non_liability_accident_does_not_proceed_to_responsible_findings(case, chair, official):
    record_conclusions(case=case, nature="natural")
    with pytest.raises(ValidationError) as refused:
        record_finding(
            record=chair, finding="responsible", category="principal", measures=[{"kind": "party_warning"}]
        )
    assert list(refused.value.message_dict) == ["finding"]
    record_finding(record=official, finding="not_responsible")
    with pytest.raises(ValidationError) as unexplained:
        record_conclusions(case=case, nature="liability")
    assert list(unexplained.value.message_dict) == ["correction_reason"]
    record_conclusions(case=case, nature="liability", correction_reason="补充调查认定为责任事故")
    record_finding(
        record=chair, finding="responsible", category="principal", measures=[{"kind": "party_warning"}]
    )
    with pytest.raises(ValidationError) as refused:
        record_conclusions(case=case, nature="non_liability", correction_reason="改定性")
    assert list(refused.value.message_dict) == ["nature"]


def test_a_liability_accident_needs_both_causes(case):
    record_conclusions(case=case, nature="liability", direct_cause="塔吊附着螺栓松动")
    with pytest.raises(CaseNotClosable) as refused:
        close_case(case=case)
    assert "间接原因" in refused.value.message_dict[CAUSE][0]
    record_conclusions(case=case, indirect_cause="总包单位未落实设备管理")
    with pytest.raises(CaseNotClosable) as refused:
        close_case(case=case)
    assert CAUSE not in refused.value.message_dict


def test_appraisal_periods_move_the_due_date_and_the_extension_stays(case):
    assert case.investigation_due == dt.date(2024, 4, 26)
    period = add_appraisal_period(case=case, start=dt.date(2024, 3, 10), subject="塔吊螺栓金相分析")
    assert Case.objects.get(pk=case.pk).investigation_due == dt.date(2024, 4, 26)  # open: nothing yet
    end_appraisal_period(period=period, end=dt.date(2024, 3, 29))
    assert Case.objects.get(pk=case.pk).investigation_due == dt.date(2024, 5, 16)  # +20 days
    with pytest.raises(ValidationError):
        add_appraisal_period(case=case, start=dt.date(2024, 3, 20), end=dt.date(2024, 4, 2))
    extend_investigation(case=Case.objects.get(pk=case.pk), days=30)
    assert Case.objects.get(pk=case.pk).investigation_due == dt.date(2024, 6, 15)
    with pytest.raises(ValidationError, match="特别重大"):
        set_investigation_period(case=case, days=200)


def test_the_reminder_sweep_finds_the_moved_due_date(case):
    ensure_default_rules()
    period = add_appraisal_period(case=case, start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 30))
    due = Case.objects.get(pk=case.pk).investigation_due
    assert due == period.start + dt.timedelta(days=30) + (dt.date(2024, 4, 26) - dt.date(2024, 3, 1))
    found = SELECTORS[ReminderKind.CASE_INVESTIGATION](due, due)
    assert [(item.subject_code, item.due) for item in found] == [(case.code, due)]
    assert SELECTORS[ReminderKind.CASE_INVESTIGATION](dt.date(2024, 4, 26), dt.date(2024, 4, 26)) == []


def test_a_hand_over_waits_for_its_decision_with_a_reminder(case, official):
    Position.objects.filter(code="d_vhead_build").update(authority="county")
    assert official.authority == "county"
    record_finding(record=official, finding="responsible", category="important_leadership")
    handover = hand_over(case=case, records=[official], handed_on=dt.date(2024, 5, 1), authority="county")
    assert (handover.receiving_body, handover.decision_due) == ("县纪委监委", dt.date(2024, 7, 30))
    assert ReminderRule.objects.filter(kind=ReminderKind.HANDOVER_DECISION).exists() or ensure_default_rules()
    (item,) = SELECTORS[ReminderKind.HANDOVER_DECISION](dt.date(2024, 7, 30), dt.date(2024, 7, 30))
    assert item.handover == handover
    with pytest.raises(CaseNotClosable) as refused:
        close_case(case=case)
    assert "移交尚未反馈" in refused.value.message_dict[PEOPLE][0]
    measure = record_handover_decision(
        handover=handover,
        record=official,
        measure={"kind": "gov_major_demerit"},
        document_number="县纪发〔2024〕12号",
        decided_on=dt.date(2024, 7, 1),
    )
    handover.refresh_from_db()
    assert (measure.channel, measure.document_number, handover.completed_on) == (
        "government_sanction",
        "县纪发〔2024〕12号",
        dt.date(2024, 7, 1),
    )
    assert SELECTORS[ReminderKind.HANDOVER_DECISION](dt.date(2024, 7, 30), dt.date(2024, 7, 30)) == []


def _close(case):
    for record in case.records.all():
        if not record.decisions.exists():
            record_finding(record=record, finding="not_responsible")
    record_conclusions(case=case, nature="liability", direct_cause="直接原因", indirect_cause="间接原因")
    action = add_corrective_action(case=case, description="塔吊专项排查")
    complete_corrective_action(action=action, done_on=dt.date(2024, 5, 1))
    record_education(case=case, held_on=dt.date(2024, 5, 10), description="警示教育", participants=30)
    return close_case(case=case)


def test_the_look_back_reopens_the_case_for_what_is_undone_and_it_closes_again(case, chair):
    decision = record_finding(
        record=chair,
        finding="responsible",
        category="principal",
        measures=[{"kind": "principal_fine", "amount_yuan": 9}],
    )
    assert _close(case).state == CaseState.CLOSED
    replied(case, submitted=dt.date(2024, 4, 20), reply=dt.date(2024, 5, 20))
    action = case.corrective_actions.get()
    # The body that should have collected the fine; not a subject of the case so far.
    township = (
        Unit.objects.filter(kind="department").exclude(code__in=case.records.values("unit_code")).first()
    )
    items = record_review(
        case=case,
        reviewed_on=dt.date(2025, 6, 1),
        entries=[
            ReviewEntry(carried_out=False, corrective_action=action, note="排查流于形式"),
            ReviewEntry(
                carried_out=False,
                measure=decision.measures.get(),
                note="罚款未缴纳",
                follow_up={"track": "supervision", "types": ["supervisory"], "unit": township},
            ),
        ],
    )
    case = Case.objects.get(pk=case.pk)
    assert case.state == CaseState.OPEN and case.review_done_on == dt.date(2025, 6, 1)
    follow_up = items[1].follow_up
    assert follow_up.origin == "review" and "罚款未缴纳" in follow_up.added_reason
    with pytest.raises(CaseNotClosable) as refused:
        close_case(case=case)
    assert set(refused.value.message_dict) == {PEOPLE, "measures_not_carried_out"}
    record_finding(
        record=follow_up, finding="responsible", category="territorial", measures=[{"kind": "interview"}]
    )
    redo = case.corrective_actions.get(done_on__isnull=True)
    complete_corrective_action(action=redo, done_on=dt.date(2025, 8, 1))
    assert close_case(case=case).state == CaseState.CLOSED
