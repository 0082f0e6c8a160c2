#!/usr/bin/env python
"""`make faultdrill`: faults under the load test's load, on the stack's own PostgreSQL and Redis (never the
machine's), one after another:

1. PostgreSQL restarted (pg_ctl restart -m fast);
2. Redis stopped for FAULT_REDIS_SECONDS (default 60), then started again;
3. a gunicorn worker SIGKILLed;
4. a Celery pool process SIGKILLed right after a sweep was enqueued (mid-batch);
5. the evidence disk (a FAULT_MEDIA_MB tmpfs mounted as MEDIA_ROOT) filled for FAULT_DISK_SECONDS, then freed.

For each: the status codes a probing user saw (an enterprise reading its hazards, every 0.5 s), the seconds
until /readyz answered 200 again; afterwards (drills/fault_checks.py, before and after): no half-written
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
        env = stack.env(LOAD_PLAN=str(plan_path))
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

        def kill_celery_mid_batch():
            sweeper.app.send_task(
                "accountability.tasks.sweep_reminders", kwargs={"now": "2025-06-30T09:00:00+08:00"}
            )
            time.sleep(1.0)
            os.kill(stack.children("worker")[0], signal.SIGKILL)

        def disk_full():
            subprocess.run(
                ["dd", "if=/dev/zero", f"of={stack.media / 'filler'}", "bs=1M"], capture_output=True
            )
            time.sleep(DISK_FULL)
            (stack.media / "filler").unlink()

        faults = [
            ("PostgreSQL restarted", stack.restart_postgres),
            (f"Redis stopped {REDIS_DOWN:g} s", redis_down),
            ("gunicorn worker SIGKILL", kill_web_worker),
            ("Celery pool process SIGKILL mid-batch", kill_celery_mid_batch),
            (f"evidence disk full {DISK_FULL:g} s", disk_full),
        ]
        rows = []
        for name, fault in faults:
            say(f"fault: {name}")
            started = time.monotonic()
            fault()
            ready = until_ready(stack)
            time.sleep(SETTLE)
            seen = Counter(status for at, status in probe.seen if at >= started)
            rows.append((name, dict(sorted(seen.items())), ready))
        locust.send_signal(signal.SIGINT)
        locust.wait(timeout=120)
        probe.stopping.set()
        sweeper.stopping.set()
        # Let the worker finish what the faults interrupted, then one last sweep re-enqueues anything pending.
        sweeper.app.send_task(
            "accountability.tasks.sweep_reminders", kwargs={"now": "2025-06-30T09:00:00+08:00"}
        )
        deadline = time.monotonic() + 180
        after = checks(stack)
        while after["reminders lost (claimed, still pending)"] and time.monotonic() < deadline:
            time.sleep(5)
            after = checks(stack)
    finally:
        if locust and locust.poll() is None:
            locust.kill()
        stack.shutdown()
        with contextlib.suppress(Exception):
            subprocess.run(["umount", "-l", str(stack.media)], check=False)
        if not os.environ.get("LOAD_KEEP"):
            shutil.rmtree(stack.home, ignore_errors=True)  # the media mount point, left until unmounted
    print(f"\nfault drill: {USERS} users, redis down {REDIS_DOWN:g} s, disk full {DISK_FULL:g} s\n")
    print("| fault | status codes the probing user saw (code: count) | /readyz 200 again after |")
    print("|---|---|---:|")
    for name, seen, ready in rows:
        codes = ", ".join(f"{code or 'no answer'}: {n}" for code, n in seen.items())
        print(f"| {name} | {codes} | {ready:.1f} s |")
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
        any(ready == float("inf") for _n, _s, ready in rows),
    ]
    print(
        "\nfault drill: "
        + ("every fault recovered, nothing torn, lost or doubled" if not any(failed) else "PROBLEMS")
    )
    return 1 if any(failed) else 0


if __name__ == "__main__":
    sys.exit(main())
