"""The import of DESIGN §5's fields refuses a bad document naming item and field, and writes nothing."""

import copy
import json

import pytest

from tests.conftest import OLD_HOUSE_FILE
from tests.responsibility.test_scenario_refusals import find, import_ok, refusal, snapshot, totals, write

OLD_HOUSE = json.loads(OLD_HOUSE_FILE.read_text(encoding="utf-8"))


def broken(mutate) -> dict:
    doc = copy.deepcopy(OLD_HOUSE)
    mutate(doc)
    return doc


def _set(section, code, /, **values):
    return lambda doc: find(doc, section, code).update(values)


def _actor_of(section, code, of):
    def mutate(doc):
        find(doc, section, code)["actors"][-1]["of"] = of

    return mutate


CASES = [
    (
        "hazard_since after the accident's day",
        _set("accidents", "A0429", hazard_since="2022-04-30"),
        "accidents A0429 field hazard_since: hazard_since 2022-04-30 is after the accident's day 2022-04-29",
    ),
    (
        "hazard_since after the hazard's deadline",
        _set("hazards", "HZ_INN", hazard_since="2021-12-02"),
        "hazards HZ_INN field hazard_since: hazard_since 2021-12-02 is after the deadline 2021-12-01",
    ),
    (
        "a signer outside the issuer",
        _set("certifications", "CF_2022", signers=["appr_a1", "house_owner"]),
        "certifications CF_2022 field signers: signer 'house_owner' is not a position inside the issuer 'appr'",
    ),
    (
        "an issuer that is not an enterprise",
        _set("certifications", "CF_2022", issuer="wd_housing"),
        "certifications CF_2022 field issuer: unit 'wd_housing' is not an enterprise",
    ),
    (
        "a validity before the issue day",
        _set("certifications", "CF_2019", valid_until="2019-03-31"),
        "certifications CF_2019 field valid_until",
    ),
    (
        "a permit valid until before its approval",
        _set("permits", "PM_INN", valid_until="2019-02-19"),
        "permits PM_INN field valid_until",
    ),
    (
        "an actor of a unit that is not an enterprise",
        _actor_of("accidents", "A0429", "wd_gov"),
        "accidents A0429 field actors.of: unit 'wd_gov' is not an enterprise",
    ),
    (
        "an actor of an unknown unit",
        _actor_of("accidents", "A0429", "nowhere"),
        "accidents A0429 field actors.of: unknown unit code 'nowhere'",
    ),
    (
        "an unknown further sector",
        _set("accidents", "A0429", also_sectors=["catering", "mining"]),
        "accidents A0429 field also_sectors: unknown sector code 'mining'",
    ),
    (
        "an unknown investigator",
        _set("accidents", "A0429", investigators=["cn_mem", "cn_nowhere"]),
        "accidents A0429 field investigators: unknown unit code 'cn_nowhere'",
    ),
    (
        "an unknown signer",
        _set("certifications", "CF_2015", signers=["appr_zz"]),
        "certifications CF_2015 field signers: unknown position code 'appr_zz'",
    ),
    (
        "a records_from that is not a date",
        _set("positions", "wv_director", records_from="2021-02-30"),
        "wv_director",
    ),
]


@pytest.mark.parametrize(("name", "mutate", "message"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_period_field_is_refused_naming_item_and_field_and_nothing_is_written(
    db, tmp_path, name, mutate, message
):
    before = snapshot()
    got = refusal(write(tmp_path, broken(mutate)))
    assert message in got
    assert snapshot() == before


def test_a_hazard_may_have_arisen_long_before_it_was_found(db, tmp_path):
    doc = broken(_set("hazards", "HZ_INN", hazard_since="2001-01-01"))
    import_ok(write(tmp_path, doc))


def test_reimporting_the_period_example_changes_nothing(old_house, tmp_path):
    assert totals(import_ok(str(OLD_HOUSE_FILE))) == "0 new, 0 changed"


def test_a_changed_signer_list_is_replaced_in_order_and_kept_in_history(old_house, tmp_path):
    from responsibility.models import Certification

    doc = broken(_set("certifications", "CF_2022", signers=["appr_a2", "appr_a1"]))
    import_ok(write(tmp_path, doc))

    certification = Certification.objects.get(code="CF_2022")
    assert [row.position.code for row in certification.signer_rows.all()] == ["appr_a2", "appr_a1"]
    history = certification.signer_rows.model.history.filter(certification_id=certification.pk)
    # Two signers created, both removed, two created in the new order: nothing of the old list is lost.
    assert sorted(history.values_list("history_type", flat=True)) == ["+", "+", "+", "+", "-", "-"]
