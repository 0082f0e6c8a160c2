"""一案双查 cases and what hangs on them: corrective actions, education, appraisal periods, unit problems, hand-overs, 回头看."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from responsibility.models import (
    CadreAuthority,
    Unit,
)
from responsibility.validators import (
    count_validators,
    validate_day,
)

from ..grading import Grade, investigation_due, reply_due, review_due
from .accidents import Accident
from .corrections import Correctable
from .govfindings import GovFinding
from .hazards import Hazard


class CaseState(models.TextChoices):
    OPEN = "open", "调查处理中"
    CLOSED = "closed", "已结案"


class CaseNature(models.TextChoices):
    LIABILITY = "liability", "生产安全责任事故"
    NON_LIABILITY = "non_liability", "非责任事故"
    NATURAL = "natural", "自然灾害"


# The one definition of "still under investigation" (493号令 Art 29), as a query: an open accident case
# with no report submitted — and not a case that 回头看 reopened, which answers to the 回头看's own period.
INVESTIGATION_PENDING = Q(
    state=CaseState.OPEN,
    accident__isnull=False,
    report_submitted_on__isnull=True,
    review_done_on__isnull=True,
)


class Case(models.Model):
    """一案双查: one case per accident or overdue hazard, freezing the chain as it stood on the event day."""

    code = models.CharField("案件编号", max_length=80, unique=True)
    accident = models.OneToOneField(
        Accident, verbose_name="事故", null=True, blank=True, on_delete=models.PROTECT, related_name="case"
    )
    hazard = models.OneToOneField(
        Hazard, verbose_name="隐患", null=True, blank=True, on_delete=models.PROTECT, related_name="case"
    )
    # 问责 for 整改不力: a government finding left overdue (the unit is the event's place).
    finding = models.OneToOneField(
        GovFinding,
        verbose_name="督查问题",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case",
    )
    title = models.CharField("案件名称", max_length=300)
    grade = models.CharField("等级", max_length=20, choices=Grade.choices, blank=True)
    event_day = models.DateField("事发（责任认定）日期", validators=[validate_day])
    state = models.CharField(
        "状态", max_length=10, choices=CaseState.choices, default=CaseState.OPEN, db_index=True
    )
    opened_at = models.DateTimeField("立案时间", default=timezone.now)
    opened_by = models.ForeignKey(
        "auth.User", verbose_name="立案人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handlers = models.ManyToManyField(
        "auth.User", verbose_name="承办人", blank=True, related_name="handled_cases"
    )
    # 四不放过 (1): the cause — `cause` is the 直接原因, `indirect_cause` the 间接原因 (DESIGN §6).
    cause = models.TextField("直接原因", blank=True)
    indirect_cause = models.TextField("间接原因", blank=True)
    cause_recorded_at = models.DateTimeField("原因认定时间", null=True, blank=True)
    nature = models.CharField("事故性质", max_length=16, choices=CaseNature.choices, blank=True)
    course_and_rescue = models.TextField("事故发生经过和应急救援", blank=True)
    lessons = models.TextField("主要教训", blank=True)
    # 493号令 Art 29/32 and 安全生产法 Art 86.
    investigation_extension_days = models.PositiveSmallIntegerField("调查期限延长天数", default=0)
    # Art 27: technical appraisal does not count; the sum of the closed appraisal periods, kept by the services.
    appraisal_days = models.PositiveIntegerField("技术鉴定天数（不计入调查期限）", default=0, editable=False)
    # 特别重大: the State Council may set its own period (days from the accident).
    set_period_days = models.PositiveSmallIntegerField("国务院确定的调查期限（天）", null=True, blank=True)
    report_submitted_on = models.DateField(
        "调查报告提交日期", null=True, blank=True, validators=[validate_day]
    )
    reply_on = models.DateField("批复日期", null=True, blank=True, validators=[validate_day])
    review_done_on = models.DateField("回头看完成日期", null=True, blank=True, validators=[validate_day])
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        "auth.User", verbose_name="结案人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["opened_at"])

    class Meta:
        verbose_name = "一案双查案件"
        verbose_name_plural = "一案双查案件"
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accident__isnull=False, hazard__isnull=True, finding__isnull=True)
                | Q(accident__isnull=True, hazard__isnull=False, finding__isnull=True)
                | Q(accident__isnull=True, hazard__isnull=True, finding__isnull=False),
                name="case_of_one_source",
            ),
            models.CheckConstraint(
                condition=Q(investigation_extension_days__lte=60),
                name="case_investigation_extension_at_most_60",
            ),
        ]
        # One partial index per deadline the reminder sweep reads: each holds only the cases still
        # waiting for that step; state leads so that SQLite, too, prefers it to the plain state index.
        indexes = [
            models.Index(
                fields=["state", "event_day"],
                # INVESTIGATION_PENDING's own condition (a case 回头看 reopened is not pending).
                condition=Q(
                    accident__isnull=False, report_submitted_on__isnull=True, review_done_on__isnull=True
                ),
                name="case_investigation_pending",
            ),
            models.Index(
                fields=["state", "report_submitted_on"],
                condition=Q(reply_on__isnull=True),
                name="case_reply_pending",
            ),
            models.Index(
                fields=["reply_on"], condition=Q(review_done_on__isnull=True), name="case_review_pending"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def source_label(self) -> str:
        if self.finding_id:
            return f"finding:{self.finding.code}"
        return f"accident:{self.accident.code}" if self.accident_id else f"hazard:{self.hazard.code}"

    @property
    def source(self):
        """The accident, hazard or government finding the case was opened from."""
        return self.accident or self.hazard or self.finding

    @property
    def is_closed(self) -> bool:
        return self.state == CaseState.CLOSED

    @property
    def investigation_due(self) -> dt.date | None:
        """Art 29 (60 + ≤60 days) or the State Council's period, moved by appraisal time (Art 27)."""
        if not self.accident_id:
            return None
        return investigation_due(
            self.event_day,
            self.investigation_extension_days,
            appraisal_days=self.appraisal_days,
            set_period_days=self.set_period_days,
        )

    @property
    def investigation_pending(self) -> bool:
        """`INVESTIGATION_PENDING` for one case: the investigation period still runs for it."""
        return bool(
            self.accident_id
            and not self.is_closed
            and self.report_submitted_on is None
            and self.review_done_on is None
        )

    @property
    def reopened_by_review(self) -> bool:
        """回头看 found something undone and the case is open again for it (DESIGN §5: closes under 四不放过)."""
        return not self.is_closed and self.review_done_on is not None

    def is_investigation_overdue(self, today: dt.date) -> bool:
        """调查期限 passed with no report submitted, on a case still under investigation (493号令 Art 29)."""
        due = self.investigation_due
        return bool(due and self.investigation_pending and due < today)

    @property
    def reply_due(self) -> dt.date | None:
        return reply_due(self.report_submitted_on, self.grade) if self.report_submitted_on else None

    @property
    def review_due(self) -> dt.date | None:
        return review_due(self.reply_on) if self.reply_on else None


class CorrectiveAction(Correctable):
    """四不放过 (3): a rectification measure the case requires, done or not."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="corrective_actions")
    description = models.TextField("整改措施")
    responsible = models.CharField("责任单位/人", max_length=200, blank=True)
    due_on = models.DateField("完成期限", null=True, blank=True, validators=[validate_day])
    done_on = models.DateField("完成日期", null=True, blank=True, validators=[validate_day])
    verified_by = models.ForeignKey(
        "auth.User", verbose_name="核查人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        "auth.User", verbose_name="录入人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("录入时间", default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "整改措施"
        verbose_name_plural = "整改措施"
        ordering = ["id"]

    def __str__(self):
        return self.description[:40]

    @property
    def is_done(self) -> bool:
        return self.done_on is not None


class EducationActivity(Correctable):
    """四不放过 (4): warning education of the people concerned."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="education")
    held_on = models.DateField("日期", validators=[validate_day])
    description = models.TextField("警示教育内容")
    participants = models.PositiveIntegerField("参加人数", default=0, validators=[*count_validators])
    recorded_by = models.ForeignKey(
        "auth.User", verbose_name="记录人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("记录时间", default=timezone.now)

    class Meta:
        verbose_name = "警示教育"
        verbose_name_plural = "警示教育"
        ordering = ["held_on", "id"]

    def __str__(self):
        return f"{self.held_on} {self.description[:30]}"


class AppraisalPeriod(Correctable):
    """493号令 Art 27: technical appraisal time does not count towards the investigation period."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="appraisal_periods")
    start = models.DateField("鉴定开始日期", validators=[validate_day])
    end = models.DateField(
        "鉴定结束日期", null=True, blank=True, validators=[validate_day], help_text="留空表示鉴定仍在进行"
    )
    subject = models.CharField("鉴定事项", max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        "auth.User", verbose_name="录入人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("录入时间", default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "技术鉴定期间"
        verbose_name_plural = "技术鉴定期间"
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="appraisal_end_after_start",
            )
        ]

    def __str__(self):
        return f"{self.start} 至 {self.end or '—'} {self.subject}"

    @property
    def days(self) -> int:
        """Both ends inclusive; an open period counts nothing until it ends."""
        return (self.end - self.start).days + 1 if self.end else 0


class UnitProblem(models.Model):
    """有关责任单位存在的主要问题: one entry per unit, in the report's order."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="unit_problems")
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    problems = models.TextField("存在的主要问题")
    order = models.PositiveIntegerField("顺序", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "单位存在的主要问题"
        verbose_name_plural = "单位存在的主要问题"
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "unit"], name="unit_problem_once")]

    def __str__(self):
        return f"{self.unit}: {self.problems[:30]}"


class HandOver(Correctable):
    """问题线索移交: records handed to a body (by cadre authority), and when its decision is due back."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="handovers")
    records = models.ManyToManyField(
        "AccountabilityRecord", verbose_name="移交的责任认定记录", related_name="handovers"
    )
    receiving_body = models.CharField("接收机关", max_length=200)
    authority = models.CharField("干部管理权限", max_length=12, choices=CadreAuthority.choices, blank=True)
    handed_on = models.DateField("移交日期", validators=[validate_day])
    decision_due = models.DateField("处理结果反馈期限", validators=[validate_day])
    completed_on = models.DateField("处理结果全部反馈日期", null=True, blank=True, validators=[validate_day])
    note = models.TextField("说明", blank=True)
    recorded_by = models.ForeignKey(
        "auth.User", verbose_name="录入人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("录入时间", default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "问题线索移交"
        verbose_name_plural = "问题线索移交"
        ordering = ["handed_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision_due__gte=models.F("handed_on")), name="handover_due_after_handed"
            )
        ]
        indexes = [
            models.Index(
                fields=["decision_due"], condition=Q(completed_on__isnull=True), name="handover_pending"
            )
        ]

    def __str__(self):
        return f"{self.handed_on} 移交{self.receiving_body}"


class ReviewItem(models.Model):
    """回头看 (安全生产法 Art 86): per 整改措施建议 and per 处理建议, whether it was carried out."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="review_items")
    reviewed_on = models.DateField("评估日期", validators=[validate_day])
    corrective_action = models.ForeignKey(
        CorrectiveAction, null=True, blank=True, on_delete=models.PROTECT, related_name="review_items"
    )
    measure = models.ForeignKey(
        "Measure", null=True, blank=True, on_delete=models.PROTECT, related_name="review_items"
    )
    carried_out = models.BooleanField("已落实")
    note = models.TextField("评估说明", blank=True)
    follow_up = models.ForeignKey(
        "AccountabilityRecord",
        verbose_name="追责记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review_origin",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "回头看评估"
        verbose_name_plural = "回头看评估"
        ordering = ["reviewed_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(corrective_action__isnull=False, measure__isnull=True)
                | Q(corrective_action__isnull=True, measure__isnull=False),
                name="review_item_of_one",
            )
        ]

    def __str__(self):
        return f"{self.reviewed_on} {'已落实' if self.carried_out else '未落实'}"
