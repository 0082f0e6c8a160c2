"""An alert's life: open → handled (约谈 held: date, attendees, minutes; or closure decided: 文号) → closed,
or dismissed with a reason. Every change is kept (django-simple-history). Also the penalty write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import Alert, AlertKind, AlertState, Hazard, HazardPenalty
from .firing import check_penalty


def _locked(alert: Alert, *states: str) -> Alert:
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.state not in states:
        raise ValidationError(
            {"state": f"{locked.code}: 预警当前为“{locked.get_state_display()}”，不能执行此操作"}
        )
    return locked


def _save(alert: Alert, by, fields: list[str], reason: str = "") -> Alert:
    alert._history_user = by
    if reason:
        alert._change_reason = reason
    alert.save(update_fields=fields)
    return alert


def handle_alert(
    *,
    alert: Alert,
    by=None,
    held_on: dt.date | None = None,
    attendees: str = "",
    minutes=None,
    decision_document: str = "",
) -> Alert:
    """Record what was done: a 约谈 (date, attendees, minutes file) or, for a closure, the decision's 文号."""
    attendees, decision_document = (attendees or "").strip(), (decision_document or "").strip()
    errors = {}
    if alert.kind == AlertKind.CLOSURE:
        if not decision_document:
            errors["decision_document"] = f"{alert.code}: 须填写关闭（或不予关闭）决定文号"
    else:
        if held_on is None:
            errors["held_on"] = f"{alert.code}: 须填写约谈日期"
        elif held_on < alert.fired_on:
            errors["held_on"] = f"{alert.code}: 约谈日期不能早于预警日期 {alert.fired_on}"
        elif held_on > timezone.localdate():
            errors["held_on"] = f"{alert.code}: 约谈日期不能晚于今天"
        if not attendees:
            errors["attendees"] = f"{alert.code}: 须写明参加人员"
        if not minutes:
            errors["minutes"] = f"{alert.code}: 须上传约谈纪要"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _locked(alert, AlertState.OPEN)
        locked.held_on, locked.attendees, locked.decision_document = held_on, attendees, decision_document
        if minutes:
            locked.minutes = minutes
            Alert._meta.get_field("minutes").run_validators(minutes)
        locked.state, locked.handled_at, locked.handled_by = AlertState.HANDLED, timezone.now(), by
        return _save(
            locked,
            by,
            ["held_on", "attendees", "decision_document", "minutes", "state", "handled_at", "handled_by"],
        )


def close_alert(*, alert: Alert, by=None) -> Alert:
    """办结: only after it was handled (the minutes or the 文号 are on record)."""
    with transaction.atomic():
        locked = _locked(alert, AlertState.HANDLED)
        locked.state, locked.closed_at = AlertState.CLOSED, timezone.now()
        return _save(locked, by, ["state", "closed_at"])


def dismiss_alert(*, alert: Alert, reason: str, by=None) -> Alert:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": f"{alert.code}: 撤销预警须写明理由"})
    with transaction.atomic():
        locked = _locked(alert, AlertState.OPEN, AlertState.HANDLED)
        locked.state, locked.dismissed_reason, locked.closed_at = AlertState.DISMISSED, reason, timezone.now()
        return _save(locked, by, ["state", "dismissed_reason", "closed_at"], reason)


def record_penalty(
    *,
    hazard: Hazard,
    decided_on: dt.date,
    document: str,
    amount_yuan: Decimal | None = None,
    note: str = "",
    by=None,
) -> HazardPenalty:
    """A penalty on a hazard; a 重大隐患 penalised often enough raises its closure alert (Art 113)."""
    penalty = HazardPenalty(
        hazard=hazard,
        decided_on=decided_on,
        document=(document or "").strip(),
        amount_yuan=amount_yuan,
        note=note,
    )
    penalty.full_clean()
    if decided_on < hazard.found_on:
        raise ValidationError(
            {"decided_on": f"{hazard.code}: 处罚日期不能早于隐患发现日期 {hazard.found_on}"}
        )
    with transaction.atomic():
        penalty._history_user = by
        penalty.save()
        check_penalty(penalty)
    return penalty
