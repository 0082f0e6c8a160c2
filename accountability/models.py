"""What happened, and who answers for it (DESIGN §2, accountability)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from responsibility.models import (
    CODE_HELP,
    CadreAuthority,
    CodedQuerySet,
    PartyRole,
    Person,
    Position,
    Region,
    Sector,
    Unit,
)
from responsibility.validators import (
    count_validators,
    validate_clean_text,
    validate_code,
    validate_day,
    validate_evidence,
    validate_moment,
)

from .grading import Grade, grade_of, investigation_due, is_late_report, reply_due, review_due
from .measures import channel_of, label_of
from .measures import choices as measure_choices

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
        # An IN list on state (not an exclusion) lets the (state, deadline) index serve the range.
        open_states = [HazardState.REPORTED, HazardState.RECTIFYING, HazardState.SUBMITTED]
        return self.filter(state__in=open_states, deadline__lt=on)


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
        on = on or timezone.localdate()
        return self.state != HazardState.CLOSED and self.deadline < on

    def clean(self):
        super().clean()
        if self.hazard_since and self.deadline and self.hazard_since > self.deadline:
            raise ValidationError({"hazard_since": f"{self.code}: 隐患形成日期不能晚于整改期限"})
        if self.found_on and self.deadline and self.deadline < self.found_on:
            raise ValidationError({"deadline": f"{self.code}: 整改期限不能早于发现日期"})
        if self.enterprise_id and self.sector_id and not self.sector_is_the_enterprises():
            raise ValidationError({"sector": f"{self.code}: 行业“{self.sector.name}”不是该企业的经营行业"})

    def sector_is_the_enterprises(self) -> bool:
        """A hazard lies in one of its enterprise's sectors or below one (an enterprise that lists none
        is not classified yet: nothing to hold it to)."""
        paths = list(self.enterprise.sectors.values_list("path", flat=True))
        return not paths or self.sector.path.startswith(tuple(paths))

    def save(self, *args, **kwargs):
        if self.original_deadline is None:
            self.original_deadline = self.deadline
        super().save(*args, **kwargs)


class AccidentQuerySet(CodedQuerySet):
    pass


class Accident(models.Model):
    code = models.CharField(
        "编码", max_length=64, unique=True, help_text=CODE_HELP, validators=[validate_code]
    )
    title = models.CharField("事故名称", max_length=300, blank=True, validators=[validate_clean_text])
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
    occurred_at = models.DateTimeField("发生时间", db_index=True, validators=[validate_moment])
    reported_at = models.DateTimeField("报告时间", null=True, blank=True, validators=[validate_moment])
    deaths = models.PositiveIntegerField("死亡人数", default=0, validators=[*count_validators])
    serious_injuries = models.PositiveIntegerField(
        "重伤人数（含急性工业中毒）", default=0, validators=[*count_validators]
    )
    direct_loss_yuan = models.DecimalField("直接经济损失（元）", max_digits=16, decimal_places=2, default=0)
    # Computed from the three measures on every save (DOMAIN.md Art 3); never typed in.
    grade = models.CharField("等级", max_length=20, choices=Grade.choices, editable=False, db_index=True)
    # DESIGN §5: the responsibility period, the event's further sectors, and the investigation team.
    hazard_since = models.DateField(
        "隐患形成日期",
        null=True,
        blank=True,
        validators=[validate_day],
        help_text="责任期间为 [隐患形成日期, 事发日]；留空则只看事发当日",
    )
    also_sectors = models.ManyToManyField(
        Sector, verbose_name="同时涉及的行业", blank=True, related_name="accidents_also"
    )
    investigators = models.ManyToManyField(
        Unit, verbose_name="调查组成员单位", through="Investigator", blank=True, related_name="investigated"
    )
    history = HistoricalRecords(m2m_fields=[also_sectors])

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
        if self.hazard_since and self.occurred_at and self.hazard_since > self.event_day:
            raise ValidationError({"hazard_since": f"{self.code}: 隐患形成日期不能晚于事发日"})

    def save(self, *args, **kwargs):
        self.grade = self.compute_grade()
        super().save(*args, **kwargs)


class InvestigatorRole(models.TextChoices):
    LEAD = "lead", "牵头"
    MEMBER = "member", "成员"
    PROCURATORATE = "procuratorate", "邀请检察机关"
    EXPERT = "expert", "专家组"


class Investigator(models.Model):
    """A unit of the accident's 调查组, leading unit first (DESIGN §5.9): no subject of its own case."""

    accident = models.ForeignKey(Accident, on_delete=models.CASCADE, related_name="investigator_rows")
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(
        "角色", max_length=16, choices=InvestigatorRole.choices, default=InvestigatorRole.MEMBER
    )
    order = models.PositiveIntegerField("顺序", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "调查组成员单位"
        verbose_name_plural = "调查组"
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["accident", "unit"], name="investigator_once")]

    def __str__(self):
        return f"{self.unit}（{self.get_role_display()}）"


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

    history = HistoricalRecords()

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
    # DESIGN §5.6: the enterprise this person controls or invests in, if any.
    of = models.ForeignKey(
        Unit,
        verbose_name="所控制/投资的企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="controllers",
        limit_choices_to={"kind": "enterprise"},
    )
    order = models.PositiveIntegerField("顺序", default=0)

    history = HistoricalRecords()

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

    def clean(self):
        super().clean()
        if self.of_id and not self.of.is_enterprise:
            raise ValidationError({"of": f"{self.of.code} 不是企业"})


# ---- hazard workflow records ----------------------------------------------------------------------


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
    previous_deadline = models.DateField("原整改期限")
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


class CasualtyRevision(models.Model):
    """补报 (493号令 Art 13): a change of casualties or loss, and the grade before and after."""

    accident = models.ForeignKey(Accident, on_delete=models.PROTECT, related_name="revisions")
    at = models.DateTimeField("补报时间", default=timezone.now)
    by = models.ForeignKey(
        "auth.User", verbose_name="补报人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deaths_before = models.PositiveIntegerField("原死亡人数")
    deaths_after = models.PositiveIntegerField("补报后死亡人数")
    serious_injuries_before = models.PositiveIntegerField("原重伤人数")
    serious_injuries_after = models.PositiveIntegerField("补报后重伤人数")
    loss_before = models.DecimalField("原直接经济损失", max_digits=16, decimal_places=2)
    loss_after = models.DecimalField("补报后直接经济损失", max_digits=16, decimal_places=2)
    grade_before = models.CharField("原等级", max_length=20, choices=Grade.choices)
    grade_after = models.CharField("补报后等级", max_length=20, choices=Grade.choices)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "伤亡补报"
        verbose_name_plural = "伤亡补报"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.accident.code} 补报 {self.grade_before} → {self.grade_after}"


# ---- 一案双查 -----------------------------------------------------------------------------------------


class CaseState(models.TextChoices):
    OPEN = "open", "调查处理中"
    CLOSED = "closed", "已结案"


class CaseNature(models.TextChoices):
    LIABILITY = "liability", "生产安全责任事故"
    NON_LIABILITY = "non_liability", "非责任事故"
    NATURAL = "natural", "自然灾害"


class Case(models.Model):
    """一案双查: one case per accident or overdue hazard, freezing the chain as it stood on the event day."""

    code = models.CharField("案件编号", max_length=80, unique=True)
    accident = models.OneToOneField(
        Accident, verbose_name="事故", null=True, blank=True, on_delete=models.PROTECT, related_name="case"
    )
    hazard = models.OneToOneField(
        Hazard, verbose_name="隐患", null=True, blank=True, on_delete=models.PROTECT, related_name="case"
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
                condition=Q(accident__isnull=False, hazard__isnull=True)
                | Q(accident__isnull=True, hazard__isnull=False),
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
                condition=Q(accident__isnull=False, report_submitted_on__isnull=True),
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
        return f"accident:{self.accident.code}" if self.accident_id else f"hazard:{self.hazard.code}"

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

    def is_investigation_overdue(self, today: dt.date) -> bool:
        """调查期限 passed with no report submitted, on an open case (493号令 Art 29)."""
        due = self.investigation_due
        return bool(due and not self.is_closed and self.report_submitted_on is None and due < today)

    @property
    def reply_due(self) -> dt.date | None:
        return reply_due(self.report_submitted_on, self.grade) if self.report_submitted_on else None

    @property
    def review_due(self) -> dt.date | None:
        return review_due(self.reply_on) if self.reply_on else None


class Finding(models.TextChoices):
    RESPONSIBLE = "responsible", "负有责任"
    NOT_RESPONSIBLE = "not_responsible", "不负有责任"
    EXEMPT = "exempt", "尽职免责"
    DECEASED = "deceased", "负有责任（已死亡，免予追究）"


# Findings that say the subject bore responsibility: they carry a category.
WITH_CATEGORY = frozenset({Finding.RESPONSIBLE, Finding.DECEASED})


class Category(models.TextChoices):
    """The responsibility category a finding names (问责条例 Art 6 and the reports' wording)."""

    DIRECT = "direct", "直接责任"
    PRINCIPAL = "principal", "主要责任"
    IMPORTANT = "important", "重要责任"
    PRINCIPAL_LEADERSHIP = "principal_leadership", "主要领导责任"
    IMPORTANT_LEADERSHIP = "important_leadership", "重要领导责任"
    LEADERSHIP = "leadership", "领导责任"
    MANAGEMENT = "management", "管理责任"
    SUPERVISION = "supervision", "监管责任"
    TERRITORIAL = "territorial", "属地管理责任"


class RecordOrigin(models.TextChoices):
    CHAIN = "chain", "责任链认定"
    ADDED = "added", "调查中增列"
    REVIEW = "review", "回头看增列"


class SubjectType(models.TextChoices):
    """What a record is about: a person in a post, a unit, an actor, or an enterprise as a legal person."""

    POSITION = "position", "岗位人员"
    UNIT = "unit", "单位"
    ACTOR = "actor", "相关责任人"
    ENTITY = "entity", "单位责任"


class AccountabilityRecord(models.Model):
    """One subject (unit, position, person) of a case, with its duty types and a snapshot as of the event day."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="records")
    track = models.CharField(
        "责任轨道", max_length=12, choices=[("enterprise", "主体责任"), ("supervision", "监管责任")]
    )
    types = models.JSONField("责任类型", default=list)
    # Links to the living matrix, for a person's lifelong view (终身追责); the snapshot is what the case says.
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="records")
    position = models.ForeignKey(
        Position, null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    unit_code = models.CharField("单位编码", max_length=64, blank=True)
    position_code = models.CharField("岗位编码", max_length=64, blank=True)
    person_code = models.CharField("人员编码", max_length=64, blank=True)
    snapshot = models.JSONField("事发时快照", default=dict)
    vacant = models.BooleanField("岗位空缺", default=False)
    origin = models.CharField("来源", max_length=8, choices=RecordOrigin.choices, default=RecordOrigin.CHAIN)
    subject_type = models.CharField(
        "责任主体类型", max_length=10, choices=SubjectType.choices, default=SubjectType.POSITION
    )
    added_reason = models.TextField("增列理由", blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="增列人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    order = models.PositiveIntegerField("顺序", default=0)
    created_at = models.DateTimeField("生成时间", default=timezone.now)

    class Meta:
        verbose_name = "责任认定记录"
        verbose_name_plural = "责任认定记录"
        ordering = ["case", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "track", "unit_code", "position_code", "person_code"],
                name="record_one_per_subject",
            ),
            models.CheckConstraint(
                condition=Q(origin="chain") | ~Q(added_reason=""),
                name="record_added_with_reason",
                violation_error_message="增列责任主体必须写明理由",
            ),
        ]
        indexes = [models.Index(fields=["person", "case"], name="record_person_case")]

    def __str__(self):
        return " / ".join(
            x
            for x in [self.snapshot.get("unit_name"), self.snapshot.get("position_title"), self.subject_name]
            if x
        )

    @property
    def subject_name(self) -> str:
        if self.snapshot.get("person_name"):
            return self.snapshot["person_name"]
        if self.is_unknown:
            return "未录入"
        return "空缺" if self.vacant else ""

    @property
    def is_unknown(self) -> bool:
        """§5.7: nobody on record for the post that day — a gap in the records, not a vacancy."""
        return bool(self.snapshot.get("unknown"))

    @property
    def authority(self) -> str:
        """干部管理权限 as of the case (snapshot), else the post's current one; "" when unknown."""
        if self.snapshot.get("authority"):
            return self.snapshot["authority"]
        return self.position.authority if self.position_id else ""

    @property
    def is_earlier_term(self) -> bool:
        return self.snapshot.get("term") == "earlier"

    @property
    def term_note(self) -> str:
        """§5.10: what the page and the report say of an earlier holder."""
        if not self.is_earlier_term:
            return ""
        return f"在任期间 {self.snapshot['from']} 至 {self.snapshot['to']}"

    @property
    def key(self) -> tuple:
        return (self.track, self.unit_code, self.position_code, self.person_code)


class DecisionQuerySet(models.QuerySet):
    def current(self):
        """The decisions no later decision amends: each record's standing finding."""
        return self.filter(amended_by__isnull=True)


class Decision(models.Model):
    """A finding on a record. Never edited: a correction is a new decision that `amends` this one."""

    record = models.ForeignKey(AccountabilityRecord, on_delete=models.PROTECT, related_name="decisions")
    finding = models.CharField("认定结论", max_length=16, choices=Finding.choices)
    # Required for responsible/deceased by the services; decisions made before categories existed keep "".
    category = models.CharField("责任类别", max_length=24, choices=Category.choices, blank=True)
    grounds = models.TextField("事实与依据（尽职免责须写明）", blank=True)
    amends = models.OneToOneField(
        "self",
        verbose_name="更正的认定",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amended_by",
    )
    amendment_reason = models.TextField("更正理由", blank=True)
    decided_at = models.DateTimeField("认定时间", default=timezone.now)
    decided_by = models.ForeignKey(
        "auth.User", verbose_name="认定人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = DecisionQuerySet.as_manager()

    class Meta:
        verbose_name = "责任认定"
        verbose_name_plural = "责任认定"
        ordering = ["decided_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(finding="exempt") | ~Q(grounds=""),
                name="decision_exempt_has_grounds",
                violation_error_message="尽职免责须写明履职事实与依据",
            ),
            models.CheckConstraint(
                condition=Q(finding__in=["responsible", "deceased"]) | Q(category=""),
                name="decision_category_only_when_responsible",
                violation_error_message="只有负有责任的认定才有责任类别",
            ),
            models.CheckConstraint(
                condition=Q(amends__isnull=True) | ~Q(amendment_reason=""),
                name="decision_amendment_has_reason",
                violation_error_message="更正认定须写明理由",
            ),
            # One standing decision per record: only the first has no `amends`.
            models.UniqueConstraint(
                fields=["record"],
                condition=Q(amends__isnull=True),
                name="decision_one_original",
                violation_error_message="该记录已认定；更正请提交更正认定",
            ),
        ]

    def __str__(self):
        return f"{self.record}: {self.get_finding_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("allow_update", False):
            raise ValueError("a decision is never edited in place; record an amendment")
        super().save(*args, **kwargs)


class Measure(models.Model):
    """An accountability measure attached to a decision (kinds and statutory ranges: accountability/measures.py)."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="measures")
    kind = models.CharField("措施", max_length=40, choices=measure_choices())
    detail = models.TextField("具体内容", blank=True)
    period_months = models.PositiveSmallIntegerField("影响期（月）", null=True, blank=True)
    amount_yuan = models.DecimalField(
        "罚款金额（元）", max_digits=16, decimal_places=2, null=True, blank=True
    )
    article = models.CharField("移送司法罪名条款", max_length=40, blank=True)
    # A decision that came back from a hand-over (移交): which one, its document number and date.
    handover = models.ForeignKey(
        "HandOver",
        verbose_name="移交",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measures",
    )
    document_number = models.CharField("决定文号", max_length=200, blank=True)
    decided_on = models.DateField("决定日期", null=True, blank=True)

    class Meta:
        verbose_name = "处理措施"
        verbose_name_plural = "处理措施"
        ordering = ["id"]

    def __str__(self):
        return label_of(self.kind)

    @property
    def channel(self) -> str:
        return channel_of(self.kind)


class CorrectiveAction(models.Model):
    """四不放过 (3): a rectification measure the case requires, done or not."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="corrective_actions")
    description = models.TextField("整改措施")
    responsible = models.CharField("责任单位/人", max_length=200, blank=True)
    due_on = models.DateField("完成期限", null=True, blank=True, validators=[validate_day])
    done_on = models.DateField("完成日期", null=True, blank=True, validators=[validate_day])
    verified_by = models.ForeignKey(
        "auth.User", verbose_name="核查人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
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


class EducationActivity(models.Model):
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


class AppraisalPeriod(models.Model):
    """493号令 Art 27: technical appraisal time does not count towards the investigation period."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="appraisal_periods")
    start = models.DateField("鉴定开始日期")
    end = models.DateField("鉴定结束日期", null=True, blank=True, help_text="留空表示鉴定仍在进行")
    subject = models.CharField("鉴定事项", max_length=300, blank=True)

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


class HandOver(models.Model):
    """问题线索移交: records handed to a body (by cadre authority), and when its decision is due back."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="handovers")
    records = models.ManyToManyField(
        AccountabilityRecord, verbose_name="移交的责任认定记录", related_name="handovers"
    )
    receiving_body = models.CharField("接收机关", max_length=200)
    authority = models.CharField("干部管理权限", max_length=12, choices=CadreAuthority.choices, blank=True)
    handed_on = models.DateField("移交日期")
    decision_due = models.DateField("处理结果反馈期限")
    completed_on = models.DateField("处理结果全部反馈日期", null=True, blank=True)
    note = models.TextField("说明", blank=True)
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
    reviewed_on = models.DateField("评估日期")
    corrective_action = models.ForeignKey(
        CorrectiveAction, null=True, blank=True, on_delete=models.PROTECT, related_name="review_items"
    )
    measure = models.ForeignKey(
        Measure, null=True, blank=True, on_delete=models.PROTECT, related_name="review_items"
    )
    carried_out = models.BooleanField("已落实")
    note = models.TextField("评估说明", blank=True)
    follow_up = models.ForeignKey(
        AccountabilityRecord,
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


# ---- reminders: rules as data, the claim log, in-app notifications (logic: accountability/reminders/) --


class ReminderKind(models.TextChoices):
    """Which deadline a rule watches; each has one due date per object (DOMAIN.md)."""

    HAZARD_DEADLINE = "hazard_deadline", "隐患整改期限"
    LISTING_DUE = "listing_due", "挂牌督办期限"
    HAZARD_REVIEW = "hazard_review", "重大隐患销号现场核查（申请后10日内）"
    CASE_INVESTIGATION = "case_investigation", "事故调查报告期限（60日）"
    CASE_REPLY = "case_reply", "调查报告批复期限"
    CASE_REVIEW = "case_review", "整改落实“回头看”（批复后1年）"
    HANDOVER_DECISION = "handover_decision", "移交处理结果反馈期限"


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


HAZARD_KINDS = frozenset({ReminderKind.HAZARD_DEADLINE, ReminderKind.LISTING_DUE, ReminderKind.HAZARD_REVIEW})
CASE_KINDS = frozenset(
    {
        ReminderKind.CASE_INVESTIGATION,
        ReminderKind.CASE_REPLY,
        ReminderKind.CASE_REVIEW,
        ReminderKind.HANDOVER_DECISION,
    }
)


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
        if RecipientRole.LISTING_UNIT in recipients and self.kind != ReminderKind.LISTING_DUE:
            raise ValidationError({"recipients": "挂牌督办单位只用于挂牌督办期限"})
        if self.open_case and (self.kind != ReminderKind.HAZARD_DEADLINE or min(offsets) < 1):
            raise ValidationError({"open_case": "只有隐患逾期（节点 ≥ 1）的规则可以立案"})


class ReminderSubject(models.TextChoices):
    HAZARD = "hazard", "隐患"
    LISTING = "listing", "挂牌督办"
    CASE = "case", "案件"
    HANDOVER = "handover", "移交"


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
