"""A real PostgreSQL streaming replica of the local server (127.0.0.1:5432) on another port, for the tests.

`pg_basebackup -R` copies the running cluster into a temporary directory and writes the standby settings;
a second postmaster (Debian's binaries, as the postgres user) then streams from the primary. The primary's
pg_hba.conf needs a replication line for 127.0.0.1: added (and the configuration reloaded) when missing,
so a fresh machine needs no manual step.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

BIN = Path("/usr/lib/postgresql/15/bin")
HBA = Path("/etc/postgresql/15/main/pg_hba.conf")
REPLICATION_LINE = "host replication all 127.0.0.1/32 trust"
PRIMARY = "postgres://postgres@127.0.0.1:5432/postgres"


def _as_postgres(*command: str, timeout: float = 600) -> None:
    done = subprocess.run(
        ["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        log = next((Path(part).read_text()[-3000:] for part in command if part.endswith("/log")), "")
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}\n{log}")


def ensure_replication_allowed() -> None:
    lines = HBA.read_text().splitlines()
    if any(line.split()[:2] == ["host", "replication"] for line in lines if line.strip() and line[0] != "#"):
        return
    HBA.write_text(
        "\n".join([*lines, "# streaming replicas on this host (tests, drills)", REPLICATION_LINE]) + "\n"
    )
    with psycopg.connect(PRIMARY, autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")


def lsn(url: str, query: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        value = conn.execute(query).fetchone()[0]
    high, low = value.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def wait_caught_up(port: int, timeout: float = 120) -> None:
    """Until the replica has replayed everything the primary had written when this was called."""
    target = lsn(PRIMARY, "SELECT pg_current_wal_lsn()")
    replica = f"postgres://postgres@127.0.0.1:{port}/postgres"
    deadline = time.monotonic() + timeout
    while lsn(replica, "SELECT pg_last_wal_replay_lsn()") < target:
        if time.monotonic() > deadline:
            raise AssertionError("the replica did not catch up")
        time.sleep(0.2)


@contextlib.contextmanager
def streaming_replica(port: int):
    """A hot standby of the local cluster on `port`, stopped and removed afterwards."""
    ensure_replication_allowed()
    home = Path(tempfile.mkdtemp(prefix=f"replica-{port}-"))
    data = home / "data"
    shutil.chown(home, "postgres", "postgres")
    try:
        _as_postgres(str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", "5432", "-U", "postgres",
                     "-D", str(data), "-R", "-X", "stream", "--checkpoint=fast")  # fmt: skip
        # Debian keeps the configuration outside the data directory: the standby gets its own.
        # A hot standby needs at least the primary's connection and worker limits.
        with psycopg.connect(PRIMARY, autocommit=True) as conn:
            limits = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("max_connections", "max_worker_processes", "max_wal_senders",
                             "max_prepared_transactions", "max_locks_per_transaction")
            }  # fmt: skip
        (data / "postgresql.conf").write_text(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{home}'\n"
            "hot_standby = on\nshared_buffers = 32MB\nfsync = off\n"
            + "".join(f"{name} = {value}\n" for name, value in limits.items())
        )
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        (data / "pg_ident.conf").write_text("")
        for path in (data / "postgresql.conf", data / "pg_hba.conf", data / "pg_ident.conf"):
            shutil.chown(path, "postgres", "postgres")
        _as_postgres(
            str(BIN / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-w", "-t", "120", "start"
        )
        yield port
    finally:
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                _as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(home, ignore_errors=True)


def set_replay_paused(port: int, paused: bool) -> None:
    with psycopg.connect(f"postgres://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")
