"""The sweep resolves the chains of all due hazards in batches: its number of queries does not follow the
number of due hazards or of their enterprises, and every hazard's recipients are those its own chain,
resolved alone, gives."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accountability.models import Hazard, ReminderLog
from accountability.reminders import recipients as recipients_module
from accountability.reminders.due import hazards_near_deadline
from accountability.reminders.recipients import chain_request
from accountability.reminders.sweep import sweep
from responsibility.chain import resolve_chain, resolve_chains
from responsibility.models import DutyType, Sector, Unit
from tests.factories import DutyFactory, EnterpriseFactory, PersonFactory, PositionFactory, TenureFactory

DEADLINE = dt.date(2024, 7, 10)
DAY = DEADLINE + dt.timedelta(days=1)  # hazard-overdue fires its threshold 1


@pytest.fixture
def firms(demo_county, only_rules):
    """`add(n)`: n more enterprises of the worked example's township, one due hazard each. Each has a
    principal; every third has its responsible post vacant (the reminder escalates), every fifth names
    the chemical plant e2 as a party."""
    only_rules("hazard-overdue")
    e2 = Unit.objects.get(code="e2")
    hazchem = Sector.objects.get(code="hazchem")
    made: list[Hazard] = []

    def add(n: int) -> list[Hazard]:
        for _ in range(n):
            i = len(made)
            firm = EnterpriseFactory(region=e2.region, sectors=[hazchem])
            boss = PositionFactory(unit=firm, title="总经理")
            TenureFactory(position=boss, person=PersonFactory())
            DutyFactory(type=DutyType.PRIMARY, holder_position=boss)
            post = PositionFactory(unit=firm, title="安全员")
            if i % 3:
                TenureFactory(position=post, person=PersonFactory())
            DutyFactory(type=DutyType.SAFETY_MANAGER, holder_position=post)
            hazard = Hazard.objects.create(
                code=f"BH{i:03d}",
                title="批量隐患",
                enterprise=firm,
                sector=hazchem,
                level="general",
                source="self_check",
                found_on=dt.date(2024, 6, 1),
                deadline=DEADLINE,
                state="rectifying",
                responsible_position=post,
            )
            if i % 5 == 0:
                hazard.parties.create(enterprise=e2, role="general_contractor")
            made.append(hazard)
        return list(made)

    return add


def counted_sweep(**options) -> tuple[int, object]:
    """(queries, report) of a sweep that claims; the claims' INSERTs are counted apart: they are
    written in batches (of 500, or what SQLite's limit on parameters allows), one per batch."""
    ReminderLog.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        report = sweep(now=DAY, dispatch="none", **options)
    inserts = [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    fields = [f for f in ReminderLog._meta.concrete_fields if not f.primary_key]
    per_insert = min(500, connection.ops.bulk_batch_size(fields, report.planned) or 500)
    assert len(inserts) == math.ceil(len(report.planned) / per_insert)
    return len(queries) - len(inserts), report


def chain_queries() -> int:
    """The queries of one resolve_chains call (one batch) for one of the due hazards."""
    request = chain_request(hazards_near_deadline(DEADLINE, DEADLINE)[0], DAY)[1]
    with CaptureQueriesContext(connection) as queries:
        resolve_chains([request])
    return len(queries)


def test_the_sweep_costs_the_same_queries_for_3_or_30_due_hazards_in_as_many_enterprises(firms, monkeypatch):
    firms(3)
    few, small = counted_sweep()
    firms(27)
    many, large = counted_sweep()
    assert (
        len({p.item.subject_id for p in large.planned})
        == len({p.item.subject_id for p in small.planned}) + 27
    )
    assert len(large.claimed_ids) > len(small.claimed_ids) >= 3
    assert many == few

    # In batches of 10 chains, 30 hazards take 3 batches: two batches more than 3 hazards, nothing else.
    monkeypatch.setattr(recipients_module, "CHAIN_BATCH", 10)
    batched, _ = counted_sweep()
    assert batched == few + 2 * chain_queries()


def test_every_due_hazard_has_the_recipients_of_its_own_chain_resolved_alone(firms, monkeypatch):
    hazards = firms(12)
    batched = sweep(now=DAY, dry_run=True)

    def one_by_one(requests):
        return [resolve_chain(r.scope, r.sector, r.on_date, r.grade) for r in requests]

    monkeypatch.setattr(recipients_module, "resolve_chains", one_by_one)
    alone = sweep(now=DAY, dry_run=True)

    def planned(report):
        return [
            (p.rule.code, p.item.subject_code, p.offset, p.recipient.key if p.recipient else None)
            + ((tuple(p.recipient.roles), tuple(p.recipient.notes)) if p.recipient else ())
            + (tuple(p.notes),)
            for p in report.planned
        ]

    assert planned(batched) == planned(alone)
    reached = {p.item.subject_code for p in batched.planned if p.recipient is not None}
    assert {h.code for h in hazards} <= reached
    # Escalation happened where the post is vacant.
    notes = {note for p in batched.planned if p.recipient for note in p.recipient.notes}
    assert any("岗位空缺" in note for note in notes)
