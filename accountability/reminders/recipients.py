"""Who receives a reminder: resolved from the chain on the day of sending; a vacant post escalates up the track."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist

from responsibility.chain import ChainRequest, Link, resolve_chains
from responsibility.models import Duty, DutyType, PartyRole, Person, Position, Tenure, Track, Unit

from ..events import hazard_event
from ..models import (
    Case,
    Hazard,
    RecipientRole,
    ReminderRule,
)
from ..unit_chain import unit_chain, unit_heads
from .due import DueItem


@dataclass
class Recipient:
    key: str
    person: Person | None = None
    user: User | None = None
    roles: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.person is not None:
            return f"{self.person.name}（{self.person.code}）"
        if self.user is not None:
            return self.user.get_full_name() or self.user.get_username()
        return "无可提醒的在岗人员"


def _person_key(person: Person) -> str:
    return f"person:{person.pk}"


def _holder_label(link: Link) -> str:
    where = f"{link.unit.name}{link.position.title}" if link.position is not None else link.unit.name
    return f"{link.person.name}（{where}）"


def _post_label(link: Link) -> str:
    return f"{link.unit.name}{link.position.title}" if link.position is not None else link.unit.name


# (person or None, note or None): None person means nobody could be reached, and the note says why.
Reach = list[tuple[Person | None, str | None]]


ROLE_LINKS: dict[str, Callable[[Link], bool]] = {
    RecipientRole.PRIMARY: lambda link: link.type == DutyType.PRIMARY and link.role == PartyRole.MAIN,
    RecipientRole.SUPERVISING: lambda link: link.type in (DutyType.COMPETENT, DutyType.SUPERVISORY),
    RecipientRole.TERRITORIAL: lambda link: link.type == DutyType.TERRITORIAL,
    RecipientRole.LEADER_IN_CHARGE: lambda link: link.type == DutyType.LEADER_IN_CHARGE,
    RecipientRole.PARTY_GOV_LEAD: lambda link: link.type == DutyType.PARTY_GOV_LEAD,
}


# 谁审批/谁检查 links name who held the post on the approval or inspection day, and an actor is no
# post at all: none of them is today's holder of anything, so none receives for a unit or a vacancy.
HISTORICAL_TYPES = frozenset({DutyType.APPROVAL, DutyType.INSPECTION, DutyType.ACTOR})


def _holds_today(link: Link) -> bool:
    return link.person is not None and link.type not in HISTORICAL_TYPES


def escalate(links: list[Link], index: int, why: str) -> Reach:
    """The next link of the same track further along the chain that has a person.

    On the enterprise track the search stays inside the same enterprise (a party's manager is not
    the escalation of our principal); an enterprise with nobody left reports to its regulators.
    """
    start = links[index]
    for up in links[index + 1 :]:
        if up.track != start.track or not _holds_today(up):
            continue
        if start.track == Track.ENTERPRISE and up.enterprise != start.enterprise:
            continue
        return [(up.person, f"{why}，已升级至{_holder_label(up)}")]
    if start.track == Track.ENTERPRISE:
        for up in links:
            if up.track == Track.SUPERVISION and _holds_today(up):
                return [(up.person, f"{why}，企业内无更高在岗责任人，已升级至{_holder_label(up)}")]
    return [(None, f"{why}，链上无可升级的在岗人员")]


def people_of_link(links: list[Link], index: int) -> Reach:
    """Who receives for one link: its holder; a vacant post escalates; a unit's duty goes to the
    people the chain names in that unit (or escalates when it names none)."""
    link = links[index]
    if link.person is not None:
        return [(link.person, None)]
    if link.position is not None:
        return escalate(links, index, f"{_post_label(link)}岗位空缺")
    in_unit = _unique(other.person for other in links if other.unit == link.unit and _holds_today(other))
    if in_unit:
        return [(person, None) for person in in_unit]
    return escalate(links, index, f"{link.unit.name}无在岗责任人")


def _unique(people: Iterable[Person]) -> list[Person]:
    seen, result = set(), []
    for person in people:
        if person.pk not in seen:
            seen.add(person.pk)
            result.append(person)
    return result


def chain_role(role: str, links: list[Link]) -> Reach:
    """The people behind every link of the chain that plays `role`."""
    matches = [i for i, link in enumerate(links) if ROLE_LINKS[role](link)]
    if not matches:
        return [(None, f"责任链上没有{RecipientRole(role).label}")]
    reach: Reach = []
    for index in matches:
        reach.extend(people_of_link(links, index))
    return reach


# Chains resolved together (resolve_chains): a constant handful of queries per batch, memory bounded.
CHAIN_BATCH = 500


def chain_request(hazard: Hazard, today: dt.date) -> tuple[tuple, ChainRequest]:
    """(cache key, request) of the chain a hazard's reminders are sent along: the hazard's scope and
    sector (events.hazard_event) on the day of sending — whoever holds the duties today, not on the
    deadline — at county reach, one day (no period, the main sector)."""
    scope = hazard_event(hazard).scope
    key = (
        scope.enterprise.pk if scope.enterprise else None,
        scope.region.pk,
        scope.unit.pk if scope.unit else None,
        hazard.sector_id,
        tuple((unit.pk, role, *(w.pk if w else None for w in where)) for unit, role, *where in scope.parties),
        tuple((person.pk, role, *(o.pk if o else None for o in of)) for person, role, *of in scope.actors),
    )
    return key, ChainRequest(scope, hazard.sector, today)


class RecipientResolver:
    """The recipients of one sweep day. Chains are resolved once per event scope and in batches
    (prime_chains), holders of the responsible posts in one query, so the number of queries follows
    the number of batches, not the number of due objects or enterprises."""

    def __init__(self, today: dt.date, batch: int | None = None):
        self.today = today
        self.batch = batch or CHAIN_BATCH
        self._chains: dict[tuple, list[Link]] = {}
        self._holders: dict[int, Person | None] = {}

    def prime_holders(self, position_ids: Iterable[int]) -> None:
        wanted = {pk for pk in position_ids if pk and pk not in self._holders}
        if not wanted:
            return
        self._holders.update(dict.fromkeys(wanted))
        for tenure in Tenure.objects.on(self.today).filter(position_id__in=wanted).select_related("person"):
            self._holders[tenure.position_id] = tenure.person

    def holder(self, position: Position) -> Person | None:
        self.prime_holders([position.pk])
        return self._holders[position.pk]

    def prime_chains(self, hazards: Iterable[Hazard]) -> None:
        """Resolve the chains of all these hazards not resolved yet, `batch` distinct scopes at a time."""
        wanted: dict[tuple, ChainRequest] = {}
        for hazard in hazards:
            key, request = chain_request(hazard, self.today)
            if key not in self._chains:
                wanted.setdefault(key, request)
        keys = list(wanted)
        for start in range(0, len(keys), self.batch):
            chunk = keys[start : start + self.batch]
            for key, links in zip(chunk, resolve_chains([wanted[k] for k in chunk]), strict=True):
                self._chains[key] = links

    def chain(self, hazard: Hazard) -> list[Link]:
        key, request = chain_request(hazard, self.today)
        if key not in self._chains:
            self._chains[key] = resolve_chains([request])[0]
        return self._chains[key]

    # -- per role --

    def _role_reach(self, role: str, item: DueItem, links: list[Link]) -> Reach:
        if role == RecipientRole.RESPONSIBLE:
            return self._responsible(item.hazard, links)
        if role == RecipientRole.LISTING_UNIT:
            return self._unit(item.listing.listing_unit, links)
        return chain_role(role, links)

    def _primary(self, links: list[Link], why: str) -> Reach:
        """The enterprise principal, standing in for a post that has nobody today."""
        reach: Reach = []
        for person, note in chain_role(RecipientRole.PRIMARY, links):
            if person is None:
                reach.append((None, f"{why}；{note}"))
            elif note:
                reach.append((person, f"{why}；{note}"))
            else:
                reach.append((person, f"{why}，已升级至企业主要负责人{person.name}"))
        return reach

    def _responsible(self, hazard: Hazard, links: list[Link]) -> Reach:
        """整改责任岗位: whoever holds the hazard's responsible position today."""
        position = hazard.responsible_position
        if position is None:
            return self._primary(links, "未指定整改责任岗位")
        holder = self.holder(position)
        if holder is not None:
            return [(holder, None)]
        why = f"{position.unit.name}{position.title}岗位空缺"
        for index, link in enumerate(links):
            if link.position is not None and link.position.pk == position.pk:
                return escalate(links, index, why)
        # Not in the chain: the principal answers for every hazard of the enterprise (16号令 Art 4).
        return self._primary(links, why)

    def _unit(self, unit: Unit, links: list[Link]) -> Reach:
        """A unit (挂牌督办单位): the people the chain names in it, else its duty-holding officers today."""
        in_chain = _unique(link.person for link in links if link.unit == unit and _holds_today(link))
        if in_chain:
            return [(person, None) for person in in_chain]
        officers = _unique(
            tenure.person
            for tenure in Tenure.objects.on(self.today)
            .filter(position__unit=unit, position__in=Duty.objects.on(self.today).values("holder_position"))
            .select_related("person")
            .order_by("position__code")
        )
        if officers:
            return [(person, None) for person in officers]
        for link in links:
            if link.track == Track.SUPERVISION and _holds_today(link):
                return [(link.person, f"{unit.name}无在岗责任人，已升级至{_holder_label(link)}")]
        return [(None, f"{unit.name}无在岗责任人")]

    def _government_reach(self, role: str, item: DueItem) -> Reach:
        """A finding reminds up its assigned unit's chain (unit_chain); an open alert reminds whom it
        names and the head of the body that summons or decides."""
        if item.alert is not None:
            alert = item.alert
            if role == RecipientRole.ALERT_NAMED:
                people = [n.person for n in alert.named.select_related("person") if n.person is not None]
                return [(p, None) for p in _unique(people)] or [(None, "预警未列明在岗人员")]
            unit = alert.summoned_by or alert.unit
            if unit is None:
                return [(None, "预警未指定约谈/处置机关")]
            heads = unit_heads(unit, self.today)
            return [(p, None) for p in heads] or [(None, f"{unit.name}无在岗负责人")]
        finding = item.finding
        unit = finding.assigned_unit
        if role == RecipientRole.RESPONSIBLE:
            if finding.responsible_position is None:
                return []
            holder = self.holder(finding.responsible_position)
            if holder is not None:
                return [(holder, None)]
            role = RecipientRole.UNIT_HEAD
        if role == RecipientRole.UNIT_HEAD:
            heads = unit_heads(unit, self.today)
            if heads:
                return [(p, None) for p in heads]
            role, why = RecipientRole.LEADER_IN_CHARGE, f"{unit.name}无在岗负责人"
        else:
            why = ""
        links = unit_chain(unit, self.today, finding.sector)
        leaders = [link.person for link in links if ROLE_LINKS[role](link) and _holds_today(link)]
        if leaders:
            return [(p, f"{why}，已升级" if why else None) for p in _unique(leaders)]
        return [(None, f"{why or unit.name}：责任链上没有{RecipientRole(role).label}")]

    def _handlers(self, case: Case) -> list[tuple[User, str | None]]:
        handlers = list(case.handlers.all())
        if handlers:
            return [(user, None) for user in handlers]
        if case.opened_by is not None:
            return [(case.opened_by, "案件未指定承办人，提醒立案人")]
        return []

    def recipients(self, rule: ReminderRule, item: DueItem) -> tuple[list[Recipient], list[str]]:
        """The people to tell, each with the roles they are told in, and notes nobody could receive."""
        found: dict[str, Recipient] = {}
        unreached: list[str] = []

        def add(key, role, note, **who):
            recipient = found.setdefault(key, Recipient(key, **who))
            if role not in recipient.roles:
                recipient.roles.append(role)
            if note and note not in recipient.notes:
                recipient.notes.append(note)

        if item.case is not None:
            handlers = self._handlers(item.case)
            for user, note in handlers:
                person = _linked_person(user)
                if person is not None:
                    add(_person_key(person), RecipientRole.CASE_HANDLERS, note, person=person, user=user)
                else:
                    add(f"user:{user.pk}", RecipientRole.CASE_HANDLERS, note, user=user)
            if not handlers:
                unreached.append("案件无承办人或立案人")
            return list(found.values()), unreached

        if item.finding is not None or item.alert is not None:
            for role in rule.recipients:
                for person, note in self._government_reach(role, item):
                    if person is None:
                        unreached.append(note)
                    else:
                        add(_person_key(person), role, note, person=person)
            return list(found.values()), unreached

        links = self.chain(item.hazard)
        for role in rule.recipients:
            for person, note in self._role_reach(role, item, links):
                if person is None:
                    unreached.append(note)
                else:
                    add(_person_key(person), role, note, person=person)
        return list(found.values()), unreached


def _linked_person(user: User) -> Person | None:
    try:
        return user.person
    except ObjectDoesNotExist:
        return None
