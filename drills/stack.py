"""The whole stack on private ports, for the load test and the fault drill: a PostgreSQL cluster of its own
(initdb, port LOAD_PG_PORT, default 5438), a redis-server of its own (LOAD_REDIS_PORT, 6388), gunicorn with
the production settings (LOAD_WEB_PORT, 8137) and a Celery worker. Nothing the machine's own PostgreSQL or
Redis serves is touched, so a drill may restart and stop its services anywhere.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PORT = int(os.environ.get("LOAD_PG_PORT", "5438"))
REDIS_PORT = int(os.environ.get("LOAD_REDIS_PORT", "6388"))
WEB_PORT = int(os.environ.get("LOAD_WEB_PORT", "8137"))
DB = "dutychain_load"
# Static files collected once and kept between runs (collecting compresses every file: minutes).
STATIC = Path(os.environ.get("LOAD_STATIC_ROOT", Path(tempfile.gettempdir()) / "dutychain-load-static"))


def say(message: str) -> None:
    print(f"[stack] {message}", file=sys.stderr, flush=True)


def as_postgres(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True)
    if check and done.returncode:
        raise RuntimeError(f"{command[0]}: {done.stderr or done.stdout}")
    return done


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait(predicate, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.2)
    return time.monotonic() - started


class Stack:
    def __init__(self, home: Path | None = None):
        self.home = Path(home or tempfile.mkdtemp(prefix="dutychain-stack-"))
        shutil.chown(self.home, "postgres", "postgres")
        self.pgdata = self.home / "pg"
        self.media = Path(os.environ.get("LOAD_MEDIA_ROOT", self.home / "media"))
        self.media.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs = self.home / "logs"
        self.logs.mkdir(exist_ok=True)
        shutil.chown(self.logs, "postgres")  # PostgreSQL (run as postgres) writes its log here too

    # ---- environment -------------------------------------------------------------------------------

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{PG_PORT}/{DB}"

    def env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(
            DJANGO_SETTINGS_MODULE="drills.load_settings",
            SECRET_KEY="load-" + "x" * 60,
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=self.database_url,
            REDIS_URL=f"redis://127.0.0.1:{REDIS_PORT}/0",
            DJANGO_MEDIA_ROOT=str(self.media),
            DJANGO_STATIC_ROOT=str(STATIC),
            DJANGO_CONN_MAX_AGE="60",
            BIND=f"127.0.0.1:{WEB_PORT}",
            LOAD_MAIL_DIR=str(self.home / "mail"),
            PYTHONUNBUFFERED="1",
            **extra,
        )
        return env

    # ---- PostgreSQL ----------------------------------------------------------------------------------

    def init_postgres(self) -> None:
        as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {PG_PORT}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.home}'\n"
                # fsync off: a throwaway cluster on a shared machine (its restart in the drill is a clean one).
                "max_connections = 200\nshared_buffers = 128MB\nfsync = off\n"
            )

    def start_postgres(self) -> float:
        as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-l", str(self.logs / "pg.log"), "-w", "start"
        )
        return wait(lambda: listening(PG_PORT), 60, "PostgreSQL")

    def stop_postgres(self, mode: str = "fast") -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-m", mode, "-w", "stop", check=False)

    def restart_postgres(self) -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-l", str(self.logs / "pg.log"),
                    "-m", "fast", "-w", "restart")  # fmt: skip

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(f"postgres://postgres@127.0.0.1:{PG_PORT}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB}"')
            conn.execute(f'CREATE DATABASE "{DB}"')

    def dump(self, path: Path) -> None:
        """The loaded database as a custom-format dump (written beside, then renamed: never half a file)."""
        partial = path.with_suffix(".partial")
        subprocess.run(
            [str(PG_BIN / "pg_dump"), "-Fc", "-Z", "1", "-f", str(partial), self.database_url], check=True
        )
        partial.rename(path)

    def restore(self, path: Path) -> None:
        subprocess.run(
            [str(PG_BIN / "pg_restore"), "-j", "2", "--no-owner", "-d", self.database_url, str(path)],
            check=True,
        )
        subprocess.run([str(PG_BIN / "psql"), "-q", "-c", "ANALYZE", self.database_url], check=True)

    # ---- Redis -------------------------------------------------------------------------------------

    def start_redis(self) -> float:
        self._start(
            "redis",
            ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--dir", str(self.home)],
        )  # fmt: skip
        return wait(lambda: listening(REDIS_PORT), 30, "Redis")

    # ---- the application -----------------------------------------------------------------------------

    def manage(self, *args: str) -> None:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=self.env())
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed")

    def collectstatic(self) -> None:
        sources = [p for p in (REPO / "responsibility" / "static").rglob("*") if p.is_file()]
        manifest = STATIC / "staticfiles.json"
        if manifest.exists() and all(p.stat().st_mtime < manifest.stat().st_mtime for p in sources):
            return
        say("collectstatic (compressing every file takes minutes on a busy machine)")
        self.manage("collectstatic", "--noinput", "-v", "0")

    def start_web(self) -> float:
        self._start("web", [str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"])
        return wait(self.ready, 120, "gunicorn /readyz")

    def start_worker(self) -> None:
        self._start(
            "worker",
            [str(VENV_BIN / "celery"), "-A", "config", "worker", "-l", "INFO", "--concurrency", "2",
             "--without-gossip", "--without-mingle", "-n", f"load-{os.getpid()}@%h"],
        )  # fmt: skip

    def ready(self) -> bool:
        try:
            # Under load /readyz waits its turn behind the users' requests: a slow 200 is still ready.
            with urllib.request.urlopen(f"http://127.0.0.1:{WEB_PORT}/readyz", timeout=30) as response:
                return response.status == 200
        except Exception:
            return False

    def _start(self, name: str, command: list[str]) -> None:
        out = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the process's life
        self.procs[name] = subprocess.Popen(
            command, cwd=REPO, env=self.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def children(self, name: str) -> list[int]:
        """The pids of a process's direct children (gunicorn's or Celery's workers)."""
        done = subprocess.run(["pgrep", "-P", str(self.procs[name].pid)], capture_output=True, text=True)
        return [int(pid) for pid in done.stdout.split()]

    def shutdown(self) -> None:
        for name in ("web", "worker", "redis"):
            self.stop(name)
        if (self.pgdata / "postmaster.pid").exists():
            self.stop_postgres("fast")
        if not os.environ.get("LOAD_KEEP"):
            shutil.rmtree(self.home, ignore_errors=True)
