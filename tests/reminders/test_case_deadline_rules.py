"""Case deadlines to the case's handlers: investigation 60 days (493号令 Art 29), 批复 (Art 32), 1-year 回头看."""

import datetime as dt

import pytest
from django.contrib.auth.models import User

from accountability.cases import extend_investigation, open_case
from accountability.models import Accident, Case, Notification, ReminderLog
from responsibility.models import Person

from .conftest import sent


@pytest.fixture
def case(demo_county):
    """The 2·26 tower-crane collapse (event day 2024-02-26): investigation report due 2024-04-26."""
    case = open_case(accident=Accident.objects.get(code="A0226")).case
    handler = User.objects.create_user("handler", email="handler@example.org")
    case.handlers.add(handler)
    return case


def swept_around(run, due: dt.date, thresholds) -> dict[dt.date, set]:
    """Sweep the day before, the day of and the day after each threshold; what fired on which day."""
    days = sorted({due + dt.timedelta(days=t + shift) for t in thresholds for shift in (-1, 0, 1)})
    result = {}
    for day in days:
        got = sent(run(day))
        if got:
            result[day] = {offset for _, _, offset, _ in got}
    return result


def test_it_reminds_the_handlers_of_the_60_day_investigation_deadline(case, only_rules, run):
    only_rules("case-investigation-due")
    assert case.investigation_due == dt.date(2024, 4, 26)
    assert swept_around(run, dt.date(2024, 4, 26), (-14, -7, -1, 1)) == {
        dt.date(2024, 4, 12): {-14},
        dt.date(2024, 4, 19): {-7},
        dt.date(2024, 4, 25): {-1},
        dt.date(2024, 4, 27): {1},
    }
    assert {person for *_, person in sent()} == {"handler"}


def test_an_extended_investigation_is_reminded_against_its_new_deadline(case, only_rules, run):
    only_rules("case-investigation-due")
    extend_investigation(case=case, days=30)
    assert sent(run(dt.date(2024, 4, 25))) == set()
    assert {o for *_, o, _ in sent(run(dt.date(2024, 5, 25)))} == {-1}


def test_a_submitted_report_ends_the_investigation_reminders_and_starts_the_reply_deadline(
    case, only_rules, run
):
    only_rules("case-investigation-due", "case-reply-due")
    Case.objects.filter(pk=case.pk).update(report_submitted_on=dt.date(2024, 4, 20))
    assert sent(run(dt.date(2024, 4, 25))) == set()
    # 批复 within 15 days of the report: due 2024-05-05.
    assert swept_around(run, dt.date(2024, 5, 5), (-5, -1, 1)) == {
        dt.date(2024, 4, 30): {-5},
        dt.date(2024, 5, 4): {-1},
        dt.date(2024, 5, 6): {1},
    }


def test_the_one_year_review_follows_the_reply(case, only_rules, run):
    only_rules("case-reply-due", "case-review-due")
    Case.objects.filter(pk=case.pk).update(
        report_submitted_on=dt.date(2024, 4, 20), reply_on=dt.date(2024, 5, 1)
    )
    assert sent(run(dt.date(2024, 5, 4))) == set()  # replied: no 批复 reminder
    assert swept_around(run, dt.date(2025, 5, 1), (-30, -7, 1)) == {
        dt.date(2025, 4, 1): {-30},
        dt.date(2025, 4, 24): {-7},
        dt.date(2025, 5, 2): {1},
    }
    Case.objects.filter(pk=case.pk).update(review_done_on=dt.date(2025, 5, 3))
    assert sent(run(dt.date(2025, 5, 3))) == set()


def test_a_handler_with_a_person_is_reminded_as_that_person(case, only_rules, run):
    only_rules("case-investigation-due")
    handler = case.handlers.get()
    Person.objects.filter(code="p14").update(user=handler)
    assert sent(run(dt.date(2024, 4, 12))) == {("case-investigation-due", case.code, -14, "p14")}
    log = ReminderLog.objects.get()
    assert (log.recipient_key, log.user_id) == (f"person:{log.person_id}", handler.pk)
    (notification,) = Notification.objects.for_user(handler)
    assert (notification.user, notification.person.code) == (handler, "p14")


def test_a_case_without_handlers_reminds_whoever_opened_it(demo_county, only_rules, run):
    only_rules("case-investigation-due")
    opener = User.objects.create_user("opener")
    case = open_case(accident=Accident.objects.get(code="A0226"), by=opener).case
    assert sent(run(dt.date(2024, 4, 12))) == {("case-investigation-due", case.code, -14, "opener")}
    assert "案件未指定承办人，提醒立案人" in opener.notifications.get().body


def test_a_case_nobody_can_receive_is_logged_not_lost(demo_county, only_rules, run):
    only_rules("case-investigation-due")
    open_case(accident=Accident.objects.get(code="A0226"))
    report = run(dt.date(2024, 4, 12))
    assert sent(report) == set()
    log = ReminderLog.objects.get()
    assert (log.recipient_key, log.state, log.notes) == ("nobody", "skipped", ["案件无承办人或立案人"])
    assert any("无人可提醒" in line for line in report.lines())
    assert run(dt.date(2024, 4, 13)).planned == []
