#!/usr/bin/env python
"""Speed and peak memory of the scenario import at two document sizes (PostgreSQL).

    .venv/bin/python bench/import_memory.py                  # 2,000 and 10,000 enterprises
    .venv/bin/python bench/import_memory.py --sizes 500,2000
    DATABASE_URL=postgres://user@host:5432/any .venv/bin/python bench/import_memory.py

For each size it writes a synthetic scenario document of N enterprises (regions, sectors, government
units and departments, enterprises with 3–8 posts each, people, tenure histories and duties; seeded,
so the same N gives the same file) to a temporary file, and then, each in a child process on a fresh
database `bench_h5_<n>` (created, migrated, dropped; refused if it exists):

- `time`: the import as `manage.py import_scenario` does it, timed: items per second and the peak
  resident set size (`ru_maxrss`), also above the process's size just before the import;
- `traced`: the same import under `tracemalloc`: the peak of Python allocations during the import.

It prints one line per size with items/s and bytes per item of both peaks.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SECTORS = ["construction", "hazchem", "mining", "transport", "fire", "trade"]
TYPES_IN_ENTERPRISE = ["enterprise_leader", "safety_manager", "dept_head", "team_leader", "post"]


def generate(n: int, seed: int = 16) -> dict:
    """A province of `n` enterprises: ~20 enterprises per township, 12 townships per county."""
    rng = random.Random(seed)
    doc = {k: [] for k in ("regions", "sectors", "units", "positions", "people", "tenures", "duties")}
    doc["regions"].append({"code": "P", "name": "省", "level": "province"})
    doc["sectors"] = [{"code": s, "name": s} for s in SECTORS]
    townships = max(1, n // 20)
    counties = max(1, townships // 12)
    cities = max(1, counties // 8)
    for c in range(cities):
        doc["regions"].append({"code": f"C{c}", "name": f"市{c}", "level": "city", "parent": "P"})
    for k in range(counties):
        county = f"K{k}"
        doc["regions"].append(
            {"code": county, "name": f"县{k}", "level": "county", "parent": f"C{k % cities}"}
        )
        gov = f"g{k}"
        doc["units"].append({"code": gov, "name": f"县政府{k}", "kind": "government", "region": county})
        for s in SECTORS[:3]:
            dept = f"g{k}_{s}"
            doc["units"].append(
                {"code": dept, "name": f"局{k}{s}", "kind": "department", "region": county, "parent": gov}
            )
            doc["duties"].append(
                {
                    "code": f"DG{k}_{s}",
                    "holder_unit": dept,
                    "type": "competent",
                    "sectors": [s],
                    "region": county,
                    "start": "2018-01-01",
                    "basis": "三定方案",
                }
            )
    for t in range(townships):
        doc["regions"].append(
            {"code": f"T{t}", "name": f"镇{t}", "level": "township", "parent": f"K{t % counties}"}
        )
    person = 0
    for e in range(n):
        code = f"e{e}"
        doc["units"].append(
            {
                "code": code,
                "name": f"企业{e}有限公司",
                "kind": "enterprise",
                "region": f"T{e % townships}",
                "sectors": rng.sample(SECTORS, rng.randint(1, 2)),
            }
        )
        for p in range(rng.randint(3, 8)):
            post = f"{code}_p{p}"
            doc["positions"].append(
                {"code": post, "title": f"岗位{p}", "unit": code, "records_from": "2018-01-01"}
            )
            start = "2018-01-01"
            if rng.random() < 0.5:  # a change of holder: the old tenure ended, the new one open
                who = f"n{person}"
                person += 1
                doc["people"].append({"code": who, "name": f"人员{who}"})
                end_day = f"2021-0{rng.randint(1, 9)}-01"
                doc["tenures"].append({"person": who, "position": post, "start": start, "end": end_day})
                start = end_day
            who = f"n{person}"
            person += 1
            doc["people"].append({"code": who, "name": f"人员{who}"})
            doc["tenures"].append({"person": who, "position": post, "start": start})
            doc["duties"].append(
                {
                    "code": f"D{code}_{p}",
                    "holder_position": post,
                    "type": TYPES_IN_ENTERPRISE[min(p, len(TYPES_IN_ENTERPRISE) - 1)],
                    "enterprise": code,
                    "start": "2018-01-01",
                    "basis": "岗位安全生产责任制",
                }
            )
    return doc


def server_urls(name: str) -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("import_memory: PostgreSQL only (DATABASE_URL=postgres://…)")
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts._replace(path=f"/{name}"))


def admin_sql(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def child(mode: str, path: str, items: int) -> None:
    """In a fresh process on the bench database: migrate, then import `path` and print one JSON line."""
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from responsibility import scenario

    def rss_now() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    before = rss_now()
    if mode == "traced":
        import tracemalloc

        tracemalloc.start()
    started = time.perf_counter()
    if hasattr(scenario, "import_scenario_file"):
        scenario.import_scenario_file(path, source=path)
    else:  # the import before streaming: the command read the whole file
        scenario.import_scenario(Path(path).read_text(encoding="utf-8"), source=path)
    seconds = time.perf_counter() - started
    result = {
        "seconds": seconds,
        "rss_before": before,
        "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    if mode == "traced":
        result["traced_peak"] = tracemalloc.get_traced_memory()[1]
    print(json.dumps(result))


def run_size(n: int, keep_file: bool) -> dict:
    doc = generate(n)
    items = sum(len(v) for v in doc.values())
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        path = f.name
    del doc
    size = os.path.getsize(path)
    results = {"n": n, "items": items, "bytes": size}
    try:
        for mode in ("time", "traced"):
            name = f"bench_h5_{n}"
            admin_url, url = server_urls(name)
            admin_sql(admin_url, f'CREATE DATABASE "{name}"')
            try:
                env = dict(os.environ, DATABASE_URL=url)
                out = subprocess.run(
                    [sys.executable, __file__, "--child", mode, path, str(items)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if out.returncode:
                    sys.exit(f"import_memory: child failed:\n{out.stderr[-3000:]}")
                results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
            finally:
                admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        if not keep_file:
            os.unlink(path)
    return results


def report(r: dict) -> str:
    items, timed, traced = r["items"], r["time"], r["traced"]
    grown = timed["maxrss"] - timed["rss_before"]
    return (
        f"import: {r['n']} enterprises, {items} items, {r['bytes'] / 2**20:.1f} MiB: "
        f"{items / timed['seconds']:,.0f} items/s ({timed['seconds']:.1f} s); "
        f"traced peak {traced['traced_peak'] / 2**20:.1f} MiB = {traced['traced_peak'] / items:,.0f} B/item; "
        f"max RSS {timed['maxrss'] / 2**20:.0f} MiB (+{grown / 2**20:.0f} MiB during import = {grown / items:,.0f} B/item)"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,10000", help="enterprises per document, comma-separated")
    parser.add_argument("--keep-file", action="store_true", help="keep the generated documents")
    args = parser.parse_args()
    for n in [int(s) for s in args.sizes.split(",")]:
        print(report(run_size(n, args.keep_file)), flush=True)


if __name__ == "__main__":
    main()
