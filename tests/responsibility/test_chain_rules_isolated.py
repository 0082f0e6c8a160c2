"""Four rules of DESIGN §3 that a larger test used to cover only by accident, each in a world built so
that breaking that rule alone changes the answer (checked by breaking each one in chain.py)."""

from __future__ import annotations

import pytest

from responsibility.models import DutyType
from tests.factories import InspectionFactory, PermitFactory, UnitFactory
from tests.responsibility.test_chain_rules import D, World, duty, held, rows


@pytest.fixture
def w(db):
    return World()


def of_type(links, type_) -> list[tuple]:
    return [(r[2], r[3], r[4]) for r in rows(links) if r[1] == type_]


def test_an_earlier_inspection_by_the_same_unit_gives_no_link_when_a_later_one_exists(w):
    # §3.4: the latest inspection per (inspected enterprise, inspecting unit). The two inspections name
    # different inspector posts, so an older inspection kept by mistake cannot hide as a duplicate.
    older_post = held(w.co_housing, "housing_a", "pa")
    latest_post = held(w.co_housing, "housing_b", "pb")
    township_post = held(w.t1_gov, "t1_a", "pt")
    InspectionFactory(
        enterprise=w.E, sector=w.housing, unit=w.co_housing, inspectors=[older_post], date=D(2023, 9, 1)
    )
    InspectionFactory(
        enterprise=w.E, sector=w.housing, unit=w.co_housing, inspectors=[latest_post], date=D(2024, 1, 10)
    )
    # Another unit's inspection, older than both, is that unit's latest and stays.
    InspectionFactory(
        enterprise=w.E, sector=w.housing, unit=w.t1_gov, inspectors=[township_post], date=D(2023, 3, 1)
    )

    assert of_type(w.trace(), "inspection") == [("t1_gov", "t1_a", "pt"), ("co_housing", "housing_b", "pb")]


def test_within_a_level_territorial_comes_before_inspection_and_inspection_before_approval(w):
    # §3.6: the type order decides before the unit code does, so the inspecting and approving units are
    # given codes that sort before the territorial unit's.
    inspecting = UnitFactory(code="a_inspect", region=w.CO)
    approving = UnitFactory(code="a_approve", region=w.CO)
    duty(DutyType.TERRITORIAL, w.co_gov, region=w.CO)
    InspectionFactory(
        enterprise=w.E,
        sector=w.housing,
        unit=inspecting,
        inspectors=[held(inspecting, "i1", "pi")],
        date=D(2024, 1, 5),
    )
    PermitFactory(
        enterprise=w.E,
        sector=w.housing,
        position=held(approving, "ap1", "pp"),
        approved_on=D(2022, 1, 1),
        valid_until=D(2026, 1, 1),
    )

    county = [
        (r[1], r[2])
        for r in rows(w.trace())
        if r[0] == "supervision" and r[2] in {"co_gov", "a_inspect", "a_approve"}
    ]
    assert county == [("territorial", "co_gov"), ("inspection", "a_inspect"), ("approval", "a_approve")]


def test_a_duty_naming_no_region_covers_its_holder_units_region_and_nothing_beside_it(w):
    # §3.1: "its own region when the duty names none: the holder unit's region".
    duty(DutyType.SUPERVISORY, w.t2_gov, sectors=[w.housing])  # township T2, beside E's township T1
    duty(DutyType.SUPERVISORY, w.co_housing, sectors=[w.housing])  # the county, above T1
    duty(DutyType.SUPERVISORY, w.t1_gov, sectors=[w.housing])  # E's own township

    assert [unit for unit, _, _ in of_type(w.trace(), "supervisory")] == ["t1_gov", "co_housing"]
    in_t2 = w.trace(w.scope(enterprise=None, region=w.T2))
    assert [unit for unit, _, _ in of_type(in_t2, "supervisory")] == ["t2_gov", "co_housing"]


def test_ties_within_a_type_go_by_unit_code_then_post_code_with_the_units_own_link_first(w):
    # §3.6: ties by unit code, then position code (a unit's own link before its positions' links).
    # Created in the reverse of the expected order, so creation order cannot pass for the rule.
    co_b = UnitFactory(code="co_b", region=w.CO)
    co_a = UnitFactory(code="co_a", region=w.CO)
    duty(DutyType.COMPETENT, co_b, region=w.CO, sectors=[w.housing])
    duty(DutyType.COMPETENT, held(co_b, "b_p1", "pb1"), region=w.CO, sectors=[w.housing])
    duty(DutyType.COMPETENT, held(co_a, "a_p2", "pa2"), region=w.CO, sectors=[w.housing])
    duty(DutyType.COMPETENT, held(co_a, "a_p1", "pa1"), region=w.CO, sectors=[w.housing])
    duty(DutyType.COMPETENT, co_a, region=w.CO, sectors=[w.housing])

    assert of_type(w.trace(), "competent") == [
        ("co_a", None, None),
        ("co_a", "a_p1", "pa1"),
        ("co_a", "a_p2", "pa2"),
        ("co_b", None, None),
        ("co_b", "b_p1", "pb1"),
    ]
