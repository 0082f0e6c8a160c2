"""Findings, measures and amendments of a case's records."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ..measures import BY_CODE as MEASURE_KINDS
from ..measures import CRIMINAL_ARTICLES, SUBJECT_KIND_LABELS, SubjectKind
from ..models import (
    WITH_CATEGORY,
    AccountabilityRecord,
    Case,
    CaseNature,
    CaseState,
    Category,
    Decision,
    Finding,
    Measure,
)


def _require_open(case: Case) -> Case:
    """The case as stored, locked until the caller's transaction ends, refused once closed.

    The caller's copy (or a record's cached `record.case`) may predate the closing; reading the row
    under a lock also orders a finding and a concurrent `close_case` one after the other.
    """
    locked = Case.objects.select_for_update().only("pk", "code", "state").get(pk=case.pk)
    if locked.state == CaseState.CLOSED:
        raise ValidationError({"case": f"{locked.code}: 案件已结案，不能再修改"})
    return locked


PUBLIC_KINDS = frozenset({"party_committee", "government", "department", "other"})


def subject_kind(record: AccountabilityRecord) -> str:
    """Whom the record is about, for the fit of a measure: a public body's person, an enterprise's (or
    another) person, an enterprise as such, a party organisation, a public body as such."""
    unit_kind = record.snapshot.get("unit_kind", "")
    public = unit_kind in PUBLIC_KINDS
    if record.person_code or record.position_code:
        return SubjectKind.PUBLIC_PERSON if public else SubjectKind.ENTERPRISE_PERSON
    if unit_kind == "party_committee":
        return SubjectKind.PARTY_ORG
    return SubjectKind.PUBLIC_BODY if public else SubjectKind.ENTERPRISE


def _clean_measure(record: AccountabilityRecord, index: int, data: dict) -> Measure:
    kind = MEASURE_KINDS.get(data.get("kind", ""))
    where = f"measures[{index}]"
    if kind is None:
        raise ValidationError({f"{where}.kind": f"unknown measure {data.get('kind')!r}"})
    if kind.needs_person and not record.person_code:
        raise ValidationError({f"{where}.kind": f"{kind.label} 只能对个人适用，本记录没有具体人员"})
    subject = subject_kind(record)
    if subject not in kind.fits:
        fits = "、".join(SUBJECT_KIND_LABELS[k] for k in sorted(kind.fits))
        raise ValidationError(
            {f"{where}.kind": f"{kind.label} 适用于{fits}，本记录的主体是{SUBJECT_KIND_LABELS[subject]}"}
        )
    article = (data.get("article") or "").strip()
    if kind.needs_article and article not in CRIMINAL_ARTICLES:
        raise ValidationError(
            {f"{where}.article": f"移送司法须写明刑法条款，可选：{', '.join(CRIMINAL_ARTICLES)}"}
        )
    amount = data.get("amount_yuan")
    if amount not in (None, ""):
        try:
            amount = Decimal(str(amount))
        except InvalidOperation:
            raise ValidationError({f"{where}.amount_yuan": "金额必须是数字"}) from None
        if amount <= 0:
            raise ValidationError({f"{where}.amount_yuan": "金额必须大于零"})
    else:
        amount = None
    if kind.needs_amount and amount is None:
        raise ValidationError({f"{where}.amount_yuan": f"{kind.label} 须写明金额"})
    period = data.get("period_months")
    if period in (None, ""):
        period = kind.period_months
    else:
        try:
            period = int(period)
        except (TypeError, ValueError):
            raise ValidationError({f"{where}.period_months": "影响期须为月数"}) from None
        if kind.period_months and period != kind.period_months:
            # 公职人员政务处分法 Art 8 fixes the period; it is not the investigator's to choose.
            raise ValidationError(
                {f"{where}.period_months": f"{kind.label}的处分期间为法定 {kind.period_months} 个月"}
            )
        if period <= 0:
            raise ValidationError({f"{where}.period_months": "影响期须大于零"})
    return Measure(
        kind=kind.code,
        detail=(data.get("detail") or "").strip(),
        period_months=period,
        amount_yuan=amount,
        article=article,
    )


NO_MEASURE = "认定负有责任须至少给予一项处理措施，或写明免予处理的理由"


def _validated(
    record, finding, grounds, measures, category="", no_measure_reason="", require_measure=False
) -> tuple[str, str, list[Measure]]:
    """`require_measure`: 负有责任 needs a measure or a 免予处理 reason (the page and the admin ask it; the
    API's hand-over flow records the finding first and the decision that comes back as its measure)."""
    if finding not in Finding.values:
        raise ValidationError({"finding": f"unknown finding {finding!r}"})
    grounds = (grounds or "").strip()
    category = (category or "").strip()
    if finding == Finding.EXEMPT and not grounds:
        raise ValidationError({"grounds": "尽职免责须写明履职事实与依据"})
    if finding in WITH_CATEGORY:
        if category not in Category.values:
            raise ValidationError(
                {"category": "认定负有责任须写明责任类别（直接责任、主要领导责任、监管责任等）"}
                if not category
                else {"category": f"unknown category {category!r}"}
            )
        nature = Case.objects.values_list("nature", flat=True).get(pk=record.case_id)
        if nature and nature != CaseNature.LIABILITY:
            raise ValidationError(
                {
                    "finding": f"事故性质为{CaseNature(nature).label}，不能认定负有责任（只有生产安全责任事故追责）"
                }
            )
    elif category:
        raise ValidationError({"category": "只有负有责任的认定才有责任类别"})
    measures = list(measures or [])
    if measures and finding != Finding.RESPONSIBLE:
        raise ValidationError(
            {"measures": "只有认定负有责任的才能给予处理措施（已死亡的免予追究）"}
            if finding == Finding.DECEASED
            else {"measures": "只有认定负有责任的才能给予处理措施"}
        )
    if finding == Finding.DECEASED and not record.person_code:
        raise ValidationError({"finding": "免予追究（已死亡）只适用于具体人员"})
    no_measure_reason = (no_measure_reason or "").strip()
    if require_measure and finding == Finding.RESPONSIBLE and not measures and not no_measure_reason:
        raise ValidationError({"no_measure_reason": NO_MEASURE})
    if no_measure_reason and (finding != Finding.RESPONSIBLE or measures):
        raise ValidationError({"no_measure_reason": "只有负有责任且不给予处理措施的，才写免予处理理由"})
    return grounds, category, [_clean_measure(record, i, m) for i, m in enumerate(measures)]


def check_decision(
    *,
    record: AccountabilityRecord,
    finding: str,
    grounds: str = "",
    measures: Sequence[dict] = (),
    amends: Decision | None = None,
    reason: str = "",
    category: str = "",
    no_measure_reason: str = "",
    require_measure: bool = False,
) -> None:
    """Everything `record_finding` / `amend_finding` would refuse, without writing (for forms).

    The services check again under the case's lock; this only lets a form show the errors early.
    """
    if Case.objects.filter(pk=record.case_id, state=CaseState.CLOSED).exists():
        raise ValidationError({"case": f"{record.case.code}: 案件已结案，不能再修改"})
    current = Decision.objects.current().filter(record=record).first()
    if amends is None and current is not None:
        raise ValidationError({"finding": "该记录已认定；更正请提交更正认定（amendment）"})
    if amends is not None:
        if amends.record_id != record.pk:
            raise ValidationError({"amends": "更正的认定须属于同一条记录"})
        if current is None or current.pk != amends.pk:
            raise ValidationError({"amends": "只能更正该记录现行有效的认定"})
        if not (reason or "").strip():
            raise ValidationError({"reason": "更正认定须写明理由"})
    _validated(record, finding, grounds, measures, category, no_measure_reason, require_measure)


def _decide(
    record,
    finding,
    grounds,
    measures,
    by,
    amends=None,
    reason="",
    category="",
    no_measure_reason="",
    require_measure=False,
) -> Decision:
    no_measure_reason = (no_measure_reason or "").strip()
    grounds, category, cleaned = _validated(
        record, finding, grounds, measures, category, no_measure_reason, require_measure
    )
    with transaction.atomic():
        decision = Decision.objects.create(
            record=record,
            finding=finding,
            category=category,
            grounds=grounds,
            decided_by=by,
            amends=amends,
            amendment_reason=reason,
            no_measure_reason=no_measure_reason,
        )
        for measure in cleaned:
            measure.decision = decision
        Measure.objects.bulk_create(cleaned)
    return decision


def record_finding(
    *,
    record: AccountabilityRecord,
    finding: str,
    grounds: str = "",
    measures: Sequence[dict] = (),
    category: str = "",
    no_measure_reason: str = "",
    require_measure: bool = False,
    by=None,
) -> Decision:
    """The first finding on a record. A decided record is corrected by `amend_finding`, never edited."""
    with transaction.atomic():
        _require_open(record.case)
        if record.decisions.exists():
            raise ValidationError({"finding": "该记录已认定；更正请提交更正认定（amendment）"})
        try:
            return _decide(
                record,
                finding,
                grounds,
                measures,
                by,
                category=category,
                no_measure_reason=no_measure_reason,
                require_measure=require_measure,
            )
        except IntegrityError:
            raise ValidationError({"finding": "该记录已认定；更正请提交更正认定（amendment）"}) from None


def amend_finding(
    *,
    record: AccountabilityRecord,
    finding: str,
    reason: str,
    grounds: str = "",
    measures: Sequence[dict] = (),
    category: str = "",
    no_measure_reason: str = "",
    require_measure: bool = False,
    by=None,
) -> Decision:
    """A correction: a new decision linked to the one it replaces; both stay in the record's history."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "更正认定须写明理由"})
    with transaction.atomic():
        _require_open(record.case)
        # `current()` joins the amending decision (an outer join): PostgreSQL locks only this side.
        current = Decision.objects.select_for_update(of=("self",)).current().filter(record=record).first()
        if current is None:
            raise ValidationError({"finding": "该记录尚未认定，无需更正"})
        try:
            return _decide(
                record,
                finding,
                grounds,
                measures,
                by,
                amends=current,
                reason=reason.strip(),
                category=category,
                no_measure_reason=no_measure_reason,
                require_measure=require_measure,
            )
        except IntegrityError:
            raise ValidationError({"finding": "该认定已被更正，请基于最新认定提交"}) from None
