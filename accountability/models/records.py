"""Accountability records of a case, their decisions (findings and corrections) and measures."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from responsibility.models import (
    Person,
    Position,
    Unit,
)
from responsibility.validators import validate_day

from ..measures import channel_of, label_of
from ..measures import choices as measure_choices
from .cases import Case
from .corrections import Correctable


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


class AccountabilityRecord(Correctable):
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
            # A withdrawn subject (added by mistake) does not stop the right one being added; a
            # 回头看 holds a subject to account again in its own round, the earlier record kept as it was.
            models.UniqueConstraint(
                fields=["case", "track", "unit_code", "position_code", "person_code"],
                condition=Q(withdrawn_at__isnull=True) & ~Q(origin="review"),
                name="record_one_per_subject",
            ),
            models.UniqueConstraint(
                fields=["case", "track", "unit_code", "position_code", "person_code"],
                condition=Q(withdrawn_at__isnull=True, origin="review"),
                name="record_one_per_subject_in_review",
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

    @cached_property
    def decision_history(self) -> list[Decision]:
        """Every decision on this record, oldest first, the amended ones included (prefetch
        `decisions` to read many records in one query)."""
        return sorted(self.decisions.all(), key=lambda d: (d.decided_at, d.pk))

    @cached_property
    def current_decision(self) -> Decision | None:
        """The record's standing finding: the decision no later decision amends (None: undecided).
        The one definition, in memory; `DecisionQuerySet.current()` is the same rule in SQL."""
        amended = {d.amends_id for d in self.decision_history if d.amends_id}
        return next((d for d in reversed(self.decision_history) if d.pk not in amended), None)


class DecisionQuerySet(models.QuerySet):
    def current(self):
        """The decisions no later decision amends: each record's standing finding (in memory:
        `AccountabilityRecord.current_decision`)."""
        return self.filter(amended_by__isnull=True)


class Decision(models.Model):
    """A finding on a record. Never edited: a correction is a new decision that `amends` this one."""

    record = models.ForeignKey(AccountabilityRecord, on_delete=models.PROTECT, related_name="decisions")
    finding = models.CharField("认定结论", max_length=16, choices=Finding.choices)
    # Required for responsible/deceased by the services; decisions made before categories existed keep "".
    category = models.CharField("责任类别", max_length=24, choices=Category.choices, blank=True)
    grounds = models.TextField("事实与依据（尽职免责须写明）", blank=True)
    # 负有责任 with no measure must say why (免予处理), never be left at an empty proposal.
    no_measure_reason = models.TextField("免予处理理由", blank=True)
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

    @property
    def is_current(self) -> bool:
        """No later decision amends this one (`DecisionQuerySet.current()` for one row)."""
        try:
            self.amended_by  # noqa: B018 - the reverse one-to-one raises when nothing amends it
        except Decision.DoesNotExist:
            return True
        return False

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("allow_update", False):
            raise ValueError("a decision is never edited in place; record an amendment")
        super().save(*args, **kwargs)


class Measure(Correctable):
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
    decided_on = models.DateField("决定日期", null=True, blank=True, validators=[validate_day])
    # Who entered it: a decision that came back is entered by the inspector, not the original finder.
    recorded_by = models.ForeignKey(
        "auth.User", verbose_name="录入人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("录入时间", default=timezone.now)

    class Meta:
        verbose_name = "处理措施"
        verbose_name_plural = "处理措施"
        ordering = ["id"]

    def __str__(self):
        return label_of(self.kind)

    @property
    def channel(self) -> str:
        return channel_of(self.kind)
