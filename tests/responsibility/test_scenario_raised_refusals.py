"""The import of DESIGN §5.11–12's fields: an investigation lowered below its grade's level, and a party's
unit or post outside that party's enterprise, are refused naming the item and the field, writing nothing;
the admin's model checks say the same in Chinese."""

import copy
import json

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import OLD_HOUSE_RAISED_FILE
from tests.responsibility.test_scenario_refusals import find, import_ok, refusal, snapshot, totals, write

RAISED = json.loads(OLD_HOUSE_RAISED_FILE.read_text(encoding="utf-8"))


def broken(mutate) -> dict:
    doc = copy.deepcopy(RAISED)
    mutate(doc)
    return doc


def _level(level):
    return lambda doc: find(doc, "accidents", "A0816").update(investigation_level=level)


def _party(**site):
    return lambda doc: find(doc, "accidents", "A0816")["parties"][0].update(site)


CASES = [
    (
        "an investigation level below the grade's",
        _level("county"),
        "accidents A0816 field investigation_level: 'county' is below 'city', the level that investigates a "
        "'larger' accident",
    ),
    (
        "a party unit inside another enterprise",
        _party(unit="wmall"),
        "accidents A0816 field parties.unit: unit 'wmall' of party 'wbuild' is not part of enterprise 'wbuild'",
    ),
    (
        "a party unit that is a government",
        _party(unit="wc_gov"),
        "accidents A0816 field parties.unit: unit 'wc_gov' of party 'wbuild' is not part of enterprise",
    ),
    (
        "a party post inside the event's own enterprise",
        _party(post="wmall_owner"),
        "accidents A0816 field parties.post: position 'wmall_owner' of party 'wbuild' is not part of enterprise "
        "'wbuild'",
    ),
    (
        "an unknown party post",
        _party(post="wbuild_nobody"),
        "accidents A0816 field parties.post: unknown position code 'wbuild_nobody'",
    ),
]


@pytest.mark.parametrize(("name", "mutate", "message"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_raised_level_or_party_site_is_refused_naming_item_and_field_and_nothing_is_written(
    db, tmp_path, name, mutate, message
):
    before = snapshot()
    got = refusal(write(tmp_path, broken(mutate)))
    assert message in got
    assert snapshot() == before


def test_a_level_equal_to_the_grades_or_higher_is_accepted(db, tmp_path):
    from accountability.models import Accident

    for level in ("city", "national"):
        import_ok(write(tmp_path, broken(_level(level))))
        assert Accident.objects.get(code="A0816").investigation_level == level


def test_a_hazard_party_may_name_its_crew_too_and_the_same_check_applies(db, tmp_path):
    def crew_on_hazard(doc):
        find(doc, "hazards", "HZ_INN")["parties"] = [
            {"enterprise": "wbuild", "role": "general_contractor", "unit": "wmall"}
        ]

    got = refusal(write(tmp_path, broken(crew_on_hazard)))
    assert "hazards HZ_INN field parties.unit: unit 'wmall' of party 'wbuild'" in got


def test_reimporting_the_raised_example_changes_nothing_and_a_changed_crew_is_replaced_with_history(
    old_house_raised, tmp_path
):
    from accountability.models import EventParty

    assert totals(import_ok(str(OLD_HOUSE_RAISED_FILE))) == "0 new, 0 changed"
    import_ok(write(tmp_path, broken(_party(unit="wbuild_crew2", post="wbuild_crew2_lead"))))
    party = EventParty.objects.get(accident__code="A0816")
    assert (party.unit.code, party.post.code) == ("wbuild_crew2", "wbuild_crew2_lead")
    history = EventParty.history.filter(accident__code="A0816")
    assert sorted(history.values_list("history_type", flat=True)) == ["+", "+", "-"]


def test_the_admin_refuses_the_same_in_chinese(old_house_raised):
    from accountability.models import Accident
    from responsibility.models import Position, Unit

    accident = Accident.objects.get(code="A0816")
    accident.investigation_level = "county"
    with pytest.raises(ValidationError) as excinfo:
        accident.full_clean()
    assert excinfo.value.message_dict["investigation_level"] == [
        "A0816: 提级调查层级（县级）不能低于较大事故的调查层级（市级）"
    ]

    party = accident.parties.get()
    party.unit = Unit.objects.get(code="wmall")
    party.post = Position.objects.get(code="wmall_owner")
    with pytest.raises(ValidationError) as excinfo:
        party.full_clean()
    assert excinfo.value.message_dict == {
        "unit": ["wmall 不属于相关企业 wbuild"],
        "post": ["wmall_owner 不属于相关企业 wbuild"],
    }
