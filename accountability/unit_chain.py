"""The chain of a government unit (DESIGN §3 with the unit as the event's place): for a finding against a
department or a township, and for the heads a reminder or an alert names.

resolve_chain is asked for the unit's region and the sector concerned, at every level; of its supervision
links it keeps the unit's own (the unit and its posts) and the leaders of the unit's region who answer
for that sector (`leader_in_charge`) or for everything there (`party_gov_lead`)."""

from __future__ import annotations

import datetime as dt

from responsibility.chain import EventScope, Link, resolve_chain
from responsibility.models import Duty, DutyType, Person, Sector, Tenure, Unit

# Every level is kept: the unit may sit at a city or a province.
ALL_LEVELS = "especially_major"
REGION_LEADERS = (DutyType.LEADER_IN_CHARGE, DutyType.PARTY_GOV_LEAD)


def unit_sector(unit: Unit, on_date: dt.date, sector: Sector | None = None) -> Sector | None:
    """The sector a unit's chain is read in: the one given, else the first its duties name that day."""
    if sector is not None:
        return sector
    duties = Duty.objects.on(on_date).filter(holder_unit=unit) | Duty.objects.on(on_date).filter(
        holder_position__unit=unit
    )
    named = Sector.objects.filter(duties__in=duties.values("pk")).order_by("path").first()
    return named or Sector.objects.order_by("path").first()


def unit_chain(unit: Unit, on_date: dt.date, sector: Sector | None = None) -> list[Link]:
    """The unit's own links and its region's leaders, in chain order (§3.6)."""
    sector = unit_sector(unit, on_date, sector)
    if sector is None:
        return []
    links = resolve_chain(EventScope(region=unit.region), sector, on_date, ALL_LEVELS)
    return [
        link
        for link in links
        if link.unit is not None
        and (
            link.unit.pk == unit.pk or (link.type in REGION_LEADERS and link.unit.region_id == unit.region_id)
        )
    ]


def unit_heads(unit: Unit, on_date: dt.date) -> list[Person]:
    """Who answers for a unit today: the holders of its posts that carry a duty in force (a 局长, a
    街道主任), in post order."""
    posts = Duty.objects.on(on_date).filter(holder_position__unit=unit).values("holder_position")
    seen, people = set(), []
    tenures = (
        Tenure.objects.on(on_date)
        .filter(position__in=posts)
        .select_related("person")
        .order_by("position__code")
    )
    for tenure in tenures:
        if tenure.person_id not in seen:
            seen.add(tenure.person_id)
            people.append(tenure.person)
    return people
