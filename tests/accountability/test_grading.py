"""Accident grades at every threshold of 493号令 Art 3, 迟报, and the statutory deadlines."""

import datetime as dt
from decimal import Decimal

import pytest

from accountability.grading import (
    Grade,
    grade_of,
    investigation_due,
    is_late_report,
    reply_due,
    review_due,
)
from accountability.models import CHINA, Accident

# (value just below the threshold, grade below), (the threshold itself, grade reached): "以上" includes it.
DEATHS = [(2, 3, Grade.GENERAL, Grade.LARGER), (9, 10, Grade.LARGER, Grade.MAJOR)]
DEATHS += [(29, 30, Grade.MAJOR, Grade.ESPECIALLY_MAJOR)]
INJURIES = [(9, 10, Grade.GENERAL, Grade.LARGER), (49, 50, Grade.LARGER, Grade.MAJOR)]
INJURIES += [(99, 100, Grade.MAJOR, Grade.ESPECIALLY_MAJOR)]
LOSSES = [
    (Decimal("9999999.99"), Decimal("10000000"), Grade.GENERAL, Grade.LARGER),
    (Decimal("49999999"), Decimal("50000000"), Grade.LARGER, Grade.MAJOR),
    (Decimal("99999999"), Decimal("100000000"), Grade.MAJOR, Grade.ESPECIALLY_MAJOR),
]


@pytest.mark.parametrize("below,at,grade_below,grade_at", DEATHS)
def test_deaths_reach_a_grade_at_its_threshold(below, at, grade_below, grade_at):
    assert grade_of(below, 0, 0) == grade_below
    assert grade_of(at, 0, 0) == grade_at


@pytest.mark.parametrize("below,at,grade_below,grade_at", INJURIES)
def test_serious_injuries_reach_a_grade_at_its_threshold(below, at, grade_below, grade_at):
    assert grade_of(0, below, 0) == grade_below
    assert grade_of(0, at, 0) == grade_at


@pytest.mark.parametrize("below,at,grade_below,grade_at", LOSSES)
def test_direct_loss_reaches_a_grade_at_its_threshold(below, at, grade_below, grade_at):
    assert grade_of(0, 0, below) == grade_below
    assert grade_of(0, 0, at) == grade_at
    # The loss may arrive as a float, an int or a string from a form or an import.
    assert grade_of(0, 0, str(at)) == grade_at


def test_the_highest_measure_sets_the_grade():
    assert grade_of(1, 50, Decimal("10000000")) == Grade.MAJOR
    assert grade_of(0, 0, 0) == Grade.GENERAL


def test_a_saved_accident_computes_its_grade_and_ignores_a_typed_one(demo_county):
    accident = Accident.objects.get(code="A0226")
    assert accident.grade == Grade.GENERAL
    accident.deaths = 3
    accident.grade = Grade.ESPECIALLY_MAJOR
    accident.save()
    accident.refresh_from_db()
    assert accident.grade == Grade.LARGER


OCCURRED = dt.datetime(2024, 3, 18, 14, 0, tzinfo=CHINA)


def test_a_report_sixty_minutes_after_the_accident_is_on_time():
    assert not is_late_report(OCCURRED, OCCURRED + dt.timedelta(minutes=60))


def test_a_report_sixty_one_minutes_after_the_accident_is_late():
    assert is_late_report(OCCURRED, OCCURRED + dt.timedelta(minutes=61))


def test_an_accident_not_yet_reported_is_not_called_late():
    assert not is_late_report(OCCURRED, None)


def test_the_worked_example_flags_the_late_318_report_only(demo_county):
    late = {a.code: a.is_late_report for a in Accident.objects.all()}
    assert late == {"A0226": False, "A0318": True, "A0402": False}


def test_the_event_day_is_the_calendar_day_in_china_time(demo_county):
    accident = Accident.objects.get(code="A0226")
    # 2024-02-26 00:30 in Shanghai is still the 25th in UTC.
    accident.occurred_at = dt.datetime(2024, 2, 25, 16, 30, tzinfo=dt.UTC)
    accident.reported_at = accident.occurred_at
    assert accident.event_day == dt.date(2024, 2, 26)


def test_the_investigation_is_due_in_sixty_days_extendable_once_by_at_most_sixty():
    day = dt.date(2024, 3, 18)
    assert investigation_due(day) == dt.date(2024, 5, 17)
    assert investigation_due(day, 30) == dt.date(2024, 6, 16)
    assert investigation_due(day, 90) == investigation_due(day, 60)


def test_the_reply_is_due_in_fifteen_days_or_thirty_for_especially_major():
    assert reply_due(dt.date(2024, 5, 1), Grade.LARGER) == dt.date(2024, 5, 16)
    assert reply_due(dt.date(2024, 5, 1), Grade.ESPECIALLY_MAJOR) == dt.date(2024, 5, 31)


def test_the_look_back_review_is_due_a_year_after_the_reply():
    assert review_due(dt.date(2024, 6, 1)) == dt.date(2025, 6, 1)
    assert review_due(dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)
