"""Every deadline the sweep reads is served by an index: the sweep's cost follows what is due.

The plan is asked of the database for the very statement (SQL and parameters) each selector runs.
PostgreSQL would choose a sequential scan on tables this small, so sequential scans are priced out
for the EXPLAIN: the test asks "can an index serve this query?", which is what fails when one is
missing or when a selector's filter stops matching its partial index's condition.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from accountability.models import Alert, Case, GovFinding, HandOver, Hazard, HazardListing
from accountability.reminders.due import SELECTORS

# The column each kind of deadline is computed from, which the sweep filters by range.
DEADLINE_COLUMN = {
    "hazard_deadline": (Hazard, "deadline"),
    "listing_due": (HazardListing, "due_on"),
    "hazard_review": (Hazard, "submitted_on"),
    "case_investigation": (Case, "event_day"),
    "case_reply": (Case, "report_submitted_on"),
    "case_review": (Case, "reply_on"),
    "handover_decision": (HandOver, "decision_due"),
    "finding_deadline": (GovFinding, "deadline"),
    "alert_open": (Alert, "fired_on"),
}


def first_statement(select, lo, hi):
    """The (sql, params) of the selector's main query: the first statement it runs."""
    seen = []

    def record(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        select(lo, hi)
    return seen[0]


def query_plan(sql, params) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(" ".join(str(col) for col in row) for row in cursor.fetchall())


def indexes_on(model, column) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {
        name
        for name, c in constraints.items()
        if c["index"] and not c["primary_key"] and column in c["columns"]
    }


def test_every_kind_of_deadline_is_checked():
    assert set(DEADLINE_COLUMN) == {str(kind) for kind in SELECTORS}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(DEADLINE_COLUMN))
def test_sweep_selector_reads_its_deadline_through_an_index(kind):
    model, column = DEADLINE_COLUMN[kind]
    candidates = indexes_on(model, column)
    sql, params = first_statement(SELECTORS[kind], dt.date(2024, 7, 1), dt.date(2024, 7, 10))

    plan = query_plan(sql, params)

    assert candidates, f"no index on {model._meta.db_table}.{column}"
    assert any(name in plan for name in candidates), f"{sorted(candidates)} not in:\n{plan}"


@pytest.mark.django_db
@pytest.mark.postgres  # the PostgreSQL planner on analysed rows
def test_the_sweep_selects_ids_of_open_hazards_by_the_partial_index_on_thousands_of_rows(demo_county):
    """With the planner free (no switch turned off) and statistics taken on a few thousand hazards —
    mostly closed, some open far from the window, a few due — the selection reads the ids from the
    partial index on open hazards' deadlines, and the rows are fetched by primary key."""
    day = dt.date(2024, 7, 1)
    enterprise = Hazard.objects.values_list("enterprise_id", "sector_id").first()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accountability_hazard (code, title, enterprise_id, sector_id, level, source,
                found_on, deadline, original_deadline, state, closed_on, measures, contingency_plan)
            SELECT 'PL' || g, '', %(enterprise)s, %(sector)s, 'general', 'self_check', d - 10, d, d,
                   state, CASE WHEN state = 'closed' THEN d END, '', ''
            FROM (SELECT g,
                         CASE WHEN g <= 20 THEN %(day)s::date + 1                   -- due
                              WHEN g %% 20 = 0 THEN %(day)s::date + 40 + (g %% 300)  -- open, later
                              WHEN g %% 20 = 1 THEN %(day)s::date - 90 - (g %% 900)  -- open, long overdue
                              ELSE %(day)s::date - 1 - (g %% 3650) END AS d,         -- closed
                         CASE WHEN g <= 20 OR g %% 20 = 0 THEN 'rectifying'
                              WHEN g %% 20 = 1 THEN 'reported' ELSE 'closed' END AS state
                  FROM generate_series(1, 8000) AS g) AS rows
            """,
            {"enterprise": enterprise[0], "sector": enterprise[1], "day": day},
        )
        cursor.execute("ANALYZE accountability_hazard")
    select = SELECTORS["hazard_deadline"]
    seen = []

    def record(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        due = select(day, day + dt.timedelta(days=2))
    assert {item.subject_code for item in due} >= {f"PL{g}" for g in range(1, 21)}

    def plan(sql, params) -> str:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())

    ids, rows = plan(*seen[0]), plan(*seen[1])
    assert "hazard_open_deadline" in ids and "Seq Scan" not in ids, ids
    assert "accountability_hazard_pkey" in rows and "Seq Scan on accountability_hazard" not in rows, rows
