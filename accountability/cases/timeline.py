"""The plausibility of a case's dates: one home for the pages, the API, the admin and the services.

Each date of a case must fall inside the case's own timeline (issue 22 item 2): a hand-over on or after
the case was opened and not after today; a decision on or after its hand-over and not after today; a
technical appraisal from the accident on, ending no earlier than it starts, not starting after today;
warning education not after today with at least one participant; a corrective action due after the
accident and done between the accident and today; the report submitted after opening, the reply after
the submission, the 回头看 only after the reply. The calendar's outer bound (year 1, 9999) is
responsibility.validators'; these are the case's inner bounds.

Every check raises a ValidationError keyed by the field, whose message names the field and the bound.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .findings import _require_open

MIN_PARTICIPANTS = 1


def today() -> dt.date:
    return timezone.localdate()


def opened_day(case) -> dt.date:
    """The day (China time) the case was opened."""
    return timezone.localdate(case.opened_at)


def _day(value):
    """A date, or an ISO text a caller passed for one (the model would read it the same way)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _not_before(field: str, label: str, value: dt.date | None, bound: dt.date, bound_label: str) -> None:
    value, bound = _day(value), _day(bound)
    if value is not None and value < bound:
        raise ValidationError({field: f"{label}（{value}）不能早于{bound_label}（{bound}）"})


def _after(field: str, label: str, value: dt.date | None, bound: dt.date, bound_label: str) -> None:
    value = _day(value)
    if value is not None and value <= bound:
        raise ValidationError({field: f"{label}（{value}）须晚于{bound_label}（{bound}）"})


def _not_after_today(field: str, label: str, value: dt.date | None) -> None:
    value = _day(value)
    if value is not None and value > today():
        raise ValidationError({field: f"{label}（{value}）不能晚于今日（{today()}）"})


def check_handover(case, *, handed_on: dt.date, decision_due: dt.date | None = None) -> None:
    _not_before("handed_on", "移交日期", handed_on, opened_day(case), "立案日期")
    _not_after_today("handed_on", "移交日期", handed_on)
    _not_before("decision_due", "处理结果反馈期限", decision_due, handed_on, "移交日期")


def check_handover_decision(handover, *, decided_on: dt.date) -> None:
    _not_before("decided_on", "决定日期", decided_on, handover.handed_on, "移交日期")
    _not_after_today("decided_on", "决定日期", decided_on)


def check_appraisal(case, *, start: dt.date, end: dt.date | None = None) -> None:
    _not_before("start", "鉴定开始日期", start, case.event_day, "事发日")
    _not_after_today("start", "鉴定开始日期", start)
    _not_before("end", "鉴定结束日期", end, start, "鉴定开始日期")


def check_education(case, *, held_on: dt.date, participants: int) -> None:
    _not_after_today("held_on", "警示教育日期", held_on)
    if participants is None or participants < MIN_PARTICIPANTS:
        raise ValidationError({"participants": f"参加人数（{participants}）须至少 {MIN_PARTICIPANTS} 人"})


def check_action_due(case, *, due_on: dt.date | None) -> None:
    _after("due_on", "整改完成期限", due_on, case.event_day, "事发日")


def check_action_done(case, *, done_on: dt.date) -> None:
    _not_before("done_on", "整改完成日期", done_on, case.event_day, "事发日")
    _not_after_today("done_on", "整改完成日期", done_on)


def check_report_dates(
    case,
    *,
    report_submitted_on: dt.date | None,
    reply_on: dt.date | None,
    review_done_on: dt.date | None,
) -> None:
    """调查报告提交 after opening, 批复 after 提交, 回头看 only after 批复 (the case's own fields)."""
    _not_before("report_submitted_on", "调查报告提交日期", report_submitted_on, opened_day(case), "立案日期")
    _not_after_today("report_submitted_on", "调查报告提交日期", report_submitted_on)
    if reply_on is not None and report_submitted_on is None:
        raise ValidationError({"reply_on": "批复须在调查报告提交之后：尚未登记调查报告提交日期"})
    _not_before("reply_on", "批复日期", reply_on, report_submitted_on or reply_on, "调查报告提交日期")
    _not_after_today("reply_on", "批复日期", reply_on)
    if review_done_on is not None:
        check_review(case, reviewed_on=review_done_on, reply_on=reply_on, field="review_done_on")


def check_review(case, *, reviewed_on: dt.date, reply_on=..., field: str = "reviewed_on") -> None:
    """回头看 only after the 批复 (安全生产法 Art 86: a year after it is published)."""
    reply_on = case.reply_on if reply_on is ... else reply_on
    if reply_on is None:
        raise ValidationError({field: "回头看须在批复之后：尚未登记批复日期"})
    _not_before(field, "回头看日期", reviewed_on, reply_on, "批复日期")
    _not_after_today(field, "回头看日期", reviewed_on)


_UNSET = object()


def record_report_dates(*, case, report_submitted_on=_UNSET, reply_on=_UNSET, by=None):
    """调查报告提交 and 批复 dates (493号令 Art 29, 32), each given one replacing the stored one (the case
    history keeps both); they move the deadlines that follow (批复 within 15/30 days, 回头看 within a year)."""
    with transaction.atomic():
        _require_open(case)
        submitted = case.report_submitted_on if report_submitted_on is _UNSET else report_submitted_on
        reply = case.reply_on if reply_on is _UNSET else reply_on
        check_report_dates(case, report_submitted_on=submitted, reply_on=reply, review_done_on=None)
        case.report_submitted_on, case.reply_on = submitted, reply
        case._history_user = by
        case.save(update_fields=["report_submitted_on", "reply_on"])
    return case
