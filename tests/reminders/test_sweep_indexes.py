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

from accountability.models import Case, HandOver, Hazard, HazardListing
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
