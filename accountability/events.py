"""How an accident or a hazard is put to resolve_chain: its scope, sector, day and grade."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch

from responsibility.chain import EventScope, Link, investigating_level, resolve_chain
from responsibility.models import Sector

from .models import Accident, EventActor, EventParty, Hazard


@dataclass(frozen=True)
class TracedEvent:
    scope: EventScope
    sector: Sector
    on_date: dt.date
    grade: str | None
    since: dt.date | None = None  # §5.1: the day the hazard behind the event came into being
    also_sectors: tuple[Sector, ...] = ()  # §5.2
    investigation_level: str | None = None  # §5.11 提级调查

    def links(self) -> list[Link]:
        return resolve_chain(
            self.scope,
            self.sector,
            self.on_date,
            self.grade,
            since=self.since,
            also_sectors=self.also_sectors,
            investigation_level=self.investigation_level,
        )

    @property
    def level(self) -> str:
        """The level that investigates it (§3.5, §5.11): how far up the chain reaches."""
        return investigating_level(self.grade, self.investigation_level)


def _in_order(rows):
    """Parties and actors in document order (EVENT_PREFETCH leaves the sorting to here)."""
    return sorted(rows, key=lambda row: (row.order, row.pk))


def _parties(event) -> list[tuple]:
    """(enterprise, role, unit, post): §5.12's unit and post where the party's people were working."""
    return [(p.enterprise, p.role, p.unit, p.post) for p in _in_order(event.parties.all())]


def _actors(event) -> list[tuple]:
    return [(a.person, a.role, a.of) for a in _in_order(event.actors.all())]


def _also_sectors(event) -> tuple[Sector, ...]:
    return tuple(sorted(event.also_sectors.all(), key=lambda sector: sector.code))


def accident_event(accident: Accident) -> TracedEvent:
    """An accident answers on the day it occurred (China time), at its grade, where it happened."""
    scope = EventScope(
        region=accident.region,
        enterprise=accident.enterprise,
        unit=accident.unit,
        post=accident.post,
        parties=_parties(accident),
        actors=_actors(accident),
    )
    return TracedEvent(
        scope,
        accident.sector,
        accident.event_day,
        accident.grade,
        since=accident.hazard_since,
        also_sectors=_also_sectors(accident),
        investigation_level=accident.investigation_level or None,
    )


def hazard_event(hazard: Hazard) -> TracedEvent:
    """A hazard answers on its deadline (隐患就是事故: who should have fixed it by then), at county reach."""
    scope = EventScope(
        region=hazard.enterprise.region,
        enterprise=hazard.enterprise,
        unit=hazard.unit,
        parties=_parties(hazard),
        actors=_actors(hazard),
    )
    return TracedEvent(
        scope,
        hazard.sector,
        hazard.deadline,
        None,
        since=hazard.hazard_since,
        also_sectors=_also_sectors(hazard),
    )


# What an event's trace reads besides its own row, one query each: parties, actors (with the enterprise
# they control), further sectors. Unordered: the lists are sorted in Python (_in_order, _also_sectors), as
# ordering a select_related costs Django more than sorting a handful of rows.
EVENT_PREFETCH = (
    Prefetch(
        "parties",
        queryset=EventParty.objects.select_related("enterprise__region", "unit", "post").order_by(),
    ),
    Prefetch("actors", queryset=EventActor.objects.select_related("person", "of").order_by()),
    Prefetch("also_sectors", queryset=Sector.objects.order_by()),
)


def load_accident(code: str) -> Accident:
    return (
        Accident.objects.select_related("region", "enterprise__region", "sector", "unit", "post")
        .prefetch_related(*EVENT_PREFETCH, "investigator_rows__unit__region")
        .get(code=code)
    )


def load_hazard(code: str) -> Hazard:
    return (
        Hazard.objects.select_related("enterprise__region", "sector", "unit")
        .prefetch_related(*EVENT_PREFETCH)
        .get(code=code)
    )
