"""The hazard workflow: report → rectifying → submitted → closed, 五到位, 挂牌督办, extensions, overdue."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accountability.hazards import (
    decide_extension,
    list_for_supervision,
    reject_submission,
    request_extension,
    start_rectification,
    submit_rectification,
    verify_and_close,
)
from accountability.models import ExtensionDecision, Hazard, HazardState
from responsibility.models import Unit

FIVE_PARTS = {
    "measures": ("measures", ""),
    "responsible_position": ("responsible_position", None),
    "funds_yuan": ("funds_yuan", None),
    "contingency_plan": ("contingency_plan", "  "),
}


def test_a_hazard_goes_through_every_state_and_each_step_is_kept(make_hazard, investigator):
    hazard = make_hazard()
    assert hazard.state == HazardState.REPORTED
    hazard = start_rectification(hazard=hazard, by=investigator, note="按方案整改")
    assert hazard.state == HazardState.RECTIFYING
    hazard = submit_rectification(hazard=hazard, by=investigator, note="已整改", on=dt.date(2024, 6, 20))
    assert (hazard.state, hazard.submitted_on) == (HazardState.SUBMITTED, dt.date(2024, 6, 20))
    hazard = verify_and_close(hazard=hazard, by=investigator, note="现场核查通过", on=dt.date(2024, 6, 25))
    hazard.refresh_from_db()
    assert (hazard.state, hazard.closed_on) == (HazardState.CLOSED, dt.date(2024, 6, 25))
    assert [(t.from_state, t.to_state, t.note, t.by) for t in hazard.transitions.all()] == [
        ("reported", "rectifying", "按方案整改", investigator),
        ("rectifying", "submitted", "已整改", investigator),
        ("submitted", "closed", "现场核查通过", investigator),
    ]


@pytest.mark.parametrize("part", sorted(FIVE_PARTS))
def test_a_major_hazard_without_a_part_of_its_plan_cannot_enter_rectification(make_hazard, part):
    field, empty = FIVE_PARTS[part]
    hazard = make_hazard(**{field: empty})
    with pytest.raises(ValidationError) as refused:
        start_rectification(hazard=hazard)
    assert list(refused.value.message_dict) == [part]
    assert "五到位" in refused.value.message_dict[part][0]
    hazard.refresh_from_db()
    assert hazard.state == HazardState.REPORTED
    assert not hazard.transitions.exists()


def test_a_major_hazard_missing_several_parts_names_each_of_them(make_hazard):
    hazard = make_hazard(measures="", funds_yuan=None, contingency_plan="")
    with pytest.raises(ValidationError) as refused:
        start_rectification(hazard=hazard)
    assert sorted(refused.value.message_dict) == ["contingency_plan", "funds_yuan", "measures"]


def test_the_deadline_part_of_the_plan_is_required_of_every_hazard(make_hazard):
    # 时限 is the hazard's own deadline, a required column: a hazard without one cannot even be saved.
    assert Hazard(level="major").five_in_place_missing == [
        "measures",
        "responsible_position",
        "funds_yuan",
        "deadline",
        "contingency_plan",
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        make_hazard(deadline=None)


def test_the_plan_is_checked_as_saved_not_as_the_caller_holds_it(make_hazard):
    hazard = make_hazard(measures="")
    hazard.measures = "只在内存里写了措施"
    with pytest.raises(ValidationError, match="整改措施"):
        start_rectification(hazard=hazard)


def test_a_general_hazard_needs_no_plan_to_enter_rectification(make_hazard):
    hazard = make_hazard(level="general", measures="", funds_yuan=None, responsible_position=None)
    assert start_rectification(hazard=hazard).state == HazardState.RECTIFYING


def test_a_rejected_submission_returns_to_rectifying_with_its_reason(make_hazard, investigator):
    hazard = start_rectification(hazard=make_hazard())
    hazard = submit_rectification(hazard=hazard, on=dt.date(2024, 6, 20))
    hazard = reject_submission(hazard=hazard, reason="接地电阻仍超标", by=investigator)
    hazard.refresh_from_db()
    assert hazard.state == HazardState.RECTIFYING
    assert hazard.submitted_on is None
    last = hazard.transitions.last()
    assert (last.from_state, last.to_state, last.note, last.by) == (
        "submitted",
        "rectifying",
        "接地电阻仍超标",
        investigator,
    )


def test_a_rejection_without_a_reason_is_refused(make_hazard):
    hazard = submit_rectification(hazard=start_rectification(hazard=make_hazard()))
    with pytest.raises(ValidationError) as refused:
        reject_submission(hazard=hazard, reason="  ")
    assert "reason" in refused.value.message_dict


@pytest.mark.parametrize(
    "service,from_states",
    [
        ("start", ["rectifying", "submitted", "closed"]),
        ("submit", ["reported", "submitted", "closed"]),
        ("close", ["reported", "rectifying", "closed"]),
        ("reject", ["reported", "rectifying", "closed"]),
    ],
)
def test_a_transition_from_the_wrong_state_is_refused(make_hazard, service, from_states):
    call = {
        "start": lambda h: start_rectification(hazard=h),
        "submit": lambda h: submit_rectification(hazard=h),
        "close": lambda h: verify_and_close(hazard=h),
        "reject": lambda h: reject_submission(hazard=h, reason="不合格"),
    }[service]
    for state in from_states:
        hazard = make_hazard(state=state)
        with pytest.raises(ValidationError) as refused:
            call(hazard)
        assert "state" in refused.value.message_dict
        hazard.refresh_from_db()
        assert hazard.state == state


def test_the_state_is_checked_as_stored_so_a_stale_copy_cannot_move_twice(make_hazard):
    hazard = make_hazard()
    stale = Hazard.objects.get(pk=hazard.pk)
    start_rectification(hazard=hazard)
    with pytest.raises(ValidationError):
        start_rectification(hazard=stale)
    assert hazard.transitions.count() == 1


# ---- the 10-day on-site review clock -----------------------------------------------------------------


def test_a_major_hazard_closing_application_is_reviewed_within_ten_days(make_hazard):
    hazard = start_rectification(hazard=make_hazard())
    assert hazard.review_due is None
    hazard = submit_rectification(hazard=hazard, on=dt.date(2024, 6, 20))
    assert hazard.review_due == dt.date(2024, 6, 30)
    hazard = reject_submission(hazard=hazard, reason="不合格")
    assert hazard.review_due is None
    hazard = submit_rectification(hazard=hazard, on=dt.date(2024, 7, 2))
    assert hazard.review_due == dt.date(2024, 7, 12)  # the clock restarts with the new application
    hazard = verify_and_close(hazard=hazard, on=dt.date(2024, 7, 5))
    assert hazard.review_due is None


def test_a_general_hazard_has_no_review_clock(make_hazard):
    hazard = start_rectification(hazard=make_hazard(level="general"))
    hazard = submit_rectification(hazard=hazard, on=dt.date(2024, 6, 20))
    assert hazard.review_due is None


# ---- 挂牌督办 ---------------------------------------------------------------------------------------------


def test_a_regulator_lists_a_hazard_and_closing_lifts_the_listing(make_hazard):
    hazard = start_rectification(hazard=make_hazard())
    listing = list_for_supervision(
        hazard=hazard,
        listing_unit=Unit.objects.get(code="d_em"),
        listed_on=dt.date(2024, 5, 5),
        due_on=dt.date(2024, 6, 30),
        document="示范区安委办〔2024〕3号",
    )
    assert (listing.listing_unit.code, listing.due_on, listing.lifted_on) == (
        "d_em",
        dt.date(2024, 6, 30),
        None,
    )
    submitted = submit_rectification(hazard=hazard, on=dt.date(2024, 6, 27))
    hazard = verify_and_close(hazard=submitted, on=dt.date(2024, 6, 28))
    listing.refresh_from_db()
    assert listing.lifted_on == dt.date(2024, 6, 28)


def test_listing_is_refused_for_an_enterprise_a_closed_hazard_a_due_date_before_listing_or_twice(make_hazard):
    hazard = make_hazard()
    d_em = Unit.objects.get(code="d_em")
    with pytest.raises(ValidationError, match="党委、政府或部门"):
        list_for_supervision(
            hazard=hazard, listing_unit=Unit.objects.get(code="e1"), due_on=dt.date(2024, 6, 1)
        )
    with pytest.raises(ValidationError) as refused:
        list_for_supervision(
            hazard=hazard, listing_unit=d_em, listed_on=dt.date(2024, 6, 2), due_on=dt.date(2024, 6, 1)
        )
    assert "due_on" in refused.value.message_dict
    list_for_supervision(
        hazard=hazard, listing_unit=d_em, listed_on=dt.date(2024, 5, 2), due_on=dt.date(2024, 6, 1)
    )
    with pytest.raises(ValidationError, match="已挂牌督办"):
        list_for_supervision(
            hazard=hazard, listing_unit=d_em, listed_on=dt.date(2024, 5, 2), due_on=dt.date(2024, 6, 1)
        )
    with pytest.raises(ValidationError, match="已销号"):
        list_for_supervision(
            hazard=make_hazard(state="closed"), listing_unit=d_em, due_on=dt.date(2030, 1, 1)
        )


# ---- extensions ---------------------------------------------------------------------------------------


def test_an_approved_extension_moves_the_deadline_and_keeps_the_original(make_hazard, investigator):
    hazard = make_hazard()
    first = request_extension(hazard=hazard, new_deadline=dt.date(2024, 7, 31), reason="设备到货延迟")
    first = decide_extension(request=first, approve=True, note="同意", by=investigator)
    hazard.refresh_from_db()
    second = request_extension(hazard=hazard, new_deadline=dt.date(2024, 8, 31), reason="施工窗口")
    second = decide_extension(request=second, approve=True)
    hazard.refresh_from_db()
    assert hazard.deadline == dt.date(2024, 8, 31)
    assert hazard.original_deadline == dt.date(2024, 6, 30)
    assert [(e.previous_deadline, e.requested_deadline, e.decision) for e in hazard.extensions.all()] == [
        (dt.date(2024, 6, 30), dt.date(2024, 7, 31), ExtensionDecision.APPROVED),
        (dt.date(2024, 7, 31), dt.date(2024, 8, 31), ExtensionDecision.APPROVED),
    ]
    assert (first.decided_by, first.decision_note) == (investigator, "同意")
    assert [h.deadline for h in hazard.history.order_by("history_date", "history_id")] == [
        dt.date(2024, 6, 30),
        dt.date(2024, 7, 31),
        dt.date(2024, 8, 31),
    ]


def test_a_denied_extension_keeps_the_deadline_and_the_request(make_hazard):
    hazard = make_hazard()
    request = request_extension(hazard=hazard, new_deadline=dt.date(2024, 7, 31), reason="资金未到位")
    request = decide_extension(request=request, approve=False, note="理由不充分")
    hazard.refresh_from_db()
    assert hazard.deadline == hazard.original_deadline == dt.date(2024, 6, 30)
    assert (request.decision, request.decision_note) == (ExtensionDecision.DENIED, "理由不充分")
    assert request.decided_at is not None


def test_a_decided_extension_cannot_be_decided_again(make_hazard):
    request = request_extension(hazard=make_hazard(), new_deadline=dt.date(2024, 7, 31), reason="延期")
    decide_extension(request=request, approve=False)
    with pytest.raises(ValidationError, match="已审批"):
        decide_extension(request=request, approve=True)


def test_an_extension_is_refused_without_reason_to_an_earlier_date_while_one_pends_or_once_closed(
    make_hazard,
):
    hazard = make_hazard()
    with pytest.raises(ValidationError) as refused:
        request_extension(hazard=hazard, new_deadline=dt.date(2024, 7, 31), reason=" ")
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        request_extension(hazard=hazard, new_deadline=dt.date(2024, 6, 30), reason="延期")
    assert "requested_deadline" in refused.value.message_dict
    request_extension(hazard=hazard, new_deadline=dt.date(2024, 7, 31), reason="延期")
    with pytest.raises(ValidationError, match="待审批"):
        request_extension(hazard=hazard, new_deadline=dt.date(2024, 8, 31), reason="再延期")
    with pytest.raises(ValidationError, match="已销号"):
        request_extension(
            hazard=make_hazard(state="closed"), new_deadline=dt.date(2024, 8, 31), reason="延期"
        )


# ---- overdue: derived from the deadline and the state ------------------------------------------------


def test_a_hazard_is_not_overdue_on_its_deadline_day_and_is_the_day_after(make_hazard):
    hazard = make_hazard(deadline=dt.date(2024, 6, 30))
    on_the_day, day_after = dt.date(2024, 6, 30), dt.date(2024, 7, 1)
    assert not hazard.is_overdue(on_the_day)
    assert hazard.is_overdue(day_after)
    assert not Hazard.objects.overdue(on_the_day).filter(pk=hazard.pk).exists()
    assert Hazard.objects.overdue(day_after).filter(pk=hazard.pk).exists()


def test_a_closed_hazard_past_its_deadline_is_not_overdue(make_hazard):
    hazard = make_hazard(state="closed", closed_on=dt.date(2024, 7, 10))
    assert not hazard.is_overdue(dt.date(2024, 8, 1))
    assert not Hazard.objects.overdue(dt.date(2024, 8, 1)).filter(pk=hazard.pk).exists()


@pytest.mark.parametrize("state", ["reported", "rectifying", "submitted"])
def test_every_unclosed_state_can_be_overdue(make_hazard, state):
    hazard = make_hazard(state=state)
    assert hazard.is_overdue(dt.date(2024, 7, 1))
    assert Hazard.objects.overdue(dt.date(2024, 7, 1)).filter(pk=hazard.pk).exists()


def test_an_approved_extension_ends_the_overdue_without_touching_a_flag(make_hazard):
    hazard = make_hazard()
    day = dt.date(2024, 7, 10)
    assert hazard.is_overdue(day)
    decide_extension(
        request=request_extension(hazard=hazard, new_deadline=dt.date(2024, 7, 31), reason="延期"),
        approve=True,
    )
    hazard.refresh_from_db()
    assert not hazard.is_overdue(day)
    assert not Hazard.objects.overdue(day).filter(pk=hazard.pk).exists()


def test_the_worked_example_has_one_overdue_hazard(demo_county):
    assert list(Hazard.objects.overdue(dt.date(2024, 6, 1)).values_list("code", flat=True)) == ["H1"]
    assert not Hazard.objects.overdue(dt.date(2024, 5, 31)).exists()
