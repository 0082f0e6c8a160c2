"""Patterns that escalate (DOMAIN.md): alert rules as data, the alerts they raise, whom each names,
and penalties on hazards (安全生产法 Art 113 counts them). Logic: accountability/alerts/."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from responsibility.models import DutyType, Person, Position, Region, Unit
from responsibility.validators import validate_clean_text, validate_day, validate_evidence

from ..grading import Grade
from .accidents import Accident
from .cases import ReviewItem
from .govfindings import GovFinding
from .hazards import Hazard


class AlertKind(models.TextChoices):
    SUMMONS = "summons", "约谈（区域事故多发）"
    CLOSURE = "closure", "提请关闭（重大隐患屡罚，安全生产法第113条）"
    LISTING_OVERDUE = "listing_overdue", "挂牌督办逾期"
    FINDINGS_OVERDUE = "findings_overdue", "督查问题逾期未整改"
    REVIEW_UNDONE = "review_undone", "回头看未落实"


class HazardPenalty(models.Model):
    """A 行政处罚 on a hazard (a 重大隐患 penalised again and again leads to closure, Art 113)."""

    hazard = models.ForeignKey(
        Hazard, verbose_name="隐患", on_delete=models.PROTECT, related_name="penalties"
    )
    decided_on = models.DateField("处罚决定日期", validators=[validate_day])
    document = models.CharField("处罚决定书文号", max_length=200, validators=[validate_clean_text])
    amount_yuan = models.DecimalField("罚款（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.TextField("说明", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "隐患行政处罚"
        verbose_name_plural = "隐患行政处罚"
        ordering = ["decided_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_yuan__isnull=True) | Q(amount_yuan__gte=0), name="penalty_amount_nonneg"
            )
        ]

    def __str__(self):
        return f"{self.hazard.code} {self.decided_on} {self.document}"


class AlertRule(models.Model):
    """One rule: what it counts, over which window, from which threshold; whom its alert names is read
    from the chain on the day it fires (accountability/alerts/naming.py)."""

    code = models.SlugField("编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=AlertKind.choices)
    region = models.ForeignKey(
        Region,
        verbose_name="适用区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alert_rules",
        help_text="约谈：本级对下一级区划的规则（如县对其乡镇）；其他类型：只看该区划及以下，空 = 全部",
    )
    grade = models.CharField(
        "事故等级（及以上）", max_length=20, choices=Grade.choices, blank=True, help_text="仅约谈规则"
    )
    window_days = models.PositiveIntegerField("统计期间（天）", default=30)
    threshold = models.PositiveIntegerField("达到次数", default=2)
    active = models.BooleanField("启用", default=True)
    basis = models.TextField("依据", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "预警规则"
        verbose_name_plural = "预警规则"
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=1), name="alert_rule_threshold_positive"),
            models.CheckConstraint(condition=Q(window_days__gte=1), name="alert_rule_window_positive"),
        ]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def clean(self):
        super().clean()
        if self.kind == AlertKind.SUMMONS and not self.region_id:
            raise ValidationError({"region": f"{self.code}: 约谈规则须指定本级区划"})
        if self.kind == AlertKind.SUMMONS and not self.grade:
            raise ValidationError({"grade": f"{self.code}: 约谈规则须指定事故等级"})


class AlertState(models.TextChoices):
    OPEN = "open", "待处置"
    HANDLED = "handled", "已处置"
    CLOSED = "closed", "已办结"
    DISMISSED = "dismissed", "已撤销"


class Alert(models.Model):
    """One alert: exactly one per (rule, subject, window) — the unique constraint holds under concurrency."""

    code = models.CharField("编号", max_length=120, unique=True)
    rule = models.ForeignKey(AlertRule, verbose_name="规则", on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField("类型", max_length=20, choices=AlertKind.choices, db_index=True)
    subject_key = models.CharField("对象", max_length=80)
    subject_label = models.CharField("对象名称", max_length=300)
    window_start = models.DateField("期间起", validators=[validate_day])
    window_end = models.DateField("期间止", validators=[validate_day])
    fired_on = models.DateField("触发日期", validators=[validate_day])
    count = models.PositiveIntegerField("次数")
    # Where: the region whose leaders answer (约谈) or where the enterprise or unit sits — the scope.
    region = models.ForeignKey(Region, verbose_name="区划", on_delete=models.PROTECT, related_name="alerts")
    enterprise = models.ForeignKey(
        Unit, verbose_name="企业", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name="责任单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="unit_alerts",
    )
    summoned_by = models.ForeignKey(
        Unit,
        verbose_name="约谈/处置机关",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="summonses",
    )
    # The triggering events, linked as evidence.
    accidents = models.ManyToManyField(Accident, verbose_name="事故", blank=True, related_name="alerts")
    penalties = models.ManyToManyField(HazardPenalty, verbose_name="处罚", blank=True, related_name="alerts")
    hazards = models.ManyToManyField(Hazard, verbose_name="隐患", blank=True, related_name="alerts")
    findings = models.ManyToManyField(GovFinding, verbose_name="督查问题", blank=True, related_name="alerts")
    review_items = models.ManyToManyField(
        ReviewItem, verbose_name="回头看", blank=True, related_name="alerts"
    )
    state = models.CharField("状态", max_length=10, choices=AlertState.choices, default=AlertState.OPEN)
    # Handled: 约谈 held (date, attendees, minutes) or closure decided (文号).
    held_on = models.DateField("约谈日期", null=True, blank=True, validators=[validate_day])
    attendees = models.TextField("参加人员", blank=True)
    minutes = models.FileField(
        "约谈纪要", upload_to="alert-minutes/%Y/%m/", blank=True, validators=[validate_evidence]
    )
    decision_document = models.CharField("决定文号", max_length=200, blank=True)
    handled_at = models.DateTimeField("处置时间", null=True, blank=True)
    handled_by = models.ForeignKey(
        "auth.User", verbose_name="处置人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    dismissed_reason = models.TextField("撤销理由", blank=True)
    created_at = models.DateTimeField("生成时间", default=timezone.now)
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = "预警"
        verbose_name_plural = "预警"
        ordering = ["-fired_on", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_key", "window_start"], name="alert_once_per_rule_subject_window"
            )
        ]
        # The reminder sweep reads open alerts by the day they fired; the dashboard counts open ones.
        indexes = [models.Index(fields=["state", "fired_on"], name="alert_state_fired")]

    def __str__(self):
        return f"{self.code} {self.subject_label}"


class AlertPerson(models.Model):
    """Whom an alert names, resolved from the chain on the day it fired (a snapshot: later edits of the
    matrix never rewrite it; a vacant post stays, as a finding)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="named")
    duty_type = models.CharField("责任类型", max_length=20, choices=DutyType.choices, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    position = models.ForeignKey(Position, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    vacant = models.BooleanField("空缺", default=False)
    label = models.CharField("名称", max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "预警所列人员"
        verbose_name_plural = "预警所列人员"
        ordering = ["order", "id"]

    def __str__(self):
        return self.label
