"""Reminders: rules as data, the claim log, digests, in-app notifications (logic: accountability/reminders/)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from responsibility.models import (
    Person,
)

from .hazards import HazardLevel


class ReminderKind(models.TextChoices):
    """Which deadline a rule watches; each has one due date per object (DOMAIN.md)."""

    HAZARD_DEADLINE = "hazard_deadline", "隐患整改期限"
    LISTING_DUE = "listing_due", "挂牌督办期限"
    HAZARD_REVIEW = "hazard_review", "重大隐患销号现场核查（申请后10日内）"
    CASE_INVESTIGATION = "case_investigation", "事故调查报告期限（60日）"
    CASE_REPLY = "case_reply", "调查报告批复期限"
    CASE_REVIEW = "case_review", "整改落实“回头看”（批复后1年）"
    HANDOVER_DECISION = "handover_decision", "移交处理结果反馈期限"
    FINDING_DEADLINE = "finding_deadline", "督查问题整改期限"
    ALERT_OPEN = "alert_open", "预警待处置"


class RecipientRole(models.TextChoices):
    """Who a rule tells; all but the last two are read from resolve_chain on the day of sending."""

    RESPONSIBLE = "responsible", "整改责任岗位"
    PRIMARY = "primary", "企业主要负责人"
    SUPERVISING = "supervising", "行业主管/监管部门"
    TERRITORIAL = "territorial", "属地"
    LEADER_IN_CHARGE = "leader_in_charge", "分管领导"
    PARTY_GOV_LEAD = "party_gov_lead", "党政主要负责人"
    LISTING_UNIT = "listing_unit", "挂牌督办单位"
    CASE_HANDLERS = "case_handlers", "案件承办人"
    UNIT_HEAD = "unit_head", "责任单位负责人"
    ALERT_NAMED = "alert_named", "预警所列人员"


HAZARD_KINDS = frozenset({ReminderKind.HAZARD_DEADLINE, ReminderKind.LISTING_DUE, ReminderKind.HAZARD_REVIEW})


CASE_KINDS = frozenset(
    {
        ReminderKind.CASE_INVESTIGATION,
        ReminderKind.CASE_REPLY,
        ReminderKind.CASE_REVIEW,
        ReminderKind.HANDOVER_DECISION,
    }
)


# Who a government finding's and an open alert's reminders may tell (reminders/recipients.py resolves them).
FINDING_RECIPIENTS = frozenset(
    {
        RecipientRole.RESPONSIBLE,
        RecipientRole.UNIT_HEAD,
        RecipientRole.LEADER_IN_CHARGE,
        RecipientRole.PARTY_GOV_LEAD,
    }
)
ALERT_RECIPIENTS = frozenset({RecipientRole.ALERT_NAMED, RecipientRole.UNIT_HEAD})


class ReminderRuleQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class ReminderRule(models.Model):
    """One reminder rule: which deadline, on which days around it, to whom, and how."""

    code = models.SlugField("编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("期限类型", max_length=24, choices=ReminderKind.choices)
    offsets = models.JSONField(
        "提醒节点（天）",
        default=list,
        help_text="相对期限的天数列表：-7 为期限前7天，0 为期限当天，1 为逾期第1天。",
    )
    recipients = models.JSONField("提醒对象", default=list, help_text="提醒对象编码列表，见 RecipientRole。")
    hazard_level = models.CharField(
        "仅限隐患等级", max_length=10, choices=HazardLevel.choices, blank=True, help_text="空 = 所有等级"
    )
    open_case = models.BooleanField(
        "逾期重大隐患按事故立案",
        default=False,
        help_text="隐患就是事故：逾期达到该节点的重大隐患自动开立一案双查案件。",
    )
    digest = models.BooleanField(
        "邮件合并为每日摘要", default=False, help_text="选中时邮件并入收件人的每日摘要，站内通知仍即时送达。"
    )
    catch_up_days = models.PositiveSmallIntegerField(
        "补发天数",
        default=30,
        help_text="某节点因停机等原因未按时发出时，在此天数内（且不晚于下一节点）仍会补发。",
    )
    active = models.BooleanField("启用", default=True)
    basis = models.TextField("依据", blank=True)
    history = HistoricalRecords()

    objects = ReminderRuleQuerySet.as_manager()

    class Meta:
        verbose_name = "提醒规则"
        verbose_name_plural = "提醒规则"
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(catch_up_days__gte=1), name="reminder_rule_catch_up_positive")
        ]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    @property
    def sorted_offsets(self) -> list[int]:
        return sorted({int(o) for o in self.offsets})

    def clean(self):
        super().clean()
        offsets = self.offsets if isinstance(self.offsets, list) else None
        if not offsets or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets):
            raise ValidationError({"offsets": "提醒节点须为整数天数列表，如 [-7, -3, -1]"})
        if any(abs(o) > 3660 for o in offsets):
            raise ValidationError({"offsets": "提醒节点须在 ±3660 天之内"})
        recipients = self.recipients if isinstance(self.recipients, list) else None
        if not recipients or any(r not in RecipientRole.values for r in recipients):
            raise ValidationError({"recipients": f"提醒对象须从 {', '.join(RecipientRole.values)} 中选择"})
        if self.kind in CASE_KINDS and set(recipients) - {RecipientRole.CASE_HANDLERS}:
            raise ValidationError({"recipients": "案件期限只能提醒案件承办人"})
        if self.kind in HAZARD_KINDS and RecipientRole.CASE_HANDLERS in recipients:
            raise ValidationError({"recipients": "隐患期限不能提醒案件承办人"})
        if self.kind == ReminderKind.FINDING_DEADLINE and set(recipients) - FINDING_RECIPIENTS:
            raise ValidationError(
                {"recipients": "督查问题期限只能提醒整改责任岗位、责任单位负责人及其上级领导"}
            )
        if self.kind == ReminderKind.ALERT_OPEN and set(recipients) - ALERT_RECIPIENTS:
            raise ValidationError({"recipients": "预警只能提醒所列人员和约谈/处置机关负责人"})
        if RecipientRole.LISTING_UNIT in recipients and self.kind != ReminderKind.LISTING_DUE:
            raise ValidationError({"recipients": "挂牌督办单位只用于挂牌督办期限"})
        if self.open_case and (self.kind != ReminderKind.HAZARD_DEADLINE or min(offsets) < 1):
            raise ValidationError({"open_case": "只有隐患逾期（节点 ≥ 1）的规则可以立案"})


class ReminderSubject(models.TextChoices):
    HAZARD = "hazard", "隐患"
    LISTING = "listing", "挂牌督办"
    CASE = "case", "案件"
    HANDOVER = "handover", "移交"
    FINDING = "finding", "督查问题"
    ALERT = "alert", "预警"


class ReminderState(models.TextChoices):
    PENDING = "pending", "待送达"
    DELIVERED = "delivered", "已送达"
    SKIPPED = "skipped", "未发送"


class EmailMode(models.TextChoices):
    NONE = "none", "无邮件"
    IMMEDIATE = "immediate", "即时邮件"
    DIGEST = "digest", "每日摘要"


class ReminderDigest(models.Model):
    """One digest mail per recipient and day: the unique row is claimed before the mail goes out."""

    recipient_key = models.CharField("收件人", max_length=40)
    day = models.DateField("日期")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email_to = models.EmailField("邮箱")
    items = models.PositiveIntegerField("条目数", default=0)
    sent_at = models.DateTimeField("发送时间", default=timezone.now)

    class Meta:
        verbose_name = "提醒摘要邮件"
        verbose_name_plural = "提醒摘要邮件"
        ordering = ["-day", "recipient_key"]
        constraints = [
            models.UniqueConstraint(fields=["recipient_key", "day"], name="reminder_digest_once_per_day")
        ]

    def __str__(self):
        return f"{self.day} → {self.email_to}（{self.items}）"


class ReminderLog(models.Model):
    """What was (to be) sent to whom about which deadline: claimed before sending, unique per
    (rule, object, due date and threshold, recipient), so nothing is sent twice (DESIGN §2)."""

    rule = models.ForeignKey(ReminderRule, verbose_name="规则", on_delete=models.PROTECT, related_name="logs")
    subject_type = models.CharField("对象类型", max_length=10, choices=ReminderSubject.choices)
    subject_id = models.BigIntegerField("对象ID")
    subject_code = models.CharField("对象编码", max_length=80)
    due_date = models.DateField("期限")
    offset = models.SmallIntegerField("节点（天）")
    # "person:<id>" or "user:<id>" (a user with a linked person is keyed by the person).
    recipient_key = models.CharField("收件人", max_length=40)
    person = models.ForeignKey(
        Person, verbose_name="人员", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        "auth.User", verbose_name="账号", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    roles = models.JSONField("提醒身份", default=list)
    notes = models.JSONField("说明（岗位空缺升级等）", default=list)
    claimed_for = models.DateField("提醒日")
    claimed_at = models.DateTimeField("认领时间", default=timezone.now)
    claim_token = models.UUIDField("认领批次", db_index=True)
    state = models.CharField(
        "状态", max_length=10, choices=ReminderState.choices, default=ReminderState.PENDING
    )
    skip_reason = models.CharField("未发送原因", max_length=300, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    email_mode = models.CharField("邮件", max_length=10, choices=EmailMode.choices, default=EmailMode.NONE)
    email_to = models.EmailField("邮箱", blank=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)
    digest = models.ForeignKey(
        ReminderDigest, null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )

    class Meta:
        verbose_name = "提醒记录"
        verbose_name_plural = "提醒记录"
        ordering = ["-claimed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_id", "due_date", "offset", "recipient_key"],
                name="reminder_once_per_threshold_recipient",
            )
        ]
        indexes = [
            # The sweep re-enqueues what is claimed but not delivered: a scan of the pending rows only.
            models.Index(fields=["claimed_at"], condition=Q(state="pending"), name="reminder_pending"),
            models.Index(
                fields=["recipient_key"],
                condition=Q(email_mode="digest", emailed_at__isnull=True, state="delivered"),
                name="reminder_digest_pending",
            ),
        ]

    def __str__(self):
        return f"{self.rule.code} {self.subject_code} {self.due_date}{self.offset:+d} → {self.recipient_key}"


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        """A user's notifications: addressed to the login, or to the person it belongs to."""
        return self.filter(Q(user=user) | Q(person__user=user))

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app notification. One per reminder log at most (the one-to-one is the exactly-once guard)."""

    user = models.ForeignKey(
        "auth.User",
        verbose_name="账号",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    person = models.ForeignKey(
        Person,
        verbose_name="人员",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField("标题", max_length=300)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=500, blank=True)
    subject_type = models.CharField("对象类型", max_length=10, choices=ReminderSubject.choices, blank=True)
    subject_id = models.BigIntegerField("对象ID", null=True, blank=True)
    subject_code = models.CharField("对象编码", max_length=80, blank=True)
    reminder = models.OneToOneField(
        ReminderLog,
        verbose_name="提醒记录",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notification",
    )
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(person__isnull=False), name="notification_has_recipient"
            )
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_read"),
            models.Index(fields=["person", "read_at"], name="notification_person_read"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
