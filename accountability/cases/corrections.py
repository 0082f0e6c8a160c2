"""Correct or withdraw, never delete: one service for every entry a case's workbench writes.

`withdraw_entry` marks an entry withdrawn (撤销) with who, when and why; `correct_entry` withdraws it with
the correction's reason and has the caller write the new version (through the entry's own service, so
the new one meets every rule a first entry meets), which then says what it `replaces`. One winner: the
withdrawal is a conditional UPDATE, so of two concurrent withdrawals (or corrections) one is refused.
A closed case is corrected only through 回头看 or after a reopening (the case's lock says which).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import (
    AccountabilityRecord,
    AppraisalPeriod,
    Case,
    CaseState,
    CorrectiveAction,
    EducationActivity,
    HandOver,
    Measure,
    RecordOrigin,
)

# The entries a workbench form writes, by the name the pages and the API use for them.
KINDS: dict[str, type] = {
    "handover": HandOver,
    "decision": Measure,
    "appraisal": AppraisalPeriod,
    "education": EducationActivity,
    "action": CorrectiveAction,
    "subject": AccountabilityRecord,
}
KIND_LABELS = {
    "handover": "问题线索移交",
    "decision": "移交处理结果",
    "appraisal": "技术鉴定期间",
    "education": "警示教育",
    "action": "整改措施",
    "subject": "增列的责任主体",
}


def kind_of(entry) -> str:
    return next(name for name, model in KINDS.items() if isinstance(entry, model))


def case_id_of(entry) -> int:
    if isinstance(entry, Measure):
        return entry.decision.record.case_id
    return entry.case_id


def entry_of(case: Case, kind: str, pk: int):
    """The case's current entry of that kind (None: unknown, another case's, or already withdrawn)."""
    model = KINDS.get(kind)
    if model is None:
        return None
    rows = model.objects.filter(pk=pk)
    if model is Measure:
        # Only a decision that came back from a hand-over is an entry; a proposal is amended with its finding.
        rows = rows.filter(decision__record__case=case, handover__isnull=False)
    else:
        rows = rows.filter(case=case)
    return rows.first()


def _lock_open_case(case_id: int) -> Case:
    locked = Case.objects.select_for_update().only("pk", "code", "state").get(pk=case_id)
    if locked.state == CaseState.CLOSED:
        raise ValidationError(
            {"case": f"{locked.code}：案件已结案，更正只能通过回头看，或在重新开启调查（写明理由）之后"}
        )
    return locked


def mark_withdrawn(entry, *, reason: str, by, field: str = "reason") -> None:
    model = type(entry)
    now = timezone.now()
    won = model.every.filter(pk=entry.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=now, withdrawn_by=by, withdrawal_reason=reason
    )
    if not won:
        raise ValidationError({field: f"该{KIND_LABELS[kind_of(entry)]}已撤销或已更正"})
    entry.withdrawn_at, entry.withdrawn_by, entry.withdrawal_reason = now, by, reason


def _after_withdrawal(entry, *, reason: str, by) -> None:
    """What else stops counting with the entry: a hand-over's decisions; the sums the case keeps."""
    if isinstance(entry, HandOver):
        for measure in Measure.objects.filter(handover=entry):
            mark_withdrawn(measure, reason=f"随移交撤销：{reason}", by=by)
    elif isinstance(entry, Measure) and entry.handover_id:
        sync_handover_completion(entry.handover)
    elif isinstance(entry, AppraisalPeriod):
        case = Case.objects.get(pk=entry.case_id)
        case.appraisal_days = sum(p.days for p in AppraisalPeriod.objects.filter(case=case))
        case._history_user = by
        case.save(update_fields=["appraisal_days"])


def sync_handover_completion(handover: HandOver) -> None:
    """A hand-over is complete when every record it names has a current decision back (the latest date)."""
    answered = {
        record_id: decided_on
        for record_id, decided_on in Measure.objects.filter(
            handover=handover, decision__amended_by__isnull=True
        ).values_list("decision__record_id", "decided_on")
    }
    wanted = set(handover.records.values_list("pk", flat=True))
    completed = max(answered.values()) if wanted and wanted <= set(answered) else None
    if handover.completed_on != completed:
        handover.completed_on = completed
        HandOver.every.filter(pk=handover.pk).update(completed_on=completed)


def _check_reason(reason: str, what: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: f"{what}须写明理由"})
    return reason


def withdraw_entry(*, entry, reason: str, by=None):
    """撤销: the entry stays, struck through with who, when and why, and stops counting."""
    reason = _check_reason(reason, "撤销")
    if isinstance(entry, AccountabilityRecord) and entry.origin == RecordOrigin.CHAIN:
        raise ValidationError({"reason": "责任链认定的记录随立案冻结，不能撤销；请以认定结论处理"})
    with transaction.atomic():
        _lock_open_case(case_id_of(entry))
        mark_withdrawn(entry, reason=reason, by=by)
        _after_withdrawal(entry, reason=reason, by=by)
    return entry


def correct_entry(*, entry, reason: str, write: Callable[[], object], by=None):
    """更正: the entry is withdrawn with the reason, and `write()` (the entry's own service) records the new
    version, which says what it replaces. All or nothing: a refused new version leaves the old one standing.
    Refusals of the correction itself name `correction_reason` (pages and API share the field name)."""
    reason = _check_reason(reason, "更正", "correction_reason")
    with transaction.atomic():
        _lock_open_case(case_id_of(entry))
        mark_withdrawn(entry, reason=reason, by=by, field="replaces")
        new = write()
        if type(new) is not type(entry):
            raise TypeError("a correction replaces an entry with one of its own kind")
        type(new).every.filter(pk=new.pk).update(replaces=entry)
        new.replaces = entry
        if isinstance(entry, HandOver):
            # A decision already back for a record the corrected hand-over still names stays with it.
            Measure.every.filter(
                handover=entry, decision__record__in=new.records.all(), withdrawal_reason=""
            ).update(handover=new)
            _after_withdrawal(entry, reason=reason, by=by)
            sync_handover_completion(new)
    return new


def write_entry(*, case: Case, kind: str, write: Callable[[], object], replaces=None, reason="", by=None):
    """What every workbench form and API endpoint that adds an entry calls: a new entry, or — given the id it
    `replaces` — the correction of that one (withdrawn with the reason, the new version linked to it)."""
    if not replaces:
        return write()
    entry = entry_of(case, kind, replaces)
    if entry is None:
        raise ValidationError(
            {"replaces": f"要更正的{KIND_LABELS[kind]}（编号 {replaces}）不在本案中或已撤销"}
        )
    return correct_entry(entry=entry, reason=reason, write=write, by=by)
