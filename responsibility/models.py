"""Who owes what, over time (DESIGN §2).

Trees (regions, sectors, units) keep a materialised path of codes ("/SH/SC/SD/") so that
ancestors are read from one row and resolution never walks the tree node by node.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from .validators import validate_clean_text, validate_code, validate_day

CODE_HELP = "稳定编码：字母、数字、下划线、点、短横线"


class RegionLevel(models.TextChoices):
    NATIONAL = "national", "国家"
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    COUNTY = "county", "县级"
    TOWNSHIP = "township", "乡镇/街道/园区"
    VILLAGE = "village", "村/社区"


# Higher rank = lower level; the chain is read from the lowest level up.
LEVEL_RANK = {level: rank for rank, level in enumerate(RegionLevel.values)}


class UnitKind(models.TextChoices):
    PARTY_COMMITTEE = "party_committee", "党委"
    GOVERNMENT = "government", "政府"
    DEPARTMENT = "department", "部门"
    ENTERPRISE = "enterprise", "企业"
    ENTERPRISE_DEPT = "enterprise_dept", "车间/项目部"
    TEAM = "team", "班组"
    OTHER = "other", "其他"


class Track(models.TextChoices):
    ENTERPRISE = "enterprise", "主体责任"
    SUPERVISION = "supervision", "监管责任"


class DutyType(models.TextChoices):
    PARTY_GOV_LEAD = "party_gov_lead", "党政同责（第一责任人）"
    LEADER_IN_CHARGE = "leader_in_charge", "一岗双责（分管领导责任）"
    TERRITORIAL = "territorial", "属地管理责任"
    COMPETENT = "competent", "行业主管责任"
    SUPERVISORY = "supervisory", "监管责任"
    APPROVAL = "approval", "审批责任（谁审批谁负责）"
    INSPECTION = "inspection", "检查责任（谁检查谁负责）"
    PRIMARY = "primary", "主体责任（企业主要负责人）"
    ENTERPRISE_LEADER = "enterprise_leader", "企业分管负责人"
    SAFETY_MANAGER = "safety_manager", "安全管理机构/人员"
    GUARANTOR = "guarantor", "包保责任人"
    DEPT_HEAD = "dept_head", "车间/部门负责人"
    TEAM_LEADER = "team_leader", "班组长"
    POST = "post", "岗位责任人"
    ACTOR = "actor", "相关责任人"
    CERTIFICATION = "certification", "出具责任（谁出具谁负责）"


SUPERVISION_TYPES = frozenset(
    {
        DutyType.PARTY_GOV_LEAD,
        DutyType.LEADER_IN_CHARGE,
        DutyType.TERRITORIAL,
        DutyType.COMPETENT,
        DutyType.SUPERVISORY,
        DutyType.APPROVAL,
        DutyType.INSPECTION,
    }
)
# approval, inspection, certification and actor links are derived from permits, inspections,
# certifications and events, never stored.
DERIVED_TYPES = frozenset({DutyType.APPROVAL, DutyType.INSPECTION, DutyType.ACTOR, DutyType.CERTIFICATION})


def track_of(duty_type: str) -> str:
    return Track.SUPERVISION if duty_type in SUPERVISION_TYPES else Track.ENTERPRISE


class PartyRole(models.TextChoices):
    MAIN = "main", "事发单位"
    OWNER = "owner", "建设单位"
    GENERAL_CONTRACTOR = "general_contractor", "施工总承包"
    SUBCONTRACTOR = "subcontractor", "分包"
    SUPERVISING_ENGINEER = "supervising_engineer", "监理"
    DESIGNER = "designer", "设计"
    SURVEYOR = "surveyor", "勘察"
    EQUIPMENT_LESSOR = "equipment_lessor", "设备出租"
    INSTALLER = "installer", "安装拆卸"
    SERVICE_BODY = "service_body", "技术服务机构"
    SUPPLIER = "supplier", "供应/充装/配送"
    LANDLORD = "landlord", "出租方"
    TENANT = "tenant", "承租方"
    PROPERTY_MANAGER = "property_manager", "物业"
    CONTROLLER = "controller", "实际控制人"
    OTHER = "other", "其他"


class CodedQuerySet(models.QuerySet):
    def by_code(self, codes):
        return {obj.code: obj for obj in self.filter(code__in=list(codes))}


class TreeNode(models.Model):
    """A node of a code tree; `path` is "/root/…/self/" and is kept by save()."""

    code = models.CharField(
        "编码", max_length=64, unique=True, help_text=CODE_HELP, validators=[validate_code]
    )
    path = models.CharField("路径", max_length=2000, editable=False, db_index=True)

    objects = CodedQuerySet.as_manager()

    class Meta:
        abstract = True

    def compute_path(self) -> str:
        parent = self.parent
        return f"{parent.path if parent else '/'}{self.code}/"

    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to this node, itself included."""
        return [c for c in self.path.split("/") if c]

    def clean(self):
        super().clean()
        node = self.parent
        while node is not None:
            if (self.pk is not None and node.pk == self.pk) or node.code == self.code:
                raise ValidationError({"parent": f"{self.code}: 上级形成循环"})
            node = node.parent

    def save(self, *args, **kwargs):
        old_path = None
        if self.pk:
            old_path = type(self).objects.filter(pk=self.pk).values_list("path", flat=True).first()
        self.path = self.compute_path()
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            # A move or a code change: re-root every descendant's path in one statement.
            from django.db.models.functions import Concat, Substr

            type(self).objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                path=Concat(models.Value(self.path), Substr("path", len(old_path) + 1))
            )


class Region(TreeNode):
    name = models.CharField("名称", max_length=200, validators=[validate_clean_text])
    level = models.CharField("层级", max_length=16, choices=RegionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["path"]
        permissions = [("inspect_region", "纪检监察：查看本区划内的责任链与案件")]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    @property
    def rank(self) -> int:
        return LEVEL_RANK[self.level]

    def clean(self):
        super().clean()
        if not self.parent or self.level not in LEVEL_RANK:
            return  # a missing or unknown level is reported by field validation
        if LEVEL_RANK[self.level] <= LEVEL_RANK[self.parent.level]:
            raise ValidationError({"level": f"{self.code}: 层级必须低于上级区划 {self.parent.code}"})


class Sector(TreeNode):
    name = models.CharField("名称", max_length=200, validators=[validate_clean_text])
    parent = models.ForeignKey(
        "self",
        verbose_name="上级行业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "行业领域"
        verbose_name_plural = "行业领域"
        ordering = ["path"]

    def __str__(self):
        return f"{self.name}（{self.code}）"


class UnitQuerySet(CodedQuerySet):
    def enterprises(self):
        return self.filter(kind=UnitKind.ENTERPRISE)


class Unit(TreeNode):
    name = models.CharField("名称", max_length=200, validators=[validate_clean_text])
    kind = models.CharField("类别", max_length=20, choices=UnitKind.choices, db_index=True)
    region = models.ForeignKey(
        Region, verbose_name="所在区划（属地）", on_delete=models.PROTECT, related_name="units"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # The enterprise this unit is part of (itself for an enterprise): kept by save(), read by the chain.
    enterprise = models.ForeignKey(
        "self",
        verbose_name="所属企业",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="enterprise_units",
    )
    sectors = models.ManyToManyField(Sector, verbose_name="经营行业", blank=True, related_name="enterprises")
    history = HistoricalRecords(m2m_fields=[sectors])

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]
        permissions = [
            ("act_for_enterprise", "企业用户：查看并填报本企业"),
            ("regulate_unit", "监管人员：以本部门/乡镇身份监管"),
        ]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    @property
    def is_enterprise(self) -> bool:
        return self.kind == UnitKind.ENTERPRISE

    @staticmethod
    def sectors_problem(kind: str, sectors) -> str:
        """DESIGN §2: an enterprise lists its sectors, no other unit does. The admin's unit form and the
        import ask this (sectors are a many-to-many: they are not there yet when `clean()` runs)."""
        return "只有企业填写经营行业" if sectors and kind != UnitKind.ENTERPRISE else ""

    def compute_enterprise_id(self):
        if self.is_enterprise:
            return self.pk
        return self.parent.enterprise_id if self.parent else None

    def save(self, *args, **kwargs):
        existed, before = self.pk is not None, self.enterprise_id
        # Known before the insert except for a new enterprise, which is its own enterprise once it has a pk.
        self.enterprise_id = self.compute_enterprise_id()
        super().save(*args, **kwargs)
        if self.is_enterprise and self.enterprise_id is None:
            self.enterprise_id = self.pk
            type(self).objects.filter(pk=self.pk).update(enterprise_id=self.pk)
            # The history row was written a moment ago without it; it is part of the same creation.
            type(self).history.filter(id=self.pk, enterprise_id__isnull=True).update(enterprise_id=self.pk)
        if existed and before != self.enterprise_id:
            for child in self.children.all():
                child.save()


class Person(models.Model):
    code = models.CharField(
        "编码", max_length=64, unique=True, help_text=CODE_HELP, validators=[validate_code]
    )
    name = models.CharField("姓名", max_length=100, db_index=True, validators=[validate_clean_text])
    email = models.EmailField("电子邮箱", blank=True)
    # The login of this person, if any: reminders reach them in the app as well as by mail.
    user = models.OneToOneField(
        "auth.User",
        verbose_name="系统账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    history = HistoricalRecords()

    objects = CodedQuerySet.as_manager()

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"


class CadreAuthority(models.TextChoices):
    """干部管理权限 goes with the post: whose 纪检监察 body decides on its holder."""

    CENTRAL = "central", "中管"
    PROVINCIAL = "provincial", "省管"
    CITY = "city", "市管"
    COUNTY = "county", "县管"
    OTHER = "other", "其他"


class Position(models.Model):
    code = models.CharField(
        "编码", max_length=64, unique=True, help_text=CODE_HELP, validators=[validate_code]
    )
    title = models.CharField("职务/岗位", max_length=200, validators=[validate_clean_text])
    unit = models.ForeignKey(
        Unit, verbose_name="所在单位", on_delete=models.PROTECT, related_name="positions"
    )
    # Before this day the post's tenure history is not complete: a day with no holder is unknown, not vacant.
    records_from = models.DateField(
        "任职记录完整起始日",
        null=True,
        blank=True,
        validators=[validate_day],
        help_text="此日之前无人任职的日子记为“未录入”，而非“空缺”；留空表示任职记录完整",
    )
    authority = models.CharField(
        "干部管理权限",
        max_length=12,
        choices=CadreAuthority.choices,
        blank=True,
        help_text="公职人员的处理建议移交该权限的纪检监察机关；留空表示未设置",
    )
    history = HistoricalRecords()

    objects = CodedQuerySet.as_manager()

    class Meta:
        verbose_name = "岗位/职务"
        verbose_name_plural = "岗位/职务"
        ordering = ["code"]

    def __str__(self):
        return f"{self.title}（{self.code}）"

    def is_unrecorded_on(self, day: dt.date) -> bool:
        """A day before the records start: nobody known to hold the post is 未录入, not 空缺."""
        return self.records_from is not None and day < self.records_from


def periods_overlap(
    start: dt.date, end: dt.date | None, other_start: dt.date, other_end: dt.date | None
) -> bool:
    """Two [start, end) periods (end None = still open) share a day. The rule "tenures of one position
    never overlap" (DESIGN §2) is this test, for the model, the admin's tenure rows and the import;
    `PeriodQuerySet.overlapping` is the same test in SQL, and PostgreSQL's exclusion constraint backs it."""
    return (other_end is None or start < other_end) and (end is None or other_start < end)


class PeriodQuerySet(models.QuerySet):
    def on(self, day: dt.date):
        """Rows whose [start, end) period contains `day`."""
        return self.filter(Q(end__isnull=True) | Q(end__gt=day), start__lte=day)

    def overlapping(self, start: dt.date, end: dt.date | None):
        """Rows whose [start, end) period shares a day with [start, end) (periods_overlap in SQL)."""
        qs = self.filter(Q(end__isnull=True) | Q(end__gt=start))
        return qs if end is None else qs.filter(start__lt=end)


class Tenure(models.Model):
    person = models.ForeignKey(Person, verbose_name="人员", on_delete=models.PROTECT, related_name="tenures")
    position = models.ForeignKey(
        Position, verbose_name="岗位", on_delete=models.PROTECT, related_name="tenures"
    )
    start = models.DateField("任职起", validators=[validate_day])
    end = models.DateField("任职止（不含）", null=True, blank=True, validators=[validate_day])
    # The appointment (任职文件), shown beside the person wherever a trace names them.
    document = models.CharField("任职文件", max_length=200, blank=True, validators=[validate_clean_text])
    history = HistoricalRecords()

    objects = PeriodQuerySet.as_manager()

    class Meta:
        verbose_name = "任职"
        verbose_name_plural = "任职"
        ordering = ["position", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")), name="tenure_end_after_start"
            ),
            models.UniqueConstraint(fields=["position", "start"], name="tenure_unique_position_start"),
        ]
        # PostgreSQL also holds an exclusion constraint (no overlapping periods per position): migration 0002.
        indexes = [models.Index(fields=["position", "start", "end"], name="tenure_position_period")]

    def __str__(self):
        return f"{self.person} @ {self.position} [{self.start}, {self.end or '…'})"

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    periods_overlap = staticmethod(periods_overlap)

    def overlaps(self, start: dt.date, end: dt.date | None) -> bool:
        return periods_overlap(self.start, self.end, start, end)

    def clean(self):
        super().clean()
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "任职止必须晚于任职起"})
        # The admin's tenure formset checks overlaps itself, across the rows of one save (a handover).
        if self.position_id and self.start and not getattr(self, "overlap_checked_by_formset", False):
            clash = Tenure.objects.filter(position_id=self.position_id).exclude(pk=self.pk)
            other = clash.overlapping(self.start, self.end).select_related("person").first()
            if other:
                raise ValidationError(
                    {
                        "start": f"{self.position.code}: 任职期间与 {other.person.code} 的任职 [{other.start}, {other.end or '…'}) 重叠"
                    }
                )


class Duty(models.Model):
    """One row of the duty matrix: a holder owes a type over a scope during [start, end)."""

    code = models.CharField(
        "编码", max_length=64, unique=True, help_text=CODE_HELP, validators=[validate_code]
    )
    type = models.CharField(
        "责任类型",
        max_length=20,
        choices=[c for c in DutyType.choices if c[0] not in DERIVED_TYPES],
        db_index=True,
    )
    holder_position = models.ForeignKey(
        Position,
        verbose_name="责任岗位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duties",
    )
    holder_unit = models.ForeignKey(
        Unit, verbose_name="责任单位", null=True, blank=True, on_delete=models.PROTECT, related_name="duties"
    )
    sectors = models.ManyToManyField(
        Sector, verbose_name="行业范围（空=全部）", blank=True, related_name="duties"
    )
    region = models.ForeignKey(
        Region,
        verbose_name="区划范围（空=责任单位所在区划）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duties",
    )
    enterprise = models.ForeignKey(
        Unit,
        verbose_name="限定企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scoped_duties",
        limit_choices_to={"kind": UnitKind.ENTERPRISE},
    )
    start = models.DateField("起", validators=[validate_day])
    end = models.DateField("止（不含）", null=True, blank=True, validators=[validate_day])
    basis = models.TextField("依据（文件、条款）", blank=True)
    history = HistoricalRecords(m2m_fields=[sectors])

    objects = PeriodQuerySet.as_manager()

    class Meta:
        verbose_name = "责任"
        verbose_name_plural = "责任清单"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(holder_position__isnull=False) & Q(holder_unit__isnull=True))
                | (Q(holder_position__isnull=True) & Q(holder_unit__isnull=False)),
                name="duty_exactly_one_holder",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")), name="duty_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["type", "start", "end"], name="duty_type_period")]

    def __str__(self):
        return f"{self.code} {self.get_type_display()}"

    @property
    def track(self) -> str:
        return track_of(self.type)

    @property
    def unit(self) -> Unit:
        """The unit that owes the duty: the holder unit, or the holder position's unit."""
        return self.holder_unit if self.holder_unit_id else self.holder_position.unit

    def _holds(self, name: str) -> bool:
        field = self._meta.get_field(name)
        return getattr(self, field.attname) is not None or (
            field.is_cached(self) and field.get_cached_value(self) is not None
        )

    def clean(self):
        super().clean()
        # An inline on a post or unit not saved yet sets the holder object before it has a key.
        if self._holds("holder_position") == self._holds("holder_unit"):
            raise ValidationError(
                {"holder_position": f"{self.code}: 责任主体必须是一个岗位或一个单位（二选一）"}
            )
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": f"{self.code}: 止必须晚于起"})
        if self.enterprise_id and self.enterprise.kind != UnitKind.ENTERPRISE:
            raise ValidationError({"enterprise": f"{self.code}: 限定企业必须是企业"})


class Permit(models.Model):
    """谁审批谁负责: the approving position answers for what it approved, as held on the approval day."""

    code = models.CharField(
        "编码", max_length=64, unique=True, help_text=CODE_HELP, validators=[validate_code]
    )
    name = models.CharField("许可/资质名称", max_length=200, blank=True, validators=[validate_clean_text])
    enterprise = models.ForeignKey(
        Unit,
        verbose_name="企业",
        on_delete=models.PROTECT,
        related_name="permits",
        limit_choices_to={"kind": "enterprise"},
    )
    sector = models.ForeignKey(Sector, verbose_name="行业", on_delete=models.PROTECT, related_name="permits")
    position = models.ForeignKey(
        Position, verbose_name="审批岗位", on_delete=models.PROTECT, related_name="permits"
    )
    approved_on = models.DateField("审批日期", validators=[validate_day])
    # Empty: the permit does not expire (a planning permit, a fire acceptance).
    valid_until = models.DateField(
        "有效期至（含，空=长期有效）", null=True, blank=True, validators=[validate_day]
    )
    history = HistoricalRecords()

    objects = CodedQuerySet.as_manager()

    class Meta:
        verbose_name = "行政许可"
        verbose_name_plural = "行政许可"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("approved_on")),
                name="permit_valid_after_approval",
                violation_error_message="有效期至不能早于审批日期",
            )
        ]
        indexes = [
            models.Index(fields=["enterprise", "approved_on", "valid_until"], name="permit_enterprise_valid")
        ]

    def __str__(self):
        return f"{self.name or self.code}（{self.code}）"

    def clean(self):
        super().clean()
        if self.valid_until and self.approved_on and self.valid_until < self.approved_on:
            raise ValidationError({"valid_until": f"{self.code}: 有效期至不能早于审批日期"})


class Inspection(models.Model):
    """谁检查谁负责: the inspectors answer for what they inspected, as held on the inspection day."""

    code = models.CharField(
        "编码", max_length=64, unique=True, help_text=CODE_HELP, validators=[validate_code]
    )
    enterprise = models.ForeignKey(
        Unit,
        verbose_name="被检查企业",
        on_delete=models.PROTECT,
        related_name="inspections",
        limit_choices_to={"kind": "enterprise"},
    )
    sector = models.ForeignKey(
        Sector, verbose_name="行业", on_delete=models.PROTECT, related_name="inspections"
    )
    unit = models.ForeignKey(
        Unit, verbose_name="检查单位", on_delete=models.PROTECT, related_name="inspections_made"
    )
    inspectors = models.ManyToManyField(Position, verbose_name="检查人员岗位", related_name="inspections")
    date = models.DateField("检查日期", validators=[validate_day])
    findings = models.TextField("检查发现", blank=True)
    history = HistoricalRecords(m2m_fields=[inspectors])

    objects = CodedQuerySet.as_manager()

    class Meta:
        verbose_name = "监督检查"
        verbose_name_plural = "监督检查"
        ordering = ["-date", "code"]
        indexes = [models.Index(fields=["enterprise", "date"], name="inspection_enterprise_date")]

    def __str__(self):
        return f"{self.code} {self.date}"


class CertificationKind(models.TextChoices):
    INSPECTION_REPORT = "inspection_report", "检验报告"
    TESTING = "testing", "检测报告"
    APPRAISAL = "appraisal", "鉴定报告"
    EVALUATION = "evaluation", "安全评价报告"
    ACCEPTANCE = "acceptance", "验收意见"


class Certification(models.Model):
    """谁出具谁负责: a technical service body's report on an enterprise's object; its signers answer for it,
    as held on the issue day (DESIGN §5.5)."""

    code = models.CharField(
        "编码", max_length=64, unique=True, help_text=CODE_HELP, validators=[validate_code]
    )
    kind = models.CharField("文书类别", max_length=20, choices=CertificationKind.choices)
    issuer = models.ForeignKey(
        Unit,
        verbose_name="出具机构",
        on_delete=models.PROTECT,
        related_name="certifications_issued",
        limit_choices_to={"kind": "enterprise"},
    )
    signers = models.ManyToManyField(
        Position, verbose_name="签字人员岗位", through="CertificationSigner", related_name="certifications"
    )
    enterprise = models.ForeignKey(
        Unit,
        verbose_name="被出具企业",
        on_delete=models.PROTECT,
        related_name="certifications",
        limit_choices_to={"kind": "enterprise"},
    )
    sector = models.ForeignKey(
        Sector, verbose_name="行业", on_delete=models.PROTECT, related_name="certifications"
    )
    issued_on = models.DateField("出具日期", validators=[validate_day])
    valid_until = models.DateField(
        "有效期至（含，空=出具后一直有效）", null=True, blank=True, validators=[validate_day]
    )
    conclusion = models.TextField("结论", blank=True, validators=[validate_clean_text])
    history = HistoricalRecords()

    objects = CodedQuerySet.as_manager()

    class Meta:
        verbose_name = "技术服务文书"
        verbose_name_plural = "技术服务文书（谁出具谁负责）"
        ordering = ["-issued_on", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("issued_on")),
                name="certification_valid_after_issue",
                violation_error_message="有效期至不能早于出具日期",
            )
        ]
        indexes = [models.Index(fields=["enterprise", "issued_on"], name="certification_enterprise")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.code}"

    @property
    def signer_codes(self) -> list[str]:
        """The signer positions in the order the document lists them (read from prefetched rows)."""
        return [row.position.code for row in self.signer_rows.all()]

    def clean(self):
        super().clean()
        if self.valid_until and self.issued_on and self.valid_until < self.issued_on:
            raise ValidationError({"valid_until": f"{self.code}: 有效期至不能早于出具日期"})
        for field_name in ("issuer", "enterprise"):
            unit = getattr(self, field_name, None) if getattr(self, f"{field_name}_id") else None
            if unit is not None and unit.kind != UnitKind.ENTERPRISE:
                raise ValidationError({field_name: f"{self.code}: {unit.code} 不是企业"})


class CertificationSigner(models.Model):
    """A signer of a certification, in the order the document lists them."""

    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, related_name="signer_rows", verbose_name="文书"
    )
    position = models.ForeignKey(
        Position, on_delete=models.PROTECT, related_name="signed", verbose_name="签字人员岗位"
    )
    order = models.PositiveSmallIntegerField("顺序", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "签字人员"
        verbose_name_plural = "签字人员"
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["certification", "position"], name="certification_signer_once")
        ]

    def __str__(self):
        return str(self.position)

    def clean(self):
        super().clean()
        # In the admin the certification may be unsaved yet: read it from the instance, not by id.
        certification = self._state.fields_cache.get("certification") or (
            Certification.objects.filter(pk=self.certification_id).first() if self.certification_id else None
        )
        if self.position_id and certification is not None and certification.issuer_id:
            if self.position.unit.enterprise_id != certification.issuer_id:
                raise ValidationError(
                    {"position": f"{self.position.code} 不属于出具机构 {certification.issuer.code}"}
                )


# ---- audit of imports -------------------------------------------------------------------------------


class ImportOutcome(models.TextChoices):
    IMPORTED = "imported", "已导入"
    REFUSED = "refused", "已拒绝（未写入）"


class ImportRun(models.Model):
    """One run of the scenario import: who, when, which file (by hash), and what it changed."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT
    )
    os_user = models.CharField("命令行用户", max_length=150, blank=True)
    source = models.CharField("文件", max_length=500, blank=True)
    sha256 = models.CharField("文件 SHA-256", max_length=64)
    size = models.PositiveBigIntegerField("字节数", default=0)
    outcome = models.CharField("结果", max_length=16, choices=ImportOutcome.choices)
    created = models.PositiveIntegerField("新增", default=0)
    changed = models.PositiveIntegerField("修改", default=0)
    counts = models.JSONField("各部分新增/修改", default=dict, blank=True)
    problems = models.JSONField("拒绝原因", default=list, blank=True)

    class Meta:
        verbose_name = "导入记录"
        verbose_name_plural = "导入记录"
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.source or self.sha256[:12]} {self.get_outcome_display()}"


# ---- object permissions (django-guardian, direct foreign keys: one indexed join, no generic lookups) ----


class UnitUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Unit, on_delete=models.CASCADE)
    # Scope is granted here: who granted or withdrew it, and when, is kept.
    history = HistoricalRecords()


class UnitGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Unit, on_delete=models.CASCADE)
    # Scope is granted here: who granted or withdrew it, and when, is kept.
    history = HistoricalRecords()


class RegionUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Region, on_delete=models.CASCADE)
    # Scope is granted here: who granted or withdrew it, and when, is kept.
    history = HistoricalRecords()


class RegionGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Region, on_delete=models.CASCADE)
    # Scope is granted here: who granted or withdrew it, and when, is kept.
    history = HistoricalRecords()
