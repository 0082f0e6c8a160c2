"""The sweep: indexed selection, claims before sending, nothing twice, nothing lost."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accountability.models import Case, Notification, ReminderLog
from accountability.reminders import sweep as sweep_module
from accountability.reminders.sweep import sweep

from .conftest import H1_DEADLINE, sent

ESCALATION_DAY = H1_DEADLINE + dt.timedelta(days=30)


def test_a_second_sweep_on_the_same_day_sends_nothing(demo_county, run):
    first = run(ESCALATION_DAY)
    assert {(rule, offset, person) for rule, _, offset, person in sent(first)} == {
        ("hazard-overdue", 1, "p23"),  # the first overdue day was missed: caught up
        ("hazard-overdue", 1, "p14"),
        ("hazard-overdue-escalation", 30, "p23"),
        ("hazard-overdue-escalation", 30, "p14"),
        ("hazard-overdue-escalation", 30, "p08"),
    }
    second = run(ESCALATION_DAY)
    assert second.planned == [] and second.claimed_ids == []
    assert Notification.objects.count() == 5


def test_a_dry_run_claims_and_sends_nothing(demo_county, rules):
    report = sweep(now=ESCALATION_DAY, dry_run=True)
    assert len(report.sent) == 5
    assert "隐患就是事故：将按事故开立一案双查案件" in report.planned[-1].notes
    assert not ReminderLog.objects.exists() and not Notification.objects.exists()
    assert not Case.objects.filter(hazard__code="H1").exists()


def test_a_racing_sweep_that_lost_the_claim_sends_nothing(demo_county, run, monkeypatch):
    run(H1_DEADLINE + dt.timedelta(days=1))
    # The other sweep read "unclaimed" before this one committed: only the unique rows stop it.
    monkeypatch.setattr(sweep_module, "drop_claimed", lambda due: due)
    late = run(H1_DEADLINE + dt.timedelta(days=1))
    assert late.planned and {p.outcome for p in late.planned} == {"taken"}
    assert late.claimed_ids == []
    assert Notification.objects.count() == 2


def test_the_sweep_costs_a_fixed_number_of_queries_whatever_the_table_holds(demo_county, make_hazard, rules):
    day = H1_DEADLINE + dt.timedelta(days=1)
    with CaptureQueriesContext(connection) as first:
        sweep(now=day, dispatch="none")
    with CaptureQueriesContext(connection) as again:
        sweep(now=day, dispatch="none")
    for n in range(40):  # closed, or due far from the sweep day: not selected
        make_hazard(deadline=dt.date(2023, 1, 1) + dt.timedelta(days=n), state="closed")
        make_hazard(deadline=dt.date(2025, 1, 1) + dt.timedelta(days=n))
    ReminderLog.objects.all().delete()
    with CaptureQueriesContext(connection) as bigger:
        sweep(now=day, dispatch="none")
    assert len(first) == len(bigger) <= 29
    # Nothing left to claim: one query for the alert rules (none here), one for the reminder rules, one
    # per kind of deadline (two for investigations: plain dates by index, and those moved by appraisal or
    # a set period), the rows of the due hazards by id and their prefetches (parties, actors, further
    # sectors), one for the claims already made, one for undelivered claims.
    assert len(again) <= 20


def test_claims_are_handed_to_celery_only_after_commit(
    demo_county, rules, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = sweep(now=H1_DEADLINE + dt.timedelta(days=1))
    assert len(report.claimed_ids) == 2 and not Notification.objects.exists()
    for callback in callbacks:
        callback()
    assert report.enqueued == 2
    assert Notification.objects.count() == 2


def test_claims_the_broker_never_got_are_sent_by_the_next_sweep(
    demo_county, rules, eager_celery, monkeypatch, django_capture_on_commit_callbacks
):
    eager_celery.conf.task_always_eager = False
    monkeypatch.setattr(eager_celery.conf, "broker_url", "redis://127.0.0.1:1/0")  # nothing listens there
    eager_celery._pool = None
    eager_celery.amqp._producer_pool = None
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep(now=H1_DEADLINE + dt.timedelta(days=1))
    assert (len(report.claimed_ids), report.enqueued) == (2, 0)
    assert ReminderLog.objects.filter(state="pending").count() == 2
    monkeypatch.undo()
    eager_celery._pool = None
    eager_celery.amqp._producer_pool = None
    eager_celery.conf.task_always_eager = True
    with django_capture_on_commit_callbacks(execute=True):
        later = sweep(now=H1_DEADLINE + dt.timedelta(days=2), redeliver_after=dt.timedelta(0))
    assert later.claimed_ids == [] and sorted(later.redelivered_ids) == sorted(report.claimed_ids)
    assert Notification.objects.count() == 2
    assert ReminderLog.objects.filter(state="delivered").count() == 2


@pytest.mark.parametrize("offsets", [[], ["x"], [True]])
def test_a_rule_needs_whole_day_offsets(rules, offsets):
    from django.core.exceptions import ValidationError

    rule = rules["hazard-overdue"]
    rule.offsets = offsets
    with pytest.raises(ValidationError):
        rule.full_clean()


def test_a_case_rule_cannot_name_chain_recipients(rules):
    from django.core.exceptions import ValidationError

    rule = rules["case-reply-due"]
    rule.recipients = ["primary"]
    with pytest.raises(ValidationError):
        rule.full_clean()
