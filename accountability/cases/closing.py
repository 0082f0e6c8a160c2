"""The 四不放过 gate and closing a case."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from responsibility.validators import text_problem

from ..models import (
    Case,
    CaseNature,
    CaseState,
    Decision,
    Finding,
)

CAUSE = "cause_not_found"


PEOPLE = "people_not_dealt_with"


MEASURES = "measures_not_carried_out"


EDUCATION = "people_not_educated"


def closing_blockers(case: Case) -> list[tuple[str, str]]:
    """Which of the four conditions still fail, each with its message (empty when the case may close)."""
    blockers = []
    if not case.cause.strip():
        blockers.append((CAUSE, "事故原因未查清：尚未记录原因"))
    elif case.nature == CaseNature.LIABILITY and not case.indirect_cause.strip():
        blockers.append((CAUSE, "事故原因未查清：责任事故须写明间接原因"))
    records = list(case.records.order_by("order").values_list("id", "snapshot"))
    current = {
        d["record_id"]: d
        for d in Decision.objects.current()
        .filter(record__case=case)
        .annotate(n_measures=Count("measures", filter=Q(measures__withdrawn_at__isnull=True)))
        .values("record_id", "finding", "n_measures", "no_measure_reason")
    }
    undecided = [snap for rid, snap in records if rid not in current]
    unpunished = [
        snap
        for rid, snap in records
        if rid in current
        and current[rid]["finding"] == Finding.RESPONSIBLE
        and not current[rid]["n_measures"]
        and not current[rid]["no_measure_reason"]
    ]
    parts = []
    if undecided or unpunished:
        if undecided:
            parts.append(f"{len(undecided)} 条记录未认定（{_names(undecided)}）")
        if unpunished:
            parts.append(f"{len(unpunished)} 条负有责任的记录没有处理措施（{_names(unpunished)}）")
    waiting = list(case.handovers.filter(completed_on__isnull=True).values_list("receiving_body", flat=True))
    if waiting:
        parts.append(f"{len(waiting)} 项移交尚未反馈处理结果（{'、'.join(waiting)}）")
    if parts:
        blockers.append((PEOPLE, "责任人员未处理：" + "；".join(parts)))
    actions = list(case.corrective_actions.values_list("done_on", flat=True))
    if not actions:
        blockers.append((MEASURES, "整改措施未落实：尚未登记整改措施"))
    elif any(done is None for done in actions):
        pending = sum(1 for done in actions if done is None)
        blockers.append((MEASURES, f"整改措施未落实：{pending} 项整改措施未完成"))
    if not case.education.exists():
        blockers.append((EDUCATION, "有关人员未受到教育：尚未记录警示教育"))
    return blockers


def _names(snapshots, limit: int = 5) -> str:
    names = [
        "/".join(
            x
            for x in [
                s.get("unit_name"),
                s.get("position_title"),
                s.get("person_name") or ("空缺" if s.get("vacant") else ""),
            ]
            if x
        )
        for s in snapshots[:limit]
    ]
    return "、".join(names) + ("等" if len(snapshots) > limit else "")


class CaseNotClosable(ValidationError):
    def __init__(self, blockers: list[tuple[str, str]]):
        self.blockers = blockers
        super().__init__({code: message for code, message in blockers})


def close_case(*, case: Case, by=None) -> Case:
    """Close only when all four of 四不放过 hold; otherwise say which are missing."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.state == CaseState.CLOSED:
            return locked
        blockers = closing_blockers(locked)
        if blockers:
            raise CaseNotClosable(blockers)
        locked.state = CaseState.CLOSED
        locked.closed_at = timezone.now()
        locked.closed_by = by
        locked._history_user = by
        locked.save(update_fields=["state", "closed_at", "closed_by"])
    # The caller's copy says closed too, so a later write through it is refused without surprise.
    case.state, case.closed_at, case.closed_by = locked.state, locked.closed_at, locked.closed_by
    return locked


REOPENED = "重新开启："
REASON_MAX = 100 - len(REOPENED)


def reopen_case(*, case: Case, reason: str, by=None) -> Case:
    """A closed case is opened again to correct its record, with the reason (kept in the case's history and
    printed in the 结案 record); it then closes again only under 四不放过."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "重新开启案件须写明理由"})
    # The reason is the history's change reason: at most 100 characters with its prefix.
    problem = text_problem(reason) or (
        f"不超过 {REASON_MAX} 字（现 {len(reason)} 字）" if len(reason) > REASON_MAX else None
    )
    if problem:
        raise ValidationError({"reason": f"重新开启理由{problem}"})
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.state != CaseState.CLOSED:
            raise ValidationError({"reason": f"{locked.code}：案件尚未结案，无须重新开启"})
        locked.state, locked.closed_at, locked.closed_by = CaseState.OPEN, None, None
        locked._history_user = by
        locked._change_reason = REOPENED + reason
        locked.save(update_fields=["state", "closed_at", "closed_by"])
    case.state, case.closed_at, case.closed_by = locked.state, None, None
    return locked


def case_reopenings(case: Case) -> list:
    """Each reopening of the case: when, by whom, why (from its history, oldest first)."""
    return list(
        case.history.filter(history_change_reason__startswith=REOPENED)
        .select_related("history_user")
        .order_by("history_date")
    )
