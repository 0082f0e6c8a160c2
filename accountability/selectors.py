"""Reads of the accountability app: cases with their records, a person's lifelong record (终身追责)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from responsibility.access import visible
from responsibility.models import CadreAuthority, Person
from responsibility.permissions import Visibility

from .grading import INVESTIGATION_DAYS
from .measures import BY_CODE as MEASURE_KINDS
from .models import (
    INVESTIGATION_PENDING,
    Accident,
    AccountabilityRecord,
    Alert,
    Case,
    Decision,
    GovFinding,
    HandOver,
    Hazard,
    Investigator,
    Measure,
)
from .team_checks import team_conflicts

# The receiving 纪检监察 body by cadre authority (kept beside the hand-over service).
AUTHORITY_BODY = {
    CadreAuthority.CENTRAL: "中央纪委国家监委",
    CadreAuthority.PROVINCIAL: "省纪委监委",
    CadreAuthority.CITY: "市纪委监委",
    CadreAuthority.COUNTY: "县纪委监委",
}


# The events and cases a user may see (the access policy's scope, responsibility/access.py), for pages and API.
def visible_accidents(vis: Visibility):
    return visible(vis, Accident.objects.all())


def visible_hazards(vis: Visibility):
    return visible(vis, Hazard.objects.all())


def visible_cases(vis: Visibility):
    return visible(vis, Case.objects.all())


def visible_findings(vis: Visibility):
    return visible(vis, GovFinding.objects.all())


def visible_alerts(vis: Visibility):
    return visible(vis, Alert.objects.all())


def case_records(case: Case, *, handovers: bool = False) -> list[AccountabilityRecord]:
    """Records in chain order, each with `decision_history` (oldest first) and `current_decision`;
    `handovers=True` prefetches each record's hand-overs (the report's `recorded_authority`)."""
    prefetch = (
        [Prefetch("handovers", queryset=HandOver.objects.order_by("handed_on", "id"))] if handovers else []
    )
    records = list(
        case.records.order_by("order", "id")
        # `record.authority` falls back to the post; the unit and its region for the team's §5.9 warning.
        .select_related("position", "unit__region")
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("decided_by", "amends")
                .prefetch_related(Prefetch("measures", queryset=Measure.objects.order_by("id")))
                .order_by("decided_at", "id"),
            ),
            *prefetch,
        )
    )
    return records


def case_as_codes(case: Case) -> dict:
    """The JSON of DESIGN §4 for `open_case`, with the investigation team of §5.9."""
    team = [row.unit.code for row in _team(case) if row.unit_id]
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
        history, current = record.decision_history, record.current_decision
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


# ---- the report: the case as DESIGN §6 exports it, proposals grouped by channel and authority ---------


def _team(case: Case) -> list[Investigator]:
    """The standing members of the 调查组 (a withdrawn one counts nowhere)."""
    if not case.accident_id:
        return []
    return list(
        case.accident.investigator_rows.filter(withdrawn_at__isnull=True)
        .select_related("unit__region")
        .order_by("order", "id")
    )


def case_handovers(case: Case) -> list[HandOver]:
    return list(
        case.handovers.prefetch_related(
            "records",
            Prefetch("measures", queryset=Measure.objects.select_related("decision").order_by("id")),
        ).order_by("handed_on", "id")
    )


def case_export(case: Case) -> dict:
    """`export_case --json` (DESIGN §6): the case, its records with finding, category, measures with
    channel, cadre authority and hand-overs, nature, causes, team and corrective actions."""
    records = case_records(case)
    handovers = case_handovers(case)
    by_record: dict[int, list[dict]] = defaultdict(list)
    for handover in handovers:
        for record in handover.records.all():
            by_record[record.pk].append(
                {
                    "body": handover.receiving_body,
                    "authority": handover.authority or None,
                    "on": handover.handed_on.isoformat(),
                    "decision_due": handover.decision_due.isoformat(),
                    "decisions": [
                        {
                            "form": m.kind,
                            "channel": m.channel,
                            "document": m.document_number,
                            "on": m.decided_on.isoformat() if m.decided_on else None,
                        }
                        for m in handover.measures.all()
                        if m.decision.record_id == record.pk
                    ],
                }
            )

    def finding(decision: Decision | None):
        if decision is None:
            return None
        return {
            "outcome": decision.finding,
            "category": decision.category or None,
            "grounds": decision.grounds,
        }

    def measures(decision: Decision | None):
        """The 处理建议 (the finding's own measures); what came back from a hand-over is under `handed_over`."""
        if decision is None:
            return []
        return [
            {"form": m.kind, "channel": m.channel, "article": m.article or None, "months": m.period_months}
            for m in decision.measures.all()
            if m.handover_id is None
        ]

    return {
        "case": case.code,
        "source": case.source_label,
        "grade": case.grade or None,
        "nature": case.nature or None,
        "causes": {"direct": case.cause, "indirect": case.indirect_cause},
        "investigators": [
            {"unit": row.unit.code, "role": row.role}
            if row.unit_id
            else {"unit": None, "name": row.name, "role": row.role}
            for row in _team(case)
        ],
        "records": [
            {
                "track": r.track,
                "unit": r.unit_code or None,
                "position": r.position_code or None,
                "person": r.person_code or None,
                "types": list(r.types),
                "finding": finding(r.current_decision),
                "measures": measures(r.current_decision),
                "authority": r.authority or None,
                "handed_over": by_record.get(r.pk, []),
            }
            for r in records
        ],
        "corrective_actions": [
            {
                "description": a.description,
                "responsible": a.responsible,
                "due_on": a.due_on.isoformat() if a.due_on else None,
                "done_on": a.done_on.isoformat() if a.done_on else None,
            }
            for a in case.corrective_actions.order_by("id")
        ],
        "closed": case.is_closed,
    }


def case_conclusions(case: Case, records: list[AccountabilityRecord]) -> dict:
    """What the workbench shows of the report's conclusions: problems, appraisal, hand-overs with the
    decisions that came back, team (standing, with §5.9 warnings, and withdrawn), and the 回头看 items."""
    rows = (
        list(
            case.accident.investigator_rows.select_related("unit__region", "withdrawn_by").order_by(
                "order", "id"
            )
        )
        if case.accident_id
        else []
    )
    team = [row for row in rows if row.withdrawn_at is None]
    return {
        "problems": list(case.unit_problems.select_related("unit")),
        "periods": list(case.appraisal_periods.all()),
        "handovers": list(
            case.handovers.prefetch_related(
                "records",
                Prefetch(
                    "measures",
                    queryset=Measure.objects.select_related("decision__record", "recorded_by").order_by(
                        "decided_on", "id"
                    ),
                ),
            ).order_by("handed_on", "id")
        ),
        "team": team,
        "team_conflicts": team_conflicts(case, team, records),
        "withdrawn_team": [row for row in rows if row.withdrawn_at is not None],
        "review_items": list(
            case.review_items.select_related("corrective_action", "measure__decision__record", "follow_up")
        ),
    }


def overdue_investigations(cases, today: dt.date, limit: int = 200) -> list[Case]:
    """Open accident cases past their 调查期限 with no report submitted (493号令 Art 29), oldest first.

    The 60 days are the least a case has, so the database narrows to cases older than that; the
    extension (at most 60 more days) is applied per case. One query, at most `limit` rows.
    """
    candidates = (
        cases.filter(INVESTIGATION_PENDING, event_day__lt=today - dt.timedelta(days=INVESTIGATION_DAYS))
        .select_related("accident")
        .order_by("event_day", "code")[:limit]
    )
    overdue = [case for case in candidates if case.investigation_due < today]
    for case in overdue:
        case.days_overdue = (today - case.investigation_due).days
    return overdue


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of `year` and of the next, in the current time zone."""
    tz = timezone.get_current_timezone()
    return (
        dt.datetime(year, 1, 1, tzinfo=tz),
        dt.datetime(year + 1, 1, 1, tzinfo=tz),
    )
