#!/usr/bin/env python
"""`make backup-drill`: prove a backup restores (issue 27).

Two rounds on the PostgreSQL server of DATABASE_URL (that database itself is never touched; the drill's own
databases are named DRILL_DB_PREFIX_* and dropped at the end):
- "demo": the worked example county (import_scenario of the shared demo_county.json) plus evidence files
  uploaded through the product's own rectification service;
- "county": a generated county (bench/province.py, DRILL_SIZE enterprises, default 300).
Each round: `backup` → a fresh, EMPTY database and an empty MEDIA_ROOT → `restore` (a separate process, as
an operator would run it) → every table compared (row count and sha256 of its rows), every accident's trace
(as `manage.py trace` computes it) and every evidence file. One line per comparison, "identical" or not;
exit 0 only when everything is identical.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PREFIX = os.environ.get("DRILL_DB_PREFIX", "drill")
os.environ["BENCH_DB_PREFIX"] = PREFIX  # bench/province.py's migrated template, under the drill's prefix
os.environ.pop("REDIS_URL", None)
SIZE = int(os.environ.get("DRILL_SIZE", "300"))
SHARED = Path(os.environ.get("SHARED", REPO.parent / "shared"))


def attach_evidence(limit: int = 3) -> int:
    """`limit` general hazards reported by enterprises and submitted with a PNG as evidence, through the
    product's own services (so the files land in MEDIA_ROOT as uploads do)."""
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from accountability.hazards import report_hazard, start_rectification, submit_rectification
    from accountability.models import HazardLevel, HazardSource
    from responsibility.models import Unit
    from tests.evidence_files import png  # a well-formed PNG: uploads are checked by their structure

    today = timezone.localdate()
    enterprises = [u for u in Unit.objects.enterprises().order_by("code") if u.sectors.exists()][:limit]
    for i, enterprise in enumerate(enterprises):
        hazard = report_hazard(
            code=f"DRILL-{i + 1}",
            title=f"演练隐患 {i + 1}",
            enterprise=enterprise,
            sector=enterprise.sectors.order_by("code").first(),
            level=HazardLevel.GENERAL,
            source=HazardSource.SELF_CHECK,
            found_on=today - dt.timedelta(days=3),
            deadline=today + dt.timedelta(days=20),
        )
        hazard = start_rectification(hazard=hazard, note="演练")
        photo = SimpleUploadedFile(f"{hazard.code}.png", png(hazard.code), content_type="image/png")
        submit_rectification(hazard=hazard, note="演练：整改完成", evidence=photo)
    return len(enterprises)


def open_cases() -> int:
    """一案双查 cases for every accident (their frozen chains and records are compared too)."""
    from accountability.cases import open_case
    from accountability.models import Accident, Case

    opened = 0
    for accident in Accident.objects.order_by("code"):
        if not Case.objects.filter(accident=accident).exists():
            open_case(accident=accident)
            opened += 1
    return opened


def files_of(root: Path) -> dict[str, str]:
    from responsibility.backups import sha256_of

    return {p.relative_to(root).as_posix(): sha256_of(p) for p in sorted(root.rglob("*")) if p.is_file()}


def compare(label: str, a, b) -> bool:
    same = a == b
    print(f"  {label:58} {'identical' if same else 'DIFFERENT'}", flush=True)
    return same


def run_round(name: str, load, tmp: Path) -> bool:
    import psycopg
    from django.conf import settings
    from django.core.management import call_command

    from bench import province
    from responsibility.backups import fingerprints

    source, target = f"{PREFIX}_{name}_src", f"{PREFIX}_{name}_dst"
    media_src, media_dst, backup_dir = (
        tmp / f"{name}-media",
        tmp / f"{name}-restored-media",
        tmp / f"{name}-backup",
    )
    settings.MEDIA_ROOT = str(media_src)
    province.fresh_database(source)
    province.use_database(source)
    print(f"{name}: loading", flush=True)
    load()
    codes = province.sample_accidents(10**9)
    traces = province.accident_traces(codes)
    call_command("backup", str(backup_dir))
    province.use_database("postgres")  # no connection left on the source while it is read again below
    province.admin(f'DROP DATABASE IF EXISTS "{target}"')
    province.admin(f'CREATE DATABASE "{target}"')  # empty: no template, no table
    env = {**os.environ, "DATABASE_URL": province.server_url(target), "DJANGO_MEDIA_ROOT": str(media_dst)}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    done = subprocess.run([sys.executable, "manage.py", "restore", str(backup_dir)], cwd=REPO, env=env)
    if done.returncode:
        print(f"{name}: restore failed", flush=True)
        return False
    with psycopg.connect(province.server_url(source)) as a, psycopg.connect(province.server_url(target)) as b:
        before, after = fingerprints(a, "postgresql"), fingerprints(b, "postgresql")
    ok = compare(f"{name}: tables ({len(before)})", sorted(before), sorted(after))
    for table in sorted(before):
        rows = before[table][0]
        ok &= compare(f"{name}: {table} ({rows} rows)", before[table], after.get(table))
    province.use_database(target)
    ok &= compare(f"{name}: traces ({len(codes)} accidents)", traces, province.accident_traces(codes))
    evidence = files_of(media_src)
    ok &= compare(f"{name}: evidence files ({len(evidence)})", evidence, files_of(media_dst))
    province.use_database("postgres")
    for database in (source, target):
        province.admin(f'DROP DATABASE IF EXISTS "{database}"')
    return ok


def main() -> int:
    from bench import province

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit(
            "backup-drill: DATABASE_URL must name a PostgreSQL server (its database itself is not touched)"
        )
    province.ensure_template(lambda message: print(message, flush=True))
    province.setup_django()
    from django.core.management import call_command

    def demo():
        call_command("import_scenario", str(SHARED / "examples" / "demo_county.json"), quiet=True)
        print(f"demo: {attach_evidence()} rectifications submitted with evidence", flush=True)
        print(f"demo: {open_cases()} cases opened", flush=True)

    def county():
        province.load(SIZE)

    with tempfile.TemporaryDirectory(prefix="backup-drill-") as tmp:
        results = [run_round("demo", demo, Path(tmp)), run_round("county", county, Path(tmp))]
    print("backup drill: " + ("every compared table identical" if all(results) else "DIFFERENCES FOUND"))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
