"""四不放过: a case closes only when cause, people, measures and education all hold; each gap is named."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accountability.cases import (
    CAUSE,
    EDUCATION,
    MEASURES,
    PEOPLE,
    CaseNotClosable,
    add_corrective_action,
    add_subject,
    amend_finding,
    close_case,
    closing_blockers,
    complete_corrective_action,
    extend_investigation,
    record_cause,
    record_education,
    record_finding,
)
from accountability.models import Case, CaseState
from responsibility.models import Person

ALL_FOUR = [CAUSE, PEOPLE, MEASURES, EDUCATION]


def _decide_every_record(case):
    for record in case.records.all():
        if record.person_code:
            record_finding(
                record=record,
                finding="responsible",
                category="leadership",
                measures=[{"kind": "party_warning"}],
            )
        else:
            record_finding(record=record, finding="not_responsible", grounds="单位已依法履职")


def _satisfy(case, *conditions):
    if CAUSE in conditions:
        record_cause(case=case, cause="塔吊附着装置螺栓松动，安装后未经验收即投入使用")
    if PEOPLE in conditions:
        _decide_every_record(case)
    if MEASURES in conditions:
        action = add_corrective_action(case=case, description="全县塔吊专项排查", responsible="住建局")
        complete_corrective_action(action=action, done_on=dt.date(2024, 5, 1))
    if EDUCATION in conditions:
        record_education(
            case=case,
            held_on=dt.date(2024, 5, 10),
            description="全县建筑施工企业警示教育大会",
            participants=120,
        )


def _refusal(case) -> CaseNotClosable:
    with pytest.raises(CaseNotClosable) as refused:
        close_case(case=case)
    case.refresh_from_db()
    assert case.state == CaseState.OPEN
    return refused.value


def test_a_fresh_case_is_refused_naming_all_four(case):
    refusal = _refusal(case)
    assert [code for code, _message in refusal.blockers] == ALL_FOUR
    assert list(refusal.message_dict) == ALL_FOUR


@pytest.mark.parametrize("missing", ALL_FOUR)
def test_a_case_missing_one_condition_is_refused_with_that_conditions_message(case, missing):
    _satisfy(case, *[c for c in ALL_FOUR if c != missing])
    refusal = _refusal(case)
    assert [code for code, _message in refusal.blockers] == [missing]
    assert list(refusal.message_dict) == [missing]
    assert {
        CAUSE: "事故原因未查清",
        PEOPLE: "责任人员未处理",
        MEASURES: "整改措施未落实",
        EDUCATION: "有关人员未受到教育",
    }[missing] in refusal.message_dict[missing][0]


def test_a_case_with_all_four_closes(case, investigator):
    _satisfy(case, *ALL_FOUR)
    assert closing_blockers(case) == []
    closed = close_case(case=case, by=investigator)
    assert (closed.state, closed.closed_by) == (CaseState.CLOSED, investigator)
    assert closed.closed_at is not None
    assert Case.objects.get(pk=case.pk).state == CaseState.CLOSED


def test_a_responsible_record_without_measures_keeps_people_not_dealt_with(case):
    _satisfy(case, CAUSE, MEASURES, EDUCATION)
    records = list(case.records.all())
    for record in records[1:]:
        record_finding(record=record, finding="not_responsible")
    record_finding(record=records[0], finding="responsible", category="leadership")
    refusal = _refusal(case)
    assert list(refusal.message_dict) == [PEOPLE]
    assert "没有处理措施" in refusal.message_dict[PEOPLE][0]
    # An amendment adding the measure is what counts, not the first decision.
    amend_finding(
        record=records[0],
        finding="responsible",
        category="leadership",
        reason="补充处理",
        measures=[{"kind": "party_warning"}],
    )
    assert close_case(case=case).state == CaseState.CLOSED


def test_an_undone_corrective_action_keeps_measures_not_carried_out(case):
    _satisfy(case, *ALL_FOUR)
    add_corrective_action(case=case, description="企业安全管理人员配齐", due_on=dt.date(2024, 6, 30))
    refusal = _refusal(case)
    assert list(refusal.message_dict) == [MEASURES]
    assert "1 项整改措施未完成" in refusal.message_dict[MEASURES][0]


def test_an_undecided_record_is_named_in_the_refusal(case):
    _satisfy(case, CAUSE, MEASURES, EDUCATION)
    refusal = _refusal(case)
    assert f"{case.records.count()} 条记录未认定" in refusal.message_dict[PEOPLE][0]


def test_a_closed_case_refuses_further_findings_even_through_a_stale_copy(case):
    record = case.records.get(position_code="e1_chair")
    decided_earlier = record.case  # the record's cached case still says open
    _satisfy(case, *ALL_FOUR)
    close_case(case=Case.objects.get(pk=case.pk))
    assert decided_earlier.state == CaseState.OPEN
    with pytest.raises(ValidationError, match="已结案"):
        amend_finding(record=record, finding="exempt", grounds="补充", reason="结案后更正")
    stale_record = Case.objects.get(pk=case.pk).records.get(position_code="e1_safety")
    with pytest.raises(ValidationError, match="已结案"):
        record_finding(
            record=stale_record,
            finding="responsible",
            category="leadership",
            measures=[{"kind": "party_warning"}],
        )
    with pytest.raises(ValidationError, match="已结案"):
        record_cause(case=decided_earlier, cause="改写原因")
    with pytest.raises(ValidationError, match="已结案"):
        add_corrective_action(case=decided_earlier, description="新措施")
    with pytest.raises(ValidationError, match="已结案"):
        record_education(
            case=decided_earlier, held_on=dt.date(2024, 6, 1), description="再教育", participants=30
        )
    with pytest.raises(ValidationError, match="已结案"):
        add_subject(
            case=decided_earlier,
            track="enterprise",
            reason="补充",
            types=["actor"],
            person=Person.objects.get(code="p30"),
        )
    assert record.decisions.count() == 1


def test_closing_a_closed_case_again_changes_nothing(case):
    _satisfy(case, *ALL_FOUR)
    closed = close_case(case=case)
    assert close_case(case=case).closed_at == closed.closed_at


def test_a_corrective_action_is_completed_once(case):
    action = add_corrective_action(case=case, description="塔吊专项排查")
    complete_corrective_action(action=action, done_on=dt.date(2024, 5, 1))
    with pytest.raises(ValidationError, match="已确认完成"):
        complete_corrective_action(action=action, done_on=dt.date(2024, 5, 2))


def test_empty_cause_action_and_education_are_refused(case):
    for call, field in [
        (lambda: record_cause(case=case, cause=" "), "cause"),
        (lambda: add_corrective_action(case=case, description=""), "description"),
        (lambda: record_education(case=case, held_on=dt.date(2024, 5, 1), description=" "), "description"),
    ]:
        with pytest.raises(ValidationError) as refused:
            call()
        assert field in refused.value.message_dict


def test_the_investigation_is_extended_once_by_at_most_sixty_days(case):
    assert case.investigation_due == dt.date(2024, 4, 26)
    with pytest.raises(ValidationError):
        extend_investigation(case=case, days=61)
    extend_investigation(case=case, days=30)
    case.refresh_from_db()
    assert case.investigation_due == dt.date(2024, 5, 26)
    with pytest.raises(ValidationError, match="只能延长一次"):
        extend_investigation(case=Case.objects.get(pk=case.pk), days=10)


def test_the_reply_and_look_back_are_due_from_the_report_and_the_reply(case):
    Case.objects.filter(pk=case.pk).update(
        report_submitted_on=dt.date(2024, 4, 20), reply_on=dt.date(2024, 5, 1)
    )
    case.refresh_from_db()
    assert case.reply_due == dt.date(2024, 5, 5)
    assert case.review_due == dt.date(2025, 5, 1)
