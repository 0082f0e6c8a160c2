#!/usr/bin/env python
"""`make bench`: the figures of issue 16, measured interleaved in one run on PostgreSQL.

    .venv/bin/python bench/run.py                             # fresh databases bench_h3_1000, bench_h3_50000
    BENCH_SIZE=5000 .venv/bin/python bench/run.py --keep      # a smaller province, kept for --reuse
    BENCH_SIZE=5000 .venv/bin/python bench/run.py --reuse     # reuse the provinces an earlier --keep left

It generates the province (bench/province.py) at 1,000 enterprises and at BENCH_SIZE into two
databases copied from a migrated template, then visits them in turn, round after round (small,
large, small, large …), and inside each visit alternates the product with its floor (product,
floor, floor, product …). Every figure is a ratio of medians from those rounds; each prints as

    bench: NAME VALUE (target OP TARGET) ok|MISS

and the exit status is 1 when any is a MISS. Progress goes to stderr. The floors are written in
bench/baselines.py, never taken from the product. See bench/README.md for each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import province  # noqa: E402
from bench.province import BENCH_DAY, SWEEP_DAY, admin, database_exists, fresh_database, use_database  # noqa: E402

SMALL = 1000
RESULTS: list[tuple[str, float, str, float, bool]] = []
UNITS: dict[str, str] = {}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr, flush=True)


def figure(name: str, value: float, op: str, target: float, unit: str = "") -> None:
    ok = value <= target if op == "<=" else value >= target
    RESULTS.append((name, value, op, target, ok))
    shown = f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    print(f"bench: {name} {shown}{unit} (target {op} {target:g}) {'ok' if ok else 'MISS'}", flush=True)


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


# ---- set-up --------------------------------------------------------------------------------------------


def enterprise_count() -> int:
    from responsibility.models import Unit

    return Unit.objects.filter(kind="enterprise").count()


def prepare(name: str, enterprises: int, reuse: bool) -> None:
    """A database holding the province of `enterprises`, and the two bench users."""
    if reuse and database_exists(name):
        use_database(name)
        if enterprise_count() == enterprises:
            log(f"{name}: reused")
            return
    log(f"{name}: generating {enterprises:,} enterprises")
    use_database("postgres")
    fresh_database(name)
    use_database(name)
    started = time.perf_counter()
    sink = province.load(enterprises, progress=lambda m: log(f"{name}: {m}"))
    log(f"{name}: {sink.count:,} items, {sink.written:,} rows in {time.perf_counter() - started:.1f} s")


def bench_users():
    from django.contrib.auth.models import User
    from guardian.shortcuts import assign_perm

    from responsibility.models import Unit
    from responsibility.permissions import ACT_FOR_ENTERPRISE, Role, ensure_role_groups

    groups = ensure_role_groups()
    member, created = User.objects.get_or_create(username="bench_enterprise")
    if created:
        member.groups.add(groups[Role.ENTERPRISE])
        # The last enterprise by code: its duties sort last, so a scope filter that walks the duty code
        # index instead of looking up the enterprise's ids first shows up in the plan and the timing.
        last = Unit.objects.filter(kind="enterprise").order_by("-code").first()
        assign_perm(f"responsibility.{ACT_FOR_ENTERPRISE}", member, last)
    boss, created = User.objects.get_or_create(
        username="bench_admin", defaults={"is_superuser": True, "is_staff": True}
    )
    # A 纪检监察 inspector of the first city: a scope of thousands of enterprises, read through UNIONs.
    inspector, created = User.objects.get_or_create(username="bench_city_inspector")
    if created:
        from responsibility.models import Region
        from responsibility.permissions import INSPECT_REGION

        inspector.groups.add(groups[Role.INSPECTOR])
        city = Region.objects.filter(level="city").order_by("code").first()
        assign_perm(f"responsibility.{INSPECT_REGION}", inspector, city)
    return member, boss, inspector


class Visit:
    """What one round needs in one database: logged-in clients and sampled events."""

    def __init__(self, name: str, accidents: int):
        from django.test import Client

        from accountability.models import Accident

        self.name = name
        use_database(name)
        member, boss, inspector = bench_users()
        self.member, self.boss, self.inspector = Client(), Client(), Client()
        self.member.force_login(member)
        self.boss.force_login(boss)
        self.inspector.force_login(inspector)
        codes = sorted(Accident.objects.values_list("code", flat=True))
        self.accidents = [
            (code, pk)
            for code, pk in Accident.objects.filter(
                code__in=random.Random(16).sample(codes, min(accidents, len(codes)))
            ).values_list("code", "pk")
        ]


# ---- the measured operations -------------------------------------------------------------------------


def product_trace(code: str):
    """What `manage.py trace --accident CODE` does, short of printing: parse, look up, resolve."""
    from accountability.tracing import TraceRequest, resolve

    return resolve(TraceRequest.of({"accident": code})).links


def check_trace_floor(visit: Visit) -> None:
    from bench.baselines import product_identities, trace_identities, trace_rows

    for code, pk in visit.accidents:
        mine, theirs = trace_identities(trace_rows(pk)), product_identities(product_trace(code))
        if mine != theirs:
            sys.exit(
                f"{visit.name}: the hand-written trace of {code} differs from the product's: {mine ^ theirs}"
            )


def check_duty_floor(visit: Visit) -> None:
    product = visit.member.get("/api/v1/duties/").json()
    floor = visit.member.get("/bench/duties/").json()
    if product != floor:
        sys.exit(f"{visit.name}: /bench/duties/ differs from /api/v1/duties/:\n{product}\n{floor}")


def api_get(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)


def one_round(visit: Visit, times: dict, flip: bool, warm_up: bool = False) -> None:
    """One visit's measurements; `warm_up` runs the cheap ones once, untimed, on a new connection."""
    from bench.baselines import trace_rows

    def pair(key, a, b):
        first, second = ((key + ".product", a), (key + ".floor", b))
        for label, fn in (second, first) if flip else (first, second):
            times.setdefault(label, []).append(timed(fn))

    for code, pk in visit.accidents[:1] if warm_up else visit.accidents:
        pair("trace", lambda code=code: product_trace(code), lambda pk=pk: trace_rows(pk))
    for _ in range(1 if warm_up else 5):
        pair(
            "api",
            lambda: api_get(visit.member, "/api/v1/duties/"),
            lambda: api_get(visit.member, "/bench/duties/"),
        )
    if warm_up:
        return
    url = f"/matrix/?region=C01K001&date={BENCH_DAY}&track=supervision"
    times.setdefault("matrix", []).append(timed(lambda: api_get(visit.boss, url)))
    from responsibility.coverage import coverage_report

    times.setdefault("coverage", []).append(timed(lambda: coverage_report(BENCH_DAY)))


def pairs_of_enterprise_sectors() -> int:
    from responsibility.models import Unit

    return Unit.sectors.through.objects.filter(unit__kind="enterprise").count()


# ---- the sweep -------------------------------------------------------------------------------------------


def pad_hazards(cursor, count: int) -> None:
    """`count` hazards the sweep must not pick: 90 % closed in past years, 5 % open far ahead, 5 % open
    and long overdue — cheap rows by generate_series, on the first enterprise."""
    cursor.execute("SELECT id, sector_id FROM accountability_hazard ORDER BY id LIMIT 1")
    first = cursor.fetchone()
    cursor.execute("SELECT enterprise_id FROM accountability_hazard WHERE id = %s", [first[0]])
    enterprise = cursor.fetchone()[0]
    cursor.execute(
        """
        INSERT INTO accountability_hazard
            (code, title, enterprise_id, sector_id, level, source, found_on, deadline, original_deadline,
             state, closed_on, measures, contingency_plan)
        SELECT 'PAD' || n, '背景隐患', %(enterprise)s, %(sector)s, 'general', 'self_check', d - 10, d, d,
               CASE WHEN n %% 20 = 0 THEN 'rectifying' WHEN n %% 20 = 1 THEN 'reported' ELSE 'closed' END,
               CASE WHEN n %% 20 > 1 THEN d END, '', ''
        FROM (
            SELECT n, CASE
                WHEN n %% 20 = 0 THEN %(day)s::date + 60 + (n %% 300)
                WHEN n %% 20 = 1 THEN %(day)s::date - 61 - (n %% 3000)
                ELSE %(day)s::date - 1 - (n %% 3650)
            END AS d
            FROM generate_series(1, %(count)s) AS n
        ) AS g
        """,
        {"enterprise": enterprise, "sector": first[1], "day": SWEEP_DAY, "count": count},
    )
    cursor.execute("ANALYZE accountability_hazard")


def prepare_sweep(name: str, source: str, total: int, reuse: bool) -> None:
    from django.db import connection

    from accountability.models import Hazard, ReminderRule
    from accountability.reminders.rules import ensure_default_rules

    if reuse and database_exists(name):
        use_database(name)
        if Hazard.objects.count() >= total:
            log(f"{name}: reused")
            return
    use_database("postgres")
    admin(f'DROP DATABASE IF EXISTS "{name}"')
    admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    use_database(name)
    ensure_default_rules()
    # Only the rule the due hazards meet (-7 days), so every sweep claims the same reminders.
    ReminderRule.objects.exclude(code="hazard-deadline-approaching").update(active=False)
    missing = total - Hazard.objects.count()
    log(f"{name}: padding with {missing:,} hazards")
    with connection.cursor() as cursor:
        if missing > 0:
            pad_hazards(cursor, missing)
        cursor.execute("VACUUM ANALYZE accountability_hazard")


def sweep_once() -> int:
    from accountability.models import ReminderLog
    from accountability.reminders.sweep import sweep

    ReminderLog.objects.filter(claimed_for=SWEEP_DAY).delete()
    return len(sweep(now=SWEEP_DAY, dispatch="none").planned)


def due_hazard_codes() -> list[str]:
    from accountability.models import Hazard

    return list(
        Hazard.objects.filter(deadline=province.DUE_DEADLINE)
        .exclude(state="closed")
        .values_list("code", flat=True)
    )


def single_hazard_traces(codes: list[str]) -> float:
    from accountability.events import hazard_event, load_hazard

    return timed(lambda: [hazard_event(load_hazard(code)).links() for code in codes])


# ---- plans -----------------------------------------------------------------------------------------------

WATCHED = ("responsibility_duty", "responsibility_tenure", "accountability_hazard")


def explain(name: str, sql: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = [row[0] for row in cursor.fetchall()]
    print(f"plan-{name}:")
    for line in plan:
        print("    " + line)
    scanned = sorted({t for line in plan for t in WATCHED if f"Seq Scan on {t} " in line + " "})
    ok = not scanned
    RESULTS.append((f"plan-{name}", 0, "=", 0, ok))
    print(
        f"bench: plan-{name} seqscan={','.join(scanned) or 'none'} (target = none) {'ok' if ok else 'MISS'}"
    )
    # An index walked end to end is no better than a sequential scan: count the rows read and thrown away.
    removed = sum(int(n) for line in plan for n in re.findall(r"Rows Removed by Filter: (\d+)", line))
    figure(f"plan-{name}-rows-filtered", removed, "<=", 1000)


def captured(fn, predicate) -> str:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        fn()
    found = [q["sql"] for q in queries.captured_queries if predicate(q["sql"])]
    if not found:
        sys.exit("no query matched: " + "\n".join(q["sql"][:200] for q in queries.captured_queries))
    return max(found, key=len)


def plans(visit: Visit, sweep_db: str) -> None:
    code = visit.accidents[0][0]
    # The candidate duties of a trace: their ids (responsibility/candidates.py), then their rows by id.
    explain(
        "candidate-duty",
        captured(lambda: product_trace(code), lambda s: s.startswith("WITH regions AS")),
    )
    explain(
        "candidate-duty-rows",
        captured(lambda: product_trace(code), lambda s: s.startswith('SELECT "responsibility_duty"."id"')),
    )
    # Scope filters: the page of ids each list reads first (responsibility/api/pagination.py), for the
    # enterprise user (its own duties) and for a city's inspector (its hazards: a UNION of the ways in).
    explain(
        "duty-scope",
        captured(
            lambda: api_get(visit.member, "/api/v1/duties/"),
            lambda s: s.startswith('SELECT "responsibility_duty"."id" AS "pk" FROM'),
        ),
    )
    explain(
        "city-inspector-hazard-scope",
        captured(
            lambda: api_get(visit.inspector, "/api/v1/hazards/"),
            lambda s: s.startswith('SELECT "accountability_hazard"."id" AS "pk" FROM'),
        ),
    )
    use_database(sweep_db)
    from accountability.models import ReminderRule
    from accountability.reminders.due import hazards_near_deadline
    from accountability.reminders.rules import due_range

    lo, hi = due_range(ReminderRule.objects.active(), SWEEP_DAY)
    explain(
        "sweep-selection",
        captured(lambda: list(hazards_near_deadline(lo, hi)), lambda s: "accountability_hazard" in s),
    )


# ---- subprocess workers: peak memory and the import ------------------------------------------------------


def rss_mib(field: str = "VmRSS") -> float:
    """This process's resident set (VmRSS), or its peak (VmHWM), in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss() -> None:
    """Start VmHWM again from the current size (Linux ≥ 4.0). Not getrusage's ru_maxrss: that one is kept
    across execve, so a worker started by a large parent reports the parent's size as its own peak."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


def worker(args) -> None:
    os.environ["DATABASE_URL"] = province.server_url(args.database)
    province.setup_django()
    if args.worker == "coverage-memory":
        import tracemalloc

        from responsibility.coverage import coverage_report

        tracemalloc.start()
        coverage_report(BENCH_DAY)
        _current, peak = tracemalloc.get_traced_memory()
        print(json.dumps({"peak_mib": peak / 2**20}))
    elif args.worker == "import":
        from responsibility.scenario import import_document, import_scenario_file, parse_document

        items = args.items  # counted by the generator: parsing here would leave freed memory to reuse
        # Load every module the import uses (validation of a one-region document, nothing written),
        # so that the growth measured below is the import's own.
        import_document(
            parse_document('{"regions": [{"code": "W", "name": "w", "level": "province"}]}'), dry_run=True
        )
        before = rss_mib()
        reset_peak_rss()
        started = time.perf_counter()
        import_scenario_file(args.file, source=args.file)  # what `manage.py import_scenario FILE` does
        elapsed = time.perf_counter() - started
        peak = rss_mib("VmHWM")
        print(json.dumps({"items": items, "seconds": elapsed, "extra_mib": max(peak - before, 0.0)}))


def run_worker(kind: str, database: str, file: str = "", items: int = 0) -> dict:
    command = [sys.executable, __file__, "--worker", kind, "--database", database]
    if file:
        command += ["--file", file, "--items", str(items)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if done.returncode:
        sys.exit(f"worker {kind} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- main ------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=int(os.environ.get("BENCH_SIZE", "50000")))
    parser.add_argument("--reuse", action="store_true", help="reuse the databases of an earlier run (--keep)")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "5")))
    parser.add_argument("--accidents", type=int, default=10, help="sampled accidents per round")
    parser.add_argument(
        "--sweep-large", type=int, default=int(os.environ.get("BENCH_SWEEP_LARGE", "1000000"))
    )
    parser.add_argument("--import-sizes", default=os.environ.get("BENCH_IMPORT_SIZES", "1000,10000"))
    parser.add_argument("--keep", action="store_true", help="keep the databases (for --reuse)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--items", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.pop("REDIS_URL", None)  # tasks eager, nothing queued
    if args.worker:
        worker(args)
        return 0

    started = time.perf_counter()
    small_db, large_db = f"{province.PREFIX}_{SMALL}", f"{province.PREFIX}_{args.size}"
    province.ensure_template(log)
    os.environ["DATABASE_URL"] = province.server_url("postgres")
    province.setup_django()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.ROOT_URLCONF = "bench.urls"
    sizes = {small_db: SMALL, large_db: args.size}
    for name, n in sizes.items():
        prepare(name, n, args.reuse)
    print(f"bench: machine {os.cpu_count()} cores; sizes {SMALL:,} and {args.size:,} enterprises", flush=True)

    # ---- trace, duty list, matrix, coverage: interleaved over the two databases ----
    visits = {name: Visit(name, args.accidents) for name in sizes}
    for name, visit in visits.items():
        use_database(name)
        check_trace_floor(visit)
        check_duty_floor(visit)
    log(
        f"floors agree with the product ({args.accidents} accidents' people, the duty list's page) in both databases"
    )
    times = {name: {} for name in sizes}
    for r in range(args.rounds):
        for name in sizes if r % 2 == 0 else reversed(list(sizes)):
            use_database(name)
            one_round(visits[name], {}, r % 2 == 1, warm_up=True)
            one_round(visits[name], times[name], r % 2 == 1)
        log(f"round {r + 1}/{args.rounds} done")
    pairs = {}
    for name in sizes:
        use_database(name)
        pairs[name] = pairs_of_enterprise_sectors()
    s, g = times[small_db], times[large_db]
    for label, t in ((f"{SMALL}", s), (f"{args.size}", g)):
        figure(f"trace-vs-sql-{label}", median(t["trace.product"]) / median(t["trace.floor"]), "<=", 3)
    log(
        "trace medians ms: "
        + ", ".join(
            f"{k} {median(t['trace.product']) * 1e3:.1f}/{median(t['trace.floor']) * 1e3:.1f}"
            for k, t in (("small", s), ("large", g))
        )
    )
    figure(f"duties-api-vs-floor-{SMALL}", median(s["api.product"]) / median(s["api.floor"]), "<=", 2)
    figure(f"duties-api-vs-floor-{args.size}", median(g["api.product"]) / median(g["api.floor"]), "<=", 2)
    figure("duties-api-growth", median(g["api.product"]) / median(s["api.product"]), "<=", 1.5)
    log(
        f"duties api ms: small {median(s['api.product']) * 1e3:.1f} (floor {median(s['api.floor']) * 1e3:.1f}), large {median(g['api.product']) * 1e3:.1f} (floor {median(g['api.floor']) * 1e3:.1f})"
    )
    per_pair = {name: median(times[name]["coverage"]) / pairs[name] for name in sizes}
    figure("coverage-per-pair-growth", per_pair[large_db] / per_pair[small_db], "<=", 1.5)
    log(
        f"coverage s: small {median(s['coverage']):.2f} ({pairs[small_db]} pairs), large {median(g['coverage']):.2f} ({pairs[large_db]} pairs)"
    )
    figure("matrix-county-growth", median(g["matrix"]) / median(s["matrix"]), "<=", 2)
    log(f"matrix county page s: small {median(s['matrix']):.2f}, large {median(g['matrix']):.2f}")
    use_database("postgres")
    peak = run_worker("coverage-memory", large_db)["peak_mib"]
    figure(f"coverage-peak-mib-{args.size}", peak, "<=", 256, " MiB")

    # ---- the sweep ----
    sweep_small, sweep_large = f"{province.PREFIX}_sweep_10k", f"{province.PREFIX}_sweep_large"
    use_database("postgres")
    prepare_sweep(sweep_small, small_db, 10_000, args.reuse)
    prepare_sweep(sweep_large, small_db, args.sweep_large, args.reuse)
    sweeps = {sweep_small: [], sweep_large: []}
    traces = []
    codes = None
    for r in range(max(3, args.rounds // 2)):
        for name in (sweep_small, sweep_large) if r % 2 == 0 else (sweep_large, sweep_small):
            use_database(name)
            codes = codes or due_hazard_codes()
            if r == 0:
                sweep_once()  # warm-up
            sweeps[name].append(timed(sweep_once))
            if name == sweep_small:
                traces.append(single_hazard_traces(codes))
        log(f"sweep round {r + 1} done")
    figure(f"sweep-vs-{len(codes)}-single-traces", median(sweeps[sweep_small]) / median(traces), "<=", 0.2)
    log(
        f"sweep s: 10k {median(sweeps[sweep_small]):.2f}, {args.sweep_large:,} {median(sweeps[sweep_large]):.2f}; {len(codes)} single traces {median(traces):.2f}"
    )
    figure(
        f"sweep-{args.sweep_large // 1000}k-vs-10k",
        median(sweeps[sweep_large]) / median(sweeps[sweep_small]),
        "<=",
        1.5,
    )

    # ---- plans on the largest data ----
    use_database(large_db)
    plans(visits[large_db], sweep_large)

    # ---- import, each size in a fresh database; the larger one doubles as the equivalence check ----
    import_sizes = [int(x) for x in args.import_sizes.split(",") if x]
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in import_sizes:
            path = Path(tmp) / f"province_{n}.json"
            items = province.emit_json(n, path)
            name = f"{province.PREFIX}_import_{n}"
            use_database("postgres")
            fresh_database(name)
            result = run_worker("import", name, str(path), items)
            rates[n] = result["items"] / result["seconds"]
            log(
                f"import {n:,} enterprises: {result['items']:,} items in {result['seconds']:.1f} s, +{result['extra_mib']:.0f} MiB"
            )
            # The issue sets no target for the rate itself (it moves with the machine); the drop between
            # the two sizes below is the check. Printed in the same form, with the trivial target.
            figure(f"import-items-per-s-{n}", rates[n], ">=", 0, " items/s")
            if n == max(import_sizes):
                figure(
                    f"import-bytes-per-item-{n}",
                    result["extra_mib"] * 2**20 / result["items"],
                    "<=",
                    300,
                    " B",
                )
            if n == SMALL:
                use_database(name)
                sample = [code for code, _pk in visits[small_db].accidents]
                imported = province.accident_traces(sample)
                use_database(small_db)
                direct = province.accident_traces(sample)
                same = imported == direct
                RESULTS.append(("import-equals-generated", 0, "=", 0, same))
                print(
                    f"bench: import-equals-generated {len(sample)} traces (target = identical) {'ok' if same else 'MISS'}"
                )
            use_database("postgres")
            admin(f'DROP DATABASE IF EXISTS "{name}"')
    if len(rates) >= 2:
        lo, hi = min(rates), max(rates)
        figure(f"import-rate-drop-{lo}-to-{hi}", rates[lo] / rates[hi], "<=", 1.5)

    use_database("postgres")
    if not args.keep:
        for name in [*sizes, sweep_small, sweep_large]:
            admin(f'DROP DATABASE IF EXISTS "{name}"')
    missed = [name for name, *_rest, ok in RESULTS if not ok]
    print(
        f"bench: total {time.perf_counter() - started:.0f} s, {len(RESULTS)} figures, {len(missed)} MISS",
        flush=True,
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
