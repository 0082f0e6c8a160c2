"""What happened, and who answers for it (DESIGN §2, accountability)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from responsibility.models import CODE_HELP, CodedQuerySet, PartyRole, Person, Position, Region, Sector, Unit

from .grading import Grade, grade_of, is_late_report

CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")


class HazardLevel(models.TextChoices):
    GENERAL = "general", "一般隐患"
    MAJOR = "major", "重大隐患"


class HazardSource(models.TextChoices):
    SELF_CHECK = "self_check", "企业自查"
    INSPECTION = "inspection", "监督检查"
    UNDERCOVER = "undercover", "暗查暗访"
    PUBLIC_REPORT = "public_report", "群众举报"
    SUPERVISION = "supervision", "督查"


class HazardState(models.TextChoices):
    REPORTED = "reported", "已上报"
    RECTIFYING = "rectifying", "整改中"
    SUBMITTED = "submitted", "已申请销号"
    CLOSED = "closed", "已销号"


class HazardQuerySet(CodedQuerySet):
    def overdue(self, on: dt.date | None = None):
        """Not closed and past its deadline on `on` (today in China by default): derived, never stored."""
        on = on or timezone.localdate()
        return self.exclude(state=HazardState.CLOSED).filter(deadline__lt=on)


class Hazard(models.Model):
    code = models.CharField("编码", max_length=64, unique=True, help_text=CODE_HELP)
    title = models.CharField("隐患描述", max_length=300, blank=True)
    enterprise = models.ForeignKey(
        Unit,
        verbose_name="企业",
        on_delete=models.PROTECT,
        related_name="hazards",
        limit_choices_to={"kind": "enterprise"},
    )
    sector = models.ForeignKey(Sector, verbose_name="行业", on_delete=models.PROTECT, related_name="hazards")
    unit = models.ForeignKey(
        Unit,
        verbose_name="所在车间/班组",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="unit_hazards",
    )
    level = models.CharField("等级", max_length=10, choices=HazardLevel.choices, db_index=True)
    source = models.CharField("来源", max_length=20, choices=HazardSource.choices)
    inspection = models.ForeignKey(
        "responsibility.Inspection",
        verbose_name="发现该隐患的检查",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    found_on = models.DateField("发现日期")
    deadline = models.DateField("整改期限", db_index=True)
    state = models.CharField("状态", max_length=12, choices=HazardState.choices, default=HazardState.REPORTED)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    # 五到位: measures, responsibility, funds, deadline, contingency plan.
    measures = models.TextField("整改措施", blank=True)
    responsible_position = models.ForeignKey(
        Position,
        verbose_name="整改责任岗位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    funds_yuan = models.DecimalField("整改资金（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    contingency_plan = models.TextField("应急预案", blank=True)
    history = HistoricalRecords()

    objects = HazardQuerySet.as_manager()

    class Meta:
        verbose_name = "隐患"
        verbose_name_plural = "隐患台账"
        ordering = ["-found_on", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("found_on")), name="hazard_deadline_after_found"
            ),
            models.CheckConstraint(
                condition=Q(funds_yuan__isnull=True) | Q(funds_yuan__gte=0), name="hazard_funds_nonneg"
            ),
        ]
        indexes = [models.Index(fields=["state", "deadline"], name="hazard_state_deadline")]

    def __str__(self):
        return f"{self.code} {self.title}"

    def is_overdue(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.state != HazardState.CLOSED and self.deadline < on

    def clean(self):
        super().clean()
        if self.found_on and self.deadline and self.deadline < self.found_on:
            raise ValidationError({"deadline": f"{self.code}: 整改期限不能早于发现日期"})


class AccidentQuerySet(CodedQuerySet):
    pass


class Accident(models.Model):
    code = models.CharField("编码", max_length=64, unique=True, help_text=CODE_HELP)
    title = models.CharField("事故名称", max_length=300, blank=True)
    enterprise = models.ForeignKey(
        Unit,
        verbose_name="事发企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accidents",
        limit_choices_to={"kind": "enterprise"},
    )
    region = models.ForeignKey(
        Region, verbose_name="事发区划", on_delete=models.PROTECT, related_name="accidents"
    )
    sector = models.ForeignKey(
        Sector, verbose_name="行业", on_delete=models.PROTECT, related_name="accidents"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name="事发车间/班组",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="unit_accidents",
    )
    post = models.ForeignKey(
        Position,
        verbose_name="事发岗位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accidents",
    )
    occurred_at = models.DateTimeField("发生时间", db_index=True)
    reported_at = models.DateTimeField("报告时间", null=True, blank=True)
    deaths = models.PositiveIntegerField("死亡人数", default=0)
    serious_injuries = models.PositiveIntegerField("重伤人数（含急性工业中毒）", default=0)
    direct_loss_yuan = models.DecimalField("直接经济损失（元）", max_digits=16, decimal_places=2, default=0)
    # Computed from the three measures on every save (DOMAIN.md Art 3); never typed in.
    grade = models.CharField("等级", max_length=20, choices=Grade.choices, editable=False, db_index=True)
    history = HistoricalRecords()

    objects = AccidentQuerySet.as_manager()

    class Meta:
        verbose_name = "事故"
        verbose_name_plural = "事故"
        ordering = ["-occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reported_at__isnull=True) | Q(reported_at__gte=models.F("occurred_at")),
                name="accident_reported_after_occurred",
            ),
            models.CheckConstraint(condition=Q(direct_loss_yuan__gte=0), name="accident_loss_nonneg"),
        ]

    def __str__(self):
        return f"{self.title or self.code}"

    @property
    def event_day(self) -> dt.date:
        """The calendar day in China time: the day whose duty holders answer."""
        return self.occurred_at.astimezone(CHINA).date()

    @property
    def is_late_report(self) -> bool:
        return is_late_report(self.occurred_at, self.reported_at)

    def compute_grade(self) -> str:
        return grade_of(self.deaths, self.serious_injuries, self.direct_loss_yuan)

    def clean(self):
        super().clean()
        if self.occurred_at and self.reported_at and self.reported_at < self.occurred_at:
            raise ValidationError({"reported_at": f"{self.code}: 报告时间不能早于发生时间"})
        if self.unit_id and self.enterprise_id and self.unit.enterprise_id != self.enterprise_id:
            raise ValidationError({"unit": f"{self.code}: 事发车间/班组不属于事发企业"})

    def save(self, *args, **kwargs):
        self.grade = self.compute_grade()
        super().save(*args, **kwargs)


class EventParty(models.Model):
    """Another enterprise involved in an accident or hazard (建设单位, 总包, 监理, 安装 …)."""

    accident = models.ForeignKey(
        Accident, null=True, blank=True, on_delete=models.CASCADE, related_name="parties"
    )
    hazard = models.ForeignKey(
        Hazard, null=True, blank=True, on_delete=models.CASCADE, related_name="parties"
    )
    enterprise = models.ForeignKey(
        Unit,
        verbose_name="相关企业",
        on_delete=models.PROTECT,
        related_name="party_in",
        limit_choices_to={"kind": "enterprise"},
    )
    role = models.CharField("角色", max_length=24, choices=[c for c in PartyRole.choices if c[0] != "main"])
    order = models.PositiveIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "相关单位"
        verbose_name_plural = "相关单位"
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accident__isnull=False, hazard__isnull=True)
                | Q(accident__isnull=True, hazard__isnull=False),
                name="party_of_one_event",
            )
        ]

    def __str__(self):
        return f"{self.enterprise}（{self.get_role_display()}）"


class EventActor(models.Model):
    """A person acting outside any unit (房东, 实际控制人, 无资质包工头)."""

    accident = models.ForeignKey(
        Accident, null=True, blank=True, on_delete=models.CASCADE, related_name="actors"
    )
    hazard = models.ForeignKey(Hazard, null=True, blank=True, on_delete=models.CASCADE, related_name="actors")
    person = models.ForeignKey(
        Person, verbose_name="相关人员", on_delete=models.PROTECT, related_name="acted_in"
    )
    role = models.CharField("角色", max_length=24, choices=[c for c in PartyRole.choices if c[0] != "main"])
    order = models.PositiveIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "相关责任人"
        verbose_name_plural = "相关责任人"
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accident__isnull=False, hazard__isnull=True)
                | Q(accident__isnull=True, hazard__isnull=False),
                name="actor_of_one_event",
            )
        ]

    def __str__(self):
        return f"{self.person}（{self.get_role_display()}）"
