"""resolve_chains: a batch of events (accidents, hazards, each with its own scope, sectors, day, grade and
period) costs the queries of one event, and gives every event exactly the links resolve_chain gives it alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import given

from accountability.events import accident_event, hazard_event, load_accident, load_hazard
from accountability.models import Accident, Hazard
from responsibility.chain import EventScope, resolve_chain, resolve_chains
from responsibility.models import Sector
from responsibility.scenario import import_scenario
from tests.responsibility.test_chain_differential import chain_request, world_settings, worlds

pytestmark = pytest.mark.django_db


def codes(links) -> list[dict]:
    return [link.as_codes() for link in links]


def alone(request) -> list[dict]:
    return codes(
        resolve_chain(
            request.scope,
            request.sector,
            request.on_date,
            request.grade,
            since=request.since,
            also_sectors=request.also_sectors,
            investigation_level=request.investigation_level,
        )
    )


def counted(requests):
    with CaptureQueriesContext(connection) as queries:
        chains = resolve_chains(requests)
    return len(queries), chains


def example_events() -> list:
    """The worked examples' accidents and hazards as the product traces them, then the same events moved
    in time, up and down the grades and over periods: 20 events of different enterprises, regions (one
    with no enterprise), sectors, days, grades and periods."""
    traced = [accident_event(load_accident(a.code)) for a in Accident.objects.order_by("code")]
    traced += [hazard_event(load_hazard(h.code)) for h in Hazard.objects.order_by("code")]
    events = list(traced)
    sectors = list(Sector.objects.order_by("code"))
    for n, event in enumerate((traced * 20)[: 20 - len(traced)]):
        moved = dataclasses.replace(
            event,
            on_date=event.on_date - dt.timedelta(days=97 * (n + 1)),
            grade=[None, "general", "larger", "major", "especially_major"][n % 5],
            since=event.on_date - dt.timedelta(days=400 * (n % 3)) if n % 3 else None,
            also_sectors=tuple(sectors[n % len(sectors) : n % len(sectors) + n % 2]),
        )
        if n % 7 == 3:  # an event with no enterprise: only a region
            moved = dataclasses.replace(moved, scope=EventScope(region=event.scope.region))
        events.append(moved)
    return events[:20]


@pytest.mark.parametrize("example", ["demo_county", "old_house"])
def test_a_batch_of_twenty_events_takes_the_queries_of_one(example, request):
    request.getfixturevalue(example)
    events = example_events()
    assert len(events) == 20
    assert len({(e.scope.enterprise, e.scope.region.pk, e.on_date, e.grade, e.since) for e in events}) == 20

    one, _ = counted(events[:1])
    twenty, chains = counted(events)

    assert one == twenty, (one, twenty)
    assert twenty <= 7
    for event, links in zip(events, chains, strict=True):
        assert codes(links) == alone(event), event
    assert any(links for links in chains)


def test_an_empty_batch_asks_nothing(db):
    assert counted([]) == (0, [])


def test_a_batch_keeps_the_order_and_repeats_of_its_requests(demo_county):
    first, second = example_events()[:2]
    chains = resolve_chains([second, first, second])
    assert [codes(c) for c in chains] == [alone(second), alone(first), alone(second)]


@world_settings("BATCH_EXAMPLES", 15)
@given(doc=worlds())
def test_every_event_of_a_random_world_gets_its_own_chain_from_one_batch(doc):
    """Random worlds of test_chain_differential (where resolve_chain is checked against the reference):
    all their accidents and hazards in one batch."""
    from tests.responsibility.reference_chain import World
    from tests.responsibility.reference_chain import accident_event as reference_accident
    from tests.responsibility.reference_chain import hazard_event as reference_hazard

    world = World(doc)
    with transaction.atomic():
        import_scenario(json.dumps(doc))
        events = [reference_accident(world, a["code"]) for a in doc["accidents"]]
        events += [reference_hazard(world, h["code"]) for h in doc["hazards"]]
        requests = [chain_request(event) for event in events]
        chains = resolve_chains(requests)
        for request, links in zip(requests, chains, strict=True):
            assert codes(links) == alone(request)
        transaction.set_rollback(True)
