"""The report's conclusions, the timetable (appraisal periods), hand-overs (问题线索移交) and 回头看."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from responsibility.models import CadreAuthority, Unit
from responsibility.validators import text_problem

from ..alerts import check_review as alert_on_review
from ..grading import INVESTIGATION_DAYS
from ..models import (
    WITH_CATEGORY,
    AccountabilityRecord,
    AppraisalPeriod,
    Case,
    CaseNature,
    CaseState,
    CorrectiveAction,
    Decision,
    Finding,
    HandOver,
    Measure,
    RecordOrigin,
    ReviewItem,
    UnitProblem,
)
from ..selectors import AUTHORITY_BODY
from .corrections import mark_withdrawn, sync_handover_completion
from .findings import _clean_measure, _require_open
from .opening import add_subject
from .timeline import check_appraisal, check_handover, check_handover_decision, check_review

_UNSET = object()


# The conclusions a case records once and then only corrects: changing or clearing (撤销) one that was
# recorded needs the reason, kept as the change reason of the case's history (read by withdrawals.py).
CONCLUSION_LABELS = {
    "nature": "事故性质",
    "cause": "直接原因",
    "indirect_cause": "间接原因",
    "course_and_rescue": "事故经过和应急救援情况",
    "lessons": "主要教训",
}
CORRECTED = "更正："
REASON_MAX = 100 - len(CORRECTED)  # the history's change reason holds 100 characters


def correction_note(recorded: dict, changes: dict, reason: str) -> str | None:
    """The history's change reason when `changes` alters or clears a `recorded` conclusion (None: nothing
    recorded is changed); refused without a reason."""
    changed = [
        CONCLUSION_LABELS[name]
        for name, value in changes.items()
        if recorded[name] and recorded[name] != value
    ]
    if not changed:
        return None
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"correction_reason": f"{'、'.join(changed)}已记录，修改或撤销须写明更正理由"})
    problem = text_problem(reason) or (
        f"不超过 {REASON_MAX} 字（现 {len(reason)} 字）" if len(reason) > REASON_MAX else None
    )
    if problem:
        raise ValidationError({"correction_reason": f"更正理由{problem}"})
    return CORRECTED + reason


def record_conclusions(
    *,
    case: Case,
    nature=_UNSET,
    direct_cause=_UNSET,
    indirect_cause=_UNSET,
    course_and_rescue=_UNSET,
    lessons=_UNSET,
    correction_reason: str = "",
    by=None,
) -> Case:
    """事故性质, 直接/间接原因, 经过和救援, 主要教训: each given field replaces the stored one; changing or
    clearing a recorded one is a correction and needs `correction_reason` (history keeps every version)."""
    given = {
        name: (value or "").strip() if name != "nature" else (value or "")
        for name, value in (
            ("nature", nature),
            ("cause", direct_cause),
            ("indirect_cause", indirect_cause),
            ("course_and_rescue", course_and_rescue),
            ("lessons", lessons),
        )
        if value is not _UNSET
    }
    with transaction.atomic():
        _require_open(case)
        recorded = {name: getattr(case, name) for name in given}
        fields = []
        if nature is not _UNSET:
            nature = nature or ""
            if nature and nature not in CaseNature.values:
                raise ValidationError({"nature": f"unknown nature {nature!r}"})
            if nature and case.hazard_id:
                raise ValidationError({"nature": "事故性质只适用于事故案件"})
            if nature and nature != CaseNature.LIABILITY:
                responsible = Decision.objects.current().filter(record__case=case, finding__in=WITH_CATEGORY)
                if responsible.exists():
                    raise ValidationError(
                        {"nature": f"已有负有责任的认定，不能定性为{CaseNature(nature).label}；请先更正认定"}
                    )
            case.nature = nature
            fields.append("nature")
        for name, value in (
            ("cause", direct_cause),
            ("indirect_cause", indirect_cause),
            ("course_and_rescue", course_and_rescue),
            ("lessons", lessons),
        ):
            if value is not _UNSET:
                setattr(case, name, (value or "").strip())
                fields.append(name)
        if "cause" in fields or "indirect_cause" in fields:
            case.cause_recorded_at = timezone.now() if case.cause else None
            fields.append("cause_recorded_at")
        case._change_reason = correction_note(recorded, given, correction_reason)
        case._history_user = by
        case.save(update_fields=fields)
    return case


def set_unit_problems(*, case: Case, unit: Unit, problems: str) -> UnitProblem:
    """有关责任单位存在的主要问题: one text per unit; a second call replaces it."""
    problems = (problems or "").strip()
    if not problems:
        raise ValidationError({"problems": "存在的主要问题不能为空"})
    with transaction.atomic():
        _require_open(case)
        row = UnitProblem.objects.filter(case=case, unit=unit).first()
        if row is None:
            order = (case.unit_problems.aggregate(m=Max("order"))["m"] or 0) + 1
            return UnitProblem.objects.create(case=case, unit=unit, problems=problems, order=order)
        row.problems = problems
        row.save(update_fields=["problems"])
        return row


def _sync_appraisal_days(case: Case) -> None:
    case.appraisal_days = sum(p.days for p in case.appraisal_periods.all())
    case.save(update_fields=["appraisal_days"])


def add_appraisal_period(
    *, case: Case, start: dt.date, end: dt.date | None = None, subject: str = "", by=None
) -> AppraisalPeriod:
    """Art 27: technical appraisal time does not count; its days move the investigation due date."""
    if case.accident_id is None:
        raise ValidationError({"start": "只有事故调查有法定调查期限"})
    check_appraisal(case, start=start, end=end)
    with transaction.atomic():
        _require_open(case)
        for other in case.appraisal_periods.all():
            other_end = other.end or dt.date.max
            if start <= other_end and (end or dt.date.max) >= other.start:
                raise ValidationError({"start": f"与已登记的鉴定期间（{other}）重叠"})
        period = AppraisalPeriod.objects.create(case=case, start=start, end=end, subject=subject.strip())
        case._history_user = by
        _sync_appraisal_days(case)
    return period


def end_appraisal_period(*, period: AppraisalPeriod, end: dt.date, by=None) -> AppraisalPeriod:
    """Ends an open period once: the end is checked on the row as stored, under the case's lock, so of
    parallel calls one ends it and the others get the refusal a second call gets."""
    with transaction.atomic():
        case = _require_open(period.case)
        stored_end = AppraisalPeriod.objects.values_list("end", flat=True).get(pk=period.pk)
        if stored_end is not None:
            raise ValidationError({"end": "该鉴定期间已结束"})
        if end < period.start:
            raise ValidationError({"end": "鉴定结束日期不能早于开始日期"})
        period.end = end
        period.save(update_fields=["end"])
        case = Case.objects.get(pk=case.pk)
        case._history_user = by
        _sync_appraisal_days(case)
    period.case.appraisal_days = case.appraisal_days
    return period


def set_investigation_period(*, case: Case, days: int, by=None) -> Case:
    """特别重大: the State Council sets the investigation period (days from the accident)."""
    if case.grade != "especially_major":
        raise ValidationError({"days": "只有特别重大事故由国务院确定调查期限"})
    if not INVESTIGATION_DAYS <= days <= 3650:
        # A longer period than Art 29's (the dashboard narrows overdue cases by the 60 days).
        raise ValidationError({"days": f"调查期限须在 {INVESTIGATION_DAYS} 至 3650 天之间"})
    with transaction.atomic():
        _require_open(case)
        case.set_period_days = days
        case._history_user = by
        case.save(update_fields=["set_period_days"])
    return case


HANDOVER_DECISION_DAYS = 90


def hand_over(
    *,
    case: Case,
    records: Sequence[AccountabilityRecord],
    handed_on: dt.date,
    receiving_body: str = "",
    authority: str = "",
    decision_due: dt.date | None = None,
    note: str = "",
    by=None,
) -> HandOver:
    """Hand responsible records to the body with authority; its decisions come back as measures."""
    records = list(records)
    if not records:
        raise ValidationError({"records": "须选择移交的责任认定记录"})
    if authority and authority not in CadreAuthority.values:
        raise ValidationError({"authority": f"unknown authority {authority!r}"})
    receiving_body = (receiving_body or "").strip() or AUTHORITY_BODY.get(authority, "")
    if not receiving_body:
        raise ValidationError({"receiving_body": "须写明接收机关"})
    check_handover(case, handed_on=handed_on, decision_due=decision_due)
    decision_due = decision_due or handed_on + dt.timedelta(days=HANDOVER_DECISION_DAYS)
    with transaction.atomic():
        _require_open(case)
        current = {
            d.record_id: d for d in Decision.objects.current().filter(record__in=[r.pk for r in records])
        }
        for record in records:
            if record.case_id != case.pk:
                raise ValidationError({"records": f"{record} 不属于本案"})
            decision = current.get(record.pk)
            if decision is None or decision.finding != Finding.RESPONSIBLE:
                raise ValidationError({"records": f"{record}：只有认定负有责任的记录才能移交处理"})
            first = HandOver.objects.filter(case=case, receiving_body=receiving_body, records=record).first()
            if first is not None:
                raise ValidationError(
                    {
                        "records": f"{record} 已于 {first.handed_on} 移交{first.receiving_body}（移交 #{first.pk}），"
                        "不能重复移交；移交有误的，请撤销或更正该移交"
                    }
                )
        handover = HandOver.objects.create(
            case=case,
            receiving_body=receiving_body,
            authority=authority,
            handed_on=handed_on,
            decision_due=decision_due,
            note=note.strip(),
            recorded_by=by,
        )
        handover.records.set(records)
    return handover


def record_handover_decision(
    *,
    handover: HandOver,
    record: AccountabilityRecord,
    measure: dict,
    document_number: str,
    decided_on: dt.date,
    correction_reason: str = "",
    by=None,
) -> Measure:
    """The decision that came back: a measure on the record's standing finding, with its document number
    and who entered it. A second decision on the same hand-over for the same record corrects the first
    (decided records are amended, not edited): it needs a reason, and the first stays, withdrawn."""
    document_number = (document_number or "").strip()
    if not document_number:
        raise ValidationError({"document_number": "须写明决定文号"})
    check_handover_decision(handover, decided_on=decided_on)
    with transaction.atomic():
        _require_open(handover.case)
        if not handover.records.filter(pk=record.pk).exists():
            raise ValidationError({"record": f"{record} 不在该移交中"})
        decision = Decision.objects.current().filter(record=record).first()
        if decision is None or decision.finding != Finding.RESPONSIBLE:
            raise ValidationError({"record": "该记录现行认定不是负有责任，不能登记处理结果"})
        cleaned = _clean_measure(record, 0, measure)
        previous = Measure.objects.filter(handover=handover, decision__record=record).first()
        if previous is not None:
            correction_reason = (correction_reason or "").strip()
            if not correction_reason:
                raise ValidationError(
                    {
                        "correction_reason": f"{record} 的处理结果已登记（{previous.document_number}，"
                        f"{previous.decided_on}）；再次登记即为更正，须写明更正理由"
                    }
                )
            mark_withdrawn(previous, reason=correction_reason, by=by)
        cleaned.decision = decision
        cleaned.handover = handover
        cleaned.document_number = document_number
        cleaned.decided_on = decided_on
        cleaned.recorded_by = by
        cleaned.replaces = previous
        cleaned.save()
        sync_handover_completion(handover)
    return cleaned


@dataclass(frozen=True)
class ReviewEntry:
    """One item of the 回头看: a corrective action or a measure, carried out or not; an undone one
    may name the subject held to account for it (a follow-up record)."""

    carried_out: bool
    corrective_action: CorrectiveAction | None = None
    measure: Measure | None = None
    note: str = ""
    follow_up: dict | None = None  # add_subject's keywords: track, types, unit, position, person


def record_review(
    *, case: Case, reviewed_on: dt.date, entries: Sequence[ReviewEntry], by=None
) -> list[ReviewItem]:
    """安全生产法 Art 86: the evaluation a year on. Anything undone reopens the case, which closes again
    only under 四不放过: an undone 整改措施 is registered again, an undone 处理建议 may name a subject."""
    if not entries:
        raise ValidationError({"entries": "回头看须逐项评估整改措施建议和处理建议"})
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        check_review(locked, reviewed_on=reviewed_on)
        items = []
        undone = [e for e in entries if not e.carried_out]
        if undone and locked.state == CaseState.CLOSED:
            locked.state, locked.closed_at, locked.closed_by = CaseState.OPEN, None, None
            locked._history_user = by
            locked.save(update_fields=["state", "closed_at", "closed_by"])
        for i, entry in enumerate(entries):
            if (entry.corrective_action is None) == (entry.measure is None):
                raise ValidationError({f"entries[{i}]": "每项须且只能是一条整改措施或一条处理措施"})
            owner = (
                entry.corrective_action.case_id
                if entry.corrective_action
                else entry.measure.decision.record.case_id
            )
            if owner != case.pk:
                raise ValidationError({f"entries[{i}]": "该项不属于本案"})
            follow_up = None
            if not entry.carried_out:
                what = entry.corrective_action.description if entry.corrective_action else str(entry.measure)
                if entry.corrective_action is not None:
                    CorrectiveAction.objects.create(
                        case=case,
                        description=f"（回头看未落实）{entry.corrective_action.description}",
                        responsible=entry.corrective_action.responsible,
                    )
                if entry.follow_up:
                    follow_up = add_subject(
                        case=case,
                        reason=f"回头看（{reviewed_on}）：{what} 未落实。{entry.note}".strip(),
                        origin=RecordOrigin.REVIEW,
                        by=by,
                        **entry.follow_up,
                    )
            items.append(
                ReviewItem.objects.create(
                    case=case,
                    reviewed_on=reviewed_on,
                    corrective_action=entry.corrective_action,
                    measure=entry.measure,
                    carried_out=entry.carried_out,
                    note=entry.note.strip(),
                    follow_up=follow_up,
                )
            )
        locked.review_done_on = reviewed_on
        locked.save(update_fields=["review_done_on"])
        if undone:
            alert_on_review(reviewed_on)  # 回头看 to 问责: what is undone names who was to carry it out
    case.state, case.review_done_on = locked.state, reviewed_on
    return items
