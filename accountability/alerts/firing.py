"""Raising alerts exactly once per (rule, subject, window): the daily sweep's step and the hooks of the
writes that cross a threshold (an accident recorded or re-graded, a penalty, a 回头看)."""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import Accident, Alert, AlertKind, AlertPerson, AlertRule, HazardPenalty
from .counting import Candidate, candidates
from .naming import named_people

logger = logging.getLogger(__name__)

EVIDENCE = ("accidents", "penalties", "hazards", "findings", "review_items")


def alert_code(candidate: Candidate) -> str:
    subject = re.sub(r"[^A-Za-z0-9_.\-]", "-", candidate.subject_key)
    return f"AL-{candidate.window_start:%Y%m%d}-{candidate.rule.pk}-{subject}"[:120]


def _link_evidence(alert: Alert, candidate: Candidate) -> None:
    """Link the events counted (a later event inside the same window joins the same alert)."""
    for name in EVIDENCE:
        rows = candidate.evidence.get(name)
        if rows:
            getattr(alert, name).add(*rows)


def fire(candidate: Candidate, today: dt.date) -> tuple[Alert, bool]:
    """The alert of this (rule, subject, window): created once, with whom it names on `today`; a second
    call — or a concurrent one, which loses the unique insert — returns the first one."""
    key = {
        "rule": candidate.rule,
        "subject_key": candidate.subject_key,
        "window_start": candidate.window_start,
    }
    existing = Alert.objects.filter(**key).first()
    if existing is not None:
        _link_evidence(existing, candidate)
        if candidate.count > existing.count:
            Alert.objects.filter(pk=existing.pk).update(count=candidate.count)
        return existing, False
    named = named_people(candidate, today)
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                code=alert_code(candidate),
                kind=candidate.rule.kind,
                subject_label=candidate.subject_label[:300],
                window_end=candidate.window_end,
                fired_on=today,
                count=candidate.count,
                region=candidate.region,
                enterprise=candidate.enterprise,
                unit=candidate.unit,
                summoned_by=candidate.summoned_by,
                **key,
            )
            _link_evidence(alert, candidate)
            for entry in named:
                entry.alert = alert
            AlertPerson.objects.bulk_create(named)
    except IntegrityError:
        winner = Alert.objects.filter(**key).first()
        if winner is None:
            raise
        return winner, False
    return alert, True


def raise_alerts(
    today: dt.date | None = None, *, kinds=None, on: dt.date | None = None
) -> list[tuple[Alert, bool]]:
    """Every active rule (of `kinds`) counted as of `on` (default today), fired on `today`."""
    today = today or timezone.localdate()
    rules = AlertRule.objects.filter(active=True).select_related("region").order_by("pk")
    if kinds is not None:
        rules = rules.filter(kind__in=list(kinds))
    return [fire(candidate, today) for candidate in candidates(list(rules), on or today)]


def _after_commit(kinds, on: dt.date | None = None) -> None:
    def run():
        try:
            raise_alerts(kinds=kinds, on=on)
        except Exception:  # the write stands; the daily sweep counts again
            logger.exception("alerts: raising %s after a write failed", kinds)

    transaction.on_commit(run)


def check_accident(accident: Accident) -> None:
    """A new or re-graded accident may complete a region's pattern: counted as of its own day."""
    _after_commit([AlertKind.SUMMONS], on=min(accident.event_day, timezone.localdate()))


def check_penalty(penalty: HazardPenalty) -> None:
    _after_commit([AlertKind.CLOSURE], on=min(penalty.decided_on, timezone.localdate()))


def check_review(reviewed_on: dt.date) -> None:
    _after_commit([AlertKind.REVIEW_UNDONE], on=min(reviewed_on, timezone.localdate()))
