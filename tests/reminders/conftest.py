"""Fixtures for the reminder tests: the worked example, the default rules, hazards on a chosen clock."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from accountability.models import Hazard, Notification, ReminderLog, ReminderRule
from accountability.reminders.rules import ensure_default_rules
from accountability.reminders.sweep import sweep
from config.celery import app as celery_app
from responsibility.models import Position, Sector, Unit

# The worked example's overdue major hazard H1 (e2, 高新化工) had its deadline on this day.
H1_DEADLINE = dt.date(2024, 5, 31)


@pytest.fixture
def rules(db):
    """The default rules (loaded by migration; a transactional test's flush removes them, so re-load)."""
    ensure_default_rules()
    return {rule.code: rule for rule in ReminderRule.objects.all()}


@pytest.fixture
def only_rules(rules):
    """Switch every rule off except those named: one rule's behaviour at a time."""

    def keep(*codes):
        ReminderRule.objects.exclude(code__in=codes).update(active=False)
        return [ReminderRule.objects.get(code=code) for code in codes]

    return keep


@pytest.fixture
def make_hazard(demo_county):
    """A hazard of the worked example's enterprises; by default a major one of the chemical plant e2."""
    counter = itertools.count(1)

    def make(*, enterprise="e2", sector="hazchem", responsible="e2_gm", **overrides) -> Hazard:
        deadline = overrides.pop("deadline", dt.date(2024, 7, 10))
        fields = {
            "code": f"RH{next(counter)}",
            "title": "储罐区静电接地失效",
            "enterprise": Unit.objects.get(code=enterprise),
            "sector": Sector.objects.get(code=sector),
            "level": "major",
            "source": "inspection",
            "found_on": min(deadline, dt.date(2024, 1, 2)),
            "deadline": deadline,
            "state": "rectifying",
            "measures": "更换接地装置",
            "responsible_position": Position.objects.get(code=responsible) if responsible else None,
            "funds_yuan": Decimal("50000"),
            "contingency_plan": "专项应急预案",
        }
        fields.update(overrides)
        return Hazard.objects.create(**fields)

    return make


@pytest.fixture
def run(rules):
    """One sweep on a given day, delivered in-process (the send_reminders path)."""

    def run_sweep(day, **options):
        options.setdefault("dispatch", "inline")
        return sweep(now=day, **options)

    return run_sweep


def sent(report=None, **filters) -> set[tuple]:
    """(rule code, object code, threshold, person code or user name) of the reminders delivered."""
    logs = ReminderLog.objects.filter(state="delivered", **filters).select_related("rule", "person", "user")
    if report is not None:
        logs = logs.filter(pk__in=report.claimed_ids + report.redelivered_ids)
    return {
        (
            log.rule.code,
            log.subject_code,
            log.offset,
            log.person.code if log.person_id else log.user.get_username(),
        )
        for log in logs
    }


def notified(person_code: str) -> list[Notification]:
    return list(Notification.objects.filter(person__code=person_code).order_by("id"))


@pytest.fixture
def eager_celery():
    """Tasks run in-process (the embedded default), whatever REDIS_URL the suite was started with."""
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield celery_app
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved
