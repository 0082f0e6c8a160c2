"""Fixtures for the API tests: the worked example, a token per demo account, and objects outside scope.

Scopes of the demo accounts (load_demo.create_demo_users):
- admin: everything; inspector: region SD and below; regulator: d_housing (construction and gas in SD);
- township: t1_gov (all sectors in T1); enterprise: e1; enterprise2: e2.
The world adds what lies outside every non-admin scope: a county SX beside SD, and events at e6 (city level).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accountability.alerts import ensure_default_alert_rules
from accountability.cases import open_case
from accountability.models import (
    Accident,
    Alert,
    AlertKind,
    AlertRule,
    FindingSource,
    GovFinding,
    Hazard,
    HazardLevel,
    HazardSource,
)
from accounts.services import issue_api_key
from responsibility.management.commands.load_demo import create_demo_users
from responsibility.models import Region, Sector, Unit
from tests.conftest import DEMO_FILE

PASSWORD = "api-tests-password"
ROLES = ("anonymous", "admin", "inspector", "regulator", "township", "enterprise", "enterprise2")


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    """Throttle counters live in the cache; each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def token_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        _key, token = issue_api_key(user=user, via="test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@dataclass
class World:
    users: dict[str, User]
    clients: dict[str, APIClient]
    today: dt.date


def add_hazard(code: str, enterprise: str, sector: str, today: dt.date, **fields) -> Hazard:
    return Hazard.objects.create(
        code=code,
        title=f"隐患 {code}",
        enterprise=Unit.objects.get(code=enterprise),
        sector=Sector.objects.get(code=sector),
        level=fields.pop("level", HazardLevel.GENERAL),
        source=fields.pop("source", HazardSource.SELF_CHECK),
        found_on=fields.pop("found_on", today - dt.timedelta(days=10)),
        deadline=fields.pop("deadline", today + dt.timedelta(days=20)),
        **fields,
    )


def add_findings_and_alerts(today: dt.date) -> None:
    """Issue 28: government findings (GF1 to 住建局, GF2 to 东城街道, GF6 to the city's 住建局, outside SD)
    and alerts (Art 113 closure alerts of e1 and e2, a 约谈 of the city, outside SD)."""
    units = {
        u.code: u
        for u in Unit.objects.filter(code__in=["d_gov", "d_housing", "t1_gov", "c_gov", "c_housing"])
    }
    for code, issuer, assignee in (
        ("GF1", "d_gov", "d_housing"),
        ("GF2", "d_gov", "t1_gov"),
        ("GF6", "c_gov", "c_housing"),
    ):
        GovFinding.objects.create(
            code=code,
            title=f"问题 {code}",
            source=FindingSource.SUPERVISION,
            issuing_unit=units[issuer],
            assigned_unit=units[assignee],
            found_on=today - dt.timedelta(days=10),
            deadline=today + dt.timedelta(days=20),
        )
    ensure_default_alert_rules()
    closure = AlertRule.objects.get(code="closure-3-in-180")
    summons = AlertRule.objects.get(code="summons-sh-major-2-in-30")
    for code, rule, kind, enterprise, region in (
        ("AL-E1", closure, AlertKind.CLOSURE, "e1", None),
        ("AL-E2", closure, AlertKind.CLOSURE, "e2", None),
        ("AL-SX", summons, AlertKind.SUMMONS, None, "SC"),
    ):
        unit = Unit.objects.get(code=enterprise) if enterprise else None
        Alert.objects.create(
            code=code,
            rule=rule,
            kind=kind,
            subject_key=f"x:{code}",
            subject_label=code,
            window_start=today,
            window_end=today,
            fired_on=today,
            count=3,
            region=unit.region if unit else Region.objects.get(code=region),
            enterprise=unit,
        )


def build_world() -> World:
    """The worked example, an account per role, an open case per accident, one hazard per enterprise,
    and what lies outside the SD inspector: a county SX beside SD, a hazard and an accident at e6."""
    call_command("import_scenario", str(DEMO_FILE), quiet=True)
    create_demo_users(PASSWORD)
    users = {user.username: user for user in User.objects.all()}
    today = timezone.localdate()
    Region.objects.create(code="SX", name="邻区", level="county", parent=Region.objects.get(code="SC"))
    add_hazard("HZ1", "e1", "housing", today)
    add_hazard("HZ2", "e2", "hazchem", today)
    add_hazard("HZ6", "e6", "special_eq", today)
    e6 = Unit.objects.get(code="e6")
    Accident.objects.create(
        code="AC6",
        title="华塔起重机械伤害事故",
        enterprise=e6,
        region=e6.region,
        sector=Sector.objects.get(code="special_eq"),
        occurred_at=dt.datetime(2024, 5, 6, 10, 0, tzinfo=dt.UTC),
        reported_at=dt.datetime(2024, 5, 6, 10, 30, tzinfo=dt.UTC),
        deaths=1,
    )
    for code in ("A0226", "A0402", "AC6"):
        open_case(accident=Accident.objects.get(code=code))
    add_findings_and_alerts(today)
    clients = {role: token_client(users.get(role)) for role in ROLES}
    return World(users=users, clients=clients, today=today)


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """`build_world` once per module, in a transaction rolled back when the module ends (Django's
    setUpTestData for pytest). Tests still take `db`: each runs in a savepoint of its own."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
