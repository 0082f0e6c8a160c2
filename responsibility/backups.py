"""Backups that restore (issue 27): the database, the evidence files and a manifest, and the way back.

A backup directory holds
- `database.dump` (PostgreSQL: `pg_dump --format=custom`) or `database.sqlite3` (SQLite: the online backup API,
  consistent while the site keeps writing);
- `media/…`: every file under MEDIA_ROOT (the evidence), at its relative path;
- `manifest.json`: the format, the engine, when, the schema version (the latest applied migration of each
  app) and the sha256 of every file above.

A restore goes only into an EMPTY database (no table at all) and an empty or absent MEDIA_ROOT, and checks every
checksum before it writes anything: a damaged or incomplete backup is refused, naming the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder

FORMAT = 1
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (in Chinese, for the operator)."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def schema_version(alias: str = DEFAULT_DB_ALIAS) -> dict[str, str]:
    """The latest applied migration of each app (by name order, which is the numbering)."""
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connections[alias]).applied_migrations():
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


def _pg_env(alias: str) -> tuple[list[str], dict]:
    """pg_dump/pg_restore connection options for a database alias (the password through the environment)."""
    s = connections[alias].settings_dict
    args = ["--host", s["HOST"] or "127.0.0.1", "--port", str(s["PORT"] or 5432), "--username", s["USER"]]
    env = {**os.environ}
    if s["PASSWORD"]:
        env["PGPASSWORD"] = s["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"{command[0]} 失败：{done.stderr.strip()[-2000:]}")


def _database_file(engine: str) -> str:
    return "database.dump" if engine == "postgresql" else "database.sqlite3"


def backup(directory: Path, alias: str = DEFAULT_DB_ALIAS) -> dict:
    """Write a backup into `directory` (absent or empty); returns the manifest."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"备份目录 {directory} 不是空目录：请指定一个新目录")
    directory.mkdir(parents=True, exist_ok=True)
    connection = connections[alias]
    engine = connection.vendor
    target = directory / _database_file(engine)
    if engine == "postgresql":
        args, env = _pg_env(alias)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-acl", *args, "--file", str(target),
              connection.settings_dict["NAME"]], env)  # fmt: skip
    elif engine == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()
    else:
        raise BackupError(f"不支持的数据库：{engine}")
    files = {target.name: sha256_of(target)}
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir():
        for source in sorted(p for p in media.rglob("*") if p.is_file()):
            relative = Path("media") / source.relative_to(media)
            (directory / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, directory / relative)
            files[relative.as_posix()] = sha256_of(directory / relative)
    manifest = {
        "format": FORMAT,
        "engine": engine,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "schema": schema_version(alias),
        "files": files,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def read_verified_manifest(directory: Path) -> dict:
    """The manifest, after every file it lists has been found with its checksum (and no other file)."""
    directory = Path(directory)
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"{directory} 中没有 {MANIFEST}：不是本系统的备份")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST}: 不认识的备份格式 {manifest.get('format')!r}")
    for name, digest in manifest["files"].items():
        file = directory / name
        if not file.is_file():
            raise BackupError(f"备份不完整：缺少文件 {name}")
        if sha256_of(file) != digest:
            raise BackupError(f"备份已损坏：{name} 的校验和不符")
    listed = set(manifest["files"]) | {MANIFEST}
    extra = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())
    extra = [name for name in extra if name not in listed]
    if extra:
        raise BackupError(f"备份目录中有清单之外的文件：{', '.join(extra[:5])}")
    return manifest


def database_is_empty(alias: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def restore(directory: Path, alias: str = DEFAULT_DB_ALIAS) -> dict:
    """Restore a verified backup into the empty database `alias` and the empty MEDIA_ROOT."""
    directory = Path(directory)
    manifest = read_verified_manifest(directory)
    connection = connections[alias]
    if manifest["engine"] != connection.vendor:
        raise BackupError(f"备份来自 {manifest['engine']}，目标数据库是 {connection.vendor}")
    if not database_is_empty(alias):
        raise BackupError(f"目标数据库 {connection.settings_dict['NAME']} 不是空库：只能恢复到新建的空数据库")
    media = Path(settings.MEDIA_ROOT)
    media_files = {name for name in manifest["files"] if name.startswith("media/")}
    if media_files and media.is_dir() and any(p.is_file() for p in media.rglob("*")):
        raise BackupError(f"证据文件目录 {media} 不是空的：只能恢复到空目录")
    source = directory / _database_file(manifest["engine"])
    if manifest["engine"] == "postgresql":
        args, env = _pg_env(alias)
        _run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", *args,
              "--dbname", connection.settings_dict["NAME"], str(source)], env)  # fmt: skip
    else:
        connection.ensure_connection()
        with sqlite3.connect(source) as backup_db:
            backup_db.backup(connection.connection)
        backup_db.close()
    connection.close()
    for name in sorted(media_files):
        target = media / Path(name).relative_to("media")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(directory / name, target)
    restored = schema_version(alias)
    if restored != manifest["schema"]:
        raise BackupError(f"恢复后的数据库结构版本与清单不符：{restored} ≠ {manifest['schema']}")
    return manifest


def _tables(cursor, vendor: str) -> list[str]:
    if vendor == "postgresql":
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    else:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    return [row[0] for row in cursor.fetchall()]


def _plain(value):
    """A value as compared: bytes for a buffer, an aware time in UTC (connections differ in session zone)."""
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    return value


def fingerprints(dbapi_connection, vendor: str) -> dict[str, tuple[int, str]]:
    """(row count, sha256 of the rows in a fixed order) of every table, through a DB-API connection — so a
    restored database can be compared with its source without Django knowing it."""
    cursor = dbapi_connection.cursor()
    result = {}
    for table in _tables(cursor, vendor):
        cursor.execute(f'SELECT * FROM "{table}"')
        rows = sorted(repr(tuple(_plain(v) for v in row)) for row in cursor.fetchall())
        digest = hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()
        result[table] = (len(rows), digest)
    cursor.close()
    return result
