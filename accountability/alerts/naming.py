"""Whom an alert names, read from the chain on the day it fires (a snapshot kept on the alert):

- 约谈: the `leader_in_charge` and `party_gov_lead` of the region where the events happened — that
  region's own leaders, for the sectors of the accidents; a vacant post stays named as vacant;
- closure (Art 113): the enterprise's `primary`;
- 挂牌督办 overdue: the listing unit's head; government findings overdue: the assigned unit's own posts;
- 回头看 undone: the people responsible for carrying the item out.
"""

from __future__ import annotations

import datetime as dt

from responsibility.chain import EventScope, Link, resolve_chain
from responsibility.models import DutyType, PartyRole, Tenure, Unit

from ..events import hazard_event, load_hazard
from ..models import AlertKind, AlertPerson
from ..unit_chain import ALL_LEVELS, unit_chain, unit_heads
from .counting import Candidate


def _label(unit, position, person, vacant: bool) -> str:
    post = f"{unit.name}{position.title}" if position is not None else (unit.name if unit else "")
    if person is not None:
        return f"{person.name}（{post}）" if post else person.name
    return f"{post}（空缺）" if vacant else post


def _from_links(links: list[Link]) -> list[AlertPerson]:
    named, seen = [], set()
    for link in links:
        key = (link.type, link.unit.pk if link.unit else None, link.position.pk if link.position else None)
        if key in seen:
            continue
        seen.add(key)
        named.append(
            AlertPerson(
                duty_type=link.type,
                unit=link.unit,
                position=link.position,
                person=link.person,
                vacant=link.vacant,
                label=_label(link.unit, link.position, link.person, link.vacant),
            )
        )
    return named


def _summoned(candidate: Candidate, day: dt.date) -> list[AlertPerson]:
    region = candidate.region
    sectors = {a.sector.pk: a.sector for a in candidate.evidence["accidents"]}.values()
    links = []
    for sector in sorted(sectors, key=lambda s: s.path):
        links.extend(
            link
            for link in resolve_chain(EventScope(region=region), sector, day, ALL_LEVELS)
            if link.type in (DutyType.LEADER_IN_CHARGE, DutyType.PARTY_GOV_LEAD)
            and link.position is not None
            and link.unit.region_id == region.pk
        )
    return _from_links(links)


def _primary(candidate: Candidate, day: dt.date) -> list[AlertPerson]:
    hazard = load_hazard(candidate.evidence["hazards"][0].code)
    traced = hazard_event(hazard)
    links = resolve_chain(traced.scope, traced.sector, day, None)
    return _from_links(
        [link for link in links if link.type == DutyType.PRIMARY and link.role == PartyRole.MAIN]
    )


def _heads(unit: Unit, day: dt.date) -> list[AlertPerson]:
    people = unit_heads(unit, day)
    if not people:
        return [AlertPerson(unit=unit, vacant=True, label=f"{unit.name}（无在岗负责人）")]
    posts = {
        t.person_id: t.position
        for t in Tenure.objects.on(day)
        .filter(position__unit=unit, person__in=people)
        .select_related("position")
    }
    return [
        AlertPerson(
            unit=unit, position=posts.get(p.pk), person=p, label=_label(unit, posts.get(p.pk), p, False)
        )
        for p in people
    ]


def _unit_own(candidate: Candidate, day: dt.date) -> list[AlertPerson]:
    own = [
        link
        for link in unit_chain(candidate.unit, day)
        if link.unit.pk == candidate.unit.pk and link.position
    ]
    return _from_links(own) or _heads(candidate.unit, day)


def _carriers(candidate: Candidate, day: dt.date) -> list[AlertPerson]:
    """回头看: who was to carry each undone item out — the subject it names (a follow-up record, or the
    record a measure was decided on); a corrective action names its responsible unit by name or code."""
    named = []
    for item in candidate.evidence["review_items"]:
        record = item.follow_up or (item.measure.decision.record if item.measure_id else None)
        if record is not None:
            named.append(
                AlertPerson(
                    unit=record.unit,
                    position=record.position,
                    person=record.person,
                    vacant=record.vacant,
                    label=_label(record.unit, record.position, record.person, record.vacant)
                    or record.snapshot.get("person_name", ""),
                )
            )
            continue
        responsible = (item.corrective_action.responsible or "").strip()
        unit = Unit.objects.filter(name=responsible).first() or Unit.objects.filter(code=responsible).first()
        if unit is not None:
            named.extend(_heads(unit, day))
        else:
            named.append(AlertPerson(label=responsible or "未写明责任单位/人"))
    seen, unique = set(), []
    for entry in named:
        key = (entry.person_id, entry.position_id, entry.unit_id, entry.label)
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    return unique


NAMERS = {
    AlertKind.SUMMONS: _summoned,
    AlertKind.CLOSURE: _primary,
    AlertKind.LISTING_OVERDUE: lambda c, day: _heads(c.unit, day),
    AlertKind.FINDINGS_OVERDUE: _unit_own,
    AlertKind.REVIEW_UNDONE: _carriers,
}


def named_people(candidate: Candidate, day: dt.date) -> list[AlertPerson]:
    named = NAMERS[candidate.rule.kind](candidate, day)
    for order, entry in enumerate(named):
        entry.order = order
    return named
