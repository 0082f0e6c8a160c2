"""补报 (493号令 Art 13): casualty changes within the window re-grade the accident and widen its open case."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accountability.accidents import report_casualties
from accountability.cases import open_case
from accountability.events import accident_event, load_accident
from accountability.grading import Grade
from accountability.models import CHINA, Accident, CasualtyRevision
from accountability.selectors import case_as_codes


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA)


def test_a_casualty_change_inside_thirty_days_regrades_the_accident(accident):
    # 2·26 occurred 2024-02-26; the window's last day is 2024-03-27, to its end.
    revision = report_casualties(
        accident=accident,
        deaths=3,
        serious_injuries=1,
        direct_loss_yuan=3000000,
        at=_at(dt.date(2024, 3, 27), 23),
    )
    accident.refresh_from_db()
    assert accident.grade == Grade.LARGER
    assert (revision.grade_before, revision.grade_after) == (Grade.GENERAL, Grade.LARGER)
    assert (revision.deaths_before, revision.deaths_after) == (2, 3)


def test_a_casualty_change_after_thirty_days_is_refused_and_the_grade_stays(accident):
    with pytest.raises(ValidationError) as refused:
        report_casualties(
            accident=accident,
            deaths=3,
            serious_injuries=1,
            direct_loss_yuan=3000000,
            at=_at(dt.date(2024, 3, 28), 0, 1),
        )
    assert "30 日" in refused.value.message_dict["at"][0]
    accident.refresh_from_db()
    assert (accident.deaths, accident.grade) == (2, Grade.GENERAL)
    assert not CasualtyRevision.objects.exists()


def test_a_road_accident_has_seven_days_for_a_casualty_change(demo_county):
    road = Accident.objects.get(code="A0402")  # 2024-04-02, sector `road`
    inside = _at(dt.date(2024, 4, 9), 23, 59)
    report_casualties(accident=road, deaths=3, serious_injuries=2, direct_loss_yuan=150000, at=inside)
    road.refresh_from_db()
    assert road.grade == Grade.LARGER
    with pytest.raises(ValidationError) as refused:
        report_casualties(
            accident=road,
            deaths=4,
            serious_injuries=2,
            direct_loss_yuan=150000,
            at=_at(dt.date(2024, 4, 10), 8),
        )
    assert "7 日" in refused.value.message_dict["at"][0]
    road.refresh_from_db()
    assert road.deaths == 3


def test_a_casualty_change_before_the_accident_is_refused(accident):
    with pytest.raises(ValidationError) as refused:
        report_casualties(
            accident=accident,
            deaths=3,
            serious_injuries=1,
            direct_loss_yuan=0,
            at=_at(dt.date(2024, 2, 25), 9),
        )
    assert "at" in refused.value.message_dict


def test_a_negative_count_is_refused(accident):
    with pytest.raises(ValidationError) as refused:
        report_casualties(
            accident=accident,
            deaths=-1,
            serious_injuries=1,
            direct_loss_yuan=0,
            at=_at(dt.date(2024, 2, 27), 9),
        )
    assert "deaths" in refused.value.message_dict


def _snapshot_of(case):
    return [
        (r.pk, r.track, r.unit_code, r.position_code, r.person_code, list(r.types), r.snapshot, r.order)
        for r in case.records.order_by("order", "id")
    ]


def test_an_open_case_gains_the_city_level_after_a_regrade_and_keeps_every_record(accident, case):
    before = _snapshot_of(case)
    assert case.grade == Grade.GENERAL
    assert not case.records.filter(track="supervision", snapshot__region_level="city").exists()

    report_casualties(
        accident=accident,
        deaths=3,
        serious_injuries=1,
        direct_loss_yuan=3000000,
        at=_at(dt.date(2024, 3, 1), 10),
    )
    case.refresh_from_db()
    after = _snapshot_of(case)

    assert case.grade == Grade.LARGER
    assert after[: len(before)] == before  # nothing removed, altered or reordered
    added = case.records.order_by("order", "id")[len(before) :]
    assert {(r.unit_code, r.position_code, r.person_code) for r in added} == {
        ("c_housing", "", ""),
        ("c_gov", "c_vmayor_build", "p03"),
        ("c_gov", "c_mayor", "p02"),
        ("c_party", "c_sec", "p01"),
    }
    assert all(r.snapshot["region_level"] == "city" for r in added)
    # The case now holds exactly the subjects the larger grade reaches.
    links = accident_event(load_accident("A0226")).links()
    keys = {
        (lk.track, lk.unit.code if lk.unit else None, lk.position.code if lk.position else None)
        for lk in links
    }
    assert keys == {(r["track"], r["unit"], r["position"]) for r in case_as_codes(case)["records"]}


def test_a_regrade_keeps_the_findings_already_made(accident, case):
    from accountability.cases import record_finding

    record = case.records.get(position_code="e1_chair")
    decision = record_finding(
        record=record,
        finding="responsible",
        category="leadership",
        measures=[{"kind": "principal_fine", "amount_yuan": 100000}],
    )
    report_casualties(
        accident=accident,
        deaths=10,
        serious_injuries=1,
        direct_loss_yuan=3000000,
        at=_at(dt.date(2024, 3, 1), 10),
    )
    case.refresh_from_db()
    assert case.grade == Grade.MAJOR
    assert record.decisions.get() == decision
    assert decision.measures.count() == 1


def test_a_change_that_keeps_the_grade_adds_no_records(accident, case):
    count = case.records.count()
    report_casualties(
        accident=accident,
        deaths=2,
        serious_injuries=5,
        direct_loss_yuan=Decimal("4000000"),
        at=_at(dt.date(2024, 3, 1), 10),
    )
    case.refresh_from_db()
    assert case.records.count() == count
    assert case.grade == Grade.GENERAL
    assert CasualtyRevision.objects.get().grade_after == Grade.GENERAL


def test_a_closed_case_is_not_widened_by_a_regrade(accident, case):
    from accountability.models import Case, CaseState

    Case.objects.filter(pk=case.pk).update(state=CaseState.CLOSED)
    count = case.records.count()
    report_casualties(
        accident=accident, deaths=3, serious_injuries=1, direct_loss_yuan=0, at=_at(dt.date(2024, 3, 1), 10)
    )
    assert case.records.count() == count


def test_a_case_opened_after_a_regrade_reaches_the_new_level_at_once(accident):
    report_casualties(
        accident=accident, deaths=3, serious_injuries=1, direct_loss_yuan=0, at=_at(dt.date(2024, 3, 1), 10)
    )
    case = open_case(accident=Accident.objects.get(code="A0226")).case
    assert case.grade == Grade.LARGER
    assert case.records.filter(unit_code="c_party", position_code="c_sec").exists()
