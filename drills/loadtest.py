#!/usr/bin/env python
"""`make loadtest`: the province under a mix of users, on the production stack (drills/stack.py: its own
PostgreSQL and Redis, gunicorn with the production settings, a Celery worker), while the reminder sweep runs.

    LOAD_SIZE=50000 LOAD_USERS=50 LOAD_MINUTES=10 .venv/bin/python drills/loadtest.py

1. a province of LOAD_SIZE enterprises (bench/province.py), accounts and targets (drills/load_setup.py);
2. each request type alone: one user per role for LOAD_ALONE_SECONDS (default 60);
3. LOAD_USERS users (enterprises, inspectors, regulators, 安委办 in the weights of drills/locustfile.py) for
   LOAD_MINUTES, the sweep enqueued every LOAD_SWEEP_SECONDS (default 30) on the province's sweep day;
4. per request type: count, failures, median, p95, and p95 under load ÷ p95 alone; exit 1 on any failure.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from drills.stack import REDIS_PORT, WEB_PORT, Stack, say  # noqa: E402

SIZE = int(os.environ.get("LOAD_SIZE", "50000"))
USERS = int(os.environ.get("LOAD_USERS", "50"))
MINUTES = float(os.environ.get("LOAD_MINUTES", "10"))
ALONE = int(os.environ.get("LOAD_ALONE_SECONDS", "60"))
SWEEP_EVERY = float(os.environ.get("LOAD_SWEEP_SECONDS", "30"))
SWEEP_NOW = "2025-06-30T09:00:00+08:00"  # bench/province.py's SWEEP_DAY: one hazard in ten is due


def province_key() -> str:
    """What the loaded province depends on: its size, the generator, the account setup and the migrations."""
    digest = hashlib.sha256(str(SIZE).encode())
    sources = [REPO / "bench" / "province.py", REPO / "drills" / "load_setup.py"]
    sources += sorted(REPO.glob("*/migrations/0*.py"))
    for source in sources:
        digest.update(source.name.encode() + source.read_bytes())
    return f"province-{SIZE}-{digest.hexdigest()[:12]}"


def prepare(stack: Stack, plan: Path) -> None:
    stack.init_postgres()
    stack.start_postgres()
    stack.start_redis()
    stack.create_database()
    # Generating the 50k province takes a long while; the drills keep it as a dump (LOAD_CACHE) and restore it.
    cache = Path(os.environ.get("LOAD_CACHE", "/var/tmp/dutychain-drills"))
    dump, cached_plan = cache / f"{province_key()}.dump", cache / f"{province_key()}.plan.json"
    started = time.monotonic()
    if dump.exists() and cached_plan.exists():
        say(f"province restored from {dump}")
        stack.restore(dump)
        shutil.copy(cached_plan, plan)
    else:
        say("migrate")
        stack.manage("migrate", "--noinput", "-v", "0")
        say(f"province of {SIZE} enterprises")
        script = f"import django; django.setup(); from bench import province; province.load({SIZE}, progress=print)"
        subprocess.run([sys.executable, "-c", script], cwd=REPO, env=stack.env(), check=True)
        subprocess.run(
            [sys.executable, "drills/load_setup.py", str(plan)], cwd=REPO, env=stack.env(), check=True
        )
        cache.mkdir(parents=True, exist_ok=True)
        stack.dump(dump)
        shutil.copy(plan, cached_plan)
    say(f"province ready in {time.monotonic() - started:.0f} s")
    stack.collectstatic()
    stack.start_web()
    stack.start_worker()


def locust(stack: Stack, plan: Path, prefix: Path, users: int, seconds: int, *, alone: bool = False) -> Path:
    env = stack.env(LOAD_PLAN=str(plan), LOAD_ALONE="1" if alone else "")
    command = [
        str(REPO / ".venv" / "bin" / "locust"), "-f", "drills/locustfile.py", "--headless", "--only-summary",
        "-H", f"http://127.0.0.1:{WEB_PORT}", "-u", str(users), "-r", str(max(1, users // 5)),
        "-t", f"{seconds}s", "--csv", str(prefix), "--stop-timeout", "30", "--exit-code-on-error", "0",
    ]  # fmt: skip
    with open(f"{prefix}.log", "wb") as out:
        subprocess.run(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    return Path(f"{prefix}_stats.csv")


def read_stats(path: Path) -> dict[str, dict]:
    with open(path, newline="") as f:
        return {row["Name"]: row for row in csv.DictReader(f) if row["Name"] != "Aggregated"}


class Sweeper(threading.Thread):
    """Enqueues the reminder sweep now and then, as beat would (more often, so it overlaps the load)."""

    def __init__(self):
        super().__init__(daemon=True)
        from celery import Celery

        self.app = Celery(broker=f"redis://127.0.0.1:{REDIS_PORT}/0")
        self.stopping = threading.Event()
        self.sent = 0

    def run(self):
        while not self.stopping.is_set():
            try:
                self.app.send_task("accountability.tasks.sweep_reminders", kwargs={"now": SWEEP_NOW})
                self.sent += 1
            except Exception as exc:  # Redis stopped by the fault drill: try again next time
                say(f"sweep not enqueued: {exc.__class__.__name__}: {exc}")
            self.stopping.wait(SWEEP_EVERY)


def table(load: dict[str, dict], alone: dict[str, dict]) -> tuple[str, int]:
    lines = [
        "| request | count | failures | median ms | p95 ms | p95 alone ms | p95 load ÷ alone |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    failures = 0
    for name in sorted(load):
        row = load[name]
        p95 = float(row["95%"] or 0)
        base = float(alone.get(name, {}).get("95%") or 0)
        ratio = f"{p95 / base:.1f}" if base else "–"
        failures += int(row["Failure Count"])
        lines.append(
            f"| {row['Type']} {name} | {row['Request Count']} | {row['Failure Count']} | "
            f"{float(row['Median Response Time']):.0f} | {p95:.0f} | {base:.0f} | {ratio} |"
        )
    return "\n".join(lines), failures


def main() -> int:
    stack = Stack()
    plan = stack.home / "plan.json"
    try:
        prepare(stack, plan)
        sweeper = Sweeper()
        sweeper.start()
        say(f"each request alone: one user per role, {ALONE} s")
        alone = read_stats(locust(stack, plan, stack.home / "alone", 4, ALONE, alone=True))
        say(f"{USERS} users for {MINUTES:g} min")
        load = read_stats(locust(stack, plan, stack.home / "load", USERS, int(MINUTES * 60)))
        sweeper.stopping.set()
        text, failures = table(load, alone)
        print(
            f"\nload test: {SIZE} enterprises, {USERS} users, {MINUTES:g} min, sweep enqueued {sweeper.sent}×\n"
        )
        print(text)
        print(f"\nfailures: {failures}")
        return 1 if failures else 0
    finally:
        stack.shutdown()


if __name__ == "__main__":
    sys.exit(main())
