"""Hazards (隐患) and their workflow records: transitions, 挂牌督办, extension requests."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from responsibility.models import (
    CODE_HELP,
    CodedQuerySet,
    Position,
    Sector,
    Unit,
)
from responsibility.validators import (
    validate_clean_text,
    validate_code,
    validate_day,
    validate_evidence,
)

from ..hazard_dates import hazard_date_problems

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


# The states of a hazard not yet 销号: the ones whose deadline is still watched.
OPEN_HAZARD_STATES = (HazardState.REPORTED, HazardState.RECTIFYING, HazardState.SUBMITTED)


def overdue_q(on: dt.date | None = None, prefix: str = "") -> Q:
    """*Overdue* (DESIGN §2) — not closed and past its deadline on `on` (today in China by default) —
    as a query expression; `prefix` reaches it through a relation (`"hazards__"` from an enterprise).
    The one definition: `HazardQuerySet.overdue` and `Hazard.is_overdue` apply it. Derived, never stored.
    """
    on = on or timezone.localdate()
    # An IN list on state (not an exclusion) lets the (state, deadline) index serve the range.
    return Q(**{f"{prefix}state__in": OPEN_HAZARD_STATES, f"{prefix}deadline__lt": on})


class HazardQuerySet(CodedQuerySet):
    def overdue(self, on: dt.date | None = None):
        """The hazards overdue on `on` (overdue_q)."""
        return self.filter(overdue_q(on))

    def not_overdue(self, on: dt.date | None = None):
        return self.exclude(overdue_q(on))


class Hazard(models.Model):
    code = models.CharField(
        "编码", max_length=64, unique=True, help_text=CODE_HELP, validators=[validate_code]
    )
    title = models.CharField("隐患描述", max_length=300, blank=True, validators=[validate_clean_text])
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
    found_on = models.DateField("发现日期", validators=[validate_day])
    deadline = models.DateField("整改期限", db_index=True, validators=[validate_day])
    # The deadline first set; approved extensions move `deadline` and keep their own rows.
    original_deadline = models.DateField("原定整改期限", null=True, blank=True, editable=False)
    submitted_on = models.DateField("申请销号日期", null=True, blank=True, validators=[validate_day])
    state = models.CharField("状态", max_length=12, choices=HazardState.choices, default=HazardState.REPORTED)
    closed_on = models.DateField("销号日期", null=True, blank=True, validators=[validate_day])
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
    # DESIGN §5: the responsibility period starts when the hazard arose, and the event may span sectors.
    hazard_since = models.DateField(
        "隐患形成日期",
        null=True,
        blank=True,
        validators=[validate_day],
        help_text="责任期间为 [隐患形成日期, 整改期限]；留空则只看整改期限当日",
    )
    also_sectors = models.ManyToManyField(
        Sector, verbose_name="同时涉及的行业", blank=True, related_name="hazards_also"
    )
    history = HistoricalRecords(m2m_fields=[also_sectors])

    objects = HazardQuerySet.as_manager()
    OPEN_STATES = OPEN_HAZARD_STATES

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
        indexes = [
            models.Index(fields=["state", "deadline"], name="hazard_state_deadline"),
            # The reminder sweep's selection (reminders/due.py): open hazards' ids by deadline, from the
            # index alone; its condition is the sweep's filter, state IN (the open states, in this order).
            models.Index(
                fields=["deadline", "id"],
                condition=Q(state__in=["reported", "rectifying", "submitted"]),
                name="hazard_open_deadline",
            ),
            # The 10-day on-site review sweep: only major hazards awaiting 销号 are in it.
            models.Index(
                fields=["state", "level", "submitted_on"],
                condition=Q(state="submitted", level="major"),
                name="hazard_review_pending",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def five_in_place_missing(self) -> list[str]:
        """五到位 (措施、责任、资金、时限、预案): the names of the parts a plan still lacks."""
        missing = []
        if not self.measures.strip():
            missing.append("measures")
        if not self.responsible_position_id:
            missing.append("responsible_position")
        if self.funds_yuan is None:
            missing.append("funds_yuan")
        if not self.deadline:
            missing.append("deadline")
        if not self.contingency_plan.strip():
            missing.append("contingency_plan")
        return missing

    @property
    def review_due(self) -> dt.date | None:
        """A 重大隐患's closing application is reviewed on site within 10 days (DOMAIN.md)."""
        if self.level == HazardLevel.MAJOR and self.state == HazardState.SUBMITTED and self.submitted_on:
            return self.submitted_on + dt.timedelta(days=10)
        return None

    def is_overdue(self, on: dt.date | None = None) -> bool:
        """overdue_q for this one hazard, in memory."""
        on = on or timezone.localdate()
        return self.state in OPEN_HAZARD_STATES and self.deadline < on

    def clean(self):
        super().clean()
        dates = hazard_date_problems(found_on=self.found_on, deadline=self.deadline)
        if dates:
            raise ValidationError({field: f"{self.code}: {message}" for field, message in dates.items()})
        if self.hazard_since and self.deadline and self.hazard_since > self.deadline:
            raise ValidationError({"hazard_since": f"{self.code}: 隐患形成日期不能晚于整改期限"})
        if self.found_on and self.deadline and self.deadline < self.found_on:
            raise ValidationError({"deadline": f"{self.code}: 整改期限不能早于发现日期"})
        if self.enterprise_id and self.sector_id and not self.sector_is_the_enterprises():
            raise ValidationError({"sector": f"{self.code}: 行业“{self.sector.name}”不是该企业的经营行业"})
        outside = self.outside_enterprise()
        if outside:
            raise ValidationError(outside)

    def outside_enterprise(self) -> dict[str, str]:
        """What the hazard names that is not part of its enterprise — the unit where it lies, the post
        responsible for the plan, the inspection that found it — as field errors (DESIGN §2: units
        inside an enterprise belong to it). The one rule: the admin, the API, the pages and
        `complete_plan` reach it through `clean()`."""
        if not self.enterprise_id:
            return {}
        errors = {}
        code = self.enterprise.code
        if self.unit_id and self.unit.enterprise_id != self.enterprise_id:
            errors["unit"] = f"{self.unit.code} 不属于企业 {code}"
        position = self.responsible_position
        if position is not None and position.unit.enterprise_id != self.enterprise_id:
            errors["responsible_position"] = f"{position.code} 不属于企业 {code}"
        if self.inspection_id and self.inspection.enterprise_id != self.enterprise_id:
            errors["inspection"] = f"检查 {self.inspection.code} 不是对企业 {code} 的检查"
        return errors

    def sector_is_the_enterprises(self) -> bool:
        """A hazard lies in one of its enterprise's sectors or below one (an enterprise that lists none
        is not classified yet: nothing to hold it to)."""
        paths = list(self.enterprise.sectors.values_list("path", flat=True))
        return not paths or self.sector.path.startswith(tuple(paths))

    def save(self, *args, **kwargs):
        if self.original_deadline is None:
            self.original_deadline = self.deadline
        super().save(*args, **kwargs)


class HazardTransition(models.Model):
    """Every state change of a hazard, with who, when and why (a rejected submission keeps its reason)."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField("原状态", max_length=12, choices=HazardState.choices, blank=True)
    to_state = models.CharField("新状态", max_length=12, choices=HazardState.choices)
    at = models.DateTimeField("时间", default=timezone.now)
    by = models.ForeignKey(
        "auth.User", verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField("说明/理由", blank=True)
    evidence = models.FileField(
        "整改证明材料", upload_to="hazard-evidence/%Y/%m/", blank=True, validators=[validate_evidence]
    )

    class Meta:
        verbose_name = "隐患流转记录"
        verbose_name_plural = "隐患流转记录"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.hazard.code}: {self.from_state or '—'} → {self.to_state}"


class HazardListing(models.Model):
    """挂牌督办: a regulator lists a (major) hazard for supervision until a due date."""

    hazard = models.OneToOneField(Hazard, on_delete=models.PROTECT, related_name="listing")
    listing_unit = models.ForeignKey(
        Unit, verbose_name="挂牌督办单位", on_delete=models.PROTECT, related_name="listings"
    )
    listed_on = models.DateField("挂牌日期", validators=[validate_day])
    due_on = models.DateField("督办期限", validators=[validate_day])
    lifted_on = models.DateField("摘牌日期", null=True, blank=True, validators=[validate_day])
    document = models.CharField("督办文号", max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "挂牌督办"
        verbose_name_plural = "挂牌督办"
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("listed_on")), name="listing_due_after_listed"
            )
        ]
        # The 督办 sweep reads the listings still in force by due date.
        indexes = [
            models.Index(fields=["due_on"], condition=Q(lifted_on__isnull=True), name="listing_due_pending")
        ]

    def __str__(self):
        return f"{self.hazard.code} 挂牌督办至 {self.due_on}"


class ExtensionDecision(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "同意"
    DENIED = "denied", "不同意"


class ExtensionRequest(models.Model):
    """A request to move a hazard's deadline; the deadline before it is kept on the row."""

    hazard = models.ForeignKey(Hazard, on_delete=models.PROTECT, related_name="extensions")
    previous_deadline = models.DateField("原整改期限", validators=[validate_day])
    requested_deadline = models.DateField("申请延期至", validators=[validate_day])
    reason = models.TextField("延期理由")
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    requested_by = models.ForeignKey(
        "auth.User", verbose_name="申请人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(
        "审批结果", max_length=10, choices=ExtensionDecision.choices, default=ExtensionDecision.PENDING
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        "auth.User", verbose_name="审批人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.TextField("审批意见", blank=True)

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        ordering = ["requested_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_deadline__gt=models.F("previous_deadline")),
                name="extension_moves_deadline_later",
            )
        ]

    def __str__(self):
        return f"{self.hazard.code}: {self.previous_deadline} → {self.requested_deadline}（{self.get_decision_display()}）"
