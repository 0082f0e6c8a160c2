"""Accidents (事故), their casualty revisions (补报), investigators, and the parties and actors of an event."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from responsibility.chain import investigating_level
from responsibility.models import (
    CODE_HELP,
    CodedQuerySet,
    PartyRole,
    Person,
    Position,
    Region,
    RegionLevel,
    Sector,
    Unit,
)
from responsibility.validators import (
    count_validators,
    validate_clean_text,
    validate_code,
    validate_day,
    validate_moment,
)

from ..grading import (
    INVESTIGATING_BODY,
    Grade,
    grade_of,
    investigation_level_problem,
    is_late_report,
    level_of_grade,
)
from .hazards import CHINA, Hazard


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
    # §5.11 提级调查: the level of the body that actually investigates, when a higher one took it over.
    investigation_level = models.CharField(
        "提级调查层级",
        max_length=16,
        choices=RegionLevel.choices,
        blank=True,
        default="",
        help_text="上级政府提级调查时填写（不得低于事故等级对应的调查层级）；留空则按事故等级",
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

    @property
    def is_raised(self) -> bool:
        """§5.11: investigated above the level its grade gives (提级调查)."""
        return bool(self.investigation_level) and self.investigation_level != level_of_grade(self.grade)

    @property
    def investigating_body(self) -> str:
        """Who investigates, by the level that does (493号令 Art 19), e.g. 国务院 for a raised 重大."""
        return INVESTIGATING_BODY[investigating_level(self.grade, self.investigation_level or None)]

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
        if self.investigation_level and None not in (
            self.deaths,
            self.serious_injuries,
            self.direct_loss_yuan,
        ):
            problem = investigation_level_problem(self.compute_grade(), self.investigation_level)
            if problem:
                raise ValidationError({"investigation_level": f"{self.code}: {problem}"})

    def save(self, *args, **kwargs):
        self.grade = self.compute_grade()
        super().save(*args, **kwargs)


class InvestigatorRole(models.TextChoices):
    LEAD = "lead", "牵头"
    MEMBER = "member", "成员"
    PROCURATORATE = "procuratorate", "邀请检察机关"
    EXPERT = "expert", "专家组"
    COMMISSION = "commission", "邀请纪委监委"


class Investigator(models.Model):
    """A member of the accident's 调查组, leading unit first (DESIGN §5.9): no subject of its own case.

    A member is a unit of the matrix or a named body outside it (检察院, 专家组, an invited 纪委监委, with
    its role in the team). Nothing is deleted: a member is withdrawn with a reason and stops counting.
    """

    accident = models.ForeignKey(Accident, on_delete=models.CASCADE, related_name="investigator_rows")
    unit = models.ForeignKey(
        Unit, verbose_name="单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("名称（矩阵外的机关或专家组）", max_length=200, blank=True)
    role = models.CharField(
        "角色", max_length=16, choices=InvestigatorRole.choices, default=InvestigatorRole.MEMBER
    )
    duty = models.CharField("组内职责", max_length=300, blank=True)
    order = models.PositiveIntegerField("顺序", default=0)
    withdrawn_at = models.DateTimeField("撤销时间", null=True, blank=True)
    withdrawn_reason = models.TextField("撤销理由", blank=True)
    withdrawn_by = models.ForeignKey(
        "auth.User", verbose_name="撤销人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "调查组成员单位"
        verbose_name_plural = "调查组"
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["accident", "unit"],
                condition=Q(withdrawn_at__isnull=True, unit__isnull=False),
                name="investigator_once",
            ),
            models.UniqueConstraint(
                fields=["accident", "name"],
                condition=Q(withdrawn_at__isnull=True, unit__isnull=True),
                name="investigator_body_once",
            ),
            models.UniqueConstraint(
                fields=["accident"],
                condition=Q(withdrawn_at__isnull=True, role="lead"),
                name="investigator_one_lead",
                violation_error_message="调查组只有一个牵头单位",
            ),
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | ~Q(name=""),
                name="investigator_unit_or_name",
                violation_error_message="调查组成员须为单位或写明名称",
            ),
        ]

    def __str__(self):
        return f"{self.display_name}（{self.get_role_display()}）"

    @property
    def display_name(self) -> str:
        return self.unit.name if self.unit_id else self.name

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


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
    # DESIGN §5.12: where this party's people were working (a contractor's crew), inside its enterprise.
    unit = models.ForeignKey(
        Unit,
        verbose_name="作业车间/班组",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_sites",
    )
    post = models.ForeignKey(
        Position,
        verbose_name="作业岗位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_posts",
    )
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

    def clean(self):
        super().clean()
        problems = party_site_problems(
            self.enterprise if self.enterprise_id else None,
            self.unit if self.unit_id else None,
            self.post if self.post_id else None,
        )
        if problems:
            raise ValidationError(problems)


def party_site_problems(enterprise: Unit | None, unit: Unit | None, post: Position | None) -> dict[str, str]:
    """§5.12: a party's unit and post lie inside that party's own enterprise."""
    problems = {}
    if enterprise is None:
        return problems
    if unit is not None and unit.enterprise_id != enterprise.pk:
        problems["unit"] = f"{unit.code} 不属于相关企业 {enterprise.code}"
    if post is not None and post.unit.enterprise_id != enterprise.pk:
        problems["post"] = f"{post.code} 不属于相关企业 {enterprise.code}"
    return problems


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
