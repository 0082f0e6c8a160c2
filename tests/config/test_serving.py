"""Production serving (issue 27): real gunicorn with the production settings, the preflight refusal, the health
checks, the JSON request log with its request id, and the 503 page when the database cannot be reached."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client, override_settings

from tests.conftest import REPO

GUNICORN = REPO / ".venv" / "bin" / "gunicorn"
PORT = 8127
DOWN_PORT = 8139  # the server whose database is unreachable, beside the one on PORT
KEY = "k" * 64


def production_env(tmp: Path, database_url: str, port: int = PORT, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_SECRET_KEY", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        DJANGO_MEDIA_ROOT=str(tmp / "media"),
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def manage(env: dict, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]


def fetch(path: str, port: int = PORT, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Gunicorn:
    def __init__(self, env: dict, log: Path, port: int = PORT):
        self.env, self.log, self.port = env, log, port

    def __enter__(self):
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [str(GUNICORN), "-c", "deploy/gunicorn.conf.py"],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.3)
        raise AssertionError("gunicorn did not listen:\n" + self.log.read_text()[-3000:])

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log_lines(self) -> list[dict]:
        lines = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A migrated SQLite database and the collected static files, served by real gunicorn on port 8127."""
    tmp = tmp_path_factory.mktemp("serve")
    env = production_env(tmp, f"sqlite:///{tmp / 'db.sqlite3'}")
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    with Gunicorn(env, tmp / "gunicorn.log") as server:
        yield server, tmp


def test_gunicorn_with_production_settings_is_ready_and_serves_hashed_static_files_for_ten_years(served):
    server, tmp = served
    status, _headers, body = fetch("/readyz")
    assert (status, json.loads(body)) == (200, {"status": "ready"})
    assert fetch("/healthz")[0] == 200
    # The login page links the stylesheet by its hashed name; that file is served with a far-future lifetime.
    status, _headers, page = fetch("/accounts/login/", **{"X-Forwarded-Proto": "https"})
    assert status == 200
    hashed = re.search(r'href="(/static/dutychain/site\.[0-9a-f]{12}\.css)"', page.decode()).group(1)
    status, headers, css = fetch(hashed, **{"X-Forwarded-Proto": "https"})
    assert status == 200 and css
    cache = headers["Cache-Control"]
    assert "immutable" in cache and int(re.search(r"max-age=(\d+)", cache).group(1)) >= 365 * 24 * 3600
    manifest = json.loads((tmp / "static" / "staticfiles.json").read_text())
    assert manifest["paths"]["dutychain/site.css"] == hashed.removeprefix("/static/")


def test_each_request_is_one_json_log_line_with_its_id_user_and_duration(served):
    server, _tmp = served
    status, headers, _ = fetch("/healthz", **{"X-Request-ID": "probe-0123456789"})
    assert status == 200 and headers["X-Request-ID"] == "probe-0123456789"
    https = {"X-Forwarded-Proto": "https"}
    status, headers, _ = fetch("/accounts/login/", **https, **{"X-Request-ID": "bad id with spaces"})
    generated = headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)  # a malformed id handed in is replaced, not logged
    time.sleep(0.5)
    entries = {entry.get("request_id"): entry for entry in server.log_lines() if entry.get("path")}
    probe = entries["probe-0123456789"]
    assert probe["path"] == "/healthz" and probe["status"] == 200 and probe["user"] is None
    assert isinstance(probe["duration_ms"], float) and probe["level"] == "INFO"
    assert entries[generated]["path"] == "/accounts/login/"


def test_production_refuses_to_start_naming_each_missing_variable(tmp_path):
    env = production_env(tmp_path, "sqlite:///x")
    for name in ("SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"):
        without = {k: v for k, v in env.items() if k != name}
        done = subprocess.run(
            [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "--check-config"],
            cwd=REPO,
            env=without,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0
        assert f"缺少环境变量：{name}" in done.stderr
    none = {k: v for k, v in env.items() if k not in ("SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL")}
    done = subprocess.run(
        [sys.executable, "-m", "config.preflight"], cwd=REPO, env=none, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "缺少环境变量：SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL" in done.stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_an_unreachable_database_shows_the_chinese_503_page_and_readyz_says_which_check(served, tmp_path):
    env = production_env(tmp_path, f"postgres://postgres@127.0.0.1:{_closed_port()}/nothing", DOWN_PORT)
    env["DJANGO_STATIC_ROOT"] = str(served[1] / "static")  # the files collected for the server on PORT
    with Gunicorn(env, tmp_path / "gunicorn.log", DOWN_PORT) as server:
        status, _headers, body = fetch("/readyz", DOWN_PORT)
        assert (status, json.loads(body)) == (
            503,
            {"status": "unavailable", "failed": ["database", "migrations"]},
        )
        assert fetch("/healthz", DOWN_PORT)[0] == 200  # the process itself is alive
        https = {"X-Forwarded-Proto": "https", "Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"}
        status, headers, page = fetch(
            "/accounts/login/", DOWN_PORT, **https
        )  # the session read fails in a middleware
        text = page.decode()
        assert status == 503 and "服务暂时不可用" in text and "数据库暂时无法访问" in text
        page_id = headers["X-Request-ID"]
        assert page_id in text and "Traceback" not in text
        # A well-formed API key's lookup fails inside the view: the middleware answers.
        status, headers, body = fetch(
            "/api/v1/me/", DOWN_PORT, **{"X-Forwarded-Proto": "https", "Authorization": "Token " + "a" * 64}
        )
        assert status == 503 and json.loads(body)["detail"] == "数据库暂时无法访问，请稍后再试。"
        # The outage is in the request log as 503s (the JSON lines), with the id the page showed.
        time.sleep(0.5)
        logged = {(e.get("request_id"), e.get("status")) for e in server.log_lines() if e.get("path")}
        assert (page_id, 503) in logged


@override_settings(DEBUG=False)
def test_the_500_page_quotes_the_request_id(db, settings):
    settings.ROOT_URLCONF = "tests.config.failing_urls"
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert response["X-Request-ID"] in response.content.decode()
    assert "服务器出错了" in response.content.decode()
