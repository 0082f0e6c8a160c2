"""Issue 23, races: a state change that may happen once happens once under concurrency, and the losers get
the refusal a second call gets one at a time (never a 500 or an IntegrityError); imports of the same rows
take turns. Real threads on committed rows (SQLite queues writers on its file lock; PostgreSQL row locks
and an advisory lock), as tests/accountability/test_open_case_concurrency.py does."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.utils import timezone

from accountability import hazards as hazard_services
from accountability.cases import (
    add_appraisal_period,
    close_case,
    end_appraisal_period,
    open_case,
)
from accountability.cases.work import complete_corrective_action
from accountability.models import (
    Accident,
    AppraisalPeriod,
    Case,
    CaseState,
    CorrectiveAction,
    ExtensionDecision,
    ExtensionRequest,
    Hazard,
    HazardListing,
    HazardState,
    HazardTransition,
)
from responsibility.models import ImportOutcome, ImportRun, Person, Unit
from responsibility.workbook import export_workbook
from tests.api import permission_calls as api
from tests.api.conftest import add_hazard
from tests.conftest import DEMO_FILE

THREADS = 12


@pytest.fixture
def county(transactional_db):
    """Committed rows the threads can see."""
    call_command("import_scenario", str(DEMO_FILE), quiet=True)


def race(call, threads: int = THREADS) -> tuple[list, list[str], list[Exception]]:
    """`call()` from `threads` threads released at once: (results, refusal messages, other exceptions)."""
    barrier = threading.Barrier(threads)
    results, refusals, errors = [], [], []

    def worker():
        try:
            barrier.wait(timeout=30)
            results.append(call())
        except ValidationError as exc:
            refusals.append(" ".join(exc.messages))
        except Exception as exc:  # collected and asserted by the test
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=180)
    return results, refusals, errors


def once_then_refused(call) -> str:
    """The message a second call gets one at a time (after the transition is undone by the test)."""
    try:
        call()
    except ValidationError as exc:
        return " ".join(exc.messages)
    raise AssertionError("a second call was not refused")


@pytest.mark.django_db(transaction=True)
def test_parallel_ends_of_an_appraisal_period_end_it_once(county):
    case = open_case(accident=Accident.objects.get(code="A0318")).case
    period = add_appraisal_period(case=case, start=case.event_day, subject="塔吊结构鉴定")
    end = case.event_day + dt.timedelta(days=9)

    def call():
        fresh = AppraisalPeriod.objects.select_related("case").get(pk=period.pk)
        return end_appraisal_period(period=fresh, end=end)

    results, refusals, errors = race(call)

    assert errors == []
    assert len(results) == 1
    assert refusals == ["该鉴定期间已结束"] * (THREADS - 1)
    assert refusals[0] == once_then_refused(call)
    assert Case.objects.get(pk=case.pk).appraisal_days == 10
    assert AppraisalPeriod.history.filter(id=period.pk, end__isnull=False).count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_listings_of_a_hazard_list_it_once_and_refuse_the_rest(county):
    hazard = add_hazard("HZR1", "e1", "housing", timezone.localdate())
    unit = Unit.objects.get(code="d_housing")

    def call():
        return hazard_services.list_for_supervision(
            hazard=Hazard.objects.get(pk=hazard.pk), listing_unit=unit, due_on=timezone.localdate()
        )

    results, refusals, errors = race(call)

    assert errors == []  # no IntegrityError on the one-listing-per-hazard key
    assert len(results) == 1
    assert refusals == [once_then_refused(call)] * (THREADS - 1)
    assert HazardListing.objects.filter(hazard=hazard).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "state,move,expected_state",
    [
        (
            HazardState.SUBMITTED,
            lambda h: hazard_services.verify_and_close(hazard=h, on=h.found_on),
            HazardState.CLOSED,
        ),  # 销号
        (
            HazardState.SUBMITTED,
            lambda h: hazard_services.reject_submission(hazard=h, reason="证明材料不全"),
            HazardState.RECTIFYING,
        ),  # a submission sent back (withdrawn from review)
        (
            HazardState.RECTIFYING,
            lambda h: hazard_services.submit_rectification(hazard=h, on=h.found_on),
            HazardState.SUBMITTED,
        ),
    ],
    ids=["close", "reject", "submit"],
)
def test_parallel_hazard_transitions_happen_once(county, state, move, expected_state):
    add_hazard("HZ1", "e1", "housing", timezone.localdate())
    api.hazards_in(state)()
    hazard = Hazard.objects.get(code="HZ1")
    before = HazardTransition.objects.filter(hazard=hazard).count()

    def call():
        return move(Hazard.objects.get(pk=hazard.pk))

    results, refusals, errors = race(call)

    assert errors == []
    assert len(results) == 1
    assert len(set(refusals)) == 1 and len(refusals) == THREADS - 1
    assert refusals[0] == once_then_refused(call)
    assert Hazard.objects.get(pk=hazard.pk).state == expected_state
    assert HazardTransition.objects.filter(hazard=hazard).count() == before + 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("approve", [True, False])
def test_parallel_decisions_on_an_extension_decide_it_once(county, approve):
    add_hazard("HZ1", "e1", "housing", timezone.localdate())
    api.hazards_with_pending_extension()
    extension = ExtensionRequest.objects.get(hazard__code="HZ1")

    def call():
        fresh = ExtensionRequest.objects.get(pk=extension.pk)
        return hazard_services.decide_extension(request=fresh, approve=approve)

    results, refusals, errors = race(call)

    assert errors == []
    assert len(results) == 1
    assert refusals == ["该延期申请已审批"] * (THREADS - 1)
    extension.refresh_from_db()
    assert extension.decision == (ExtensionDecision.APPROVED if approve else ExtensionDecision.DENIED)
    hazard = Hazard.objects.get(code="HZ1")
    assert hazard.deadline == (extension.requested_deadline if approve else extension.previous_deadline)


@pytest.mark.django_db(transaction=True)
def test_parallel_closings_close_a_case_once(county):
    case = open_case(accident=Accident.objects.get(code="A0318")).case
    api.cases_closable()

    results, refusals, errors = race(lambda: close_case(case=Case.objects.get(pk=case.pk)))

    assert errors == [] and refusals == []  # closing a closed case is a no-op, as one at a time
    assert len(results) == THREADS
    closed = Case.objects.get(pk=case.pk)
    assert closed.state == CaseState.CLOSED
    assert {r.closed_at for r in results} == {closed.closed_at}
    closings = closed.history.filter(state=CaseState.CLOSED).values_list("closed_at", flat=True)
    assert set(closings) == {closed.closed_at}


@pytest.mark.django_db(transaction=True)
def test_parallel_confirmations_of_a_corrective_action_confirm_it_once(county):
    case = open_case(accident=Accident.objects.get(code="A0318")).case
    api.cases_with_an_action()
    action = CorrectiveAction.objects.get(case=case)

    def call():
        fresh = CorrectiveAction.objects.select_related("case").get(pk=action.pk)
        return complete_corrective_action(action=fresh, done_on=case.event_day)

    results, refusals, errors = race(call)

    assert errors == []
    assert len(results) == 1
    assert refusals == ["该整改措施已确认完成"] * (THREADS - 1)


# ---- imports -----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_parallel_command_line_imports_of_the_same_file_take_turns(transactional_db, capsys):
    runs = 6
    results, refusals, errors = race(
        lambda: call_command("import_scenario", str(DEMO_FILE), quiet=True), threads=runs
    )

    assert errors == [] and refusals == []  # no IntegrityError traceback
    assert len(results) == runs
    assert ImportRun.objects.filter(outcome=ImportOutcome.IMPORTED).count() == runs
    first, *others = ImportRun.objects.order_by("pk")
    assert first.created > 0
    assert all(run.created == 0 and run.changed == 0 for run in others)
    assert Person.objects.filter(code="p01").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_workbook_confirmed_several_times_at_once_imports_once(county):
    admin = User.objects.create_superuser("wb-admin", password="x")
    content = export_workbook()
    Person.objects.filter(code="p01").update(name="改前姓名")  # the workbook will change it back
    uploader = Client()
    uploader.force_login(admin)
    upload = {"file": _named(content)}
    preview = uploader.post("/matrix/import/", upload)
    assert preview.status_code == 200
    digest = preview.context["digest"]
    cookies = uploader.cookies

    statuses: Counter = Counter()

    def call():
        client = Client()
        client.cookies = cookies
        response = client.post("/matrix/import/", {"confirm": "1", "digest": digest})
        statuses[response.status_code] += 1
        return response

    results, refusals, errors = race(call, threads=6)

    assert errors == []
    assert all(status < 500 for status in statuses), statuses
    assert Person.objects.get(code="p01").name != "改前姓名"
    imported = ImportRun.objects.filter(outcome=ImportOutcome.IMPORTED, source__contains="工作簿")
    assert imported.count() >= 1
    assert sum(run.changed for run in imported) == 1  # the one changed name, once


def _named(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("matrix.xlsx", content)
