"""Fixtures for the accountability tests: the worked example's events and a case opened from one."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction

from accountability.cases import open_case
from accountability.models import Accident, Hazard
from tests.conftest import DEMO_FILE
from tests.factories import opened_on

# The worked example's overdue hazard H1 (deadline 2024-05-31) is judged on a fixed day, not today.
AFTER_H1_DEADLINE = dt.date(2024, 6, 3)


@pytest.fixture(scope="module")
def _demo_county_once(django_db_setup, django_db_blocker):
    """The worked example imported once per module inside an outer transaction; each test then runs
    in a savepoint of it (pytest-django's per-test atomic nests), so tests stay isolated and fast."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("import_scenario", str(DEMO_FILE), quiet=True)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo_county(_demo_county_once, db):
    """The worked example county (see tests/conftest.py), loaded once per module for these tests.

    Transactional tests (threads that must see committed rows) override this in their module."""


@pytest.fixture
def accident(demo_county):
    """The 2·26 tower-crane collapse: 一般, two parties, reported in time."""
    return Accident.objects.get(code="A0226")


@pytest.fixture
def case(accident):
    # Opened the day after the accident, so the 2024 dates the tests record fall inside its timeline.
    return opened_on(open_case(accident=accident).case, dt.date(2024, 2, 27))


@pytest.fixture
def hazard_h1(demo_county):
    return Hazard.objects.get(code="H1")


@pytest.fixture
def investigator(db):
    return User.objects.create_user("investigator", password="pw-investigator-1")


@pytest.fixture
def make_hazard(demo_county):
    """A freshly reported hazard of the chemical plant e2, with the whole 五到位 plan unless told otherwise."""
    from decimal import Decimal

    from responsibility.models import Position, Sector, Unit

    counter = iter(range(1, 1000))

    def make(**overrides) -> Hazard:
        fields = {
            "code": f"HT{next(counter)}",
            "title": "储罐区静电接地失效",
            "enterprise": Unit.objects.get(code="e2"),
            "sector": Sector.objects.get(code="hazchem"),
            "level": "major",
            "source": "inspection",
            "found_on": dt.date(2024, 5, 1),
            "deadline": dt.date(2024, 6, 30),
            "measures": "更换接地装置",
            "responsible_position": Position.objects.get(code="e2_gm"),
            "funds_yuan": Decimal("50000"),
            "contingency_plan": "储罐区泄漏专项应急预案",
        }
        fields.update(overrides)
        return Hazard.objects.create(**fields)

    return make
