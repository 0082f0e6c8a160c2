"""Real brokers and real workers for the integration and fault tests: a subprocess Celery worker on
the test database, a private redis-server that may be stopped, and the test process publishing to them."""

from __future__ import annotations

import contextlib
import email
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.db import connection

from config.celery import app as celery_app

REPO = Path(__file__).resolve().parents[2]
CELERY = REPO / ".venv" / "bin" / "celery"


def database_url() -> str:
    """The test database, as a URL a subprocess can open (transactional tests only: rows are committed)."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{os.path.abspath(s['NAME'])}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def shared_redis_url(db: int = 14) -> str:
    """The suite's Redis (REDIS_URL, else localhost), on a test database of its own."""
    parts = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15")
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1, log: Worker | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(
        f"timed out after {timeout}s waiting for {what}" + (f"\n{log.tail()}" if log else "")
    )


class Worker:
    """`celery -A config worker` in its own process group (so SIGKILL takes the whole worker)."""

    def __init__(self, *, broker: str, queue: str, mail_dir: Path, log_dir: Path, delay: float = 0):
        self.broker, self.queue, self.mail_dir, self.delay = broker, queue, mail_dir, delay
        self.log = log_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Worker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.reminders.worker_settings",
            "DATABASE_URL": database_url(),
            "REMINDER_TEST_BROKER": self.broker,
            "REMINDER_TEST_QUEUE": self.queue,
            "REMINDER_TEST_MAIL_DIR": str(self.mail_dir),
            "REMINDER_TEST_DELAY": str(self.delay),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("REDIS_URL", None)
        command = [
            str(CELERY), "-A", "config", "worker", "-P", "solo", "-Q", self.queue, "-l", "INFO",
            "-n", f"reminders-{uuid.uuid4().hex[:8]}@%h", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "--include", "tests.reminders.worker_hooks",
        ]  # fmt: skip
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for(lambda: "ready." in self.tail() or self.proc.poll() is not None, 90, "the worker", log=self)
        assert self.proc.poll() is None, self.tail()
        return self

    def tail(self, lines: int = 40) -> str:
        return (
            "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""
        )

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no acknowledgement, a transaction cut off mid-way."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own on a free port, without persistence: stopping it loses its queue."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> PrivateRedis:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ]
            + ["--daemonize", "no", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, 30, f"redis-server on port {self.port}")
        return self

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def _reset_publisher() -> None:
    """Forget the connection pool and the routing the app cached for the previous broker and queue."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    amqp = celery_app.amqp
    amqp._producer_pool = None
    for cached in ("queues", "default_queue", "router"):
        amqp.__dict__.pop(cached, None)


@contextlib.contextmanager
def publishing_to(broker: str, queue: str):
    """The test process publishes its tasks to `broker`/`queue` (not eagerly) for the duration."""
    conf = celery_app.conf
    names = ("broker_url", "task_always_eager", "task_default_queue")
    saved = {name: conf[name] for name in names}
    conf.update(broker_url=broker, task_always_eager=False, task_default_queue=queue)
    _reset_publisher()
    try:
        yield
    finally:
        conf.update(saved)
        _reset_publisher()


def mailed_message_ids(mail_dir: Path) -> list[str]:
    """Message-IDs of every mail the worker's file backend wrote (one entry per mail, duplicates kept)."""
    ids = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_text(errors="replace").split("-" * 79):
            if chunk.strip():
                ids.append(email.message_from_string(chunk.strip())["Message-ID"])
    return ids
