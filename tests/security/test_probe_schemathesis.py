"""The probe's fuzzing pass, kept bounded: schemathesis over every operation of the OpenAPI schema for
every role (and anonymous), a few examples each, every request rolled back. No 5xx, every status and
body as documented — including the new 400s of the request guards."""

from __future__ import annotations

import time
from collections import Counter

import schemathesis

from accounts.services import issue_api_key
from config.wsgi import application
from tests.api.test_schemathesis import (
    exercise,
    existing_objects,
    one_connection_for_wsgi_requests,
    strategy_for,
)

ROLES = ("anonymous", "admin", "inspector", "regulator", "township", "enterprise", "enterprise2")


def test_every_operation_holds_for_every_role(world, tried):
    started = time.monotonic()
    known = existing_objects()
    with one_connection_for_wsgi_requests():
        schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
        operations = [result.ok() for result in schema.get_all_operations()]
        for role in ROLES:
            user = world.users.get(role)
            headers = {"Authorization": f"Token {issue_api_key(user=user, via='test')[1]}"} if user else {}
            statuses: Counter = Counter()
            for operation in operations:
                exercise(operation, strategy_for(operation, known), headers, statuses)
            tried[f"schemathesis: {role}"] += sum(statuses.values())
            assert statuses[500] == 0, role
    print(
        f"schemathesis probe: {len(operations)} operations x {len(ROLES)} roles, {time.monotonic() - started:.1f}s"
    )
    assert len(operations) >= 40
