"""The set-based coverage report gives exactly what the old in-memory loop gave, on random worlds.

The loop below is responsibility/coverage.py as it was before it became set-based (issue 16), kept as the
naive reference: every enterprise × sector against every duty in force, in Python. Hypothesis draws the
worlds of test_chain_differential (region and sector codes with "_" and "." in them, duties with their own
regions, one enterprise, sectors or none, vacant and unrecorded posts); each is compared on several days,
for the whole province and for every region's subtree — gaps and overlaps in full, in order.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

import pytest
from django.db import transaction
from django.db.models import Prefetch
from hypothesis import given

from responsibility.chain import STORED_SUPERVISION_TYPES
from responsibility.coverage import REQUIRED_TYPES, CoverageReport, Gap, Overlap, coverage_report
from responsibility.models import Duty, DutyType, Region, Sector, Tenure, Unit, UnitKind
from responsibility.scenario import import_scenario
from tests.responsibility.test_chain_differential import BASE, world_settings, worlds


def naive_coverage(on_date: dt.date, region: Region | None = None) -> CoverageReport:
    enterprises = Unit.objects.filter(kind=UnitKind.ENTERPRISE)
    if region is not None:
        enterprises = enterprises.filter(region__path__startswith=region.path)
    enterprises = list(
        enterprises.select_related("region")
        .prefetch_related(Prefetch("sectors", queryset=Sector.objects.order_by("code")))
        .order_by("code")
    )
    duties = list(
        Duty.objects.on(on_date)
        .filter(type__in=REQUIRED_TYPES)
        .select_related("region", "holder_unit__region", "holder_position__unit__region")
        .prefetch_related("sectors")
    )
    held = set(
        Tenure.objects.on(on_date)
        .filter(position_id__in={d.holder_position_id for d in duties if d.holder_position_id})
        .values_list("position_id", flat=True)
    )

    def sector_codes(duty):
        return {s.code for s in duty.sectors.all()}

    def covers(duty, sector_path):
        codes = sector_codes(duty)
        return not codes or not codes.isdisjoint(sector_path)

    by_scope_region: dict[str, list[Duty]] = defaultdict(list)
    by_enterprise: dict[int, list[Duty]] = defaultdict(list)
    for duty in duties:
        if duty.type in STORED_SUPERVISION_TYPES:
            scope = duty.region if duty.region_id else duty.unit.region
            by_scope_region[scope.code].append(duty)
        elif duty.unit.enterprise_id:
            by_enterprise[duty.unit.enterprise_id].append(duty)

    def is_unheld(duty):
        return duty.holder_position_id is not None and duty.holder_position_id not in held

    def is_unknown(duty):
        return is_unheld(duty) and duty.holder_position.is_unrecorded_on(on_date)

    gaps = []
    overlapping: dict[tuple[str, str], dict[str, Unit]] = defaultdict(dict)
    sectors = {}
    for enterprise in enterprises:
        in_scope = [d for code in enterprise.region.ancestor_codes() for d in by_scope_region.get(code, ())]
        for sector in enterprise.sectors.all():
            sector_path = sector.ancestor_codes()
            matching = defaultdict(list)
            for duty in by_enterprise.get(enterprise.pk, ()):
                if covers(duty, sector_path):
                    matching[duty.type].append(duty)
            for duty in in_scope:
                if duty.enterprise_id in (None, enterprise.pk) and covers(duty, sector_path):
                    matching[duty.type].append(duty)
            for duty_type in REQUIRED_TYPES:
                found = matching.get(duty_type, [])
                if not found:
                    gaps.append(Gap(enterprise, sector, duty_type, "missing"))
                elif all(is_unheld(d) for d in found):
                    reason = "unknown" if any(is_unknown(d) for d in found) else "vacant"
                    gaps.append(Gap(enterprise, sector, duty_type, reason))
            competent_units = defaultdict(dict)
            for duty in matching.get(DutyType.COMPETENT, []):
                competent_units[duty.unit.region.code][duty.unit.code] = duty.unit
            for region_code, units in competent_units.items():
                if len(units) >= 2:
                    overlapping[(region_code, sector.code)].update(units)
                    sectors[sector.code] = sector
    overlaps = [
        Overlap(region_code, sectors[sector_code], tuple(units[c] for c in sorted(units)))
        for (region_code, sector_code), units in sorted(overlapping.items())
    ]
    return CoverageReport(on_date, gaps, overlaps)


def assert_same(on_date, region=None):
    want = naive_coverage(on_date, region).as_codes()
    got = coverage_report(on_date, region).as_codes()
    assert got == want, (on_date, region and region.code)


def days_of(doc) -> list[dt.date]:
    """The days the world's events happen on, and days before and between them."""
    days = {BASE, BASE + dt.timedelta(days=400), BASE + dt.timedelta(days=901)}
    days |= {dt.date.fromisoformat(a["occurred_at"][:10]) for a in doc["accidents"]}
    days |= {dt.date.fromisoformat(h["deadline"]) for h in doc["hazards"]}
    return sorted(days)


@pytest.mark.django_db
@world_settings("COVERAGE_EXAMPLES", 25)
@given(doc=worlds())
def test_set_based_coverage_equals_the_naive_loop_on_random_worlds(doc):
    with transaction.atomic():
        import_scenario(json.dumps(doc))
        regions = list(Region.objects.order_by("path"))
        for on_date in days_of(doc):
            assert_same(on_date)
            for region in regions:
                assert_same(on_date, region)
        transaction.set_rollback(True)


@pytest.mark.parametrize("example", ["demo_county", "old_house"])
def test_set_based_coverage_equals_the_naive_loop_on_the_worked_examples(example, request):
    request.getfixturevalue(example)
    for on_date in (dt.date(2019, 1, 1), dt.date(2020, 11, 8), dt.date(2024, 2, 26), dt.date(2024, 7, 1)):
        assert_same(on_date)
        for region in Region.objects.order_by("path"):
            assert_same(on_date, region)
