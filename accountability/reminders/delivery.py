"""Delivery of reminders: the in-app notification, the mail, and the daily digest.

Every delivery re-fetches its claim under a row lock and returns quietly when the claim is gone,
already delivered, or no longer due. The in-app notification, the claim's state and the mail are
one unit: the mail goes out last, just before the commit, and a failure anywhere rolls the whole
delivery back for a retry. The notification is one-to-one with its claim, so it exists at most
once; a mail carries a Message-ID derived from its claim, so a resend after a crash between the
SMTP hand-off and the commit (the only window left) is recognisable as the same message."""

from __future__ import annotations

import datetime as dt

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ..models import (
    Alert,
    Case,
    EmailMode,
    GovFinding,
    HandOver,
    Hazard,
    HazardListing,
    Notification,
    RecipientRole,
    ReminderDigest,
    ReminderLog,
    ReminderState,
)
from .due import still_due
from .rules import when_label

MAIL_PREFIX = "[安全生产责任链]"


MESSAGE_ID_DOMAIN = "dutychain.reminders"


def _link(page: str, obj) -> str:
    """The object's page (accountability/urls.py), else its admin page, else nothing."""
    for name, kwargs in (
        (f"accountability:{page}", {"code": obj.code}),
        (f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", {"object_id": obj.pk}),
    ):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return ""


def _describe(log: ReminderLog, subject) -> tuple[str, list[str], str]:
    """(what, detail lines, link) for the object a reminder is about."""
    if isinstance(subject, Case):
        return f"案件 {subject.code}", [subject.title], _link("case_workbench", subject)
    if isinstance(subject, HandOver):
        case = subject.case
        lines = [case.title, f"{subject.handed_on} 移交{subject.receiving_body}，处理结果尚未反馈"]
        return f"案件 {case.code} 的移交", lines, _link("case_workbench", case)
    if isinstance(subject, GovFinding):
        lines = [
            f"{subject.title}（{subject.get_source_display()}，整改责任单位：{subject.assigned_unit.name}，"
            f"{subject.get_state_display()}）"
        ]
        return f"督查问题 {subject.code}", lines, _link("finding_detail", subject)
    if isinstance(subject, Alert):
        lines = [f"{subject.get_kind_display()}：{subject.subject_label}（{subject.count} 次）"]
        return f"预警 {subject.code}", lines, _link("alert_detail", subject)
    if isinstance(subject, HazardListing):
        hazard = subject.hazard
        lines = [
            f"{hazard.title}（{hazard.enterprise.name}）",
            f"挂牌督办单位：{subject.listing_unit.name}"
            + (f"，文号 {subject.document}" if subject.document else ""),
        ]
        return f"挂牌督办隐患 {hazard.code}", lines, _link("hazard_detail", hazard)
    hazard: Hazard = subject
    lines = [
        f"{hazard.title}（{hazard.enterprise.name}，{hazard.get_level_display()}，{hazard.get_state_display()}）"
    ]
    return f"{hazard.get_level_display()} {hazard.code}", lines, _link("hazard_detail", hazard)


def render(log: ReminderLog, subject) -> tuple[str, str, str]:
    """Title, body and link of a reminder, as of the day it was claimed."""
    what, lines, link = _describe(log, subject)
    day = (log.claimed_for - log.due_date).days
    title = f"{what}：{log.rule.name}，{when_label(day)}（期限 {log.due_date:%Y-%m-%d}）"
    roles = "、".join(RecipientRole(r).label for r in log.roles if r in RecipientRole.values)
    body = [*lines, f"{log.rule.get_kind_display()}：{log.due_date:%Y-%m-%d}，{when_label(day)}。"]
    if roles:
        body.append(f"您收到此提醒的身份：{roles}。")
    body.extend(log.notes)
    if log.rule.basis:
        body.append(f"依据：{log.rule.basis}")
    if link:
        body.append(f"查看：{link}")
    return title, "\n".join(body), link


def _send_mail(*, to: str, subject: str, body: str, message_id: str) -> None:
    EmailMessage(
        subject=f"{MAIL_PREFIX} {subject}", body=body, to=[to], headers={"Message-ID": message_id}
    ).send(fail_silently=False)


def deliver(log_id: int) -> str:
    """Deliver one claimed reminder: returns "delivered", "skipped", "gone" or the state it already had."""
    now = timezone.now()
    with transaction.atomic():
        log = (
            ReminderLog.objects.select_for_update(of=("self",))
            .select_related("rule", "person__user", "user")
            .filter(pk=log_id)
            .first()
        )
        if log is None:
            return "gone"
        if log.state != ReminderState.PENDING:
            return log.state
        subject, why_not = still_due(log)
        if not why_not and log.person is None and log.user is None:
            why_not = "收件人已删除"
        if why_not:
            log.state = ReminderState.SKIPPED
            log.skip_reason = why_not
            log.save(update_fields=["state", "skip_reason"])
            return "skipped"
        title, body, link = render(log, subject)
        Notification.objects.create(
            user=log.person.user if log.person is not None else log.user,
            person=log.person,
            title=title,
            body=body,
            link=link,
            subject_type=log.subject_type,
            subject_id=log.subject_id,
            subject_code=log.subject_code,
            reminder=log,
            created_at=now,
        )
        address = (log.person.email if log.person is not None else "") or (log.user.email if log.user else "")
        log.email_to = address
        log.email_mode = (
            EmailMode.NONE if not address else EmailMode.DIGEST if log.rule.digest else EmailMode.IMMEDIATE
        )
        log.state = ReminderState.DELIVERED
        log.delivered_at = now
        if log.email_mode == EmailMode.IMMEDIATE:
            log.emailed_at = now
        log.save(update_fields=["state", "delivered_at", "email_to", "email_mode", "emailed_at"])
        if log.email_mode == EmailMode.IMMEDIATE:
            # Last, right before the commit: a mail failure rolls the whole delivery back for a retry.
            _send_mail(
                to=address, subject=title, body=body, message_id=f"<reminder-{log.pk}@{MESSAGE_ID_DOMAIN}>"
            )
    return "delivered"


def _digest_pending():
    return ReminderLog.objects.filter(
        state=ReminderState.DELIVERED, email_mode=EmailMode.DIGEST, emailed_at__isnull=True
    )


def digest_recipients() -> list[str]:
    return list(
        _digest_pending().values_list("recipient_key", flat=True).distinct().order_by("recipient_key")
    )


def send_digest(recipient_key: str, day: dt.date) -> int:
    """One mail with everything a recipient's digest rules delivered and not yet mailed.

    The (recipient, day) row is claimed in the same transaction as the mail, so a recipient gets
    at most one digest a day; what arrives after it waits for the next day's digest.
    """
    with transaction.atomic():
        logs = list(
            _digest_pending()
            .select_for_update(of=("self",))
            .filter(recipient_key=recipient_key)
            .select_related("notification")
            .order_by("due_date", "id")
        )
        if not logs:
            return 0
        try:
            with transaction.atomic():
                digest = ReminderDigest.objects.create(
                    recipient_key=recipient_key,
                    day=day,
                    person_id=logs[-1].person_id,
                    user_id=logs[-1].user_id,
                    email_to=logs[-1].email_to,
                    items=len(logs),
                )
        except IntegrityError:
            return 0
        ReminderLog.objects.filter(pk__in=[log.pk for log in logs]).update(
            emailed_at=timezone.now(), digest=digest
        )
        lines = [f"{day:%Y-%m-%d} 期限提醒摘要，共 {len(logs)} 条：", ""]
        for n, log in enumerate(logs, start=1):
            notification = getattr(log, "notification", None)
            title = notification.title if notification else f"{log.subject_code} {log.due_date}"
            lines.append(f"{n}. {title}")
            if notification and notification.link:
                lines.append(f"   查看：{notification.link}")
        _send_mail(
            to=digest.email_to,
            subject=f"{day:%Y-%m-%d} 期限提醒摘要（{len(logs)} 条）",
            body="\n".join(lines),
            message_id=f"<digest-{digest.pk}@{MESSAGE_ID_DOMAIN}>",
        )
    return len(logs)


def send_digests(day: dt.date | None = None) -> dict[str, int]:
    """Every pending digest of the day, in-process (the command; Celery sends one task per recipient)."""
    day = day or timezone.localdate()
    return {key: send_digest(key, day) for key in digest_recipients()}
