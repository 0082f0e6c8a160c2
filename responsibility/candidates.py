"""The stored duties that might reach a batch of events: one indexed query, ids first (issue 16).

Each way a duty can reach an event is its own branch of a UNION ALL that follows indexed keys from a
small set: the ancestor regions' codes, the units of those regions, the units of the involved
enterprises. ORed in one filter, the five join paths made the planner scan every duty; inside an
`IN (…)` beside the select_related joins it walked a whole index. The query is written out rather than
composed with the ORM: composing five branches with their subqueries cost more than running them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection

from .models import Duty, Position, Region, Sector, Unit

TABLES = {
    "duty": Duty._meta.db_table,
    "duty_sectors": Duty.sectors.through._meta.db_table,
    "position": Position._meta.db_table,
    "region": Region._meta.db_table,
    "sector": Sector._meta.db_table,
    "unit": Unit._meta.db_table,
}

# In force at some time in [start, end]: a duty's end is exclusive.
IN_FORCE = 'd.start <= %s AND (d."end" IS NULL OR d."end" > %s)'

# {types} and the id lists are placeholders; `regions` and the unit sets are CTEs.
SUPERVISION_BRANCHES = (
    # the duty names one of the regions
    "SELECT d.id FROM {duty} d WHERE d.type IN ({types}) AND {in_force} "
    "AND d.region_id IN (SELECT id FROM regions)",
    # it names none: its holder unit is in one of them (§3.1)
    "SELECT d.id FROM {duty} d WHERE d.type IN ({types}) AND {in_force} AND d.region_id IS NULL "
    "AND d.holder_unit_id IN (SELECT id FROM government_units)",
    "SELECT d.id FROM {duty} d JOIN {position} p ON p.id = d.holder_position_id "
    "WHERE d.type IN ({types}) AND {in_force} AND d.region_id IS NULL "
    "AND p.unit_id IN (SELECT id FROM government_units)",
)
ENTERPRISE_BRANCHES = (
    "SELECT d.id FROM {duty} d WHERE d.type IN ({types}) AND {in_force} "
    "AND d.holder_unit_id IN (SELECT id FROM enterprise_units)",
    "SELECT d.id FROM {duty} d JOIN {position} p ON p.id = d.holder_position_id "
    "WHERE d.type IN ({types}) AND {in_force} AND p.unit_id IN (SELECT id FROM enterprise_units)",
)


def _marks(values) -> str:
    return ", ".join(["%s"] * len(values))


def candidate_duty_sectors(
    region_codes: Iterable[str],
    enterprise_ids: Iterable[int],
    start: dt.date,
    end: dt.date,
    supervision_types: Iterable[str],
    enterprise_types: Iterable[str],
) -> dict[int, frozenset[str]]:
    """The ids of the duties in force at some time in [start, end] that name one of `region_codes` or are
    held in one of them (supervision types), or are held inside one of `enterprise_ids` (enterprise types),
    each with the codes of the sectors it names (none: every sector)."""
    region_codes, enterprise_ids = sorted(set(region_codes)), sorted(set(enterprise_ids))
    supervision_types, enterprise_types = list(supervision_types), list(enterprise_types)
    ctes = [
        f"regions AS (SELECT id FROM {{region}} WHERE code IN ({_marks(region_codes) or 'NULL'}))",
        "government_units AS (SELECT id FROM {unit} WHERE region_id IN (SELECT id FROM regions))",
    ]
    params: list = [*region_codes]
    branches = [b.replace("{types}", _marks(supervision_types)) for b in SUPERVISION_BRANCHES]
    branch_params = [[*supervision_types, end, start]] * len(SUPERVISION_BRANCHES)
    if enterprise_ids:
        ctes.append(
            f"enterprise_units AS (SELECT id FROM {{unit}} WHERE enterprise_id IN ({_marks(enterprise_ids)}))"
        )
        params += enterprise_ids
        branches += [b.replace("{types}", _marks(enterprise_types)) for b in ENTERPRISE_BRANCHES]
        branch_params += [[*enterprise_types, end, start]] * len(ENTERPRISE_BRANCHES)
    sql = (
        "WITH " + ", ".join(ctes) + ", candidates AS (" + " UNION ALL ".join(branches) + ") "
        "SELECT c.id, s.code FROM candidates c "
        "LEFT JOIN {duty_sectors} ds ON ds.duty_id = c.id LEFT JOIN {sector} s ON s.id = ds.sector_id"
    ).format(in_force=IN_FORCE, **TABLES)
    for one in branch_params:
        params += one
    found: dict[int, set[str]] = defaultdict(set)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for duty_id, code in cursor.fetchall():
            codes = found[duty_id]  # a duty that names no sector (a NULL code) is still a candidate
            if code is not None:
                codes.add(code)
    return {pk: frozenset(codes) for pk, codes in found.items()}


def candidate_duties(
    region_codes, enterprise_ids, start: dt.date, end: dt.date, supervision_types, enterprise_types
) -> list[Duty]:
    """The candidates as Duty rows (by code) with what the chain reads of them, each carrying
    `sector_codes`."""
    sectors = candidate_duty_sectors(
        region_codes, enterprise_ids, start, end, supervision_types, enterprise_types
    )
    duties = sorted(
        Duty.objects.filter(pk__in=sectors)
        .select_related("region", "holder_unit__region", "holder_position__unit__region")
        .order_by(),
        # by code, sorted here: ordering a wide select_related costs Django more than the sort
        key=lambda duty: duty.code,
    )
    for duty in duties:
        duty.sector_codes = sectors[duty.pk]
    return duties
