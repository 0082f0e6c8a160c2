"""The case's own dates after the investigation: 调查报告提交 and 批复 (493号令 Art 29, 32), which move the
deadlines that follow them (批复 within 15/30 days, 回头看 within a year of the 批复)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import Case
from .findings import _require_open

_UNSET = object()


def record_report_dates(*, case: Case, report_submitted_on=_UNSET, reply_on=_UNSET, by=None) -> Case:
    """调查报告提交 and 批复 dates, each given one replacing the stored one (the case history keeps both).

    A 批复 answers a submitted report, on or after it; neither lies before the event or after today.
    """
    today = timezone.localdate()
    with transaction.atomic():
        _require_open(case)
        submitted = case.report_submitted_on if report_submitted_on is _UNSET else report_submitted_on
        reply = case.reply_on if reply_on is _UNSET else reply_on
        for field, day, label in (
            ("report_submitted_on", submitted, "调查报告提交日期"),
            ("reply_on", reply, "批复日期"),
        ):
            if day is None:
                continue
            if day < case.event_day:
                raise ValidationError({field: f"{label}不能早于事发日 {case.event_day}"})
            if day > today:
                raise ValidationError({field: f"{label}不能晚于今天 {today}"})
        if reply is not None and submitted is None:
            raise ValidationError({"reply_on": "尚未提交调查报告，不能登记批复"})
        if reply is not None and reply < submitted:
            raise ValidationError({"reply_on": f"批复日期不能早于调查报告提交日期 {submitted}"})
        case.report_submitted_on, case.reply_on = submitted, reply
        case._history_user = by
        case.save(update_fields=["report_submitted_on", "reply_on"])
    return case
