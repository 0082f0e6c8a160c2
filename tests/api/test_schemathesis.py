"""Schemathesis over the whole OpenAPI schema, with an enterprise token and an inspector token: no 5xx,
every status code documented, every response body and content type as the schema says.

Bounded: a few examples per operation and token, each request rolled back so the world stays put.
Path parameters are either generated or taken from objects that exist, so detail responses are
checked too, not only 404s.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from contextlib import contextmanager

import hypothesis.strategies as st
import schemathesis
from django.core import signals
from django.core.files.base import ContentFile
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accountability import cases as case_services
from accountability.models import AccountabilityRecord, Case, Hazard, HazardTransition
from accounts.services import issue_api_key
from config.wsgi import application
from tests.factories import opened_on

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 3


@contextmanager
def one_connection_for_wsgi_requests():
    """Requests through the WSGI handler share the test's connection and transaction: keep Django from
    closing it at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def existing_objects() -> dict[str, dict]:
    """Path parameters of objects both tokens can see, by path prefix."""
    case = opened_on(Case.objects.get(code="CASE-A-A0226"), dt.date(2024, 2, 26))  # recorded as it happened
    record = AccountabilityRecord.objects.get(case=case, person_code="p17")
    case_services.record_finding(
        record=record, finding="responsible", category="principal", measures=[{"kind": "party_warning"}]
    )
    action = case_services.add_corrective_action(case=case, description="全面排查塔吊附着")
    period = case_services.add_appraisal_period(case=case, start=case.event_day)
    handover = case_services.hand_over(
        case=case, records=[record], handed_on=case.event_day, receiving_body="县监委"
    )
    hazard = Hazard.objects.get(code="HZ1")
    transition = HazardTransition.objects.create(
        hazard=hazard, to_state="submitted", evidence=ContentFile(b"photo", name="after.jpg")
    )
    return {
        "/api/v1/hazards/": {"code": "HZ1", "transition_id": transition.pk},
        "/api/v1/accidents/": {"code": "A0226"},
        "/api/v1/cases/": {
            "code": case.code,
            "action_id": action.pk,
            "period_id": period.pk,
            "handover_id": handover.pk,
            "kind": "handover",
            "entry_id": handover.pk,
        },
        "/api/v1/records/": {"id": record.pk},
        "/api/v1/regions/": {"code": "T1"},
        "/api/v1/sectors/": {"code": "housing"},
        "/api/v1/units/": {"code": "e1"},
        "/api/v1/positions/": {"code": "e1_chair"},
        "/api/v1/people/": {"code": "p17"},
        "/api/v1/persons/": {"code": "p17"},
        "/api/v1/duties/": {"code": "D18"},
    }


def strategy_for(operation, known: dict[str, dict]):
    generated = operation.as_strategy()
    names = {p.name for p in operation.path_parameters}
    fixed = next((v for prefix, v in known.items() if operation.path.startswith(prefix)), None)
    if not names or fixed is None:
        return generated
    return st.one_of(generated, operation.as_strategy(path_parameters={n: fixed[n] for n in names}))


def exercise(operation, strategy, headers: dict, statuses: Counter) -> None:
    """A bounded Hypothesis run of one operation with one token."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def holds(case):
        with transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        statuses[response.status_code // 100 * 100] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    holds()


def test_the_whole_schema_holds_for_an_enterprise_and_an_inspector_token(shared_world, db):
    started = time.monotonic()
    known = existing_objects()
    statuses: dict[str, Counter] = {}
    with one_connection_for_wsgi_requests():
        schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
        operations = [result.ok() for result in schema.get_all_operations()]
        for role in ("enterprise", "inspector"):
            headers = {
                "Authorization": f"Token {issue_api_key(user=shared_world.users[role], via='test')[1]}"
            }
            statuses[role] = Counter()
            for operation in operations:
                exercise(operation, strategy_for(operation, known), headers, statuses[role])
    print(f"schemathesis: {len(operations)} operations, {statuses}, {time.monotonic() - started:.1f}s")
    assert len(operations) >= 40
    for role, counted in statuses.items():
        assert sum(counted.values()) >= len(operations), role
        assert counted[200] > 0, role
