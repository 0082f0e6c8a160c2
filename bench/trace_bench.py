#!/usr/bin/env python
"""How long one trace takes, measured against the cheapest query the same database can answer.

    .venv/bin/python bench/trace_bench.py [-n 300] [--accident A0226] [--file demo_county.json]

Builds a fresh database (a temporary SQLite file; with DATABASE_URL set, a new database named
`<name>_bench_<pid>` on that server, dropped afterwards), migrates it, imports the worked example,
then times N traces of the accident — `load_accident` + `accident_event(...).links()`, what the
`trace` command and the case opening do — and N bare `SELECT 1` round trips in the same run. The
ratio says what one trace costs in round trips, whatever the machine; the query count of one trace
is printed too (DESIGN §3: a fixed handful, independent of the size of the matrix).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_DEMO = REPO.parent / "shared" / "examples" / "demo_county.json"
DEFAULT_FILE = SHARED_DEMO if SHARED_DEMO.exists() else REPO / "demo" / "demo_county.json"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "-n", type=int, default=300, help="traces and SELECT 1 round trips to time (default 300)"
    )
    parser.add_argument("--accident", default="A0226", help="accident code to trace (default A0226)")
    parser.add_argument("--file", default=str(DEFAULT_FILE), help="scenario document to import")
    return parser.parse_args()


def timed(function, n: int) -> list[float]:
    """Seconds per call, n calls."""
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> int:
    args = parse_args()
    tmpdir = None
    if not os.environ.get("DATABASE_URL"):
        tmpdir = tempfile.mkdtemp(prefix="trace-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmpdir) / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    sys.path.insert(0, str(REPO))

    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accountability.events import accident_event, load_accident

    old_name = None
    try:
        if tmpdir is None:
            # A fresh database beside the one named, never the one named: it may hold real data.
            old_name = connection.settings_dict["NAME"]
            connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{old_name}_bench_{os.getpid()}"
            connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
            where = (
                f"{connection.vendor} database {connection.settings_dict['NAME']} (fresh, dropped afterwards)"
            )
        else:
            call_command("migrate", verbosity=0, interactive=False)
            where = f"{connection.vendor} database {connection.settings_dict['NAME']} (temporary file)"
        call_command("import_scenario", args.file, quiet=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
        settings.DEBUG = False  # no query log while timing: it would tax both sides

        def trace():
            return accident_event(load_accident(args.accident)).links()

        def select_1():
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()

        with CaptureQueriesContext(connection) as loading:
            accident = load_accident(args.accident)
        with CaptureQueriesContext(connection) as resolving:
            links = accident_event(accident).links()

        for _ in range(max(10, args.n // 10)):  # warm up both paths
            trace()
            select_1()
        trace_times = timed(trace, args.n)
        select_times = timed(select_1, args.n)
    finally:
        if old_name is not None:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        if tmpdir is not None:
            connection.close()
            shutil.rmtree(tmpdir, ignore_errors=True)

    trace_ms = statistics.median(trace_times) * 1000
    select_ms = statistics.median(select_times) * 1000
    queries = len(loading.captured_queries) + len(resolving.captured_queries)
    print(f"database: {where}")
    print(f"accident {args.accident}: {len(links)} links")
    print(
        f"queries per trace: {queries} "
        f"({len(loading.captured_queries)} to load the accident, {len(resolving.captured_queries)} to resolve the chain)"
    )
    print(f"n = {args.n}, medians: trace {trace_ms:.3f} ms, SELECT 1 {select_ms:.4f} ms")
    print(f"ratio trace / SELECT 1: {trace_ms / select_ms:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
