"""Reads of the accountability app: cases with their records, a person's lifelong record (终身追责)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from responsibility.models import Person

from .grading import INVESTIGATION_DAYS
from .measures import BY_CODE as MEASURE_KINDS
from .models import AccountabilityRecord, Case, CaseState, Decision, Measure


def case_records(case: Case) -> list[AccountabilityRecord]:
    """Records in chain order, each with `decision_history` (oldest first) and `current_decision`."""
    records = list(
        case.records.order_by("order", "id").prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("decided_by", "amends")
                .prefetch_related(Prefetch("measures", queryset=Measure.objects.order_by("id")))
                .order_by("decided_at", "id"),
            )
        )
    )
    for record in records:
        history = list(record.decisions.all())
        amended = {d.amends_id for d in history if d.amends_id}
        record.decision_history = history
        record.current_decision = next((d for d in reversed(history) if d.pk not in amended), None)
    return records


def case_as_codes(case: Case) -> dict:
    """The JSON of DESIGN §4 for `open_case`, with the investigation team of §5.9."""
    team = (
        [row.unit.code for row in case.accident.investigator_rows.select_related("unit")]
        if case.accident_id
        else []
    )
    return {
        "case": case.code,
        "source": case.source_label,
        "grade": case.grade or None,
        "investigators": team,
        "records": [
            {
                "track": r.track,
                "unit": r.unit_code or None,
                "position": r.position_code or None,
                "person": r.person_code or None,
                "types": list(r.types),
            }
            for r in case.records.order_by("order", "id")
        ],
    }


@dataclass(frozen=True)
class WeighingMeasure:
    """A measure and how long it weighs on a career: until a day, forever (开除), or not at all."""

    measure: Measure
    until: dt.date | None
    permanent: bool = False
    as_of: dt.date | None = None  # the day the person view is read for (today by default)

    def weighs_on(self, day: dt.date) -> bool:
        return self.permanent or (self.until is not None and day < self.until)

    @property
    def still_weighs(self) -> bool:
        return self.weighs_on(self.as_of or timezone.localdate())


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=d)
        except ValueError:
            continue
    raise ValueError(day)


def person_accountability(person: Person, *, on: dt.date | None = None) -> list[dict]:
    """终身追责: every record of a person across cases and positions, with each measure's weighing period.

    A measure weighs from the day of the standing (current) decision for its period; an amended
    decision's measures no longer weigh. `on` is the day `still_weighs` is judged (today by default).
    """
    records = list(
        AccountabilityRecord.objects.filter(person=person)
        .select_related("case")
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("decided_by")
                .prefetch_related("measures")
                .order_by("decided_at", "id"),
            )
        )
        .order_by("case__event_day", "order")
    )
    result = []
    for record in records:
        history = list(record.decisions.all())
        amended = {d.amends_id for d in history if d.amends_id}
        current = next((d for d in reversed(history) if d.pk not in amended), None)
        weighing = []
        if current is not None:
            decided_on = timezone.localdate(current.decided_at)
            for measure in current.measures.all():
                until = _add_months(decided_on, measure.period_months) if measure.period_months else None
                kind = MEASURE_KINDS.get(measure.kind)
                weighing.append(
                    WeighingMeasure(measure, until, permanent=bool(kind and kind.permanent), as_of=on)
                )
        result.append(
            {
                "record": record,
                "case": record.case,
                # §5.10 终身追责: a person answers for an earlier term as for the event day.
                "term": record.snapshot.get("term", "event_day"),
                "term_note": record.term_note,
                "current": current,
                "history": history,
                "measures": weighing,
            }
        )
    return result


def records_by_track(records: list[AccountabilityRecord]) -> dict[str, list[AccountabilityRecord]]:
    grouped: dict[str, list[AccountabilityRecord]] = defaultdict(list)
    for record in records:
        grouped[record.track].append(record)
    return grouped


def overdue_investigations(cases, today: dt.date, limit: int = 200) -> list[Case]:
    """Open accident cases past their 调查期限 with no report submitted (493号令 Art 29), oldest first.

    The 60 days are the least a case has, so the database narrows to cases older than that; the
    extension (at most 60 more days) is applied per case. One query, at most `limit` rows.
    """
    candidates = (
        cases.filter(
            accident__isnull=False,
            report_submitted_on__isnull=True,
            event_day__lt=today - dt.timedelta(days=INVESTIGATION_DAYS),
        )
        .exclude(state=CaseState.CLOSED)
        .select_related("accident")
        .order_by("event_day", "code")[:limit]
    )
    overdue = [case for case in candidates if case.investigation_due < today]
    for case in overdue:
        case.days_overdue = (today - case.investigation_due).days
    return overdue
