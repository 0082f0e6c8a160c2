#!/usr/bin/env python
"""`make faultdrill`: faults under the load test's load, on the stack's own PostgreSQL and Redis (never the
machine's), one after another:

1. the evidence disk (a FAULT_MEDIA_MB tmpfs mounted as MEDIA_ROOT) filled for FAULT_DISK_SECONDS, then freed,
   while the enterprises are uploading their rectifications' evidence;
2. PostgreSQL restarted (pg_ctl restart -m fast);
3. Redis stopped for FAULT_REDIS_SECONDS (default 60), then started again;
4. a gunicorn worker SIGKILLed;
5. the Celery pool processes SIGKILLed mid-delivery: a sweep for a later day (three days before the due
   hazards' deadline: the rules' -3 threshold) is enqueued, and the pool is killed once some of its
   reminders are delivered and others still pending.

For each: the status codes a probing user saw (an enterprise reading its hazards, every 0.5 s) and those
every load user saw (locust's requests, from the fault until the next one), the seconds until /readyz
answered 200 again; afterwards (drills/fault_checks.py, before and after): no half-written
hazard, case or import, no reminder lost or sent twice. Exit 1 when anything did not recover.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from drills.loadtest import Sweeper, prepare  # noqa: E402
from drills.stack import WEB_PORT, Stack, say  # noqa: E402

USERS = int(os.environ.get("LOAD_USERS", "50"))
REDIS_DOWN = float(os.environ.get("FAULT_REDIS_SECONDS", "60"))
DISK_FULL = float(os.environ.get("FAULT_DISK_SECONDS", "30"))
MEDIA_MB = int(os.environ.get("FAULT_MEDIA_MB", "64"))
SETTLE = 15  # seconds of load after each recovery before the next fault
# After the load: how long the delivery of every claimed reminder may take (a claim whose delivery died
# with its worker is published again by a sweep once it is REDELIVER_AFTER old: ten minutes).
RECOVERY = float(os.environ.get("FAULT_RECOVERY_SECONDS", "1200"))
SWEEP_NOW = "2025-06-30T09:00:00+08:00"  # bench/province.py's SWEEP_DAY
DEADLINE_DAY = "2025-07-04T09:00:00+08:00"  # three days before DUE_DEADLINE: the rules' -3 threshold


class Probe(threading.Thread):
    """A user reading its hazards every half second: (time, status) of each answer (0: no answer)."""

    def __init__(self, token: str):
        super().__init__(daemon=True)
        self.token, self.seen, self.stopping = token, [], threading.Event()

    def run(self):
        while not self.stopping.is_set():
            request = urllib.request.Request(
                f"http://127.0.0.1:{WEB_PORT}/api/v1/hazards/",
                headers={"Authorization": f"Token {self.token}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except Exception:
                status = 0
            self.seen.append((time.monotonic(), status))
            self.stopping.wait(0.5)


def until_ready(stack: Stack, timeout: float = 300) -> float:
    started = time.monotonic()
    while not stack.ready():
        if time.monotonic() - started > timeout:
            return float("inf")
        time.sleep(0.25)
    return time.monotonic() - started


def reminder_states(stack: Stack, day: str) -> Counter:
    """The reminders claimed for one day, by state (read straight from the stack's database)."""
    import psycopg

    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT state, count(*) FROM accountability_reminderlog WHERE claimed_for = %s GROUP BY state",
            [day[:10]],
        ).fetchall()
    return Counter(dict(rows))


def answers(path: Path) -> list[tuple[float, int]]:
    """Every load user's answers: (epoch seconds when it came, status; 0 when none came)."""
    if not path.exists():
        return []
    seen = []
    for line in path.read_text().splitlines():
        at, status, *_ = line.split()
        seen.append((float(at), int(status)))
    return seen


def codes(counter: Counter) -> str:
    return ", ".join(f"{code or 'no answer'}: {n}" for code, n in sorted(counter.items())) or "–"


def checks(stack: Stack) -> dict:
    done = subprocess.run(
        [sys.executable, "drills/fault_checks.py", str(stack.home / "mail")],
        cwd=REPO,
        env=stack.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    stack = Stack()
    plan_path = stack.home / "plan.json"
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={MEDIA_MB}m", "tmpfs", str(stack.media)], check=True)
    locust = None
    try:
        prepare(stack, plan_path)
        plan = json.loads(plan_path.read_text())
        sweeper = Sweeper()
        sweeper.start()
        probe = Probe(plan["enterprise"][0]["token"])
        probe.start()
        statuses = stack.home / "statuses.log"
        env = stack.env(LOAD_PLAN=str(plan_path), LOAD_STATUS_LOG=str(statuses))
        locust = subprocess.Popen(
            [str(REPO / ".venv" / "bin" / "locust"), "-f", "drills/locustfile.py", "--headless", "--only-summary",
             "-H", f"http://127.0.0.1:{WEB_PORT}", "-u", str(USERS), "-r", str(max(1, USERS // 5)),
             "--csv", str(stack.home / "fault"), "--exit-code-on-error", "0"],
            cwd=REPO, env=env, stdout=open(stack.home / "locust.log", "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
        )  # fmt: skip
        time.sleep(30)  # the load running before the first fault
        before = checks(stack)

        def redis_down():
            stack.stop("redis", signal.SIGKILL)
            time.sleep(REDIS_DOWN)
            stack.start_redis()

        def kill_web_worker():
            os.kill(stack.children("web")[0], signal.SIGKILL)

        killed_at: dict[str, Counter] = {}

        def kill_celery_mid_delivery():
            sweeper.app.send_task("accountability.tasks.sweep_reminders", kwargs={"now": DEADLINE_DAY})
            limit = time.monotonic() + 900
            while time.monotonic() < limit:
                states = reminder_states(stack, DEADLINE_DAY)
                if states.get("delivered") and states.get("pending"):
                    break
                time.sleep(0.2)
            killed_at["states"] = reminder_states(stack, DEADLINE_DAY)
            for pid in stack.children("worker"):
                os.kill(pid, signal.SIGKILL)

        def disk_full():
            subprocess.run(
                ["dd", "if=/dev/zero", f"of={stack.media / 'filler'}", "bs=1M"], capture_output=True
            )
            time.sleep(DISK_FULL)
            (stack.media / "filler").unlink()

        # The full disk first: the enterprises' rectifications with evidence come in the first minutes (each
        # user's hazards are then submitted), so uploads meet the full disk.
        faults = [
            (f"evidence disk full {DISK_FULL:g} s", disk_full),
            ("PostgreSQL restarted", stack.restart_postgres),
            (f"Redis stopped {REDIS_DOWN:g} s", redis_down),
            ("gunicorn worker SIGKILL", kill_web_worker),
            ("Celery pool processes SIGKILL mid-delivery", kill_celery_mid_delivery),
        ]
        rows, starts = [], []
        for name, fault in faults:
            say(f"fault: {name} at {time.strftime('%H:%M:%S')}")
            started = time.monotonic()
            starts.append(time.time())
            fault()
            ready = until_ready(stack)
            time.sleep(SETTLE)
            seen = Counter(status for at, status in probe.seen if at >= started)
            rows.append((name, seen, ready))
        locust.send_signal(signal.SIGINT)
        try:
            locust.wait(timeout=120)
        except subprocess.TimeoutExpired:  # users still waiting on answers: their statuses are logged already
            locust.kill()
        probe.stopping.set()
        sweeper.stopping.set()
        # Every load user's answers, by the fault whose window (its start until the next fault's) they fell in.
        everyone = answers(statuses)
        windows = [*starts[1:], float("inf")]
        users_saw = [
            Counter(status for at, status in everyone if start <= at < end)
            for start, end in zip(starts, windows, strict=True)
        ]
        # Let the worker finish what the faults interrupted; a sweep now and then publishes again any claim
        # left pending by a killed delivery once it is ten minutes old (REDELIVER_AFTER).
        deadline = time.monotonic() + RECOVERY
        after = checks(stack)
        recovered_in = 0.0
        waited_from = time.monotonic()
        while after["reminders lost (claimed, still pending)"] and time.monotonic() < deadline:
            sweeper.app.send_task("accountability.tasks.sweep_reminders", kwargs={"now": SWEEP_NOW})
            time.sleep(30)
            after = checks(stack)
        recovered_in = time.monotonic() - waited_from
        deadline_day = reminder_states(stack, DEADLINE_DAY)
    finally:
        if locust and locust.poll() is None:
            locust.kill()
        stack.shutdown()
        with contextlib.suppress(Exception):
            subprocess.run(["umount", "-l", str(stack.media)], check=False)
        if not os.environ.get("LOAD_KEEP"):
            shutil.rmtree(stack.home, ignore_errors=True)  # the media mount point, left until unmounted
    print(f"\nfault drill: {USERS} users, redis down {REDIS_DOWN:g} s, disk full {DISK_FULL:g} s\n")
    print(
        "| fault | the probing user saw (code: count) | every load user saw (code: count) | /readyz 200 again after |"
    )
    print("|---|---|---|---:|")
    for (name, seen, ready), saw in zip(rows, users_saw, strict=False):
        print(f"| {name} | {codes(seen)} | {codes(saw)} | {ready:.1f} s |")
    print(f"\nat the Celery kill, the deadline day's reminders: {codes(killed_at.get('states', Counter()))}")
    print(f"after recovery ({recovered_in:.0f} s of waiting): {codes(deadline_day)}")
    print("\n| check | before the faults | after recovery |\n|---|---:|---:|")
    for key in after:
        print(f"| {key} | {before.get(key)} | {after[key]} |")
    failed = [
        after["hazards whose state is not their last transition's"],
        after["evidence files missing or empty"],
        after["import runs neither imported nor refused"],
        after["reminders lost (claimed, still pending)"],
        after["notifications twice for one reminder"],
        after["mails sent"] != after["mails expected (claims mailed + digests)"],
        after["cases without records"] != before["cases without records"],
        not killed_at.get("states", {}).get("pending"),  # the kill must have interrupted deliveries
        any(ready == float("inf") for _n, _s, ready in rows),
    ]
    print(
        "\nfault drill: "
        + ("every fault recovered, nothing torn, lost or doubled" if not any(failed) else "PROBLEMS")
    )
    return 1 if any(failed) else 0


if __name__ == "__main__":
    sys.exit(main())
