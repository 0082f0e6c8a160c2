"""One default settings module for every entry point, strict environment values, and a README that
names every environment variable the code reads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETTINGS_OF = "from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)"
ENTRY_POINTS = {
    "wsgi": f"import config.wsgi; {SETTINGS_OF}",
    "asgi": f"import config.asgi; {SETTINGS_OF}",
    "celery": f"from config.celery import app; app.loader.import_default_modules(); {SETTINGS_OF}",
}


def fresh_python(code: str, *args: str, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG")}
    environment.update(DATABASE_URL="", **env)
    command = [sys.executable, *args] if args else [sys.executable, "-c", code]
    return subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=120)


def test_manage_celery_wsgi_and_asgi_default_to_the_same_development_settings():
    seen = {}
    for name, code in ENTRY_POINTS.items():
        done = fresh_python(code)
        assert done.returncode == 0, (name, done.stderr)
        seen[name] = done.stdout.split()[-2:]
    done = fresh_python("", "manage.py", "shell", "-c", SETTINGS_OF)
    assert done.returncode == 0, done.stderr
    seen["manage.py"] = done.stdout.split()[-2:]
    assert set(map(tuple, seen.values())) == {("config.settings.development", "True")}, seen


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_DEBUG", "ture", "DJANGO_DEBUG='ture': use 1/0, true/false, yes/no or on/off"),
        ("DJANGO_DEBUG", "2", "DJANGO_DEBUG='2'"),
        (
            "DUTYCHAIN_LOGIN_FAILURE_LIMIT",
            "ten",
            "DUTYCHAIN_LOGIN_FAILURE_LIMIT='ten': a whole number is required",
        ),
        ("DUTYCHAIN_INSPECTION_WINDOW_DAYS", "0", "DUTYCHAIN_INSPECTION_WINDOW_DAYS='0': at least 1"),
    ],
)
def test_a_mistyped_environment_value_stops_the_start_naming_the_variable(variable, value, message):
    done = fresh_python(f"import config.wsgi; {SETTINGS_OF}", **{variable: value})
    assert done.returncode != 0
    assert message in done.stderr


@pytest.mark.parametrize(
    ("value", "debug"), [("0", "False"), ("off", "False"), ("No", "False"), ("yes", "True")]
)
def test_the_spelled_out_booleans_are_read_as_written(value, debug):
    done = fresh_python(f"import config.wsgi; {SETTINGS_OF}", DJANGO_DEBUG=value)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == debug


READS = re.compile(r"""(?:environ\.get|environ\[|env_bool|env_int|getenv)\(?\s*["']([A-Z][A-Z0-9_]+)["']""")


def test_every_environment_variable_the_code_reads_is_in_the_readme_table():
    read = set()
    for folder in ("config", "responsibility", "accountability", "accounts"):
        for path in (REPO / folder).rglob("*.py"):
            read |= set(READS.findall(path.read_text(encoding="utf-8")))
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Settings from the environment") :]
    table = table[: table.index("\n## ", 3)]
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", table, flags=re.MULTILINE))
    assert read, "no environment reads found: the pattern is wrong"
    assert read - documented == set(), "read by the code but not in the README table"
