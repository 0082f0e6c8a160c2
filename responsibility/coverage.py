"""责任真空 and 多头管理 (DESIGN §3, Coverage).

For every enterprise × each of its sectors on a date: each required duty type with no match,
or only vacant holders (unknown when a post's records do not reach back to the date, §5.7); and regions where two or more units hold `competent` for one sector.
Coverage looks at every level (no reach by grade). A fixed number of queries: everything
active on the date is loaded once and bucketed by scope region, then matched in memory.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch

from .chain import STORED_SUPERVISION_TYPES, covers_sector, duty_sector_codes, scope_region
from .models import Duty, DutyType, Sector, Tenure, Unit, UnitKind

REQUIRED_TYPES = (
    DutyType.PRIMARY,
    DutyType.TERRITORIAL,
    DutyType.COMPETENT,
    DutyType.SUPERVISORY,
    DutyType.LEADER_IN_CHARGE,
    DutyType.PARTY_GOV_LEAD,
)


@dataclass(frozen=True)
class Gap:
    enterprise: Unit
    sector: Sector
    type: str
    reason: (
        str  # "missing", "vacant", or "unknown" (§5.7: no holder on record before the post's records start)
    )

    def as_codes(self) -> dict:
        return {
            "enterprise": self.enterprise.code,
            "sector": self.sector.code,
            "type": self.type,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Overlap:
    region_code: str
    sector: Sector
    units: tuple[Unit, ...]

    def as_codes(self) -> dict:
        return {"region": self.region_code, "sector": self.sector.code, "units": [u.code for u in self.units]}


@dataclass(frozen=True)
class CoverageReport:
    on_date: dt.date
    gaps: list[Gap]
    overlaps: list[Overlap]

    def as_codes(self) -> dict:
        return {
            "date": self.on_date.isoformat(),
            "gaps": [g.as_codes() for g in self.gaps],
            "overlaps": [o.as_codes() for o in self.overlaps],
        }


def coverage_report(on_date: dt.date) -> CoverageReport:
    enterprises = list(
        Unit.objects.filter(kind=UnitKind.ENTERPRISE)
        .select_related("region")
        .prefetch_related(Prefetch("sectors", queryset=Sector.objects.order_by("code")))
        .order_by("code")
    )
    duties = list(
        Duty.objects.on(on_date)
        .filter(type__in=REQUIRED_TYPES)
        .select_related(
            "region", "holder_unit__region", "holder_position__unit__region", "holder_position__unit"
        )
        .prefetch_related(Prefetch("sectors", queryset=Sector.objects.only("id", "code")))
    )
    held = set(
        Tenure.objects.on(on_date)
        .filter(position_id__in={d.holder_position_id for d in duties if d.holder_position_id})
        .values_list("position_id", flat=True)
    )

    by_scope_region: dict[str, list[Duty]] = defaultdict(list)
    by_enterprise: dict[int, list[Duty]] = defaultdict(list)
    for duty in duties:
        if duty.type in STORED_SUPERVISION_TYPES:
            by_scope_region[scope_region(duty).code].append(duty)
        elif duty.unit.enterprise_id:
            by_enterprise[duty.unit.enterprise_id].append(duty)

    def is_unheld(duty: Duty) -> bool:
        return duty.holder_position_id is not None and duty.holder_position_id not in held

    def is_unknown(duty: Duty) -> bool:
        return is_unheld(duty) and duty.holder_position.is_unrecorded_on(on_date)

    gaps: list[Gap] = []
    # (region, sector) -> the competent units of that region, gathered over every enterprise that shows
    # the overlap: enterprises of one sector may see different units (a duty scoped to a sub-region
    # or to one enterprise), and the report names them all, once.
    overlapping: dict[tuple[str, str], dict[str, Unit]] = defaultdict(dict)
    sectors: dict[str, Sector] = {}
    for enterprise in enterprises:
        region_path = enterprise.region.ancestor_codes()
        in_scope = [d for code in region_path for d in by_scope_region.get(code, ())]
        for sector in enterprise.sectors.all():
            sector_path = sector.ancestor_codes()
            matching: dict[str, list[Duty]] = defaultdict(list)
            for duty in by_enterprise.get(enterprise.pk, ()):
                if covers_sector(duty_sector_codes(duty), sector_path):
                    matching[duty.type].append(duty)
            for duty in in_scope:
                if duty.enterprise_id in (None, enterprise.pk) and covers_sector(
                    duty_sector_codes(duty), sector_path
                ):
                    matching[duty.type].append(duty)
            for duty_type in REQUIRED_TYPES:
                found = matching.get(duty_type, [])
                if not found:
                    gaps.append(Gap(enterprise, sector, duty_type, "missing"))
                elif all(is_unheld(d) for d in found):
                    reason = "unknown" if any(is_unknown(d) for d in found) else "vacant"
                    gaps.append(Gap(enterprise, sector, duty_type, reason))
            competent_units: dict[str, dict[str, Unit]] = defaultdict(dict)
            for duty in matching.get(DutyType.COMPETENT, []):
                unit = duty.unit
                competent_units[unit.region.code][unit.code] = unit
            for region_code, units in competent_units.items():
                if len(units) >= 2:
                    overlapping[(region_code, sector.code)].update(units)
                    sectors[sector.code] = sector
    overlaps = [
        Overlap(region_code, sectors[sector_code], tuple(units[c] for c in sorted(units)))
        for (region_code, sector_code), units in sorted(overlapping.items())
    ]
    return CoverageReport(on_date, gaps, overlaps)
