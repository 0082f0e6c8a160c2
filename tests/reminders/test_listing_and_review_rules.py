"""挂牌督办 due dates and the 10-day on-site review after a major hazard's closing application."""

import datetime as dt

import pytest

from accountability.hazards import (
    list_for_supervision,
    reject_submission,
    start_rectification,
    submit_rectification,
)
from accountability.models import HazardListing, Notification, ReminderLog
from accountability.reminders.delivery import deliver
from responsibility.models import Unit

from .conftest import notified, sent

DUE = dt.date(2024, 8, 20)


def day(base: dt.date, n: int) -> dt.date:
    return base + dt.timedelta(days=n)


@pytest.fixture
def listed(make_hazard):
    hazard = make_hazard(deadline=dt.date(2024, 9, 30))
    return list_for_supervision(
        hazard=hazard,
        listing_unit=Unit.objects.get(code="d_em"),
        listed_on=dt.date(2024, 7, 1),
        due_on=DUE,
        document="示应急督〔2024〕3号",
    )


def test_it_reminds_the_listing_unit_and_the_principal_before_the_listing_due_date(listed, only_rules, run):
    only_rules("listing-due-approaching")
    by_day = {}
    for n in range(-9, 2):  # swept every day: the day before, on and after each threshold
        got = sent(run(day(DUE, n)))
        if got:
            by_day[n] = got
    hazard = listed.hazard.code
    # 应急管理局's director, and 高新化工's general manager.
    assert by_day == {
        n: {("listing-due-approaching", hazard, n, "p14"), ("listing-due-approaching", hazard, n, "p23")}
        for n in (-7, -3, -1)
    }


def test_an_overdue_listing_is_reported_the_day_after_its_due_date(listed, only_rules, run):
    only_rules("listing-overdue")
    assert sent(run(DUE)) == set()
    assert sent(run(day(DUE, 1))) == {
        ("listing-overdue", listed.hazard.code, 1, "p14"),
        ("listing-overdue", listed.hazard.code, 1, "p23"),
    }
    (notification,) = notified("p14")
    assert notification.title.startswith(f"挂牌督办隐患 {listed.hazard.code}：挂牌督办逾期，已逾期1天")
    assert "挂牌督办单位：示范区应急管理局，文号 示应急督〔2024〕3号" in notification.body
    assert sent(run(day(DUE, 2))) == set()


def test_a_lifted_listing_is_not_reminded(listed, only_rules, run):
    only_rules("listing-overdue")
    report = run(day(DUE, 1), dispatch="none")
    HazardListing.objects.filter(pk=listed.pk).update(lifted_on=DUE)
    assert {deliver(log_id) for log_id in report.claimed_ids} == {"skipped"}
    assert not Notification.objects.exists()
    HazardListing.objects.filter(pk=listed.pk).update(due_on=day(DUE, 10))
    assert sent(run(day(DUE, 11))) == set()


def test_a_listing_unit_outside_the_chain_reaches_its_duty_holders(make_hazard, only_rules, run):
    # 示范区交通运输局 is not in a chemical plant's chain; its own officers holding duties receive.
    only_rules("listing-overdue")
    hazard = make_hazard(deadline=dt.date(2024, 9, 30))
    unit = Unit.objects.get(code="d_traffic")
    list_for_supervision(hazard=hazard, listing_unit=unit, listed_on=dt.date(2024, 7, 1), due_on=DUE)
    got = sent(run(day(DUE, 1)))
    assert ("listing-overdue", hazard.code, 1, "p23") in got
    others = {person for *_, person in got} - {"p23"}
    assert others, "the listing unit must be reached"
    assert all(log.person for log in ReminderLog.objects.filter(state="delivered"))


REVIEW_SUBMITTED = dt.date(2024, 7, 1)  # review due on 2024-07-11


@pytest.fixture
def submitted(make_hazard):
    hazard = make_hazard(deadline=dt.date(2024, 7, 20), state="reported")
    start_rectification(hazard=hazard)
    return submit_rectification(hazard=hazard, on=REVIEW_SUBMITTED)


def test_it_reminds_the_supervising_department_of_the_ten_day_review(submitted, only_rules, run):
    only_rules("hazard-review-due")
    by_day = {}
    cursor = dt.date(2024, 6, 29)
    while cursor <= dt.date(2024, 7, 13):
        got = sent(run(cursor))
        if got:
            by_day[cursor] = got
        cursor += dt.timedelta(days=1)
    assert by_day == {
        dt.date(2024, 7, 1): {("hazard-review-due", submitted.code, -10, "p14")},  # the application arrives
        dt.date(2024, 7, 8): {("hazard-review-due", submitted.code, -3, "p14")},
        # 2024-07-11 is the last day of the review; the day after, it is late.
        dt.date(2024, 7, 12): {("hazard-review-due", submitted.code, 1, "p14")},
    }


def test_a_rejected_application_has_no_review_due(submitted, only_rules, run):
    only_rules("hazard-review-due")
    report = run(dt.date(2024, 7, 8), dispatch="none")
    reject_submission(hazard=submitted, reason="报警仪未联锁")
    assert {deliver(log_id) for log_id in report.claimed_ids} == {"skipped"}
    assert sent(run(dt.date(2024, 7, 12))) == set()


def test_a_general_hazards_closing_application_needs_no_on_site_review(make_hazard, only_rules, run):
    only_rules("hazard-review-due")
    make_hazard(
        level="general", deadline=dt.date(2024, 7, 20), state="submitted", submitted_on=REVIEW_SUBMITTED
    )
    assert sent(run(REVIEW_SUBMITTED)) == set()
