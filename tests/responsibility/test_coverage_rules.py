"""The coverage report (责任真空 and 多头管理, DESIGN §3) rule by rule, on small worlds built by factories."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from responsibility.coverage import REQUIRED_TYPES, coverage_report
from responsibility.models import DutyType, RegionLevel, UnitKind
from tests.factories import (
    DutyFactory,
    EnterpriseFactory,
    PersonFactory,
    PositionFactory,
    RegionFactory,
    SectorFactory,
    TenureFactory,
    UnitFactory,
)

D = dt.date
DAY = D(2024, 2, 26)
SUPERVISION_REQUIRED = [t for t in REQUIRED_TYPES if t != DutyType.PRIMARY]


def held(unit, code, holder=True, start=None, end=None):
    position = PositionFactory(code=code, unit=unit)
    if holder:
        TenureFactory(
            position=position, person=PersonFactory(code=f"p_{code}"), start=start or D(2000, 1, 1), end=end
        )
    return position


def duty(type_, holder, **kwargs):
    if hasattr(holder, "kind"):
        return DutyFactory(type=type_, holder_unit=holder, **kwargs)
    return DutyFactory(type=type_, holder_position=holder, holder_unit=None, **kwargs)


class World:
    """province PR > city C > county CO > townships T1, T2; sectors construction > housing, gas."""

    def __init__(self):
        self.PR = RegionFactory(code="PR", level=RegionLevel.PROVINCE)
        self.C = RegionFactory(code="C", parent=self.PR)
        self.CO = RegionFactory(code="CO", parent=self.C)
        self.T1 = RegionFactory(code="T1", parent=self.CO)
        self.T2 = RegionFactory(code="T2", parent=self.CO)
        self.construction = SectorFactory(code="construction")
        self.housing = SectorFactory(code="housing", parent=self.construction)
        self.gas = SectorFactory(code="gas")
        self.co_gov = UnitFactory(code="co_gov", kind=UnitKind.GOVERNMENT, region=self.CO)

    def department(self, code, region=None):
        return UnitFactory(code=code, region=region or self.CO, parent=self.co_gov)

    def cover_supervision(self, *sectors):
        """Every supervision type held by a unit of the county, for `sectors` (all when none)."""
        for type_ in SUPERVISION_REQUIRED:
            if type_ != DutyType.COMPETENT:
                duty(type_, self.co_gov, sectors=list(sectors))


@pytest.fixture
def w(db):
    return World()


def gaps(day=DAY):
    return {(g.enterprise.code, g.sector.code, g.type): g.reason for g in coverage_report(day).gaps}


def overlaps(day=DAY):
    return [(o.region_code, o.sector.code, [u.code for u in o.units]) for o in coverage_report(day).overlaps]


# ---- gaps ------------------------------------------------------------------------------------------


def test_every_required_type_without_a_match_is_missing(w):
    EnterpriseFactory(code="E", region=w.T1, sectors=[w.housing, w.gas])

    assert gaps() == {("E", sector, t): "missing" for sector in ("gas", "housing") for t in REQUIRED_TYPES}


def test_a_type_held_only_by_vacant_positions_is_vacant_and_one_holder_is_enough(w):
    firm = EnterpriseFactory(code="E", region=w.T1, sectors=[w.housing])
    w.cover_supervision()
    duty(DutyType.COMPETENT, w.department("co_housing"))
    duty(DutyType.PRIMARY, held(firm, "chair", holder=False))
    duty(DutyType.PRIMARY, held(firm, "gm", start=D(2020, 1, 1), end=DAY))  # gone on DAY (end exclusive)

    assert gaps() == {("E", "housing", "primary"): "vacant"}
    assert gaps(DAY - dt.timedelta(1)) == {}  # the general manager still held the post


def test_a_unit_holder_is_never_vacant(w):
    EnterpriseFactory(code="E", region=w.T1, sectors=[w.housing])
    for type_ in SUPERVISION_REQUIRED:
        duty(type_, w.co_gov)  # a unit with no positions at all

    assert gaps() == {("E", "housing", "primary"): "missing"}


def test_coverage_looks_at_every_level_and_follows_sector_and_region_scopes(w):
    EnterpriseFactory(code="E1", region=w.T1, sectors=[w.housing])
    EnterpriseFactory(code="E2", region=w.T2, sectors=[w.housing])
    province_gov = UnitFactory(code="pr_gov", kind=UnitKind.GOVERNMENT, region=w.PR)
    duty(DutyType.PARTY_GOV_LEAD, held(province_gov, "pr_head"))  # no reach by grade in coverage
    duty(DutyType.COMPETENT, w.department("co_build"), sectors=[w.construction])  # parent sector
    duty(DutyType.SUPERVISORY, w.department("co_gas"), sectors=[w.gas])  # another sector
    duty(DutyType.TERRITORIAL, UnitFactory(code="t1_gov", kind=UnitKind.GOVERNMENT, region=w.T1))

    got = gaps()

    assert ("E1", "housing", "party_gov_lead") not in got
    assert ("E1", "housing", "competent") not in got
    assert got[("E1", "housing", "supervisory")] == "missing"
    assert ("E1", "housing", "territorial") not in got
    assert got[("E2", "housing", "territorial")] == "missing"  # T1's government does not cover T2


def test_a_duty_for_another_enterprise_or_outside_its_period_does_not_cover(w):
    EnterpriseFactory(code="E", region=w.T1, sectors=[w.housing])
    other = EnterpriseFactory(code="F", region=w.T1, sectors=[w.gas])
    duty(DutyType.COMPETENT, w.department("co_a"), enterprise=other)
    duty(DutyType.SUPERVISORY, w.department("co_b"), start=D(2020, 1, 1), end=DAY)
    duty(DutyType.TERRITORIAL, w.department("co_c"), start=DAY + dt.timedelta(1))

    got = gaps()

    assert got[("E", "housing", "competent")] == "missing"
    assert got[("E", "housing", "supervisory")] == "missing"
    assert got[("E", "housing", "territorial")] == "missing"
    assert ("F", "gas", "competent") not in got


def test_primary_is_covered_only_from_inside_the_enterprise(w):
    firm = EnterpriseFactory(code="E", region=w.T1, sectors=[w.housing])
    other = EnterpriseFactory(code="F", region=w.T1, sectors=[w.housing])
    duty(DutyType.PRIMARY, held(other, "f_gm"))
    duty(DutyType.PRIMARY, held(w.co_gov, "gov_head"))  # not an enterprise's duty at all
    assert gaps()[("E", "housing", "primary")] == "missing"
    assert ("F", "housing", "primary") not in gaps()

    shop = UnitFactory(code="E_shop", kind=UnitKind.ENTERPRISE_DEPT, parent=firm)
    duty(DutyType.PRIMARY, shop)  # a unit inside the enterprise holds it
    assert ("E", "housing", "primary") not in gaps()


# ---- overlaps ----------------------------------------------------------------------------------------


def test_two_units_of_one_region_holding_competent_overlap_once_per_region_and_sector(w):
    EnterpriseFactory(code="E1", region=w.T1, sectors=[w.gas])
    EnterpriseFactory(code="E2", region=w.T2, sectors=[w.gas])
    EnterpriseFactory(code="E3", region=w.T2, sectors=[w.gas, w.housing])
    duty(DutyType.COMPETENT, w.department("co_housing"), sectors=[w.gas, w.construction])
    duty(DutyType.COMPETENT, w.department("co_em"), sectors=[w.gas])

    assert overlaps() == [("CO", "gas", ["co_em", "co_housing"])]


def test_units_of_different_regions_do_not_overlap(w):
    EnterpriseFactory(code="E", region=w.T1, sectors=[w.gas])
    duty(DutyType.COMPETENT, w.department("co_em"), sectors=[w.gas])
    duty(DutyType.COMPETENT, UnitFactory(code="c_em", region=w.C), sectors=[w.gas])
    duty(DutyType.COMPETENT, UnitFactory(code="t1_office", region=w.T1), sectors=[w.gas])

    assert overlaps() == []


def test_one_unit_with_several_competent_duties_is_not_an_overlap(w):
    EnterpriseFactory(code="E", region=w.T1, sectors=[w.housing])
    co_housing = w.department("co_housing")
    duty(DutyType.COMPETENT, co_housing, sectors=[w.construction])
    duty(DutyType.COMPETENT, co_housing, sectors=[w.housing])

    assert overlaps() == []


def test_a_position_held_competent_duty_counts_with_its_unit(w):
    EnterpriseFactory(code="E", region=w.T1, sectors=[w.housing])
    co_housing = w.department("co_housing")
    duty(DutyType.COMPETENT, co_housing, sectors=[w.housing])
    duty(DutyType.COMPETENT, held(co_housing, "co_housing_dir"), sectors=[w.housing])
    assert overlaps() == []

    co_em = w.department("co_em")
    duty(
        DutyType.COMPETENT, held(co_em, "co_em_dir", holder=False), sectors=[w.housing]
    )  # vacant, still a claim
    assert overlaps() == [("CO", "housing", ["co_em", "co_housing"])]


def test_competent_duties_on_other_sectors_or_expired_do_not_overlap(w):
    EnterpriseFactory(code="E", region=w.T1, sectors=[w.housing])
    duty(DutyType.COMPETENT, w.department("co_housing"), sectors=[w.housing])
    duty(DutyType.COMPETENT, w.department("co_em"), sectors=[w.gas])
    duty(DutyType.COMPETENT, w.department("co_old"), sectors=[w.housing], end=DAY)

    assert overlaps() == []
    assert overlaps(DAY - dt.timedelta(1)) == [("CO", "housing", ["co_housing", "co_old"])]


def test_an_overlap_names_every_competent_unit_any_enterprise_of_that_sector_sees(w):
    """A county unit scoped to one township joins the overlap seen from there; reported once with all."""
    EnterpriseFactory(code="E1", region=w.T1, sectors=[w.gas])
    EnterpriseFactory(code="E2", region=w.T2, sectors=[w.gas])
    duty(DutyType.COMPETENT, w.department("co_em"), sectors=[w.gas])
    duty(DutyType.COMPETENT, w.department("co_housing"), sectors=[w.gas])
    duty(DutyType.COMPETENT, w.department("co_urban"), sectors=[w.gas], region=w.T2)

    assert overlaps() == [("CO", "gas", ["co_em", "co_housing", "co_urban"])]


def test_a_competent_duty_for_one_enterprise_only_overlaps_for_that_enterprise(w):
    EnterpriseFactory(code="E1", region=w.T1, sectors=[w.gas])
    only = EnterpriseFactory(code="E2", region=w.T1, sectors=[w.housing])
    duty(DutyType.COMPETENT, w.department("co_em"))
    duty(DutyType.COMPETENT, w.department("co_housing"), enterprise=only)

    assert overlaps() == [("CO", "housing", ["co_em", "co_housing"])]


# ---- the command -------------------------------------------------------------------------------------


def test_the_coverage_command_prints_the_report_as_json(w):
    firm = EnterpriseFactory(code="E", region=w.T1, sectors=[w.gas])
    duty(DutyType.COMPETENT, w.department("co_em"), sectors=[w.gas])
    duty(DutyType.COMPETENT, w.department("co_housing"), sectors=[w.gas])
    office = UnitFactory(code="E_office", kind=UnitKind.ENTERPRISE_DEPT, parent=firm)
    duty(DutyType.PRIMARY, held(office, "e_gm", holder=False))

    out = StringIO()
    call_command("coverage", "--date", DAY.isoformat(), "--json", stdout=out)
    report = json.loads(out.getvalue())

    assert report["overlaps"] == [{"region": "CO", "sector": "gas", "units": ["co_em", "co_housing"]}]
    assert {"enterprise": "E", "sector": "gas", "type": "primary", "reason": "vacant"} in report["gaps"]
    assert {"enterprise": "E", "sector": "gas", "type": "territorial", "reason": "missing"} in report["gaps"]
