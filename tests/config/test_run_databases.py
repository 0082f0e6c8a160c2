"""Each test run has PostgreSQL databases of its own and leaves none behind: the names come from the run,
and `make test` drops every database of the run afterwards, also after a failure."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from tests.drop_run_databases import drop_run_databases


def admin_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/postgres"


@pytest.mark.postgres
def test_the_run_database_is_named_for_the_run_not_the_shared_default(db):
    assert connection.settings_dict["NAME"].startswith("test_dutychain_")
    assert connection.settings_dict["NAME"] != "test_test"


@pytest.mark.postgres
def test_dropping_a_run_removes_its_databases_even_with_a_session_open_and_spares_others(db):
    url = admin_url()
    with psycopg.connect(url, autocommit=True) as conn:
        for name in ("test_dropcheck_run1_gw0", "test_dropcheck_run1_gw1", "test_dropcheck_run2_gw0"):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    lingering = psycopg.connect(
        url.rsplit("/", 1)[0] + "/test_dropcheck_run1_gw0"
    )  # a killed worker's session
    try:
        dropped = drop_run_databases(url, "test_dropcheck_run1")
    finally:
        lingering.close()
    assert sorted(dropped) == ["test_dropcheck_run1_gw0", "test_dropcheck_run1_gw1"]
    with psycopg.connect(url, autocommit=True) as conn:
        left = {
            r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'test_dropcheck%'")
        }
        assert left == {"test_dropcheck_run2_gw0"}
        conn.execute('DROP DATABASE "test_dropcheck_run2_gw0"')


def test_only_test_databases_may_be_dropped():
    with pytest.raises(SystemExit, match="not test_"):
        drop_run_databases("postgres://unused", "production")
