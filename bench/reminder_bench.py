#!/usr/bin/env python
"""Sweep time with 10k vs 1M hazards holding the same due reminders (PostgreSQL).

    .venv/bin/python bench/reminder_bench.py                       # postgres://postgres@127.0.0.1:5432
    DATABASE_URL=postgres://user@host:5432/x .venv/bin/python bench/reminder_bench.py --large 1000000

It creates a private database (`bench_reminders` by default; refused if it already exists), migrates
it, imports the worked example and the default rules, then:

- inserts the *due* hazards: `--due` open hazards of 示范建工 (e1) whose deadline is 7 days after the
  sweep day, so the "approaching" rule fires its -7 threshold for each, to 2 people (the holder of
  the responsible post and the principal) — 2 × due reminders to claim;
- fills up to `--small` hazards with ones that are *not* due (90 % closed over ten past years, 5 %
  open with a deadline 8–365 days ahead, 5 % open and overdue for more than 60 days) and one old,
  delivered reminder log per ten of them, all with `generate_series`;
- times the sweep (claims made, deliveries not enqueued) and a second sweep (nothing left to claim),
  `--repeat` times each, the claims of the day removed between runs;
- grows the same tables to `--large` hazards and times both again;
- prints the medians, the query counts and the ratio large / small, then drops the database.

The sweep selects with range queries on the indexed due-date columns, so the ratio should stay near 1:
the cost follows what is due, not what the tables hold.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SWEEP_DAY = dt.date(2024, 7, 1)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000, help="hazards in the small table (default 10k)")
    parser.add_argument(
        "--large", type=int, default=1_000_000, help="hazards in the large table (default 1M)"
    )
    parser.add_argument("--due", type=int, default=500, help="due hazards, 2 reminders each (default 500)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", default="bench_reminders", help="the private database to create")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    return parser.parse_args()


def server_urls(name: str) -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("reminder_bench: PostgreSQL only (DATABASE_URL=postgres://…)")
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts._replace(path=f"/{name}"))


def admin_sql(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def generate_background(cursor, start: int, count: int, ids: dict) -> None:
    """`count` hazards that are not due on the sweep day, and an old delivered log for one in ten."""
    if count <= 0:
        return
    cursor.execute(
        """
        INSERT INTO accountability_hazard
            (code, title, enterprise_id, sector_id, level, source, found_on, deadline, original_deadline,
             state, closed_on, measures, responsible_position_id, contingency_plan)
        SELECT 'BG' || n, '背景隐患', %(enterprise)s, %(sector)s,
               CASE WHEN n %% 10 = 0 THEN 'major' ELSE 'general' END, 'self_check',
               d - 10, d, d,
               CASE WHEN n %% 20 = 0 THEN 'rectifying' WHEN n %% 20 = 1 THEN 'reported' ELSE 'closed' END,
               CASE WHEN n %% 20 > 1 THEN d END, '', %(position)s, ''
        FROM (
            SELECT n, CASE
                WHEN n %% 20 = 0 THEN %(day)s::date + 8 + (n %% 358)        -- open, due later
                WHEN n %% 20 = 1 THEN %(day)s::date - 61 - (n %% 3000)      -- open, long overdue
                ELSE %(day)s::date - 1 - (n %% 3650)                        -- closed
            END AS d
            FROM generate_series(%(start)s, %(stop)s) AS n
        ) AS g
        """,
        {**ids, "day": SWEEP_DAY, "start": start, "stop": start + count - 1},
    )
    cursor.execute(
        """
        INSERT INTO accountability_reminderlog
            (rule_id, subject_type, subject_id, subject_code, due_date, "offset", recipient_key, person_id,
             roles, notes, claimed_for, claimed_at, claim_token, state, skip_reason, delivered_at,
             email_mode, email_to)
        SELECT %(rule)s, 'hazard', h.id, h.code, h.deadline, -7, 'person:' || %(person)s, %(person)s,
               '["responsible"]', '[]', h.deadline - 7, now(), gen_random_uuid(), 'delivered', '', now(),
               'none', ''
        FROM accountability_hazard h
        WHERE h.code LIKE 'BG%%' AND substr(h.code, 3)::int BETWEEN %(start)s AND %(stop)s
          AND substr(h.code, 3)::int %% 10 = 3
        """,
        {**ids, "start": start, "stop": start + count - 1},
    )


def generate_due(cursor, count: int, ids: dict) -> None:
    cursor.execute(
        """
        INSERT INTO accountability_hazard
            (code, title, enterprise_id, sector_id, level, source, found_on, deadline, original_deadline,
             state, measures, responsible_position_id, contingency_plan)
        SELECT 'DUE' || n, '到期隐患', %(enterprise)s, %(sector)s, 'general', 'inspection',
               %(day)s::date - 30, %(day)s::date + 7, %(day)s::date + 7, 'rectifying', '', %(position)s, ''
        FROM generate_series(1, %(count)s) AS n
        """,
        {**ids, "day": SWEEP_DAY, "count": count},
    )


def measure(label: str, hazards: int, args) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accountability.models import ReminderLog
    from accountability.reminders import sweep

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE accountability_hazard")
        cursor.execute("VACUUM ANALYZE accountability_reminderlog")
    from accountability.models import ReminderRule
    from accountability.reminders import due_range, hazards_near_deadline

    lo, hi = due_range(ReminderRule.objects.active(), SWEEP_DAY)
    firsts, seconds, selections = [], [], []
    sweep(now=SWEEP_DAY, dispatch="none")  # warm-up (caches, compiled queries), not timed
    for _ in range(args.repeat):
        started = time.perf_counter()
        selected = len(list(hazards_near_deadline(lo, hi)))
        selections.append(time.perf_counter() - started)
        assert selected == args.due, selected
        ReminderLog.objects.filter(claimed_for=SWEEP_DAY).delete()
        started = time.perf_counter()
        report = sweep(now=SWEEP_DAY, dispatch="none")
        firsts.append(time.perf_counter() - started)
        assert len(report.claimed_ids) == 2 * args.due, len(report.claimed_ids)
        started = time.perf_counter()
        again = sweep(now=SWEEP_DAY, dispatch="none")
        seconds.append(time.perf_counter() - started)
        assert again.claimed_ids == []
    ReminderLog.objects.filter(claimed_for=SWEEP_DAY).delete()
    with CaptureQueriesContext(connection) as claiming:
        sweep(now=SWEEP_DAY, dispatch="none")
    with CaptureQueriesContext(connection) as idle:
        sweep(now=SWEEP_DAY, dispatch="none")
    result = {
        "label": label,
        "hazards": hazards,
        "logs": ReminderLog.objects.count(),
        "selection": statistics.median(selections),
        "sweep": statistics.median(firsts),
        "second": statistics.median(seconds),
        "queries": len(claiming),
        "queries_second": len(idle),
    }
    print(
        f"{label:>6}: {hazards:>9,} hazards, {result['logs']:>7,} logs — sweep claiming {2 * args.due} reminders "
        f"{result['sweep'] * 1000:8.1f} ms ({result['queries']} queries); second sweep "
        f"{result['second'] * 1000:7.1f} ms ({result['queries_second']} queries); "
        f"selection query alone {result['selection'] * 1000:6.1f} ms"
    )
    return result


def explain_selection() -> str:
    """The plan of the sweep's own selection query, for the day's window of the active rules."""
    from django.db import connection

    from accountability.models import ReminderRule
    from accountability.reminders import due_range, hazards_near_deadline

    lo, hi = due_range(ReminderRule.objects.active(), SWEEP_DAY)
    sql, params = hazards_near_deadline(lo, hi).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    # The access path to the hazards table is what matters; the joins to the small tables are not.
    return "\n".join(
        line.strip()
        for i, line in enumerate(plan)
        if "accountability_hazard " in line or (i and "accountability_hazard " in plan[i - 1])
    )


def main():
    args = parse_args()
    admin_url, bench_url = server_urls(args.database)
    admin_sql(admin_url, f'CREATE DATABASE "{args.database}"')
    os.environ["DATABASE_URL"] = bench_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ.pop("REDIS_URL", None)
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection, connections

        from accountability.models import ReminderRule
        from accountability.reminders import ensure_default_rules
        from responsibility.models import Position, Sector, Unit

        settings.DEBUG = False
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        shared = REPO.parent / "shared" / "examples" / "demo_county.json"
        call_command(
            "import_scenario",
            str(shared if shared.exists() else REPO / "demo" / "demo_county.json"),
            quiet=True,
        )
        ensure_default_rules()
        # Only the rule whose threshold the due hazards meet, so every run claims the same reminders.
        ReminderRule.objects.exclude(code="hazard-deadline-approaching").update(active=False)
        ids = {
            "enterprise": Unit.objects.get(code="e1").pk,
            "sector": Sector.objects.get(code="housing").pk,
            "position": Position.objects.get(code="e1_safety").pk,
            "rule": ReminderRule.objects.get(code="hazard-deadline-approaching").pk,
            "person": Position.objects.get(code="e1_safety").tenures.get().person_id,
        }
        with connection.cursor() as cursor:
            generate_due(cursor, args.due, ids)
            generate_background(cursor, 1, args.small - args.due, ids)
        print(f"database {args.database}: set up in {time.perf_counter() - started:.1f} s")
        small = measure("small", args.small, args)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            generate_background(cursor, args.small - args.due + 1, args.large - args.small, ids)
        print(f"grown to {args.large:,} hazards in {time.perf_counter() - started:.1f} s")
        large = measure("large", args.large, args)
        print("plan of the selection on the large table:")
        print("    " + explain_selection().replace("\n", "\n    "))
        print(
            f"ratio large/small: sweep {large['sweep'] / small['sweep']:.2f}, "
            f"second sweep {large['second'] / small['second']:.2f}, "
            f"selection {large['selection'] / small['selection']:.2f} "
            f"({args.large // args.small}× the hazards, the same {2 * args.due} due reminders)"
        )
        connections.close_all()
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{args.database}"')


if __name__ == "__main__":
    main()
