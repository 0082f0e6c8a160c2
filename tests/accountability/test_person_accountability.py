"""终身追责: a person's records across cases and positions, and how long each measure still weighs."""

import datetime as dt

import pytest

from accountability.cases import amend_finding, open_case, record_finding
from accountability.models import Accident, Decision
from accountability.selectors import person_accountability
from responsibility.models import Person, Position, Tenure

DECIDED = dt.datetime(2024, 6, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def transferred_deputy(demo_county):
    """p06 held 分管副县长 until 2024-03-01, then the vacant street director post (a transfer)."""
    person = Person.objects.get(code="p06")
    Tenure.objects.create(
        person=person, position=Position.objects.get(code="t1_head"), start=dt.date(2024, 3, 1)
    )
    return person


def _decide(case, position_code, measures, when=DECIDED):
    record = case.records.get(position_code=position_code)
    decision = record_finding(record=record, finding="responsible", category="leadership", measures=measures)
    Decision.objects.filter(pk=decision.pk).update(decided_at=when)
    return record


def test_it_shows_a_persons_records_across_two_cases_and_positions(transferred_deputy):
    first = open_case(accident=Accident.objects.get(code="A0226")).case
    second = open_case(accident=Accident.objects.get(code="A0318")).case
    _decide(first, "d_vhead_build", [{"kind": "gov_major_demerit"}])
    _decide(second, "t1_head", [{"kind": "gov_warning"}, {"kind": "interview"}])

    view = person_accountability(transferred_deputy, on=dt.date(2024, 12, 1))

    assert [(row["case"].code, row["record"].position_code) for row in view] == [
        ("CASE-A-A0226", "d_vhead_build"),
        ("CASE-A-A0318", "t1_head"),
    ]
    assert [row["record"].snapshot["position_title"] for row in view][0] != view[1]["record"].snapshot[
        "position_title"
    ]
    first_measures = {(w.measure.kind, w.until, w.still_weighs) for w in view[0]["measures"]}
    assert first_measures == {("gov_major_demerit", dt.date(2025, 12, 1), True)}
    second_measures = {(w.measure.kind, w.until, w.still_weighs) for w in view[1]["measures"]}
    assert second_measures == {("gov_warning", dt.date(2024, 12, 1), False), ("interview", None, False)}


@pytest.mark.parametrize(
    "kind,last_weighing_day,first_free_day",
    [
        ("gov_warning", dt.date(2024, 11, 30), dt.date(2024, 12, 1)),
        ("gov_demerit", dt.date(2025, 5, 31), dt.date(2025, 6, 1)),
        ("gov_major_demerit", dt.date(2025, 11, 30), dt.date(2025, 12, 1)),
        ("gov_demotion", dt.date(2026, 5, 31), dt.date(2026, 6, 1)),
        ("gov_dismissal", dt.date(2026, 5, 31), dt.date(2026, 6, 1)),
    ],
)
def test_a_government_sanction_weighs_for_its_period_from_the_decision(
    case, kind, last_weighing_day, first_free_day
):
    record = _decide(case, "d_vhead_build", [{"kind": kind}])
    person = record.person
    assert person_accountability(person, on=last_weighing_day)[0]["measures"][0].still_weighs
    assert not person_accountability(person, on=first_free_day)[0]["measures"][0].still_weighs


def test_an_expulsion_weighs_for_good(case):
    record = _decide(case, "d_vhead_build", [{"kind": "gov_expulsion"}])
    (weighing,) = person_accountability(record.person, on=dt.date(2060, 1, 1))[0]["measures"]
    assert weighing.until is None and weighing.permanent and weighing.still_weighs


def test_an_amended_decision_no_longer_weighs_and_both_stay_in_the_history(case):
    record = _decide(case, "d_vhead_build", [{"kind": "gov_dismissal"}])
    amend_finding(record=record, finding="not_responsible", reason="复核认定不负有责任")
    (row,) = person_accountability(record.person, on=dt.date(2024, 7, 1))
    assert row["current"].finding == "not_responsible"
    assert [d.finding for d in row["history"]] == ["responsible", "not_responsible"]
    assert row["measures"] == []


def test_a_person_with_no_records_has_an_empty_view(demo_county):
    assert person_accountability(Person.objects.get(code="p01")) == []
