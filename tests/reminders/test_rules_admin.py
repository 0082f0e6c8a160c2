"""Rules are data: loaded by migration, editable in the admin, with the schedule in django-celery-beat."""

import importlib

import pytest
from django.contrib.auth.models import User
from django_celery_beat.models import PeriodicTask

from accountability.models import ReminderRule
from accountability.reminders import rules as reminders


@pytest.fixture
def admin_client_(db, client):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "pw"))
    return client


def test_the_migration_loads_the_default_rules_and_the_daily_schedule(db):
    migration = importlib.import_module("accountability.migrations.0003_reminders")
    handover = importlib.import_module("accountability.migrations.0010_findings_channels_handovers")
    # The migrations keep frozen copies of the defaults; the living ones must not drift from them.
    living = [
        {**r, "kind": str(r["kind"]), "recipients": [str(x) for x in r["recipients"]]}
        for r in reminders.DEFAULT_RULES
    ]
    alerts = importlib.import_module("accountability.migrations.0013_alerts_and_government_findings")
    n_new = len(reminders.FINDING_AND_ALERT_RULES)
    assert reminders.DEFAULT_RULES[: -1 - n_new] == migration.DEFAULT_RULES
    assert living[-1 - n_new] == handover.HANDOVER_RULE
    assert [
        (r["code"], r["name"], r["kind"], r["offsets"], r["recipients"], r.get("digest", False), r["basis"])
        for r in living[-n_new:]
    ] == [tuple(rule) for rule in alerts.NEW_REMINDER_RULES]
    assert set(ReminderRule.objects.values_list("code", flat=True)) == {
        s["code"] for s in reminders.DEFAULT_RULES
    }
    tasks = {t.task: t for t in PeriodicTask.objects.select_related("crontab")}
    sweep_task = tasks["accountability.tasks.sweep_reminders"]
    assert (sweep_task.enabled, sweep_task.crontab.hour, sweep_task.crontab.minute) == (True, "7", "30")
    assert str(sweep_task.crontab.timezone) == "Asia/Shanghai"
    assert "accountability.tasks.send_daily_digests" in tasks


def test_every_default_rule_is_valid(db):
    ReminderRule.objects.all().delete()
    assert reminders.ensure_default_rules() == len(reminders.DEFAULT_RULES)
    assert reminders.ensure_default_rules() == 0


@pytest.mark.parametrize("model", ["reminderrule", "reminderlog", "notification", "reminderdigest"])
def test_the_admin_lists_them(admin_client_, model):
    assert admin_client_.get(f"/admin/accountability/{model}/").status_code == 200


def test_a_rule_is_edited_in_the_admin(admin_client_):
    rule = ReminderRule.objects.get(code="hazard-overdue")
    page = admin_client_.get(f"/admin/accountability/reminderrule/{rule.pk}/change/")
    assert page.status_code == 200 and 'value="1"' in page.content.decode()
    response = admin_client_.post(
        f"/admin/accountability/reminderrule/{rule.pk}/change/",
        {
            "code": rule.code,
            "name": rule.name,
            "kind": rule.kind,
            "active": "on",
            "basis": rule.basis,
            "offsets": "1，7, 14",
            "catch_up_days": "7",
            "hazard_level": "",
            "recipients": ["primary", "supervising"],
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.offsets, rule.recipients, rule.catch_up_days) == ([1, 7, 14], ["primary", "supervising"], 7)
    assert rule.history.count() >= 1


def test_the_schedule_is_editable_in_the_admin(admin_client_):
    task = PeriodicTask.objects.get(task="accountability.tasks.sweep_reminders")
    assert admin_client_.get(f"/admin/django_celery_beat/periodictask/{task.pk}/change/").status_code == 200
