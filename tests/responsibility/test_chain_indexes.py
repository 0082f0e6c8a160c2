"""The queries that grow with a province read duties, units and positions through indexes (issue 16).

A fixed query count cannot see a full scan, so the plan is asked of PostgreSQL for the very statements
(SQL and parameters) a trace and an enterprise's duty list run, on the bench's generated province of
1,000 enterprises with statistics taken, and with the planner free (no switch turned off): what it
chooses here is what it chooses for a real province, where a scan of every duty costs seconds.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from guardian.shortcuts import assign_perm

from accountability.models import Accident
from accountability.tracing import TraceRequest, resolve
from bench import province
from responsibility.models import Unit
from responsibility.permissions import ACT_FOR_ENTERPRISE, Role, ensure_role_groups

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def generated_province():
    province.load(1000)  # ~6,000 duties, 5,600 positions, 3,000 units; ANALYZEd


def statements(action) -> list[tuple[str, list]]:
    seen = []

    def record(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        action()
    return seen


def only(found: list, starts: str) -> tuple[str, list]:
    matching = [(sql, params) for sql, params in found if sql.lstrip().startswith(starts)]
    assert len(matching) == 1, [sql[:80] for sql, _ in found]
    return matching[0]


def plan_of(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_trace_finds_its_candidate_duties_by_index_and_reads_them_by_primary_key(generated_province):
    code = (
        Accident.objects.filter(enterprise__isnull=False).order_by("code").values_list("code", flat=True)[7]
    )

    found = statements(lambda: resolve(TraceRequest.of({"accident": code})))

    ids = plan_of(*only(found, "WITH regions AS"))
    rows = plan_of(*only(found, 'SELECT "responsibility_duty"."id"'))
    assert "Seq Scan on responsibility_duty " not in ids + " ", ids
    for index in ("holder_unit_id", "holder_position_id", "region_id"):
        assert f"responsibility_duty_{index}" in ids, ids
    assert "responsibility_position_unit_id" in ids and "responsibility_unit_region_id" in ids, ids
    assert "Seq Scan on responsibility_duty " not in rows + " " and "responsibility_duty_pkey" in rows, rows


def test_an_enterprise_users_duty_list_reads_its_holders_and_duties_by_index(generated_province, client):
    user = User.objects.create_user("planned")
    user.groups.add(ensure_role_groups()[Role.ENTERPRISE])
    assign_perm(f"responsibility.{ACT_FOR_ENTERPRISE}", user, Unit.objects.filter(kind="enterprise").last())
    client.force_login(user)

    found = statements(lambda: client.get("/api/v1/duties/"))

    holders = plan_of(
        *only(found, 'SELECT "responsibility_unit"."id" AS "pk", "responsibility_position"."id"')
    )
    count = plan_of(*only(found, 'SELECT COUNT(*) AS "__count" FROM "responsibility_duty"'))
    page = plan_of(*only(found, 'SELECT "responsibility_duty"."id" AS "pk" FROM'))  # the page's ids
    rows = plan_of(*only(found, 'SELECT "responsibility_duty"."id", '))  # then its rows by primary key
    assert "responsibility_unit_enterprise_id" in holders and "responsibility_position_unit_id" in holders
    for plan in (count, page):
        assert "Seq Scan on responsibility_duty " not in plan + " ", plan
        assert (
            "responsibility_duty_holder_unit_id" in plan and "responsibility_duty_holder_position_id" in plan
        )
    assert "Seq Scan on responsibility_duty " not in rows + " " and "responsibility_duty_pkey" in rows, rows
