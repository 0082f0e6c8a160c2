"""Accident services: 补报 (493号令 Art 13) re-grades and widens an open case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from .alerts import check_accident
from .cases import extend_case_to_grade
from .grading import grade_rank, late_report_window_days, within_late_report_window
from .models import Accident, Case, CaseState, CasualtyRevision, EventActor, EventParty


def check_casualty_report(
    *,
    accident: Accident,
    deaths: int,
    serious_injuries: int,
    direct_loss_yuan: Decimal | int | str,
    at: dt.datetime,
) -> Decimal:
    """What `report_casualties` refuses (keyed by its argument names); returns the loss as a Decimal."""
    window = late_report_window_days(
        accident.sector.ancestor_codes(), frozenset(settings.DUTYCHAIN["SHORT_REPORT_WINDOW_SECTORS"])
    )
    if at < accident.occurred_at:
        raise ValidationError({"at": f"{accident.code}: 补报时间早于事故发生时间"})
    if not within_late_report_window(accident.event_day, at, window):
        raise ValidationError(
            {
                "at": f"{accident.code}: 已超过补报期限（事故发生之日起 {window} 日），伤亡变化不再补报，等级不变"
            }
        )
    for name, value in (("deaths", deaths), ("serious_injuries", serious_injuries)):
        try:
            count = int(value)
        except (TypeError, ValueError):
            raise ValidationError({name: f"{accident.code}: 人数须为整数"}) from None
        if count < 0:
            raise ValidationError({name: f"{accident.code}: 人数不能为负"})
    try:
        loss = Decimal(str(direct_loss_yuan))
    except InvalidOperation:
        raise ValidationError({"direct_loss_yuan": f"{accident.code}: 直接经济损失须为数字"}) from None
    if not loss.is_finite() or loss < 0:
        raise ValidationError({"direct_loss_yuan": f"{accident.code}: 直接经济损失不能为负"})
    return loss


def report_casualties(
    *,
    accident: Accident,
    deaths: int,
    serious_injuries: int,
    direct_loss_yuan: Decimal | int | str,
    at: dt.datetime | None = None,
    note: str = "",
    by=None,
) -> CasualtyRevision:
    """Record a 补报 within the window; the grade follows, and an open case gains the newly reached levels."""
    at = at or timezone.now()
    loss = check_casualty_report(
        accident=accident,
        deaths=deaths,
        serious_injuries=serious_injuries,
        direct_loss_yuan=direct_loss_yuan,
        at=at,
    )
    with transaction.atomic():
        locked = Accident.objects.select_for_update().get(pk=accident.pk)
        revision = CasualtyRevision(
            accident=locked,
            at=at,
            by=by,
            note=note,
            deaths_before=locked.deaths,
            serious_injuries_before=locked.serious_injuries,
            loss_before=locked.direct_loss_yuan,
            grade_before=locked.grade,
            deaths_after=int(deaths),
            serious_injuries_after=int(serious_injuries),
            loss_after=loss,
        )
        locked.deaths, locked.serious_injuries, locked.direct_loss_yuan = (
            int(deaths),
            int(serious_injuries),
            loss,
        )
        locked._history_user = by
        locked.save()
        revision.grade_after = locked.grade
        revision.save()
        if grade_rank(revision.grade_after) > grade_rank(revision.grade_before):
            check_accident(locked)  # a 补报 that raises the grade may complete a region's pattern
        case = Case.objects.filter(accident=locked, state=CaseState.OPEN).first()
        if case is not None and grade_rank(locked.grade) > grade_rank(case.grade or None):
            extend_case_to_grade(case=case)
    accident.refresh_from_db()
    return revision


def record_accident(
    *, parties: Sequence[tuple] = (), actors: Sequence[tuple] = (), by=None, **fields
) -> Accident:
    """A new accident with its parties (enterprise, role[, unit, post]: §5.12's crew) and actors (person,
    role), in the order given.

    The grade is computed on save from the three measures; it is never typed in.
    """
    accident = Accident(**fields)
    accident.full_clean()
    with transaction.atomic():
        accident._history_user = by
        accident.save()
        # With history: who named which party or actor, and when.
        rows = [
            EventParty(accident=accident, enterprise=enterprise, role=role, unit=unit, post=post, order=i)
            for i, (enterprise, role, unit, post) in enumerate((*p, None, None)[:4] for p in parties)
        ]
        for row in rows:
            row.full_clean(exclude=["accident", "hazard"])
        bulk_create_with_history(
            rows,
            EventParty,
            default_user=by,
        )
        bulk_create_with_history(
            [
                EventActor(accident=accident, person=person, role=role, order=i)
                for i, (person, role) in enumerate(actors)
            ],
            EventActor,
            default_user=by,
        )
        check_accident(accident)  # after commit: the write that crosses a threshold raises its alert
    return accident
