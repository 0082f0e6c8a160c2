"""Reads of what a case's entries were corrected or withdrawn (撤销): the history the workbench strikes through."""

from __future__ import annotations

from .cases.conclusions import CONCLUSION_LABELS, CORRECTED
from .measures import label_of
from .models import (
    AccountabilityRecord,
    AppraisalPeriod,
    Case,
    CaseNature,
    CorrectiveAction,
    EducationActivity,
    HandOver,
    Measure,
)


def case_withdrawals(case: Case) -> list[dict]:
    """Every withdrawn or corrected entry of the case, newest first: what it said, who withdrew it, when,
    why, and (a correction) what replaced it. Read through `every`, the managers that include them."""

    def rows(model, **filters):
        return (
            model.every.filter(withdrawn_at__isnull=False, **filters)
            .select_related("withdrawn_by", "replaced_by")
            .order_by("-withdrawn_at")
        )

    found = []
    for h in rows(HandOver, case=case):
        found.append(
            ("问题线索移交", h, f"{h.handed_on} 移交{h.receiving_body}（反馈期限 {h.decision_due}）")
        )
    for m in rows(Measure, decision__record__case=case, handover__isnull=False).select_related(
        "decision__record"
    ):
        found.append(
            (
                "移交处理结果",
                m,
                f"{m.decision.record.subject_name}：{label_of(m.kind)}（{m.document_number}，{m.decided_on}）",
            )
        )
    for p in rows(AppraisalPeriod, case=case):
        found.append(("技术鉴定期间", p, str(p)))
    for e in rows(EducationActivity, case=case):
        found.append(("警示教育", e, f"{e.held_on} {e.description}（{e.participants} 人）"))
    for a in rows(CorrectiveAction, case=case):
        found.append(("整改措施", a, f"{a.description}（期限 {a.due_on or '—'}）"))
    for r in rows(AccountabilityRecord, case=case):
        found.append(("增列的责任主体", r, f"{r}：{r.added_reason}"))
    result = []
    for kind, entry, text in found:
        try:
            replaced_by = entry.replaced_by
        except type(entry).DoesNotExist:
            replaced_by = None
        result.append(
            {
                "kind": kind,
                "text": text,
                "at": entry.withdrawn_at,
                "by": entry.withdrawn_by,
                "reason": entry.withdrawal_reason,
                "corrected": replaced_by is not None,
            }
        )
    return sorted(result + conclusion_corrections(case), key=lambda row: row["at"], reverse=True)


def _conclusion_text(name: str, value: str) -> str:
    if not value:
        return "（撤销）"
    if name == "nature":
        return CaseNature(value).label if value in CaseNature.values else value
    return value if len(value) <= 60 else value[:60] + "…"


def conclusion_corrections(case: Case) -> list[dict]:
    """Each correction of a recorded conclusion (事故性质, 原因, 经过, 教训): what it said before and after,
    from the case's history, whose change reason holds the correction's reason."""
    rows = []
    # One query: the case's versions in order, each compared with the one before it (`prev_record` would
    # ask the database once per correction).
    versions = (
        case.history.select_related("history_user")
        .only("history_date", "history_change_reason", "history_user", *CONCLUSION_LABELS)
        .order_by("history_date", "history_id")
    )
    before = None
    for revision in versions:
        corrected = (revision.history_change_reason or "").startswith(CORRECTED)
        if before is not None and corrected:
            changed = [name for name in CONCLUSION_LABELS if getattr(before, name) != getattr(revision, name)]
            rows.append(
                {
                    "kind": "调查结论",
                    "text": "；".join(
                        f"{CONCLUSION_LABELS[name]}：{_conclusion_text(name, getattr(before, name))} → "
                        f"{_conclusion_text(name, getattr(revision, name))}"
                        for name in changed
                    ),
                    "at": revision.history_date,
                    "by": revision.history_user,
                    "reason": revision.history_change_reason.removeprefix(CORRECTED),
                    "corrected": all(getattr(revision, name) for name in changed),
                }
            )
        before = revision
    return rows
