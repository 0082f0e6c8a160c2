"""Drop every PostgreSQL database a test run created: `python tests/drop_run_databases.py URL PREFIX`.

`make test` names each run's databases with a prefix of its own (TEST_DB_NAME, then xdist's _gwN suffix) and
calls this afterwards whatever the outcome, so a failed or interrupted run leaves nothing behind and two runs
on one server never meet. Only names starting with `test_` are ever dropped.
"""

import sys

import psycopg
from psycopg import sql


def drop_run_databases(url: str, prefix: str) -> list[str]:
    if not prefix.startswith("test_"):
        raise SystemExit(f"refusing to drop databases whose prefix is not test_…: {prefix!r}")
    with psycopg.connect(url, autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [prefix]
            ).fetchall()
        ]
        for name in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    return names


if __name__ == "__main__":
    url, prefix = sys.argv[1], sys.argv[2]
    dropped = drop_run_databases(url, prefix)
    print(
        f"dropped {len(dropped)} test database(s) of this run"
        + (f": {', '.join(dropped)}" if dropped else "")
    )
