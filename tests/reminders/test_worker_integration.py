"""Against the real Redis on localhost and a real Celery worker (a subprocess on the test database)."""

import datetime as dt
import uuid

import pytest

from accountability.models import Case, Notification, ReminderLog
from accountability.reminders.sweep import sweep
from accountability.tasks import sweep_reminders
from responsibility.models import Person

from .conftest import H1_DEADLINE
from .workers import Worker, mailed_message_ids, publishing_to, shared_redis_url, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    started = Worker(
        broker=shared_redis_url(),
        queue=f"reminders-test-{uuid.uuid4().hex[:8]}",
        mail_dir=mail_dir,
        log_dir=tmp_path,
    )
    yield started
    started.stop()


def delivered() -> set[tuple[str, str, str]]:
    return set(Notification.objects.values_list("reminder__rule__code", "subject_code", "person__code"))


def test_the_worked_example_is_delivered_by_a_real_worker_and_a_second_sweep_delivers_none(
    demo_county, rules, worker
):
    Person.objects.filter(code__in=["p23", "p14", "p08"]).update(email="someone@example.org")
    worker.start()
    with publishing_to(worker.broker, worker.queue):
        first = sweep(now=H1_DEADLINE + dt.timedelta(days=1))
        assert (len(first.claimed_ids), first.enqueued) == (2, 2)
        wait_for(
            lambda: not ReminderLog.objects.filter(state="pending").exists(), 120, "delivery", log=worker
        )
        assert delivered() == {("hazard-overdue", "H1", "p23"), ("hazard-overdue", "H1", "p14")}

        again = sweep(now=H1_DEADLINE + dt.timedelta(days=1))
        assert (again.claimed_ids, again.redelivered_ids, again.enqueued) == ([], [], None)

        # The periodic task itself, through the broker: the worker sweeps, escalates, opens the case.
        sweep_reminders.delay((H1_DEADLINE + dt.timedelta(days=30)).isoformat())
        wait_for(lambda: Notification.objects.count() == 5, 120, "the escalation", log=worker)
        wait_for(
            lambda: not ReminderLog.objects.filter(state="pending").exists(), 120, "delivery", log=worker
        )
        assert delivered() - {("hazard-overdue", "H1", "p23"), ("hazard-overdue", "H1", "p14")} == {
            ("hazard-overdue-escalation", "H1", "p23"),
            ("hazard-overdue-escalation", "H1", "p14"),
            ("hazard-overdue-escalation", "H1", "p08"),
        }
        assert Case.objects.filter(hazard__code="H1").count() == 1

        last = sweep(now=H1_DEADLINE + dt.timedelta(days=30))
        assert (last.claimed_ids, last.redelivered_ids) == ([], [])
    assert Notification.objects.count() == 5
    ids = mailed_message_ids(worker.mail_dir)
    assert len(ids) == len(set(ids)) == 5
