"""Deadline reminders and escalation up the chain, exactly once (DESIGN §2 "Reminder log").

Rules are rows (ReminderRule, editable in the admin; the defaults below are loaded by migration).
A sweep, for one day:

1. selects what is due with range queries on the indexed due-date columns — the cost grows with
   what falls due around that day, not with the size of the tables;
2. drops the thresholds already claimed (one query), so a second sweep does next to nothing;
3. resolves the recipients with resolve_chain *on the day of sending*; a vacant post escalates to
   the next holder up the same track, and the reminder says so;
4. claims each (rule, object, due date and threshold, recipient) with a unique row before anything
   is sent, and hands the new claims to delivery only after commit.

Delivery (notifications.py) re-fetches each claim and does nothing if it was delivered already or
is no longer due. A claim never delivered (broker down, worker killed) is re-enqueued by the next
sweep: the database, not the broker, is the source of truth.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from responsibility.chain import Link, resolve_chain
from responsibility.models import Duty, DutyType, PartyRole, Person, Position, Tenure, Track, Unit

from .events import hazard_event
from .grading import (
    INVESTIGATION_DAYS,
    INVESTIGATION_EXTENSION_MAX_DAYS,
    REPLY_DAYS,
    REPLY_DAYS_ESPECIALLY_MAJOR,
)
from .models import (
    Case,
    CaseState,
    HandOver,
    Hazard,
    HazardLevel,
    HazardListing,
    HazardState,
    RecipientRole,
    ReminderKind,
    ReminderLog,
    ReminderRule,
    ReminderState,
    ReminderSubject,
)

logger = logging.getLogger(__name__)

# "Overdue" is "not closed and past the deadline" (DESIGN §2): these are the states still watched.
OPEN_HAZARD_STATES = (HazardState.REPORTED, HazardState.RECTIFYING, HazardState.SUBMITTED)
# A claim not delivered this long after it was made is handed to the broker again by the next sweep.
REDELIVER_AFTER = dt.timedelta(minutes=10)
REDELIVER_BATCH = 5000
# Publishing gives up quickly when the broker is down: the claims stay pending for the next sweep.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
NOBODY = "nobody"

DEFAULT_RULES = [
    {
        "code": "hazard-deadline-approaching",
        "name": "隐患整改期限临近",
        "kind": ReminderKind.HAZARD_DEADLINE,
        "offsets": [-7, -3, -1],
        "recipients": [RecipientRole.RESPONSIBLE, RecipientRole.PRIMARY],
        "digest": True,
        "basis": "原安监总局令第16号：治理方案须明确时限；企业主要负责人对本单位事故隐患排查治理工作全面负责（第4条）。",
    },
    {
        "code": "hazard-overdue",
        "name": "隐患逾期未整改",
        "kind": ReminderKind.HAZARD_DEADLINE,
        "offsets": [1],
        "recipients": [
            RecipientRole.RESPONSIBLE,
            RecipientRole.PRIMARY,
            RecipientRole.SUPERVISING,
            RecipientRole.TERRITORIAL,
        ],
        "basis": "逾期未整改：行业主管、监管部门（管行业必须管安全）与属地督促整改。",
    },
    {
        "code": "hazard-overdue-escalation",
        "name": "隐患逾期升级至分管领导",
        "kind": ReminderKind.HAZARD_DEADLINE,
        "offsets": [30],
        "recipients": [
            RecipientRole.RESPONSIBLE,
            RecipientRole.PRIMARY,
            RecipientRole.SUPERVISING,
            RecipientRole.TERRITORIAL,
            RecipientRole.LEADER_IN_CHARGE,
        ],
        "open_case": True,
        "basis": "一岗双责：分管领导对分管行业领域安全生产负领导责任；隐患就是事故，逾期重大隐患按事故一案双查。",
    },
    {
        "code": "listing-due-approaching",
        "name": "挂牌督办期限临近",
        "kind": ReminderKind.LISTING_DUE,
        "offsets": [-7, -3, -1],
        "recipients": [RecipientRole.LISTING_UNIT, RecipientRole.PRIMARY],
        "digest": True,
        "basis": "重大事故隐患挂牌督办：督办单位督促企业在督办期限内完成整改。",
    },
    {
        "code": "listing-overdue",
        "name": "挂牌督办逾期",
        "kind": ReminderKind.LISTING_DUE,
        "offsets": [1],
        "recipients": [RecipientRole.LISTING_UNIT, RecipientRole.PRIMARY],
        "basis": "重大事故隐患挂牌督办：逾期未完成整改。",
    },
    {
        "code": "hazard-review-due",
        "name": "重大隐患销号现场核查",
        "kind": ReminderKind.HAZARD_REVIEW,
        "offsets": [-10, -3, 1],
        "recipients": [RecipientRole.SUPERVISING],
        "basis": "重大事故隐患治理完成、企业申请销号后，监管部门10日内现场审查（原安监总局令第16号）。",
    },
    {
        "code": "case-investigation-due",
        "name": "事故调查报告期限",
        "kind": ReminderKind.CASE_INVESTIGATION,
        "offsets": [-14, -7, -1, 1],
        "recipients": [RecipientRole.CASE_HANDLERS],
        "basis": "国务院令第493号第29条：事故发生之日起60日内提交调查报告，特殊情况可延长一次、最长60日。",
    },
    {
        "code": "case-reply-due",
        "name": "调查报告批复期限",
        "kind": ReminderKind.CASE_REPLY,
        "offsets": [-5, -1, 1],
        "recipients": [RecipientRole.CASE_HANDLERS],
        "basis": "国务院令第493号第32条：收到调查报告之日起15日内批复（特别重大事故30日，可延长30日）。",
    },
    {
        "code": "case-review-due",
        "name": "整改落实“回头看”",
        "kind": ReminderKind.CASE_REVIEW,
        "offsets": [-30, -7, 1],
        "recipients": [RecipientRole.CASE_HANDLERS],
        "basis": "安全生产法第86条：批复后一年内组织评估整改措施落实情况并公开。",
    },
    {
        "code": "handover-decision-due",
        "name": "移交处理结果反馈",
        "kind": ReminderKind.HANDOVER_DECISION,
        "offsets": [-7, 1],
        "recipients": [RecipientRole.CASE_HANDLERS],
        "basis": "问题线索移交后，接收机关的处理结果应在反馈期限内回复案件。",
    },
]


def ensure_default_rules() -> int:
    """Create the default rules that are missing (by code); rules edited in the admin are left alone."""
    existing = set(ReminderRule.objects.values_list("code", flat=True))
    created = [ReminderRule(**spec) for spec in DEFAULT_RULES if spec["code"] not in existing]
    for rule in created:
        rule.full_clean()
    ReminderRule.objects.bulk_create(created)
    return len(created)


# ---- thresholds: on which days a rule fires ----------------------------------------------------------


def _windows(rule: ReminderRule) -> list[tuple[int, int, int]]:
    """(offset, first day, day after the last) relative to the due date, per threshold.

    A threshold fires from its day on, for `catch_up_days` at most (so a reminder missed while
    the system was down still goes out), never once the next threshold is reached, and a
    reminder *before* a deadline never fires after it.
    """
    offsets = rule.sorted_offsets
    windows = []
    for i, offset in enumerate(offsets):
        end = offset + max(rule.catch_up_days, 1)
        if i + 1 < len(offsets):
            end = min(end, offsets[i + 1])
        if offset <= 0:
            end = min(end, 1)
        windows.append((offset, offset, end))
    return windows


def fired_offset(rule: ReminderRule, due: dt.date, today: dt.date) -> int | None:
    """The threshold of `rule` that is due on `today` for a deadline `due`, if any."""
    day = (today - due).days
    for offset, start, end in _windows(rule):
        if start <= day < end:
            return offset
    return None


def due_range(rules: Iterable[ReminderRule], today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The due dates for which one of `rules` may fire on `today` (inclusive bounds)."""
    lows, highs = [], []
    for rule in rules:
        for _offset, start, end in _windows(rule):
            lows.append(today - dt.timedelta(days=end - 1))
            highs.append(today - dt.timedelta(days=start))
    return (min(lows), max(highs)) if lows else None


# ---- what is due: one range query per kind of deadline ----------------------------------------------


@dataclass
class DueItem:
    subject_type: str
    subject_id: int
    subject_code: str
    due: dt.date
    hazard: Hazard | None = None
    listing: HazardListing | None = None
    case: Case | None = None
    handover: HandOver | None = None


def _hazards():
    return Hazard.objects.select_related(
        "enterprise__region", "sector", "unit", "responsible_position__unit"
    ).prefetch_related("parties__enterprise", "actors__person")


def _cases():
    return Case.objects.select_related("opened_by__person").prefetch_related(
        Prefetch("handlers", queryset=User.objects.select_related("person").order_by("pk"))
    )


def hazards_near_deadline(lo: dt.date, hi: dt.date):
    """Open hazards whose deadline lies in [lo, hi]: state IN (…) AND deadline BETWEEN — a range
    scan of the (state, deadline) index, whatever the number of closed or distant hazards."""
    return (
        _hazards().filter(state__in=OPEN_HAZARD_STATES, deadline__range=(lo, hi)).order_by("deadline", "pk")
    )


def _hazard_deadlines(lo: dt.date, hi: dt.date) -> list[DueItem]:
    return [
        DueItem(ReminderSubject.HAZARD, h.pk, h.code, h.deadline, hazard=h)
        for h in hazards_near_deadline(lo, hi)
    ]


def _listings(lo: dt.date, hi: dt.date) -> list[DueItem]:
    # Only the listing's own columns in SQL, so the planner reads the partial due-date index; 销号
    # lifts the listing (hazards.verify_and_close), and a closed hazard left listed is dropped below.
    listings = (
        HazardListing.objects.filter(lifted_on__isnull=True, due_on__range=(lo, hi))
        .select_related(
            "listing_unit__region",
            "hazard__enterprise__region",
            "hazard__sector",
            "hazard__unit",
            "hazard__responsible_position__unit",
        )
        .prefetch_related("hazard__parties__enterprise", "hazard__actors__person")
    )
    return [
        DueItem(ReminderSubject.LISTING, li.pk, li.hazard.code, li.due_on, hazard=li.hazard, listing=li)
        for li in listings
        if li.hazard.state in OPEN_HAZARD_STATES
    ]


# Hazard.review_due is the one place that knows the 10-day review; the query window is read from it.
_REVIEW_LEAD = Hazard(
    level=HazardLevel.MAJOR, state=HazardState.SUBMITTED, submitted_on=dt.date(2000, 1, 1)
).review_due - dt.date(2000, 1, 1)


def _reviews(lo: dt.date, hi: dt.date) -> list[DueItem]:
    hazards = _hazards().filter(
        state=HazardState.SUBMITTED,
        level=HazardLevel.MAJOR,
        submitted_on__range=(lo - _REVIEW_LEAD, hi - _REVIEW_LEAD),
    )
    return [
        DueItem(ReminderSubject.HAZARD, h.pk, h.code, h.review_due, hazard=h)
        for h in hazards
        if h.review_due and lo <= h.review_due <= hi
    ]


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def _investigations(lo: dt.date, hi: dt.date) -> list[DueItem]:
    pending = _cases().filter(state=CaseState.OPEN, accident__isnull=False, report_submitted_on__isnull=True)
    # Plain Art 29 cases by an index range; the few whose date moved (appraisal, a set period) as well.
    plain = pending.filter(
        appraisal_days=0,
        set_period_days__isnull=True,
        event_day__range=(
            lo - _days(INVESTIGATION_DAYS + INVESTIGATION_EXTENSION_MAX_DAYS),
            hi - _days(INVESTIGATION_DAYS),
        ),
    )
    moved = pending.filter(Q(appraisal_days__gt=0) | Q(set_period_days__isnull=False), event_day__lte=hi)
    cases = {c.pk: c for c in [*plain, *moved]}.values()
    return [_case_item(c, c.investigation_due) for c in cases if lo <= c.investigation_due <= hi]


def _handover_decisions(lo: dt.date, hi: dt.date) -> list[DueItem]:
    """移交: the decision that should have come back (partial index on pending hand-overs)."""
    rows = HandOver.objects.filter(completed_on__isnull=True, decision_due__range=(lo, hi)).select_related(
        "case__opened_by__person"
    )
    return [
        DueItem(ReminderSubject.HANDOVER, h.pk, h.case.code, h.decision_due, case=h.case, handover=h)
        for h in rows
        if h.case.state == CaseState.OPEN
    ]


def _replies(lo: dt.date, hi: dt.date) -> list[DueItem]:
    cases = _cases().filter(
        state=CaseState.OPEN,
        reply_on__isnull=True,
        report_submitted_on__range=(lo - _days(REPLY_DAYS_ESPECIALLY_MAJOR), hi - _days(REPLY_DAYS)),
    )
    return [_case_item(c, c.reply_due) for c in cases if lo <= c.reply_due <= hi]


def _case_reviews(lo: dt.date, hi: dt.date) -> list[DueItem]:
    # One year after the 批复 is 365 or 366 days; Case.review_due decides.
    cases = _cases().filter(review_done_on__isnull=True, reply_on__range=(lo - _days(366), hi - _days(365)))
    return [_case_item(c, c.review_due) for c in cases if lo <= c.review_due <= hi]


def _case_item(case: Case, due: dt.date) -> DueItem:
    return DueItem(ReminderSubject.CASE, case.pk, case.code, due, case=case)


SELECTORS: dict[str, Callable[[dt.date, dt.date], list[DueItem]]] = {
    ReminderKind.HAZARD_DEADLINE: _hazard_deadlines,
    ReminderKind.LISTING_DUE: _listings,
    ReminderKind.HAZARD_REVIEW: _reviews,
    ReminderKind.CASE_INVESTIGATION: _investigations,
    ReminderKind.CASE_REPLY: _replies,
    ReminderKind.CASE_REVIEW: _case_reviews,
    ReminderKind.HANDOVER_DECISION: _handover_decisions,
}


def still_due(log: ReminderLog) -> tuple[object | None, str]:
    """Re-fetch a claim's object: (object, "") when the reminder is still wanted, else (object or None, why not)."""
    kind = log.rule.kind
    if log.subject_type == ReminderSubject.CASE:
        case = Case.objects.filter(pk=log.subject_id).first()
        if case is None:
            return None, "案件已删除"
        due = {
            ReminderKind.CASE_INVESTIGATION: case.investigation_due
            if case.state == CaseState.OPEN and case.report_submitted_on is None
            else None,
            ReminderKind.CASE_REPLY: case.reply_due
            if case.state == CaseState.OPEN and case.reply_on is None
            else None,
            ReminderKind.CASE_REVIEW: case.review_due if case.review_done_on is None else None,
        }.get(kind)
        return case, "" if due == log.due_date else "期限已办结或已变更"
    if log.subject_type == ReminderSubject.HANDOVER:
        handover = HandOver.objects.select_related("case").filter(pk=log.subject_id).first()
        if handover is None:
            return None, "移交记录已删除"
        pending = handover.completed_on is None and handover.case.state == CaseState.OPEN
        return (
            handover,
            "" if pending and handover.decision_due == log.due_date else "处理结果已反馈或期限已变更",
        )
    if log.subject_type == ReminderSubject.LISTING:
        listing = HazardListing.objects.select_related("hazard__enterprise", "listing_unit").filter(
            pk=log.subject_id
        )
        listing = listing.first()
        if listing is None:
            return None, "挂牌督办已删除"
        if listing.lifted_on or listing.hazard.state == HazardState.CLOSED or listing.due_on != log.due_date:
            return listing, "已摘牌、已销号或督办期限已变更"
        return listing, ""
    hazard = Hazard.objects.select_related("enterprise").filter(pk=log.subject_id).first()
    if hazard is None:
        return None, "隐患已删除"
    if kind == ReminderKind.HAZARD_REVIEW:
        return hazard, "" if hazard.review_due == log.due_date else "已核查或销号申请已退回"
    if hazard.state == HazardState.CLOSED:
        return hazard, "隐患已销号"
    if hazard.deadline != log.due_date:
        return hazard, "整改期限已变更"
    return hazard, ""


# ---- recipients: from the chain on the day of sending ------------------------------------------------


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


class RecipientResolver:
    """The recipients of one sweep day. Chains are resolved once per event scope, holders of the
    responsible posts in one query, so the cost follows the number of distinct due objects."""

    def __init__(self, today: dt.date):
        self.today = today
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

    def chain(self, hazard: Hazard) -> list[Link]:
        traced = hazard_event(hazard)
        scope = traced.scope
        key = (
            scope.enterprise.pk if scope.enterprise else None,
            scope.region.pk,
            scope.unit.pk if scope.unit else None,
            traced.sector.pk,
            tuple((unit.pk, role) for unit, role in scope.parties),
            tuple((person.pk, role) for person, role in scope.actors),
        )
        if key not in self._chains:
            # The recipients are whoever holds the duties today, not on the deadline.
            self._chains[key] = resolve_chain(scope, traced.sector, self.today, None)
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


# ---- the sweep -------------------------------------------------------------------------------------------


@dataclass
class Planned:
    """One reminder the sweep wants sent: rule × object × threshold × recipient."""

    rule: ReminderRule
    item: DueItem
    offset: int
    recipient: Recipient | None
    notes: list[str] = field(default_factory=list)
    log_id: int | None = None
    outcome: str = ""  # claimed | taken (another sweep claimed it) | delivered | skipped …

    @property
    def key(self) -> tuple:
        return (
            self.rule.pk,
            self.item.subject_type,
            self.item.subject_id,
            self.item.due,
            self.offset,
            self.recipient.key if self.recipient else NOBODY,
        )


@dataclass
class SweepReport:
    day: dt.date
    dry_run: bool
    planned: list[Planned] = field(default_factory=list)
    claimed_ids: list[int] = field(default_factory=list)
    redelivered_ids: list[int] = field(default_factory=list)
    enqueued: int | None = None
    cases: list[str] = field(default_factory=list)
    outcomes: dict[int, str] = field(default_factory=dict)  # inline delivery: claim id → outcome

    @property
    def sent(self) -> list[Planned]:
        return [p for p in self.planned if p.recipient is not None and p.outcome != "taken"]

    @property
    def delivered(self) -> int:
        return sum(1 for outcome in self.outcomes.values() if outcome == "delivered")

    def summary(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "dry_run": self.dry_run,
            "claimed": len(self.claimed_ids),
            "redelivered": len(self.redelivered_ids),
            "enqueued": self.enqueued,
            "cases": self.cases,
        }

    def lines(self) -> list[str]:
        verb = "将发送" if self.dry_run else "已认领"
        lines = []
        for p in self.planned:
            if p.recipient is None:
                status = "无人可提醒"
            else:
                status = {"taken": "已由其他扫描认领", "delivered": "已送达", "skipped": "未发送"}.get(
                    p.outcome, verb
                )
            who = p.recipient.label if p.recipient else "—"
            roles = "、".join(RecipientRole(r).label for r in p.recipient.roles) if p.recipient else ""
            lines.append(
                f"[{status}] {p.rule.name} · {ReminderSubject(p.item.subject_type).label} {p.item.subject_code}"
                f" · {when_label((self.day - p.item.due).days)}（期限 {p.item.due}）→ {who}"
                + (f"：{roles}" if roles else "")
            )
            lines.extend(f"    {note}" for note in p.notes + (p.recipient.notes if p.recipient else []))
        return lines


def when_label(day: int) -> str:
    """Days relative to the due date, as a reader says it."""
    if day < 0:
        return f"距期限还有{-day}天"
    if day == 0:
        return "今日到期"
    return f"已逾期{day}天"


def local_day(now: dt.datetime | dt.date | None) -> dt.date:
    if now is None:
        return timezone.localdate()
    if isinstance(now, dt.datetime):
        return timezone.localtime(now).date() if timezone.is_aware(now) else now.date()
    return now


def collect_due(rules: list[ReminderRule], today: dt.date) -> list[tuple[ReminderRule, DueItem, int]]:
    """Every (rule, object, threshold) that fires on `today`: one indexed range query per kind."""
    by_kind: dict[str, list[ReminderRule]] = defaultdict(list)
    for rule in rules:
        by_kind[rule.kind].append(rule)
    due = []
    for kind, kind_rules in by_kind.items():
        window = due_range(kind_rules, today)
        if window is None:
            continue
        items = SELECTORS[kind](*window)
        for rule in kind_rules:
            for item in items:
                if rule.hazard_level and item.hazard is not None and item.hazard.level != rule.hazard_level:
                    continue
                offset = fired_offset(rule, item.due, today)
                if offset is not None:
                    due.append((rule, item, offset))
    return due


def drop_claimed(due: list[tuple[ReminderRule, DueItem, int]]) -> list[tuple[ReminderRule, DueItem, int]]:
    """A threshold is sent once, on the day it falls due: any claim for it means it was done."""
    if not due:
        return due
    claimed = set(
        ReminderLog.objects.filter(
            rule_id__in={rule.pk for rule, _, _ in due},
            subject_type__in={item.subject_type for _, item, _ in due},
            subject_id__in={item.subject_id for _, item, _ in due},
        )
        .values_list("rule_id", "subject_type", "subject_id", "due_date", "offset")
        .distinct()
    )
    return [
        (rule, item, offset)
        for rule, item, offset in due
        if (rule.pk, item.subject_type, item.subject_id, item.due, offset) not in claimed
    ]


def _open_case_note(hazard: Hazard, today: dt.date, dry_run: bool, report: SweepReport) -> str:
    """隐患就是事故: an overdue major hazard at an escalation threshold opens its 一案双查 case."""
    if dry_run:
        return "隐患就是事故：将按事故开立一案双查案件"
    from .cases import open_case

    try:
        opened = open_case(hazard=hazard, today=today)
    except ValidationError as exc:
        logger.warning("open_case for %s refused: %s", hazard.code, exc)
        return f"隐患就是事故：立案未成功（{'；'.join(exc.messages)}）"
    report.cases.append(opened.case.code)
    verb = "已按事故开立一案双查案件" if opened.created else "已有一案双查案件"
    return f"隐患就是事故：{verb} {opened.case.code}"


def sweep(
    *,
    now: dt.datetime | dt.date | None = None,
    dry_run: bool = False,
    dispatch: str = "queue",
    redeliver_after: dt.timedelta = REDELIVER_AFTER,
) -> SweepReport:
    """One sweep for the day of `now` (China time).

    dispatch: "queue" hands new and stale claims to Celery after commit (eager without REDIS_URL);
    "inline" delivers them here, after commit (the send_reminders command); "none" only claims.
    """
    today = local_day(now)
    report = SweepReport(day=today, dry_run=dry_run)
    rules = list(ReminderRule.objects.active().order_by("pk"))
    due = drop_claimed(collect_due(rules, today))

    resolver = RecipientResolver(today)
    resolver.prime_holders(
        item.hazard.responsible_position_id for _, item, _ in due if item.hazard is not None
    )
    for rule, item, offset in due:
        notes = []
        if (
            rule.open_case
            and item.hazard is not None
            and item.hazard.level == HazardLevel.MAJOR
            and offset > 0
        ):
            notes.append(_open_case_note(item.hazard, today, dry_run, report))
        recipients, unreached = resolver.recipients(rule, item)
        for recipient in recipients:
            report.planned.append(Planned(rule, item, offset, recipient, list(notes)))
        if not recipients or unreached:
            # Recorded as a skipped claim, so the admin sees who could not be reached and why.
            report.planned.append(Planned(rule, item, offset, None, notes + unreached))
    if dry_run:
        return report

    token = uuid.uuid4()
    with transaction.atomic():
        if report.planned:
            ReminderLog.objects.bulk_create(
                [_claim_row(p, today, token) for p in report.planned], ignore_conflicts=True, batch_size=500
            )
        mine = _claimed_by(token) if report.planned else {}
        for p in report.planned:
            p.log_id = mine.get(p.key)
            p.outcome = "claimed" if p.log_id else "taken"
        report.claimed_ids = [p.log_id for p in report.planned if p.log_id and p.recipient is not None]
        report.redelivered_ids = list(
            ReminderLog.objects.filter(
                state=ReminderState.PENDING, claimed_at__lt=timezone.now() - redeliver_after
            )
            .exclude(claim_token=token)
            .order_by("claimed_at")
            .values_list("id", flat=True)[:REDELIVER_BATCH]
        )
        to_send = report.claimed_ids + report.redelivered_ids
        if dispatch == "queue" and to_send:

            def hand_over():
                report.enqueued = enqueue_deliveries(to_send)

            transaction.on_commit(hand_over)
    if dispatch == "inline":
        from .notifications import deliver

        report.outcomes = {log_id: deliver(log_id) for log_id in to_send}
        for p in report.planned:
            p.outcome = report.outcomes.get(p.log_id, p.outcome)
    return report


def _claimed_by(token: uuid.UUID) -> dict[tuple, int]:
    """The rows this sweep's insert won (a conflicting row keeps the token of the sweep that made it)."""
    fields = ("rule_id", "subject_type", "subject_id", "due_date", "offset", "recipient_key")
    return {
        tuple(row[f] for f in fields): row["id"]
        for row in ReminderLog.objects.filter(claim_token=token).values("id", *fields)
    }


def _claim_row(p: Planned, today: dt.date, token: uuid.UUID) -> ReminderLog:
    recipient = p.recipient
    return ReminderLog(
        rule=p.rule,
        subject_type=p.item.subject_type,
        subject_id=p.item.subject_id,
        subject_code=p.item.subject_code,
        due_date=p.item.due,
        offset=p.offset,
        recipient_key=recipient.key if recipient else NOBODY,
        person=recipient.person if recipient else None,
        user_id=(
            recipient.user.pk
            if recipient and recipient.user
            else (recipient.person.user_id if recipient and recipient.person else None)
        ),
        roles=list(recipient.roles) if recipient else [],
        notes=p.notes + (recipient.notes if recipient else []),
        claimed_for=today,
        claim_token=token,
        state=ReminderState.PENDING if recipient else ReminderState.SKIPPED,
        skip_reason="" if recipient else "无可提醒的在岗人员",
    )


def enqueue_deliveries(log_ids: list[int]) -> int:
    """Publish one delivery task per claim over one connection. A broker outage stops the loop:
    what was not published stays pending in the database and the next sweep publishes it."""
    from config.celery import app

    from .tasks import deliver_reminder

    if app.conf.task_always_eager:
        for log_id in log_ids:
            deliver_reminder.apply_async((log_id,))
        return len(log_ids)
    published = 0
    try:
        with app.producer_or_acquire() as producer:
            for log_id in log_ids:
                deliver_reminder.apply_async(
                    (log_id,), producer=producer, retry=True, retry_policy=PUBLISH_RETRY_POLICY
                )
                published += 1
    except (BrokerError, ConnectionError, OSError) as exc:
        logger.warning(
            "reminders: broker unavailable (%s); %d of %d deliveries left pending for the next sweep",
            exc,
            len(log_ids) - published,
            len(log_ids),
        )
    return published
