"""open_case with an investigation raised above the grade (DESIGN §5.11 with §5.9), on old_house_raised:
the investigating level is the raised one, so a team unit at that level is left out and a team unit below
it — here the city, which a 较大 accident's own level would have left out — keeps its records."""

import pytest

from accountability.cases import investigated_by_team, open_case
from accountability.events import accident_event, load_accident
from accountability.models import Accident

CITY_RECORDS = {"wc_vmayor", "wc_mayor", "wc_housing_dir"}


def positions(case, unit_codes) -> set[str]:
    return set(case.records.filter(unit_code__in=unit_codes).values_list("position_code", flat=True))


def test_a_raised_case_leaves_out_the_team_at_the_raised_level_and_keeps_the_city_below_it(old_house_raised):
    case = open_case(accident=Accident.objects.get(code="A0816")).case

    assert not case.records.filter(unit_code__in=["wp_em", "wp_housing"]).exists()
    assert positions(case, ["wc_gov", "wc_housing"]) == CITY_RECORDS
    assert case.records.filter(position_code="wp_gov_vg", person_code="hp1").exists()


def test_without_the_raised_level_the_grade_decides_and_the_city_on_the_team_is_left_out(old_house_raised):
    Accident.objects.filter(code="A0816").update(investigation_level="")
    case = open_case(accident=Accident.objects.get(code="A0816")).case

    assert positions(case, ["wc_gov", "wc_housing"]) == set()
    assert not case.records.filter(unit_code__in=["wp_gov", "wp_housing"]).exists()  # beyond the reach


@pytest.mark.parametrize(("raised", "left_out"), [(None, {"wc_gov", "wc_housing"}), ("province", set())])
def test_the_team_check_reads_the_raised_level(old_house_raised, raised, left_out):
    from responsibility.models import Unit

    links = accident_event(load_accident("A0816")).links()
    team = [Unit.objects.get(code="wc_gov")]
    assert {
        link.unit.code for link in links if investigated_by_team(link, team, "larger", raised)
    } == left_out
