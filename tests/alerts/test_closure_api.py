"""安全生产法 Art 113: a 重大隐患 penalised 3 times in 180 days raises a closure alert on the penalty that
crosses the threshold, naming the enterprise's principal; the enterprise sees its own through the API
and nothing of another enterprise's."""

import datetime as dt

import pytest
from django.utils import timezone

from accountability.alerts import raise_alerts, record_penalty
from accountability.models import Alert, AlertKind, Hazard, HazardLevel, HazardSource
from responsibility.management.commands.load_demo import create_demo_users
from responsibility.models import Sector, Unit
from tests.api.conftest import token_client


def _major(code, enterprise, sector, today):
    return Hazard.objects.create(
        code=code,
        title=f"重大隐患 {code}",
        enterprise=Unit.objects.get(code=enterprise),
        sector=Sector.objects.get(code=sector),
        level=HazardLevel.MAJOR,
        source=HazardSource.INSPECTION,
        found_on=today - dt.timedelta(days=100),
        deadline=today + dt.timedelta(days=30),
    )


@pytest.fixture
def penalised(alert_rules, django_capture_on_commit_callbacks):
    create_demo_users("pw-closure")
    today = timezone.localdate()
    hazards = [_major("HM1", "e1", "housing", today), _major("HM2", "e2", "hazchem", today)]
    for hazard in hazards:
        for n, days in enumerate((60, 30, 10), start=1):
            with django_capture_on_commit_callbacks(execute=True):
                record_penalty(
                    hazard=hazard,
                    decided_on=today - dt.timedelta(days=days),
                    document=f"罚字〔{today.year}〕{hazard.code}-{n}号",
                )
    return hazards


def test_the_third_penalty_raises_one_closure_alert_per_hazard_naming_the_principal(penalised):
    alerts = {a.enterprise.code: a for a in Alert.objects.filter(kind=AlertKind.CLOSURE)}
    assert set(alerts) == {"e1", "e2"}
    assert alerts["e1"].count == 3 and alerts["e1"].penalties.count() == 3
    assert [(n.duty_type, n.person.code) for n in alerts["e1"].named.all()] == [("primary", "p17")]
    assert [(n.duty_type, n.person.code) for n in alerts["e2"].named.all()] == [("primary", "p23")]
    assert alerts["e1"].summoned_by.code == "d_gov"
    # The sweep finds the same windows: nothing new.
    assert [created for _, created in raise_alerts(kinds=[AlertKind.CLOSURE])] == [False, False]


def test_the_enterprise_sees_its_own_closure_alert_through_the_api_and_nothing_of_another(penalised):
    from django.contrib.auth.models import User

    mine = Alert.objects.get(kind=AlertKind.CLOSURE, enterprise__code="e1")
    theirs = Alert.objects.get(kind=AlertKind.CLOSURE, enterprise__code="e2")
    client = token_client(User.objects.get(username="enterprise"))
    listed = client.get("/api/v1/alerts/")
    assert listed.status_code == 200
    assert [a["code"] for a in listed.json()["results"]] == [mine.code]
    detail = client.get(f"/api/v1/alerts/{mine.code}/").json()
    assert detail["enterprise"] == "e1" and [n["person"] for n in detail["named"]] == ["p17"]
    assert client.get(f"/api/v1/alerts/{theirs.code}/").status_code == 404
    assert client.get("/api/v1/alerts/", {"search": theirs.code}).json()["count"] == 0
    # Handling is for 安委办 and 纪检 only.
    assert client.post(f"/api/v1/alerts/{mine.code}/handle/", {}, format="json").status_code == 403
    # 安委办 records the closure decision's 文号 and closes it.
    admin = token_client(User.objects.get(username="admin"))
    handled = admin.post(
        f"/api/v1/alerts/{mine.code}/handle/", {"decision_document": "示政〔2026〕12号"}, format="json"
    )
    assert handled.status_code == 200 and handled.json()["state"] == "handled"
    assert admin.post(f"/api/v1/alerts/{mine.code}/close/").json()["state"] == "closed"
