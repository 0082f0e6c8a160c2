"""Exactly one alert per (rule, subject, window), also when sweeps and writes count at the same moment."""

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connections

from accountability.alerts import ensure_default_alert_rules, raise_alerts
from accountability.models import Alert, AlertKind, AlertPerson
from tests.alerts.conftest import major_accident
from tests.conftest import DEMO_FILE

THREADS = 8


@pytest.fixture
def committed_pattern(transactional_db):
    """Committed rows the threads can see: the demo county, the rules, two 重大 accidents in T1."""
    call_command("import_scenario", str(DEMO_FILE), quiet=True)
    ensure_default_alert_rules()
    major_accident("AM1", "T1", dt.date(2024, 5, 1))
    major_accident("AM2", "T1", dt.date(2024, 5, 20))


@pytest.mark.django_db(transaction=True)
def test_simultaneous_counts_raise_one_alert_with_one_set_of_names(committed_pattern):
    barrier = threading.Barrier(THREADS)
    created, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=30)
            created.extend(
                flag for _alert, flag in raise_alerts(dt.date(2024, 5, 21), kinds=[AlertKind.SUMMONS])
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)

    assert errors == []
    assert len(created) == THREADS and sum(created) == 1
    alert = Alert.objects.get()
    assert AlertPerson.objects.filter(alert=alert).count() == 3
    assert alert.accidents.count() == 2
