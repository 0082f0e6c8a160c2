"""What is due: one indexed range query per kind of deadline, and whether a claim is still wanted."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Prefetch, Q

from ..events import EVENT_PREFETCH
from ..grading import (
    INVESTIGATION_DAYS,
    INVESTIGATION_EXTENSION_MAX_DAYS,
    REPLY_DAYS,
    REPLY_DAYS_ESPECIALLY_MAJOR,
)
from ..models import (
    INVESTIGATION_PENDING,
    OPEN_FINDING_STATES,
    Alert,
    AlertState,
    Case,
    CaseState,
    GovFinding,
    HandOver,
    Hazard,
    HazardLevel,
    HazardListing,
    HazardState,
    ReminderKind,
    ReminderLog,
    ReminderRule,
    ReminderSubject,
)
from .rules import due_range, fired_offset

# "Overdue" is "not closed and past the deadline" (DESIGN §2): these are the states still watched.
OPEN_HAZARD_STATES = Hazard.OPEN_STATES


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
    finding: GovFinding | None = None
    alert: Alert | None = None


# What a due hazard's chain and reminder read besides its row, fetched once for all of them: the same
# prefetches as a trace (events.EVENT_PREFETCH: parties, actors with whom they control, further sectors).
_HAZARD_JOINS = ("enterprise__region", "sector", "unit", "responsible_position__unit")


def _event_prefetch(prefix: str = "") -> list[Prefetch]:
    return [Prefetch(prefix + p.prefetch_to, queryset=p.queryset) for p in EVENT_PREFETCH]


def _hazards():
    return Hazard.objects.select_related(*_HAZARD_JOINS).prefetch_related(*_event_prefetch())


def _cases():
    return Case.objects.select_related("opened_by__person").prefetch_related(
        Prefetch("handlers", queryset=User.objects.select_related("person").order_by("pk"))
    )


def _by_ids(ids, rows) -> list:
    """Ids first: the selection reads one index and returns ids only; the rows and their joins are then
    fetched by primary key. In one statement the planner sizes the joins with its estimate of the range
    (12,789 rows expected for 100 at 1M open hazards) and scans units and positions whole; by a list of
    ids it knows the count and follows their primary keys."""
    ids = list(ids)
    if not ids:
        return []
    found = {row.pk: row for row in rows.filter(pk__in=ids).order_by()}
    return [found[pk] for pk in ids if pk in found]


def open_hazard_ids_near_deadline(lo: dt.date, hi: dt.date):
    """The ids of open hazards whose deadline lies in [lo, hi], by deadline: state IN (…) AND deadline
    BETWEEN, the very condition of the partial index on open hazards' deadlines (hazard_open_deadline),
    so a range scan of that index answers it whatever the number of closed or distant hazards."""
    return (
        Hazard.objects.filter(state__in=OPEN_HAZARD_STATES, deadline__range=(lo, hi))
        .order_by("deadline", "pk")
        .values_list("pk", flat=True)
    )


def hazards_near_deadline(lo: dt.date, hi: dt.date) -> list[Hazard]:
    """Open hazards whose deadline lies in [lo, hi], in deadline order, with what their reminders read."""
    return _by_ids(open_hazard_ids_near_deadline(lo, hi), _hazards())


def _hazard_deadlines(lo: dt.date, hi: dt.date) -> list[DueItem]:
    return [
        DueItem(ReminderSubject.HAZARD, h.pk, h.code, h.deadline, hazard=h)
        for h in hazards_near_deadline(lo, hi)
    ]


def _listings(lo: dt.date, hi: dt.date) -> list[DueItem]:
    # Ids first, from the listing's own columns only, so the planner reads the partial due-date index;
    # 销号 lifts the listing (hazards.verify_and_close), and a closed hazard left listed is dropped below.
    ids = HazardListing.objects.filter(lifted_on__isnull=True, due_on__range=(lo, hi))
    listings = HazardListing.objects.select_related(
        "listing_unit__region", *(f"hazard__{join}" for join in _HAZARD_JOINS)
    ).prefetch_related(*_event_prefetch("hazard__"))
    return [
        DueItem(ReminderSubject.LISTING, li.pk, li.hazard.code, li.due_on, hazard=li.hazard, listing=li)
        for li in _by_ids(ids.values_list("pk", flat=True), listings)
        if li.hazard.state in OPEN_HAZARD_STATES
    ]


# Hazard.review_due is the one place that knows the 10-day review; the query window is read from it.
_REVIEW_LEAD = Hazard(
    level=HazardLevel.MAJOR, state=HazardState.SUBMITTED, submitted_on=dt.date(2000, 1, 1)
).review_due - dt.date(2000, 1, 1)


def _reviews(lo: dt.date, hi: dt.date) -> list[DueItem]:
    ids = Hazard.objects.filter(
        state=HazardState.SUBMITTED,
        level=HazardLevel.MAJOR,
        submitted_on__range=(lo - _REVIEW_LEAD, hi - _REVIEW_LEAD),
    )  # in the model's order, as before
    hazards = _by_ids(ids.values_list("pk", flat=True), _hazards())
    return [
        DueItem(ReminderSubject.HAZARD, h.pk, h.code, h.review_due, hazard=h)
        for h in hazards
        if h.review_due and lo <= h.review_due <= hi
    ]


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def _investigations(lo: dt.date, hi: dt.date) -> list[DueItem]:
    pending = _cases().filter(INVESTIGATION_PENDING)
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


def _findings(lo: dt.date, hi: dt.date) -> list[DueItem]:
    """Government findings not 销号 whose deadline lies in [lo, hi] (the (state, deadline) index)."""
    rows = GovFinding.objects.filter(state__in=OPEN_FINDING_STATES, deadline__range=(lo, hi)).select_related(
        "assigned_unit__region", "responsible_position__unit", "sector"
    )
    return [
        DueItem(ReminderSubject.FINDING, f.pk, f.code, f.deadline, finding=f)
        for f in rows.order_by("deadline", "pk")
    ]


def _alerts(lo: dt.date, hi: dt.date) -> list[DueItem]:
    """Open alerts, due from the day they fired."""
    rows = Alert.objects.filter(state=AlertState.OPEN, fired_on__range=(lo, hi)).select_related(
        "summoned_by", "unit"
    )
    return [DueItem(ReminderSubject.ALERT, a.pk, a.code, a.fired_on, alert=a) for a in rows.order_by("pk")]


SELECTORS: dict[str, Callable[[dt.date, dt.date], list[DueItem]]] = {
    ReminderKind.HAZARD_DEADLINE: _hazard_deadlines,
    ReminderKind.LISTING_DUE: _listings,
    ReminderKind.HAZARD_REVIEW: _reviews,
    ReminderKind.CASE_INVESTIGATION: _investigations,
    ReminderKind.CASE_REPLY: _replies,
    ReminderKind.CASE_REVIEW: _case_reviews,
    ReminderKind.HANDOVER_DECISION: _handover_decisions,
    ReminderKind.FINDING_DEADLINE: _findings,
    ReminderKind.ALERT_OPEN: _alerts,
}


def still_due(log: ReminderLog) -> tuple[object | None, str]:
    """Re-fetch a claim's object: (object, "") when the reminder is still wanted, else (object or None, why not)."""
    kind = log.rule.kind
    if log.subject_type == ReminderSubject.CASE:
        case = Case.objects.filter(pk=log.subject_id).first()
        if case is None:
            return None, "案件已删除"
        due = {
            ReminderKind.CASE_INVESTIGATION: case.investigation_due if case.investigation_pending else None,
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
    if log.subject_type == ReminderSubject.FINDING:
        finding = GovFinding.objects.select_related("assigned_unit").filter(pk=log.subject_id).first()
        if finding is None:
            return None, "督查问题已删除"
        if finding.state not in OPEN_FINDING_STATES or finding.deadline != log.due_date:
            return finding, "已销号或整改期限已变更"
        return finding, ""
    if log.subject_type == ReminderSubject.ALERT:
        alert = Alert.objects.filter(pk=log.subject_id).first()
        if alert is None:
            return None, "预警已删除"
        return alert, "" if alert.state == AlertState.OPEN else "预警已处置或撤销"
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
