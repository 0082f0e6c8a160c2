"""The hazard workflow (原安监总局令第16号): report → rectifying → submitted → closed, as services.

A 重大隐患 enters rectification only with the whole 五到位 plan; a rejected closing application
returns to rectification with its reason; extensions keep the deadline they replace.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from responsibility.models import Unit, UnitKind
from responsibility.permissions import Role

from .evidence import check_evidence
from .hazard_dates import extension_date_problems, listing_date_problems
from .models import (
    ExtensionDecision,
    ExtensionRequest,
    Hazard,
    HazardLevel,
    HazardListing,
    HazardSource,
    HazardState,
    HazardTransition,
)

FIVE_IN_PLACE_LABELS = {
    "measures": "整改措施",
    "responsible_position": "责任岗位",
    "funds_yuan": "整改资金",
    "deadline": "整改时限",
    "contingency_plan": "应急预案",
}


def _move(
    hazard: Hazard,
    to_state: str,
    *,
    by=None,
    note: str = "",
    evidence=None,
    allowed_from: tuple,
    check=None,
) -> Hazard:
    """Lock the row, check the state as stored (not the caller's copy), record the transition."""
    with transaction.atomic():
        locked = Hazard.objects.select_for_update().get(pk=hazard.pk)
        if locked.state not in allowed_from:
            raise ValidationError(
                {
                    "state": f"{locked.code}: 当前状态为“{locked.get_state_display()}”，不能转为“{HazardState(to_state).label}”"
                }
            )
        if check is not None:
            check(locked)
        from_state = locked.state
        locked.state = to_state
        locked._history_user = by
        HazardTransition.objects.create(
            hazard=locked, from_state=from_state, to_state=to_state, by=by, note=note, evidence=evidence or ""
        )
    return locked


def require_five_in_place(hazard: Hazard) -> None:
    """A 重大隐患 enters rectification only with its whole 治理方案 (五到位); each missing part is named."""
    if hazard.level != HazardLevel.MAJOR:
        return
    missing = hazard.five_in_place_missing
    if missing:
        raise ValidationError(
            {
                name: f"{hazard.code}: 重大隐患进入整改前须五到位，缺少{FIVE_IN_PLACE_LABELS[name]}"
                for name in missing
            }
        )


def start_rectification(*, hazard: Hazard, by=None, note: str = "") -> Hazard:
    """reported → rectifying. A 重大隐患 needs all five parts of its plan first, as saved."""
    with transaction.atomic():
        locked = _move(
            hazard,
            HazardState.RECTIFYING,
            by=by,
            note=note,
            allowed_from=(HazardState.REPORTED,),
            check=require_five_in_place,
        )
        locked.save(update_fields=["state"])
    return locked


def _check_day_on_timeline(hazard: Hazard, field: str, on: dt.date, *, not_before: dt.date | None) -> None:
    """A state-change date lies on the hazard's own timeline: not before the step it follows, not in the future."""
    today = timezone.localdate()
    if on > today:
        raise ValidationError({field: f"{hazard.code}: 日期 {on} 晚于今日 {today}"})
    if not_before is not None and on < not_before:
        raise ValidationError({field: f"{hazard.code}: 日期 {on} 早于 {not_before}"})


def submit_rectification(
    *, hazard: Hazard, by=None, note: str = "", evidence=None, on: dt.date | None = None
) -> Hazard:
    """rectifying → submitted: the enterprise applies to close (销号申请); starts the 10-day review clock."""
    on = on or timezone.localdate()
    if evidence:
        check_evidence(evidence)
    with transaction.atomic():
        locked = _move(
            hazard,
            HazardState.SUBMITTED,
            by=by,
            note=note,
            evidence=evidence,
            allowed_from=(HazardState.RECTIFYING,),
            check=lambda h: _check_day_on_timeline(h, "on", on, not_before=h.found_on),
        )
        locked.submitted_on = on
        locked.save(update_fields=["state", "submitted_on"])
    return locked


def verify_and_close(*, hazard: Hazard, by=None, note: str = "", on: dt.date | None = None) -> Hazard:
    """submitted → closed (销号) after verification by the supervising side: dated between the
    application (销号申请) and today."""
    on = on or timezone.localdate()
    with transaction.atomic():
        locked = _move(
            hazard,
            HazardState.CLOSED,
            by=by,
            note=note,
            allowed_from=(HazardState.SUBMITTED,),
            check=lambda h: _check_day_on_timeline(h, "on", on, not_before=h.submitted_on or h.found_on),
        )
        locked.closed_on = on
        locked.save(update_fields=["state", "closed_on"])
        HazardListing.objects.filter(hazard=locked, lifted_on__isnull=True).update(lifted_on=locked.closed_on)
    return locked


def reject_submission(*, hazard: Hazard, reason: str, by=None) -> Hazard:
    """submitted → rectifying, with the reason kept on the transition."""
    if not reason.strip():
        raise ValidationError({"reason": f"{hazard.code}: 退回整改须写明理由"})
    with transaction.atomic():
        locked = _move(
            hazard, HazardState.RECTIFYING, by=by, note=reason.strip(), allowed_from=(HazardState.SUBMITTED,)
        )
        locked.submitted_on = None
        locked.save(update_fields=["state", "submitted_on"])
    return locked


def check_listing(*, hazard: Hazard, listing_unit: Unit, due_on: dt.date, listed_on: dt.date) -> None:
    """What `list_for_supervision` refuses in the listing itself, by field (for forms too)."""
    errors = {}
    if listing_unit.kind in (UnitKind.ENTERPRISE, UnitKind.ENTERPRISE_DEPT, UnitKind.TEAM):
        errors["listing_unit"] = "挂牌督办单位须为党委、政府或部门"
    if hazard.state == HazardState.CLOSED:
        errors["hazard"] = f"{hazard.code}: 已销号的隐患不能挂牌督办"
    if due_on < listed_on:
        errors["due_on"] = "督办期限不能早于挂牌日期"
    errors = listing_date_problems(listed_on=listed_on, due_on=due_on) | errors
    if errors:
        raise ValidationError(errors)


def list_for_supervision(
    *,
    hazard: Hazard,
    listing_unit: Unit,
    due_on: dt.date,
    listed_on: dt.date | None = None,
    document: str = "",
) -> HazardListing:
    """挂牌督办 by a regulator (not an enterprise)."""
    listed_on = listed_on or timezone.localdate()
    with transaction.atomic():
        # Under the hazard's lock, so of parallel listings one is made and the others are refused
        # (not an IntegrityError on the one-listing-per-hazard key).
        hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
        check_listing(hazard=hazard, listing_unit=listing_unit, due_on=due_on, listed_on=listed_on)
        if HazardListing.objects.filter(hazard=hazard).exists():
            raise ValidationError({"hazard": f"{hazard.code}: 已挂牌督办"})
        return HazardListing.objects.create(
            hazard=hazard, listing_unit=listing_unit, listed_on=listed_on, due_on=due_on, document=document
        )


def check_extension_request(*, hazard: Hazard, new_deadline: dt.date, reason: str) -> None:
    """What `request_extension` refuses, keyed by the request's field names (for forms too)."""
    if hazard.state == HazardState.CLOSED:
        raise ValidationError({"hazard": f"{hazard.code}: 已销号的隐患不能延期"})
    if not (reason or "").strip():
        raise ValidationError({"reason": "延期须写明理由"})
    beyond = extension_date_problems(deadline=hazard.deadline, requested=new_deadline)
    if beyond:
        raise ValidationError(beyond)
    if new_deadline <= hazard.deadline:
        raise ValidationError(
            {"requested_deadline": f"申请延期至 {new_deadline} 须晚于现期限 {hazard.deadline}"}
        )
    if hazard.extensions.filter(decision=ExtensionDecision.PENDING).exists():
        raise ValidationError({"hazard": f"{hazard.code}: 已有待审批的延期申请"})


def request_extension(*, hazard: Hazard, new_deadline: dt.date, reason: str, by=None) -> ExtensionRequest:
    """An extension request, keeping the deadline it would replace (the hazard is re-read under a lock)."""
    with transaction.atomic():
        hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
        check_extension_request(hazard=hazard, new_deadline=new_deadline, reason=reason)
        return ExtensionRequest.objects.create(
            hazard=hazard,
            previous_deadline=hazard.deadline,
            requested_deadline=new_deadline,
            reason=reason.strip(),
            requested_by=by,
        )


def decide_extension(
    *, request: ExtensionRequest, approve: bool, note: str = "", by=None
) -> ExtensionRequest:
    """Approve (the deadline moves; the old one stays on the request) or deny."""
    with transaction.atomic():
        locked = ExtensionRequest.objects.select_for_update().select_related("hazard").get(pk=request.pk)
        if locked.decision != ExtensionDecision.PENDING:
            raise ValidationError({"decision": "该延期申请已审批"})
        locked.decision = ExtensionDecision.APPROVED if approve else ExtensionDecision.DENIED
        locked.decided_at = timezone.now()
        locked.decided_by = by
        locked.decision_note = note
        locked.save()
        if approve:
            hazard = Hazard.objects.select_for_update().get(pk=locked.hazard_id)
            if hazard.deadline != locked.previous_deadline:
                raise ValidationError({"decision": "隐患期限已变化，请重新申请"})
            hazard.deadline = locked.requested_deadline
            hazard._history_user = by
            hazard.save(update_fields=["deadline"])
    return locked


def reportable_sources(role: str) -> list[str]:
    """The sources a role may report a hazard under: an enterprise reports what it found itself
    (自查, self_check); the other roles any. The API and the report page ask this."""
    return [HazardSource.SELF_CHECK] if role == Role.ENTERPRISE else list(HazardSource.values)


def report_hazard(*, by=None, **fields) -> Hazard:
    """A new hazard (自查 by the enterprise, or found by a regulator), validated as the admin validates it."""
    hazard = Hazard(**fields)
    hazard.full_clean()
    with transaction.atomic():
        hazard._history_user = by
        hazard.save()
        HazardTransition.objects.create(hazard=hazard, to_state=HazardState.REPORTED, by=by, note="上报")
    return hazard


def complete_plan(*, hazard: Hazard, by=None, **plan) -> Hazard:
    """Fill in parts of the 五到位 plan (measures, responsible_position, funds_yuan, contingency_plan)."""
    unknown = set(plan) - {"measures", "responsible_position", "funds_yuan", "contingency_plan"}
    if unknown:
        raise ValidationError({name: "不是整改方案的字段" for name in unknown})
    for name, value in plan.items():
        setattr(hazard, name, value)
    hazard.full_clean()  # the responsible post must be the enterprise's (Hazard.outside_enterprise)
    hazard._history_user = by
    hazard.save(update_fields=list(plan))
    return hazard
