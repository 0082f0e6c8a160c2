"""Fixtures for the page tests: the worked example with an account per role (load_demo's accounts)."""

import pytest
from django.test import Client

from responsibility.management.commands.load_demo import create_demo_users

PASSWORD = "pages-test-pw-1"


@pytest.fixture
def demo_users(demo_county):
    """admin, inspector (region SD), regulator (d_housing), township (t1_gov), enterprise (e1), enterprise2 (e2)."""
    create_demo_users(PASSWORD)


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
