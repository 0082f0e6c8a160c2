"""Cases over the hazard's life (DESIGN §5.9, §5.10): the investigation team is left out at or above its
level, and every record keeps its term and span for the page and the report."""

import pytest

from accountability.cases import investigated_by_team, open_case
from accountability.events import accident_event, load_accident
from accountability.models import Accident, Investigator


def record_of(case, position, person):
    return case.records.get(position_code=position, person_code=person)


def test_the_team_at_or_above_the_investigating_level_has_no_records_and_is_listed(old_house):
    case = open_case(accident=Accident.objects.get(code="A0429")).case

    assert not case.records.filter(unit_code__in=["cn_mem", "cn_housing"]).exists()
    assert [row.unit.code for row in case.accident.investigator_rows.all()] == ["cn_mem", "cn_housing"]


def test_a_lower_unit_on_the_team_still_answers_for_its_own_duties(old_house):
    accident = Accident.objects.get(code="A0429")
    Investigator.objects.create(accident=accident, unit_id=_unit("wp_gov"), order=2)

    case = open_case(accident=accident).case

    assert record_of(case, "wp_gov_vg", "hp1").types == ["leader_in_charge"]


@pytest.mark.parametrize(
    ("grade", "left_out"),
    [("major", {"wp_gov", "wp_housing"}), ("especially_major", set())],
)
def test_a_unit_inside_a_team_unit_is_left_out_only_at_or_above_the_level(old_house, grade, left_out):
    from responsibility.models import Unit

    links = accident_event(load_accident("A0429")).links()
    team = [Unit.objects.get(code="wp_gov")]
    assert {link.unit.code for link in links if investigated_by_team(link, team, grade)} == left_out


def test_records_keep_the_term_and_span_of_an_earlier_holder(old_house):
    case = open_case(accident=Accident.objects.get(code="A0429")).case

    earlier = record_of(case, "wd_head", "hd4")
    assert (earlier.snapshot["term"], earlier.snapshot["from"], earlier.snapshot["to"]) == (
        "earlier",
        "2018-05-01",
        "2020-05-31",
    )
    assert earlier.term_note == "在任期间 2018-05-01 至 2020-05-31"
    today = record_of(case, "wd_head", "hd3")
    assert (today.snapshot["term"], today.term_note) == ("event_day", "")


def test_a_post_with_no_holder_on_record_becomes_an_unknown_record_not_a_vacancy(old_house):
    case = open_case(accident=Accident.objects.get(code="A0429")).case

    record = record_of(case, "wd_urban_sq_lead", "")
    assert (record.vacant, record.is_unknown, record.subject_name) == (False, True, "未录入")


def _unit(code):
    from responsibility.models import Unit

    return Unit.objects.get(code=code).pk
