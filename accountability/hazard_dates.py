"""The one home of a hazard's date rules (issue 25 item 5): a hazard is not found in the future, and its
整改期限, a 督办期限 and an extension stay within HAZARD_DEADLINE_MAX_DAYS (default 365) of the day they
run from. Hazard.clean (so the admin, the API, the pages and the import), the listing and the extension
request all ask here; each refusal names the field and the bound."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def _max_days() -> int:
    return getattr(settings, "HAZARD_DEADLINE_MAX_DAYS", 365)


def _within(field: str, label: str, value: dt.date | None, start: dt.date | None, start_label: str) -> dict:
    if value is None or start is None:
        return {}
    bound = start + dt.timedelta(days=_max_days())
    if value > bound:
        return {field: f"{label} {value} 不能晚于{start_label}后 {_max_days()} 天（{bound}）"}
    return {}


def _not_future(field: str, label: str, value: dt.date | None) -> dict:
    today = timezone.localdate()
    if value is not None and value > today:
        return {field: f"{label} {value} 不能晚于今日（{today}）"}
    return {}


def hazard_date_problems(*, found_on: dt.date | None, deadline: dt.date | None) -> dict[str, str]:
    """发现日期 not after today; 整改期限 within the maximum of the day it was found."""
    return _not_future("found_on", "发现日期", found_on) | _within(
        "deadline", "整改期限", deadline, found_on, "发现日期"
    )


def listing_date_problems(*, listed_on: dt.date | None, due_on: dt.date | None) -> dict[str, str]:
    """挂牌日期 not after today; 督办期限 within the maximum of the listing."""
    return _not_future("listed_on", "挂牌日期", listed_on) | _within(
        "due_on", "督办期限", due_on, listed_on, "挂牌日期"
    )


def extension_date_problems(*, deadline: dt.date, requested: dt.date) -> dict[str, str]:
    """An extension moves the deadline by at most the maximum."""
    return _within("requested_deadline", "申请延期至", requested, deadline, "现整改期限")
