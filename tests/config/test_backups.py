"""`manage.py backup` and `manage.py restore` (issue 27): what is backed up restores identical, into an empty
database only, and a damaged backup is refused before anything is written."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from drills.backup_drill import attach_evidence, files_of
from responsibility.backups import fingerprints, schema_version
from tests.conftest import DEMO_FILE, REPO


def restore_in_a_fresh_process(backup: Path, database_url: str, media: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base", DATABASE_URL=database_url, DJANGO_MEDIA_ROOT=str(media)
    )
    return subprocess.run(
        [sys.executable, "manage.py", "restore", str(backup)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def county_with_evidence(transactional_db, tmp_path, settings):
    """The worked example with evidence uploads, committed (the backup reads what another process would)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("import_scenario", str(DEMO_FILE), quiet=True)
    assert attach_evidence(2) == 2
    return Path(settings.MEDIA_ROOT)


def _source_fingerprints() -> dict:
    """Read through a plain DB-API connection, as the restored copy is (Django's SQLite connection converts
    dates to objects; a plain one leaves them as stored)."""
    if connection.vendor == "sqlite":
        source = sqlite3.connect(connection.settings_dict["NAME"])
        try:
            return fingerprints(source, "sqlite")
        finally:
            source.close()
    # Django's PostgreSQL connection returns jsonb as text: the copy is read by plain psycopg, so is this.
    s = connection.settings_dict
    url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    with psycopg.connect(url) as source:
        return fingerprints(source, "postgresql")


def _backup(tmp_path: Path) -> tuple[Path, dict]:
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["schema"] == schema_version() and manifest["schema"]["accountability"]
    assert len([name for name in manifest["files"] if name.startswith("media/hazard-evidence/")]) == 2
    return backup, manifest


@contextlib.contextmanager
def fresh_database(tmp_path: Path):
    """An empty database of the suite's engine: (its URL, a DB-API connection factory); dropped afterwards."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        yield f"sqlite:///{path}", lambda: sqlite3.connect(path)
        return
    source = connection.settings_dict
    target = f"{source['NAME']}_restore"[:63]  # the run's own test database name: never shared
    server = f"postgres://{source['USER']}@{source['HOST'] or '127.0.0.1'}:{source['PORT'] or 5432}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}"')
        admin.execute(f'CREATE DATABASE "{target}"')
    try:
        yield f"{server}/{target}", lambda: psycopg.connect(f"{server}/{target}")
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def test_a_backup_restores_identical_into_a_fresh_database_and_only_an_empty_one(
    county_with_evidence, tmp_path
):
    """SQLite (the online backup API) in the SQLite pass, PostgreSQL (pg_dump/pg_restore) in the PostgreSQL pass."""
    backup, _manifest = _backup(tmp_path)
    with fresh_database(tmp_path) as (url, connect):
        media = tmp_path / "restored-media"
        done = restore_in_a_fresh_process(backup, url, media)
        assert done.returncode == 0, done.stderr
        copy = connect()
        try:
            after = fingerprints(copy, connection.vendor)
        finally:
            copy.close()
        before = _source_fingerprints()
        assert before == after and before["accountability_hazard"][0] > 0
        assert files_of(media) == files_of(county_with_evidence) != {}
        # Again into the same (now full) database: refused, nothing changed.
        again = restore_in_a_fresh_process(backup, url, tmp_path / "empty-media")
        assert again.returncode != 0 and "不是空库" in again.stderr
        assert not (tmp_path / "empty-media").exists()


def test_a_damaged_or_incomplete_backup_is_refused_naming_the_file(county_with_evidence, tmp_path):
    backup, manifest = _backup(tmp_path)
    evidence = next(name for name in manifest["files"] if name.startswith("media/"))
    (backup / evidence).write_bytes(b"\x89PNG\r\n\x1a\n tampered")
    fresh = f"sqlite:///{tmp_path / 'never.sqlite3'}"
    refused = restore_in_a_fresh_process(backup, fresh, tmp_path / "m")
    assert refused.returncode != 0 and f"{evidence} 的校验和不符" in refused.stderr
    (backup / evidence).unlink()
    refused = restore_in_a_fresh_process(backup, fresh, tmp_path / "m")
    assert refused.returncode != 0 and f"缺少文件 {evidence}" in refused.stderr
    assert not (tmp_path / "m").exists()  # refused before anything was written
    with pytest.raises(Exception, match="不是空目录"):
        call_command("backup", str(backup))
