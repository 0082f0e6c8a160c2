"""责任真空 and 多头管理 (DESIGN §3, Coverage).

For every enterprise × each of its sectors on a date: each required duty type with no match,
or only vacant holders (unknown when a post's records do not reach back to the date, §5.7); and regions where two or more units hold `competent` for one sector.
Coverage looks at every level (no reach by grade). Set-based: the database matches every
(enterprise, sector) of the region shown against the duties in force (two queries, one for gaps and one
for overlaps, each a join over indexed keys), and only the gaps and overlaps come back to Python, so time
and memory follow the size of the answer, not the number of duties times enterprises.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from .chain import STORED_SUPERVISION_TYPES
from .models import Duty, DutyType, Position, Region, Sector, Tenure, Unit, UnitKind

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


def coverage_report(on_date: dt.date, region: Region | None = None) -> CoverageReport:
    """Gaps and overlaps on `on_date` for the enterprises of `region`'s subtree (every enterprise when
    None): gaps by enterprise code, sector code and the order of REQUIRED_TYPES; overlaps by region code
    and sector code, each with its units by code."""
    params = _params(on_date, region)
    with connection.cursor() as cursor:
        cursor.execute(GAPS_SQL.format(**TABLES, **_WITH), params)
        gap_rows = cursor.fetchall()
        cursor.execute(OVERLAPS_SQL.format(**TABLES, **_WITH), params)
        overlap_rows = cursor.fetchall()

    enterprises = Unit.objects.select_related("region").in_bulk({row[0] for row in gap_rows})
    units = Unit.objects.select_related("region").in_bulk({row[2] for row in overlap_rows})
    sectors = Sector.objects.in_bulk({row[1] for row in gap_rows} | {row[1] for row in overlap_rows})
    order = {duty_type: n for n, duty_type in enumerate(REQUIRED_TYPES)}
    gaps = sorted(
        (Gap(enterprises[e], sectors[s], duty_type, reason) for e, s, duty_type, reason in gap_rows),
        key=lambda g: (g.enterprise.code, g.sector.code, order[g.type]),
    )
    overlapping: dict[tuple[str, str], dict[str, Unit]] = defaultdict(dict)
    for region_code, sector_id, unit_id in overlap_rows:
        unit = units[unit_id]
        overlapping[(region_code, sectors[sector_id].code)][unit.code] = unit
    by_code = {sector.code: sector for sector in sectors.values()}
    overlaps = [
        Overlap(region_code, by_code[sector_code], tuple(found[c] for c in sorted(found)))
        for (region_code, sector_code), found in sorted(overlapping.items())
    ]
    return CoverageReport(on_date, gaps, overlaps)


TABLES = {
    "unit": Unit._meta.db_table,
    "region": Region._meta.db_table,
    "sector": Sector._meta.db_table,
    "unit_sectors": Unit.sectors.through._meta.db_table,
    "duty": Duty._meta.db_table,
    "duty_sectors": Duty.sectors.through._meta.db_table,
    "position": Position._meta.db_table,
    "tenure": Tenure._meta.db_table,
}


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)  # the stable type codes of DutyType: no quoting needed


def _params(on_date: dt.date, region: Region | None) -> dict:
    return {
        "day": on_date,
        "enterprise": UnitKind.ENTERPRISE.value,
        # a path prefix as a LIKE pattern ("_" and "%" may occur in codes), which the planner can estimate
        "subtree": _escape_like(region.path if region is not None else "/") + "%",
    }


def _escape_like(text: str) -> str:
    return text.replace("!", "!!").replace("_", "!_").replace("%", "!%")


# Regions and sectors are walked up by parent (recursive CTEs, at most a tree's depth of steps), so that
# enterprises, duties and their sectors meet on equal ids. The subtree shown is a path prefix.
_WITH = {
    "supervision": _in(STORED_SUPERVISION_TYPES),
    "inside": _in(t for t in REQUIRED_TYPES if t not in STORED_SUPERVISION_TYPES),
    "types": " UNION ALL ".join(f"SELECT '{t}' AS type" for t in REQUIRED_TYPES),
}
MATCHES = """
WITH RECURSIVE rows AS (
    -- every (enterprise, sector) of the region shown
    SELECT e.id AS enterprise_id, e.region_id, es.sector_id
    FROM {unit} e
    JOIN {region} r ON r.id = e.region_id
    JOIN {unit_sectors} es ON es.unit_id = e.id
    WHERE e.kind = %(enterprise)s AND r.path LIKE %(subtree)s ESCAPE '!'
),
region_up (region_id, scope_id) AS (
    -- each region with enterprises here, and every region at or above it
    SELECT DISTINCT region_id, region_id FROM rows
    UNION ALL
    SELECT up.region_id, r.parent_id FROM region_up up JOIN {region} r ON r.id = up.scope_id
    WHERE r.parent_id IS NOT NULL
),
sector_up (sector_id, ancestor_id) AS (
    -- each sector of an enterprise here, and every sector at or above it
    SELECT DISTINCT sector_id, sector_id FROM rows
    UNION ALL
    SELECT up.sector_id, s.parent_id FROM sector_up up JOIN {sector} s ON s.id = up.ancestor_id
    WHERE s.parent_id IS NOT NULL
),
in_force AS (
    -- the required duties in force on the day that can reach an enterprise here: supervision covering a
    -- region at or above one (DESIGN §3.1: the region it names, else its holder unit's), and the primary
    -- duty of an enterprise here; one branch per way in, each along an index
    SELECT d.id, d.type, d.enterprise_id, d.region_id, d.holder_unit_id, d.holder_position_id
    FROM {duty} d
    WHERE d.type IN ({supervision}) AND d.start <= %(day)s AND (d."end" IS NULL OR d."end" > %(day)s)
      AND d.region_id IN (SELECT scope_id FROM region_up)
    UNION ALL
    SELECT d.id, d.type, d.enterprise_id, d.region_id, d.holder_unit_id, d.holder_position_id
    FROM {duty} d JOIN {unit} u ON u.id = d.holder_unit_id
    WHERE d.type IN ({supervision}) AND d.start <= %(day)s AND (d."end" IS NULL OR d."end" > %(day)s)
      AND d.region_id IS NULL AND u.region_id IN (SELECT scope_id FROM region_up)
    UNION ALL
    SELECT d.id, d.type, d.enterprise_id, d.region_id, d.holder_unit_id, d.holder_position_id
    FROM {duty} d JOIN {position} p ON p.id = d.holder_position_id JOIN {unit} u ON u.id = p.unit_id
    WHERE d.type IN ({supervision}) AND d.start <= %(day)s AND (d."end" IS NULL OR d."end" > %(day)s)
      AND d.region_id IS NULL AND u.region_id IN (SELECT scope_id FROM region_up)
    UNION ALL
    SELECT d.id, d.type, d.enterprise_id, d.region_id, d.holder_unit_id, d.holder_position_id
    FROM {duty} d JOIN {unit} u ON u.id = d.holder_unit_id
    WHERE d.type IN ({inside}) AND d.start <= %(day)s AND (d."end" IS NULL OR d."end" > %(day)s) AND u.enterprise_id IN (SELECT enterprise_id FROM rows)
    UNION ALL
    SELECT d.id, d.type, d.enterprise_id, d.region_id, d.holder_unit_id, d.holder_position_id
    FROM {duty} d JOIN {position} p ON p.id = d.holder_position_id JOIN {unit} u ON u.id = p.unit_id
    WHERE d.type IN ({inside}) AND d.start <= %(day)s AND (d."end" IS NULL OR d."end" > %(day)s) AND u.enterprise_id IN (SELECT enterprise_id FROM rows)
),
duties AS (
    -- each with the region it covers, the unit that owes it and that unit's enterprise, whether its post
    -- is held on the day (tenures of a post never overlap: one row at most), and whether it names sectors
    SELECT f.id, f.type, f.enterprise_id AS only_enterprise, u.id AS unit_id, u.enterprise_id AS owner_id,
           COALESCE(f.region_id, u.region_id) AS scope_id,
           CASE WHEN f.holder_position_id IS NULL OR t.id IS NOT NULL THEN 1 ELSE 0 END AS held,
           CASE WHEN p.records_from > %(day)s THEN 1 ELSE 0 END AS unrecorded,
           CASE WHEN sectored.duty_id IS NULL THEN 1 ELSE 0 END AS all_sectors
    FROM in_force f
    LEFT JOIN {position} p ON p.id = f.holder_position_id
    JOIN {unit} u ON u.id = COALESCE(f.holder_unit_id, p.unit_id)
    LEFT JOIN {tenure} t
      ON t.position_id = f.holder_position_id AND t.start <= %(day)s AND (t."end" IS NULL OR t."end" > %(day)s)
    LEFT JOIN (
        SELECT DISTINCT duty_id FROM {duty_sectors} WHERE duty_id IN (SELECT id FROM in_force)
    ) sectored ON sectored.duty_id = f.id
),
sector_cover AS (
    -- a duty on a sector covers its sub-sectors: (duty, sector of an enterprise here) it covers
    SELECT DISTINCT ds.duty_id, up.sector_id
    FROM {duty_sectors} ds JOIN sector_up up ON up.ancestor_id = ds.sector_id
    WHERE ds.duty_id IN (SELECT id FROM duties)
),
matches AS (
    -- §3.1: supervision covering the enterprise's region, on all enterprises or on this one
    SELECT rows.enterprise_id, rows.sector_id, duties.*
    FROM rows
    JOIN region_up ON region_up.region_id = rows.region_id
    JOIN duties ON duties.scope_id = region_up.scope_id AND duties.type IN ({supervision})
     AND (duties.only_enterprise IS NULL OR duties.only_enterprise = rows.enterprise_id)
    UNION ALL
    -- §3.2: the enterprise's own primary duty
    SELECT rows.enterprise_id, rows.sector_id, duties.*
    FROM rows JOIN duties ON duties.type IN ({inside}) AND duties.owner_id = rows.enterprise_id
),
covering AS (
    -- no sectors means all of them (a join, not OR EXISTS: the planner can hash it)
    SELECT m.* FROM matches m
    LEFT JOIN sector_cover sc ON sc.duty_id = m.id AND sc.sector_id = m.sector_id
    WHERE m.all_sectors = 1 OR sc.duty_id IS NOT NULL
)
"""
GAPS_SQL = (
    MATCHES
    + """,
found AS (
    SELECT enterprise_id, sector_id, type, SUM(held) AS held, MAX(unrecorded) AS unrecorded
    FROM covering GROUP BY enterprise_id, sector_id, type
)
-- a required type with no match, or only unheld posts (unknown when one of them is before its records)
SELECT rows.enterprise_id, rows.sector_id, types.type,
       CASE WHEN found.type IS NULL THEN 'missing' WHEN found.unrecorded = 1 THEN 'unknown' ELSE 'vacant' END
FROM rows
CROSS JOIN ({types}) types
LEFT JOIN found
  ON found.enterprise_id = rows.enterprise_id AND found.sector_id = rows.sector_id AND found.type = types.type
WHERE found.type IS NULL OR found.held = 0
"""
)
# 多头管理: for an (enterprise, sector), two or more units of one region holding `competent`; the report
# names every unit of that region seen so, once per (region, sector).
OVERLAPS_SQL = (
    MATCHES
    + """,
competent AS (
    SELECT c.enterprise_id, c.sector_id, c.unit_id, u.region_id
    FROM covering c JOIN {unit} u ON u.id = c.unit_id
    WHERE c.type = 'competent'
),
-- materialised: inlined, its estimate of one row made the planner re-aggregate it for every competent row
crowded AS MATERIALIZED (
    SELECT enterprise_id, sector_id, region_id FROM competent
    GROUP BY enterprise_id, sector_id, region_id HAVING COUNT(DISTINCT unit_id) >= 2
)
SELECT DISTINCT r.code, competent.sector_id, competent.unit_id
FROM competent
JOIN crowded ON crowded.enterprise_id = competent.enterprise_id AND crowded.sector_id = competent.sector_id
            AND crowded.region_id = competent.region_id
JOIN {region} r ON r.id = competent.region_id
"""
)


# ---- the cached report of a region (the matrix page) -------------------------------------------------

# The tables coverage reads, by their history: every write to the matrix (a save, a delete, a change of
# sectors, an import in bulk) adds a history row, so the newest history ids say whether anything changed —
# in every process, whatever the cache backend, in one indexed query.
WATCHED = ("region", "sector", "unit", "unit_sectors", "position", "tenure", "duty", "duty_sectors")
VERSION_KEY = "responsibility:coverage-version"
CACHE_SECONDS = 3600


def matrix_version() -> tuple:
    """The newest history row of every table coverage reads, and the local edit counter."""
    history = {model._meta.db_table: model for model in _history_models()}
    selects = ", ".join(f"(SELECT MAX(history_id) FROM {table})" for table in history)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selects}")
        newest = cursor.fetchone()
    return (*newest, cache.get(VERSION_KEY, 0))


def cached_coverage_report(on_date: dt.date, region: Region) -> CoverageReport:
    """coverage_report for one region's subtree, kept until the matrix changes."""
    key = f"coverage:{region.pk}:{on_date.isoformat()}:" + ":".join(map(str, matrix_version()))
    report = cache.get(key)
    if report is None:
        report = coverage_report(on_date, region)
        cache.set(key, report, CACHE_SECONDS)
    return report


def bump_version(**_kwargs) -> None:
    """A matrix edit in this process: forget its cached reports at once (the history ids follow on commit)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.add(VERSION_KEY, 1, None)


def _history_models():
    from django.apps import apps

    app = apps.get_app_config("responsibility")
    names = {f"historical{name}" for name in WATCHED}
    return [model for model in app.get_models() if model._meta.model_name in names]


def connect_invalidation() -> None:
    """Any save or delete of a Region, Sector, Unit, Position, Tenure or Duty, or a change of the sectors of
    a unit or a duty, bumps the version (AppConfig.ready)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    for model in (Region, Sector, Unit, Position, Tenure, Duty):
        post_save.connect(bump_version, sender=model, dispatch_uid=f"coverage-{model.__name__}-save")
        post_delete.connect(bump_version, sender=model, dispatch_uid=f"coverage-{model.__name__}-delete")
    for through in (Unit.sectors.through, Duty.sectors.through):
        m2m_changed.connect(bump_version, sender=through, dispatch_uid=f"coverage-{through.__name__}")
