"""How an accident or a hazard is put to resolve_chain: its scope, sector, day and grade."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from responsibility.chain import EventScope, Link, resolve_chain
from responsibility.models import Sector

from .models import Accident, Hazard


@dataclass(frozen=True)
class TracedEvent:
    scope: EventScope
    sector: Sector
    on_date: dt.date
    grade: str | None

    def links(self) -> list[Link]:
        return resolve_chain(self.scope, self.sector, self.on_date, self.grade)


def accident_event(accident: Accident) -> TracedEvent:
    """An accident answers on the day it occurred (China time), at its grade, where it happened."""
    scope = EventScope(
        region=accident.region,
        enterprise=accident.enterprise,
        unit=accident.unit,
        post=accident.post,
        parties=[(p.enterprise, p.role) for p in accident.parties.all()],
        actors=[(a.person, a.role) for a in accident.actors.all()],
    )
    return TracedEvent(scope, accident.sector, accident.event_day, accident.grade)


def hazard_event(hazard: Hazard) -> TracedEvent:
    """A hazard answers on its deadline (隐患就是事故: who should have fixed it by then), at county reach."""
    scope = EventScope(
        region=hazard.enterprise.region,
        enterprise=hazard.enterprise,
        unit=hazard.unit,
        parties=[(p.enterprise, p.role) for p in hazard.parties.all()],
        actors=[(a.person, a.role) for a in hazard.actors.all()],
    )
    return TracedEvent(scope, hazard.sector, hazard.deadline, None)


def load_accident(code: str) -> Accident:
    return (
        Accident.objects.select_related("region", "enterprise__region", "sector", "unit", "post")
        .prefetch_related("parties__enterprise", "actors__person")
        .get(code=code)
    )


def load_hazard(code: str) -> Hazard:
    return (
        Hazard.objects.select_related("enterprise__region", "sector", "unit")
        .prefetch_related("parties__enterprise", "actors__person")
        .get(code=code)
    )
