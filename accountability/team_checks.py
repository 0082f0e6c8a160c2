"""Reads that check a case's team and dates: the §5.9 回避 warning and the deadlines the workbench shows."""

from __future__ import annotations

import datetime as dt

from responsibility.chain import REACH_BY_GRADE
from responsibility.models import LEVEL_RANK

from .models import AccountabilityRecord, Case, Investigator


def team_conflicts(case: Case, team: list[Investigator], records: list[AccountabilityRecord]) -> list[dict]:
    """§5.9 warnings: a standing member whose own people (its unit or a unit inside it) are subjects of the
    case at or above the investigating level — added after opening, or named by hand. In memory, from the
    records already read (`case_records` loads each record's unit and region)."""
    reach = LEVEL_RANK[REACH_BY_GRADE[case.grade or None]]
    conflicts = []
    for member in team:
        if not member.unit_id:
            continue
        own = [
            record
            for record in records
            if record.unit_id
            and record.unit.path.startswith(member.unit.path)
            and LEVEL_RANK[record.unit.region.level] <= reach
        ]
        if own:
            conflicts.append({"member": member, "records": own})
    return conflicts


def case_deadlines(case: Case, today: dt.date) -> list[dict]:
    """The case's deadlines in order, each with its date, what met it and whether it is late; a case
    reopened by 回头看 answers to the 回头看's period, not to the investigation's."""
    rows = []
    if case.accident_id:
        rows.append(
            {
                "code": "investigation",
                "label": "调查期限（提交调查报告）",
                "due": case.investigation_due,
                "done": case.report_submitted_on,
                "late": case.is_investigation_overdue(today),
                "applies": case.investigation_pending or case.report_submitted_on is not None,
            }
        )
    rows.append(
        {
            "code": "reply",
            "label": "批复期限",
            "due": case.reply_due,
            "done": case.reply_on,
            "late": bool(
                case.reply_due and case.reply_on is None and not case.is_closed and case.reply_due < today
            ),
            "applies": case.report_submitted_on is not None,
        }
    )
    rows.append(
        {
            "code": "review",
            "label": "回头看期限（批复后一年内）",
            "due": case.review_due,
            "done": case.review_done_on,
            "late": bool(case.review_due and case.review_done_on is None and case.review_due < today),
            "applies": case.reply_on is not None,
        }
    )
    return rows
