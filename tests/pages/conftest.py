"""Fixtures for the page tests: the worked example with an account per role (load_demo's accounts).

The county is loaded once per test module inside a transaction that is rolled back when the module
ends; each test runs in a savepoint within it (pytest-django's `db`), so what a test writes is undone
and the next test sees the county as loaded. The browser test, which needs committed data for its
live server, loads its own.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from responsibility.management.commands.load_demo import create_demo_users
from tests.conftest import DEMO_FILE

PASSWORD = "pages-test-pw-1"


@pytest.fixture(scope="module")
def county_once(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("import_scenario", str(DEMO_FILE), quiet=True, stdout=StringIO())
        create_demo_users(PASSWORD)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_users(county_once, db):
    """admin, inspector (region SD), regulator (d_housing), township (t1_gov), enterprise (e1), enterprise2 (e2)."""


@pytest.fixture
def login(demo_users):
    def client_for(username: str) -> Client:
        client = Client()
        assert client.login(username=username, password=PASSWORD)
        return client

    return client_for


@pytest.fixture
def inspector(login):
    return login("inspector")
