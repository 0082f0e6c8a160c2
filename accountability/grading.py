"""DOMAIN.md as code: accident grades, 迟报, 补报 windows and statutory deadlines (国务院令第493号)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.db import models

from responsibility.chain import REACH_BY_GRADE
from responsibility.models import RegionLevel


class Grade(models.TextChoices):
    GENERAL = "general", "一般事故"
    LARGER = "larger", "较大事故"
    MAJOR = "major", "重大事故"
    ESPECIALLY_MAJOR = "especially_major", "特别重大事故"


GRADE_ORDER = [Grade.GENERAL, Grade.LARGER, Grade.MAJOR, Grade.ESPECIALLY_MAJOR]

# Art 3: the lower bound of each grade ("以上" includes the number), per measure.
THRESHOLDS = {
    Grade.ESPECIALLY_MAJOR: (30, 100, Decimal("100000000")),
    Grade.MAJOR: (10, 50, Decimal("50000000")),
    Grade.LARGER: (3, 10, Decimal("10000000")),
}

# Art 19: the body that investigates, by its region level (the grade's level: REACH_BY_GRADE; §5.11).
INVESTIGATING_BODY = {
    "national": "国务院",
    "province": "省级人民政府",
    "city": "设区的市级人民政府",
    "county": "县级人民政府",
    "township": "乡镇人民政府（街道办事处）",
    "village": "村（居）民委员会",
}

REPORT_WITHIN = dt.timedelta(hours=1)  # Art 9
LATE_REPORT_WINDOW_DAYS = 30  # Art 13 补报
LATE_REPORT_WINDOW_DAYS_ROAD_FIRE = 7
INVESTIGATION_DAYS = 60  # Art 29
INVESTIGATION_EXTENSION_MAX_DAYS = 60
REPLY_DAYS = 15  # Art 32 批复
REPLY_DAYS_ESPECIALLY_MAJOR = 30


def grade_of(deaths: int, serious_injuries: int, direct_loss_yuan) -> str:
    """Any one measure sets the grade; the highest wins."""
    loss = Decimal(str(direct_loss_yuan or 0))
    for grade in (Grade.ESPECIALLY_MAJOR, Grade.MAJOR, Grade.LARGER):
        min_deaths, min_injuries, min_loss = THRESHOLDS[grade]
        if deaths >= min_deaths or serious_injuries >= min_injuries or loss >= min_loss:
            return grade.value
    return Grade.GENERAL.value


def level_of_grade(grade: str | None) -> str:
    """The level that investigates a grade (DESIGN §3.5; no grade, a hazard: county)."""
    return REACH_BY_GRADE[grade or None]


def investigation_level_problem(grade: str, level: str) -> str:
    """§5.11: a raised investigation is at or above the level the grade gives; a lower one is refused."""
    by_grade = level_of_grade(grade)
    if RegionLevel.values.index(level) > RegionLevel.values.index(by_grade):
        return (
            f"提级调查层级（{RegionLevel(level).label}）不能低于{Grade(grade).label}的调查层级"
            f"（{RegionLevel(by_grade).label}）"
        )
    return ""


def is_late_report(occurred_at: dt.datetime, reported_at: dt.datetime | None) -> bool:
    """迟报: reported more than one hour after it occurred (Art 9)."""
    return reported_at is not None and reported_at - occurred_at > REPORT_WITHIN


def grade_rank(grade: str | None) -> int:
    return -1 if grade is None else GRADE_ORDER.index(grade)


def late_report_window_days(sector_codes: list[str], short_window_sectors: frozenset[str]) -> int:
    """补报 window: 30 days, 7 for road traffic and fire (Art 13); sector_codes include ancestors."""
    if short_window_sectors.intersection(sector_codes):
        return LATE_REPORT_WINDOW_DAYS_ROAD_FIRE
    return LATE_REPORT_WINDOW_DAYS


def within_late_report_window(event_day: dt.date, at: dt.datetime, window_days: int) -> bool:
    """ "自事故发生之日起30日内" counts calendar days in China time, the event day itself not counted
    (民法典 Art 201): the window closes at the end of event_day + window_days, not at the same minute."""
    return (at.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).date() - event_day).days <= window_days


def investigation_due(
    event_day: dt.date,
    extension_days: int = 0,
    *,
    appraisal_days: int = 0,
    set_period_days: int | None = None,
) -> dt.date:
    """Art 29: the report within 60 days, extendable once by at most 60; for 特别重大 the State Council
    may set the period instead. Technical appraisal time does not count (Art 27): it moves the date."""
    days = set_period_days or INVESTIGATION_DAYS + min(extension_days, INVESTIGATION_EXTENSION_MAX_DAYS)
    return event_day + dt.timedelta(days=days + appraisal_days)


def reply_due(report_submitted_on: dt.date, grade: str) -> dt.date:
    """Art 32: 批复 within 15 days of the report, 30 for 特别重大."""
    days = REPLY_DAYS_ESPECIALLY_MAJOR if grade == Grade.ESPECIALLY_MAJOR else REPLY_DAYS
    return report_submitted_on + dt.timedelta(days=days)


def review_due(reply_on: dt.date) -> dt.date:
    """安全生产法 Art 86: the 回头看 within one year of the 批复 (29 Feb → 28 Feb)."""
    try:
        return reply_on.replace(year=reply_on.year + 1)
    except ValueError:
        return reply_on.replace(year=reply_on.year + 1, day=28)
