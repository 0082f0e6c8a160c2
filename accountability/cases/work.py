"""The case's work: cause, corrective actions, education, and extending the investigation."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..grading import INVESTIGATION_EXTENSION_MAX_DAYS
from ..models import (
    Case,
    CorrectiveAction,
    EducationActivity,
)
from .conclusions import correction_note
from .findings import _require_open
from .timeline import check_action_done, check_action_due, check_education


def record_cause(*, case: Case, cause: str, correction_reason: str = "", by=None) -> Case:
    """四不放过 (1): the cause as found; changing it later is a correction with its reason (the case
    history keeps each version)."""
    if not cause.strip():
        raise ValidationError({"cause": "原因不能为空"})
    with transaction.atomic():
        _require_open(case)
        case._change_reason = correction_note(
            {"cause": case.cause}, {"cause": cause.strip()}, correction_reason
        )
        case.cause = cause.strip()
        case.cause_recorded_at = timezone.now()
        case._history_user = by
        case.save(update_fields=["cause", "cause_recorded_at"])
    return case


def add_corrective_action(
    *, case: Case, description: str, responsible: str = "", due_on: dt.date | None = None
) -> CorrectiveAction:
    if not description.strip():
        raise ValidationError({"description": "整改措施不能为空"})
    check_action_due(case, due_on=due_on)
    with transaction.atomic():
        _require_open(case)
        return CorrectiveAction.objects.create(
            case=case, description=description.strip(), responsible=responsible, due_on=due_on
        )


def complete_corrective_action(*, action: CorrectiveAction, done_on: dt.date, by=None) -> CorrectiveAction:
    check_action_done(action.case, done_on=done_on)
    with transaction.atomic():
        _require_open(action.case)
        locked = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
        if locked.done_on is not None:
            raise ValidationError({"done_on": "该整改措施已确认完成"})
        action.done_on = done_on
        action.verified_by = by
        action._history_user = by
        action.save(update_fields=["done_on", "verified_by"])
    return action


def record_education(*, case: Case, held_on: dt.date, description: str, participants: int = 0, by=None):
    if not description.strip():
        raise ValidationError({"description": "警示教育内容不能为空"})
    check_education(case, held_on=held_on, participants=participants)
    with transaction.atomic():
        _require_open(case)
        return EducationActivity.objects.create(
            case=case,
            held_on=held_on,
            description=description.strip(),
            participants=participants,
            recorded_by=by,
        )


def check_investigation_extension(*, case: Case, days: int, stored: int | None = None) -> None:
    """What `extend_investigation` refuses (for forms too): 493号令 Art 29 — an accident's 60-day
    investigation may be extended once, by at most 60 days. `stored`: the extension already granted."""
    if case.accident_id is None:
        raise ValidationError({"days": "只有事故调查有法定调查期限"})
    if not 1 <= days <= INVESTIGATION_EXTENSION_MAX_DAYS:
        raise ValidationError({"days": f"延长天数须在 1 至 {INVESTIGATION_EXTENSION_MAX_DAYS} 天之间"})
    if stored:
        raise ValidationError({"days": "调查期限只能延长一次"})


def extend_investigation(*, case: Case, days: int, by=None) -> Case:
    """493号令 Art 29: the 60-day investigation may be extended once, by at most 60 days."""
    check_investigation_extension(case=case, days=days)
    with transaction.atomic():
        _require_open(case)
        stored = Case.objects.values_list("investigation_extension_days", flat=True).get(pk=case.pk)
        check_investigation_extension(case=case, days=days, stored=stored)
        case.investigation_extension_days = days
        case._history_user = by
        case.save(update_fields=["investigation_extension_days"])
    return case
