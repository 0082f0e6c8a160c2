"""The sweep: select what is due, resolve recipients, claim each reminder exactly once, hand claims to delivery."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from ..alerts import raise_alerts
from ..cases import open_case
from ..models import (
    Hazard,
    HazardLevel,
    RecipientRole,
    ReminderLog,
    ReminderRule,
    ReminderState,
    ReminderSubject,
)
from .delivery import deliver
from .due import DueItem, collect_due, drop_claimed
from .recipients import Recipient, RecipientResolver
from .rules import local_day, when_label

logger = logging.getLogger(__name__)


# A claim not delivered this long after it was made is handed to the broker again by the next sweep.
REDELIVER_AFTER = dt.timedelta(minutes=10)


REDELIVER_BATCH = 5000


# Publishing gives up quickly when the broker is down: the claims stay pending for the next sweep.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


NOBODY = "nobody"


@dataclass
class Planned:
    """One reminder the sweep wants sent: rule × object × threshold × recipient."""

    rule: ReminderRule
    item: DueItem
    offset: int
    recipient: Recipient | None
    notes: list[str] = field(default_factory=list)
    log_id: int | None = None
    outcome: str = ""  # claimed | taken (another sweep claimed it) | delivered | skipped …

    @property
    def key(self) -> tuple:
        return (
            self.rule.pk,
            self.item.subject_type,
            self.item.subject_id,
            self.item.due,
            self.offset,
            self.recipient.key if self.recipient else NOBODY,
        )


@dataclass
class SweepReport:
    day: dt.date
    dry_run: bool
    planned: list[Planned] = field(default_factory=list)
    claimed_ids: list[int] = field(default_factory=list)
    redelivered_ids: list[int] = field(default_factory=list)
    enqueued: int | None = None
    cases: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)  # the alerts this sweep raised (new ones only)
    outcomes: dict[int, str] = field(default_factory=dict)  # inline delivery: claim id → outcome

    @property
    def sent(self) -> list[Planned]:
        return [p for p in self.planned if p.recipient is not None and p.outcome != "taken"]

    @property
    def delivered(self) -> int:
        return sum(1 for outcome in self.outcomes.values() if outcome == "delivered")

    def summary(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "dry_run": self.dry_run,
            "claimed": len(self.claimed_ids),
            "redelivered": len(self.redelivered_ids),
            "enqueued": self.enqueued,
            "cases": self.cases,
            "alerts": self.alerts,
        }

    def lines(self) -> list[str]:
        verb = "将发送" if self.dry_run else "已认领"
        lines = []
        for p in self.planned:
            if p.recipient is None:
                status = "无人可提醒"
            else:
                status = {"taken": "已由其他扫描认领", "delivered": "已送达", "skipped": "未发送"}.get(
                    p.outcome, verb
                )
            who = p.recipient.label if p.recipient else "—"
            roles = "、".join(RecipientRole(r).label for r in p.recipient.roles) if p.recipient else ""
            lines.append(
                f"[{status}] {p.rule.name} · {ReminderSubject(p.item.subject_type).label} {p.item.subject_code}"
                f" · {when_label((self.day - p.item.due).days)}（期限 {p.item.due}）→ {who}"
                + (f"：{roles}" if roles else "")
            )
            lines.extend(f"    {note}" for note in p.notes + (p.recipient.notes if p.recipient else []))
        return lines


def _open_case_note(hazard: Hazard, today: dt.date, dry_run: bool, report: SweepReport) -> str:
    """隐患就是事故: an overdue major hazard at an escalation threshold opens its 一案双查 case."""
    if dry_run:
        return "隐患就是事故：将按事故开立一案双查案件"
    try:
        opened = open_case(hazard=hazard, today=today)
    except ValidationError as exc:
        logger.warning("open_case for %s refused: %s", hazard.code, exc)
        return f"隐患就是事故：立案未成功（{'；'.join(exc.messages)}）"
    report.cases.append(opened.case.code)
    verb = "已按事故开立一案双查案件" if opened.created else "已有一案双查案件"
    return f"隐患就是事故：{verb} {opened.case.code}"


def sweep(
    *,
    now: dt.datetime | dt.date | None = None,
    dry_run: bool = False,
    dispatch: str = "queue",
    redeliver_after: dt.timedelta = REDELIVER_AFTER,
) -> SweepReport:
    """One sweep for the day of `now` (China time).

    dispatch: "queue" hands new and stale claims to Celery after commit (eager without REDIS_URL);
    "inline" delivers them here, after commit (the send_reminders command); "none" only claims.
    """
    today = local_day(now)
    report = SweepReport(day=today, dry_run=dry_run)
    if not dry_run:
        # Patterns that escalate: each (rule, subject, window) raises its alert once (accountability/alerts).
        report.alerts = [alert.code for alert, created in raise_alerts(today) if created]
    rules = list(ReminderRule.objects.active().order_by("pk"))
    due = drop_claimed(collect_due(rules, today))

    # Everything the recipients need, for all due objects at once: the holders of the responsible posts
    # in one query, the chains of the due hazards in batches (a constant number of queries per batch).
    resolver = RecipientResolver(today)
    hazards = [item.hazard for _, item, _ in due if item.hazard is not None and item.case is None]
    resolver.prime_holders(hazard.responsible_position_id for hazard in hazards)
    resolver.prime_chains(hazards)
    for rule, item, offset in due:
        notes = []
        if (
            rule.open_case
            and item.hazard is not None
            and item.hazard.level == HazardLevel.MAJOR
            and offset > 0
        ):
            notes.append(_open_case_note(item.hazard, today, dry_run, report))
        recipients, unreached = resolver.recipients(rule, item)
        for recipient in recipients:
            report.planned.append(Planned(rule, item, offset, recipient, list(notes)))
        if not recipients or unreached:
            # Recorded as a skipped claim, so the admin sees who could not be reached and why.
            report.planned.append(Planned(rule, item, offset, None, notes + unreached))
    if dry_run:
        return report

    token = uuid.uuid4()
    with transaction.atomic():
        if report.planned:
            ReminderLog.objects.bulk_create(
                [_claim_row(p, today, token) for p in report.planned], ignore_conflicts=True, batch_size=500
            )
        mine = _claimed_by(token) if report.planned else {}
        for p in report.planned:
            p.log_id = mine.get(p.key)
            p.outcome = "claimed" if p.log_id else "taken"
        report.claimed_ids = [p.log_id for p in report.planned if p.log_id and p.recipient is not None]
        report.redelivered_ids = list(
            ReminderLog.objects.filter(
                state=ReminderState.PENDING, claimed_at__lt=timezone.now() - redeliver_after
            )
            .exclude(claim_token=token)
            .order_by("claimed_at")
            .values_list("id", flat=True)[:REDELIVER_BATCH]
        )
        to_send = report.claimed_ids + report.redelivered_ids
        if dispatch == "queue" and to_send:

            def hand_over():
                report.enqueued = enqueue_deliveries(to_send)

            transaction.on_commit(hand_over)
    if dispatch == "inline":
        report.outcomes = {log_id: deliver(log_id) for log_id in to_send}
        for p in report.planned:
            p.outcome = report.outcomes.get(p.log_id, p.outcome)
    return report


def _claimed_by(token: uuid.UUID) -> dict[tuple, int]:
    """The rows this sweep's insert won (a conflicting row keeps the token of the sweep that made it)."""
    fields = ("rule_id", "subject_type", "subject_id", "due_date", "offset", "recipient_key")
    return {
        tuple(row[f] for f in fields): row["id"]
        for row in ReminderLog.objects.filter(claim_token=token).values("id", *fields)
    }


def _claim_row(p: Planned, today: dt.date, token: uuid.UUID) -> ReminderLog:
    recipient = p.recipient
    return ReminderLog(
        rule=p.rule,
        subject_type=p.item.subject_type,
        subject_id=p.item.subject_id,
        subject_code=p.item.subject_code,
        due_date=p.item.due,
        offset=p.offset,
        recipient_key=recipient.key if recipient else NOBODY,
        person=recipient.person if recipient else None,
        user_id=(
            recipient.user.pk
            if recipient and recipient.user
            else (recipient.person.user_id if recipient and recipient.person else None)
        ),
        roles=list(recipient.roles) if recipient else [],
        notes=p.notes + (recipient.notes if recipient else []),
        claimed_for=today,
        claim_token=token,
        state=ReminderState.PENDING if recipient else ReminderState.SKIPPED,
        skip_reason="" if recipient else "无可提醒的在岗人员",
    )


def enqueue_deliveries(log_ids: list[int]) -> int:
    """Publish one delivery task per claim over one connection. A broker outage stops the loop:
    what was not published stays pending in the database and the next sweep publishes it."""
    from config.celery import app

    # Lazy: accountability.tasks imports this module to run the sweep.
    from ..tasks import deliver_reminder

    if app.conf.task_always_eager:
        for log_id in log_ids:
            deliver_reminder.apply_async((log_id,))
        return len(log_ids)
    published = 0
    try:
        with app.producer_or_acquire() as producer:
            for log_id in log_ids:
                deliver_reminder.apply_async(
                    (log_id,), producer=producer, retry=True, retry_policy=PUBLISH_RETRY_POLICY
                )
                published += 1
    except (BrokerError, ConnectionError, OSError) as exc:
        logger.warning(
            "reminders: broker unavailable (%s); %d of %d deliveries left pending for the next sweep",
            exc,
            len(log_ids) - published,
            len(log_ids),
        )
    return published
