"""Reads from a real streaming replica (issue 27): a GET served by the replica, and a GET right after a POST
in the same session served by the primary. Replay on the replica is paused during the test, so what the
replica serves is visibly stale: a request's answer shows which database it came from."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar

import pytest
from django.db import connection

from accounts.services import issue_api_key
from tests.api.conftest import build_world
from tests.config.replica_cluster import set_replay_paused, streaming_replica, wait_caught_up
from tests.conftest import REPO

pytestmark = pytest.mark.postgres
REPLICA_PORT = 5439
WEB_PORT = 8138


class Session:
    """One API client with its own cookie jar (the read-your-writes marker is a cookie)."""

    def __init__(self, token: str):
        self.token = token
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def call(self, method: str, path: str) -> tuple[int, str, dict]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{WEB_PORT}{path}",
            method=method,
            data=b"{}" if method == "POST" else None,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.headers.get("X-DB-Read", ""), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("X-DB-Read", ""), {"error": error.read().decode()[:500]}


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def web_on_primary_and_replica(transactional_db, tmp_path):
    s = connection.settings_dict
    primary = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    replica = f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/{s['NAME']}"
    with streaming_replica(REPLICA_PORT):
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.development",
            DATABASE_URL=primary,
            DATABASE_REPLICA_URL=replica,
            SECRET_KEY="r" * 64,
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            BIND=f"127.0.0.1:{WEB_PORT}",
            WEB_CONCURRENCY="1",
        )
        log = tmp_path / "web.log"
        with open(log, "wb") as out:
            web = subprocess.Popen(
                [str(REPO / ".venv" / "bin" / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + 120
            while not _listening(WEB_PORT):
                assert web.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.3)
            yield REPLICA_PORT
        finally:
            web.terminate()
            web.wait(timeout=30)
            set_replay_paused(REPLICA_PORT, False)


def test_a_get_reads_the_replica_and_a_get_after_a_post_in_the_same_session_reads_the_primary(
    web_on_primary_and_replica,
):
    port = web_on_primary_and_replica
    world = build_world()
    _key, token = issue_api_key(user=world.users["enterprise"], via="test")
    wait_caught_up(port)
    set_replay_paused(port, True)  # from here on the replica shows the state as it is now

    writer, reader = Session(token), Session(token)
    status, used, body = writer.call("GET", "/api/v1/hazards/HZ1/")
    assert (status, used, body["state"]) == (200, "replica", "reported")

    status, _used, body = writer.call("POST", "/api/v1/hazards/HZ1/start-rectification/")
    assert status == 200, body
    # The same session right after its write: the primary, which has the write.
    status, used, body = writer.call("GET", "/api/v1/hazards/HZ1/")
    assert (status, used, body["state"]) == (200, "primary", "rectifying")
    # Another session, no write of its own: the replica, still before the write (replay is paused).
    status, used, body = reader.call("GET", "/api/v1/hazards/HZ1/")
    assert (status, used, body["state"]) == (200, "replica", "reported")

    set_replay_paused(port, False)
    wait_caught_up(port)
    status, used, body = reader.call("GET", "/api/v1/hazards/HZ1/")
    assert (status, used, body["state"]) == (200, "replica", "rectifying")
