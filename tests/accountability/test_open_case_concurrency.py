"""At most one case per source, also when many requests open it at the same moment."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections

from accountability.cases import open_case
from accountability.models import Accident, AccountabilityRecord, Case
from tests.conftest import DEMO_FILE

THREADS = 20


@pytest.fixture
def demo_county(transactional_db):
    """Committed rows the threads can see (not the savepoint-per-test fixture of this folder)."""
    call_command("import_scenario", str(DEMO_FILE), quiet=True)


def _open_concurrently(accident_id: int, threads: int = THREADS):
    barrier = threading.Barrier(threads)
    results, errors = [], []

    def worker():
        try:
            accident = Accident.objects.get(pk=accident_id)
            barrier.wait(timeout=30)
            opened = open_case(accident=accident)
            results.append((opened.case.pk, opened.created))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_openings_yield_one_case_and_one_set_of_records(demo_county, expected):
    accident = Accident.objects.get(code="A0318")
    results, errors = _open_concurrently(accident.pk)

    assert errors == []
    assert len(results) == THREADS
    assert len({case_id for case_id, _created in results}) == 1
    assert sum(created for _case_id, created in results) == 1
    assert Case.objects.filter(accident=accident).count() == 1
    case = Case.objects.get(accident=accident)
    assert AccountabilityRecord.objects.filter(case=case).count() == len(expected["cases"]["accident:A0318"])
    assert AccountabilityRecord.objects.count() == len(expected["cases"]["accident:A0318"])
    assert connection.vendor in ("postgresql", "sqlite")
