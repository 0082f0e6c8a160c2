"""督查反馈问题: findings of 督查, 巡查 and 暗访 against a government unit (not an enterprise) — the hazard's
life cycle for a department or a township: 下发 → 整改 → 提交 → 销号 by the issuing unit."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from responsibility.models import CODE_HELP, CodedQuerySet, Position, Sector, Unit, UnitKind
from responsibility.validators import validate_clean_text, validate_code, validate_day, validate_evidence

# The units a finding may be issued by or assigned to: public bodies, never an enterprise or its parts.
PUBLIC_BODIES = (UnitKind.PARTY_COMMITTEE, UnitKind.GOVERNMENT, UnitKind.DEPARTMENT, UnitKind.OTHER)


class FindingSource(models.TextChoices):
    SUPERVISION = "supervision", "督查"
    INSPECTION_TOUR = "inspection_tour", "巡查"
    UNDERCOVER = "undercover", "暗访"


class FindingState(models.TextChoices):
    ISSUED = "issued", "已下发"
    RECTIFYING = "rectifying", "整改中"
    SUBMITTED = "submitted", "已提交整改"
    CLOSED = "closed", "已销号"


OPEN_FINDING_STATES = (FindingState.ISSUED, FindingState.RECTIFYING, FindingState.SUBMITTED)


def finding_overdue_q(on: dt.date | None = None, prefix: str = "") -> Q:
    """Overdue = not 销号 and past its deadline on `on` (derived, never stored; as hazards.overdue_q)."""
    on = on or timezone.localdate()
    return Q(**{f"{prefix}state__in": OPEN_FINDING_STATES, f"{prefix}deadline__lt": on})


class GovFindingQuerySet(CodedQuerySet):
    def overdue(self, on: dt.date | None = None):
        return self.filter(finding_overdue_q(on))


class GovFinding(models.Model):
    code = models.CharField(
        "编码", max_length=64, unique=True, help_text=CODE_HELP, validators=[validate_code]
    )
    title = models.CharField("问题描述", max_length=300, validators=[validate_clean_text])
    source = models.CharField("来源", max_length=20, choices=FindingSource.choices)
    # 暗访: the exposure video or its file (a photo, PDF or document is accepted as well).
    media = models.FileField("暗访视频/材料", upload_to="finding-media/%Y/%m/", blank=True)
    issuing_unit = models.ForeignKey(
        Unit, verbose_name="下发单位", on_delete=models.PROTECT, related_name="issued_findings"
    )
    assigned_unit = models.ForeignKey(
        Unit, verbose_name="整改责任单位", on_delete=models.PROTECT, related_name="assigned_findings"
    )
    responsible_position = models.ForeignKey(
        Position,
        verbose_name="整改责任岗位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gov_findings",
    )
    # The sector the problem lies in (for the unit's chain: its leader in charge); empty = the unit's own.
    sector = models.ForeignKey(
        Sector, verbose_name="行业领域", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    found_on = models.DateField("发现日期", validators=[validate_day])
    deadline = models.DateField("整改期限", db_index=True, validators=[validate_day])
    state = models.CharField(
        "状态", max_length=12, choices=FindingState.choices, default=FindingState.ISSUED, db_index=True
    )
    rectification = models.TextField("整改情况", blank=True)
    submitted_on = models.DateField("提交整改日期", null=True, blank=True, validators=[validate_day])
    closed_on = models.DateField("销号日期", null=True, blank=True, validators=[validate_day])
    history = HistoricalRecords()

    objects = GovFindingQuerySet.as_manager()

    class Meta:
        verbose_name = "督查反馈问题"
        verbose_name_plural = "督查反馈问题"
        ordering = ["-found_on", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("found_on")), name="gov_finding_deadline_after_found"
            )
        ]
        indexes = [models.Index(fields=["state", "deadline"], name="gov_finding_state_deadline")]

    def __str__(self):
        return f"{self.code} {self.title}"

    def is_overdue(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.state in OPEN_FINDING_STATES and self.deadline < on

    def clean(self):
        super().clean()
        errors = {}
        if self.found_on and self.deadline and self.deadline < self.found_on:
            errors["deadline"] = f"{self.code}: 整改期限不能早于发现日期"
        if self.issuing_unit_id and self.issuing_unit.kind not in PUBLIC_BODIES:
            errors["issuing_unit"] = f"{self.issuing_unit.code} 不是党政机关或部门"
        if self.assigned_unit_id and self.assigned_unit.kind not in PUBLIC_BODIES:
            errors["assigned_unit"] = f"{self.assigned_unit.code} 不是党政机关或部门（企业问题请登记为隐患）"
        position = self.responsible_position
        if position is not None and self.assigned_unit_id and position.unit_id != self.assigned_unit_id:
            errors["responsible_position"] = f"{position.code} 不属于整改责任单位 {self.assigned_unit.code}"
        if errors:
            raise ValidationError(errors)


class GovFindingTransition(models.Model):
    """Every state change of a finding: who, when, why, and the rectification evidence."""

    finding = models.ForeignKey(GovFinding, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField("原状态", max_length=12, choices=FindingState.choices, blank=True)
    to_state = models.CharField("新状态", max_length=12, choices=FindingState.choices)
    at = models.DateTimeField("时间", default=timezone.now)
    by = models.ForeignKey(
        "auth.User", verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField("说明/理由", blank=True)
    evidence = models.FileField(
        "整改证明材料", upload_to="finding-evidence/%Y/%m/", blank=True, validators=[validate_evidence]
    )

    class Meta:
        verbose_name = "督查问题流转记录"
        verbose_name_plural = "督查问题流转记录"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.finding.code}: {self.from_state or '—'} → {self.to_state}"
