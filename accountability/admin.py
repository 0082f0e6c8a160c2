"""The admin of accountability: hazards, accidents, 一案双查 cases, their records and findings.

What is history stays history here. Hazard transitions, casualty revisions, a case's records and every
decision are read-only; a state change, a 补报, an extension, opening or closing a case, a finding and
its correction go through the services (hazards.py, accidents.py, cases.py), called by admin actions
and add forms, so the admin enforces the same rules as the pages and the API and keeps the same trail.
Changelists read related rows with joins or one prefetch, never a query per row.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Prefetch
from django.forms.models import BaseInlineFormSet, construct_instance
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from responsibility.models import DutyType, UnitKind

from .accidents import check_casualty_report, report_casualties
from .cases import (
    amend_finding,
    check_decision,
    close_case,
    closing_blockers,
    open_case,
    record_finding,
)
from .grading import REPORT_WITHIN
from .hazards import (
    check_extension_request,
    decide_extension,
    request_extension,
    start_rectification,
    submit_rectification,
    verify_and_close,
)
from .measures import label_of
from .models import (
    Accident,
    AccountabilityRecord,
    Case,
    CaseState,
    CasualtyRevision,
    CorrectiveAction,
    Decision,
    EducationActivity,
    EventActor,
    EventParty,
    ExtensionDecision,
    ExtensionRequest,
    Finding,
    Hazard,
    HazardListing,
    HazardTransition,
    Investigator,
    Measure,
)


def _messages_of(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _copy_into(target, source) -> None:
    """Admin add views log and redirect with the object they built; the service saved its own copy."""
    target.__dict__.update({k: v for k, v in source.__dict__.items() if k != "_state"})
    target._state.adding = False
    target._state.db = source._state.db


def _form_errors(form, exc: ValidationError, field_of: dict[str, str | None]) -> None:
    """A service's errors (keyed by its argument names) on the form fields they concern."""
    for key, messages_ in exc.message_dict.items():
        field = field_of.get(key, key)
        if field is not None and field not in form.fields:
            field = None
        for message in messages_:
            form.add_error(field, message)


class ReadOnlyInlineMixin:
    """History shown in place: no adding, editing or deleting through the inline."""

    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ---- parties and actors of an event ------------------------------------------------------------------


class EventPartyInline(admin.TabularInline):
    model = EventParty
    fields = ("enterprise", "role", "order")
    autocomplete_fields = ("enterprise",)
    extra = 0
    verbose_name_plural = "相关单位（建设、总包、分包、监理、安装……）"


class EventActorInline(admin.TabularInline):
    model = EventActor
    fields = ("person", "role", "of", "order")
    autocomplete_fields = ("person", "of")
    extra = 0
    verbose_name_plural = "相关责任人（单位之外的个人）"


class InvestigatorInline(admin.TabularInline):
    """The 调查组 (DESIGN §5.9): its units at or above the investigating level are no subjects of the case."""

    model = Investigator
    fields = ("order", "unit", "role")
    autocomplete_fields = ("unit",)
    extra = 0
    verbose_name_plural = "调查组（牵头单位在前；本级及以上成员单位的责任由上级另行处理）"


# ---- hazards -------------------------------------------------------------------------------------------


class HazardTransitionInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = HazardTransition
    fields = ("at", "from_state", "to_state", "by", "note", "evidence")
    readonly_fields = fields
    verbose_name_plural = "流转记录（只读）"


class ExtensionRequestInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ExtensionRequest
    fields = (
        "requested_at",
        "previous_deadline",
        "requested_deadline",
        "reason",
        "decision",
        "decided_at",
        "decided_by",
        "decision_note",
    )
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = "延期申请及审批（只读；在“延期申请”中新增与审批）"


class HazardListingForm(forms.ModelForm):
    class Meta:
        model = HazardListing
        fields = ("listing_unit", "listed_on", "due_on", "lifted_on", "document")

    def clean_listing_unit(self):
        unit = self.cleaned_data["listing_unit"]
        if unit.kind in (UnitKind.ENTERPRISE, UnitKind.ENTERPRISE_DEPT, UnitKind.TEAM):
            raise ValidationError("挂牌督办单位须为党委、政府或部门")
        return unit


class HazardListingInline(admin.StackedInline):
    model = HazardListing
    form = HazardListingForm
    fields = ("listing_unit", ("listed_on", "due_on"), "lifted_on", "document")
    autocomplete_fields = ("listing_unit",)
    extra = 0
    max_num = 1
    can_delete = False
    verbose_name_plural = "挂牌督办"


class OverdueFilter(admin.SimpleListFilter):
    """Derived from the deadline and the state on today's date (HazardQuerySet.overdue), never stored."""

    title = "是否逾期"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", "已逾期"), ("no", "未逾期"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.exclude(pk__in=Hazard.objects.overdue().values("pk"))
        return queryset


@admin.register(Hazard)
class HazardAdmin(SimpleHistoryAdmin):
    list_display = (
        "code",
        "title",
        "enterprise",
        "sector",
        "level",
        "state",
        "deadline",
        "overdue",
        "listed_until",
    )
    list_filter = ("state", "level", OverdueFilter, "source", "sector")
    search_fields = ("code", "title", "enterprise__code", "enterprise__name")
    autocomplete_fields = (
        "enterprise",
        "sector",
        "unit",
        "inspection",
        "responsible_position",
        "also_sectors",
    )
    list_select_related = ("enterprise", "sector", "listing")
    date_hierarchy = "found_on"
    fieldsets = (
        (
            None,
            {"fields": ("code", "title", "enterprise", "unit", "sector", "level", "source", "inspection")},
        ),
        ("责任期间与涉及行业", {"fields": ("hazard_since", "also_sectors")}),
        (
            "整改方案（五到位：措施、责任、资金、时限、预案）",
            {
                "fields": (
                    "found_on",
                    "measures",
                    "responsible_position",
                    "funds_yuan",
                    "deadline",
                    "contingency_plan",
                )
            },
        ),
        (
            "状态（经“操作”流转，自动记录）",
            {"fields": ("state", "original_deadline", "submitted_on", "review_due_on", "closed_on")},
        ),
    )
    inlines = (
        HazardListingInline,
        ExtensionRequestInline,
        EventPartyInline,
        EventActorInline,
        HazardTransitionInline,
    )
    actions = ("start_rectification_action", "submit_action", "close_action", "open_case_action")

    def get_readonly_fields(self, request, obj=None):
        fields = ["state", "original_deadline", "submitted_on", "review_due_on", "closed_on"]
        if obj is not None:
            # The deadline moves only by an approved extension, which keeps the one it replaces.
            fields.append("deadline")
        return fields

    @admin.display(description="逾期", boolean=True)
    def overdue(self, hazard):
        return hazard.is_overdue()

    @admin.display(description="督办期限")
    def listed_until(self, hazard):
        listing = getattr(hazard, "listing", None)
        return listing.due_on if listing and not listing.lifted_on else ""

    @admin.display(description="现场核查期限（10日）")
    def review_due_on(self, hazard):
        return hazard.review_due or "—"

    def _transition(self, request, queryset, service, done: str):
        moved = 0
        for hazard in queryset:
            try:
                service(hazard)
            except ValidationError as exc:
                self.message_user(request, f"{hazard.code}：{_messages_of(exc)}", messages.ERROR)
            else:
                moved += 1
        if moved:
            self.message_user(request, f"{moved} 条隐患{done}", messages.SUCCESS)

    @admin.action(description="开始整改（重大隐患须五到位）")
    def start_rectification_action(self, request, queryset):
        self._transition(
            request, queryset, lambda h: start_rectification(hazard=h, by=request.user), "已进入整改"
        )

    @admin.action(description="申请销号（整改完成）")
    def submit_action(self, request, queryset):
        self._transition(
            request, queryset, lambda h: submit_rectification(hazard=h, by=request.user), "已申请销号"
        )

    @admin.action(description="核查通过，销号")
    def close_action(self, request, queryset):
        self._transition(request, queryset, lambda h: verify_and_close(hazard=h, by=request.user), "已销号")

    @admin.action(description="立案（一案双查：逾期隐患）")
    def open_case_action(self, request, queryset):
        _open_cases(self, request, queryset, "hazard")


# ---- extension requests --------------------------------------------------------------------------------


class ExtensionRequestForm(forms.ModelForm):
    class Meta:
        model = ExtensionRequest
        fields = ("hazard", "requested_deadline", "reason")

    def clean(self):
        data = super().clean()
        if data.get("hazard") and data.get("requested_deadline"):
            try:
                check_extension_request(
                    hazard=data["hazard"],
                    new_deadline=data["requested_deadline"],
                    reason=data.get("reason", ""),
                )
            except ValidationError as exc:
                _form_errors(self, exc, {})
        return data


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(admin.ModelAdmin):
    """A request is added here and decided by an action; a decided request is never edited."""

    form = ExtensionRequestForm
    list_display = (
        "hazard",
        "previous_deadline",
        "requested_deadline",
        "decision",
        "requested_at",
        "requested_by",
        "decided_at",
        "decided_by",
    )
    list_filter = ("decision",)
    search_fields = ("hazard__code", "hazard__title", "reason")
    autocomplete_fields = ("hazard",)
    list_select_related = ("hazard", "requested_by", "decided_by")
    actions = ("approve_action", "deny_action")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("hazard", "requested_deadline", "reason")
        return (
            "hazard",
            "previous_deadline",
            "requested_deadline",
            "reason",
            "requested_at",
            "requested_by",
            "decision",
            "decided_at",
            "decided_by",
            "decision_note",
        )

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = request_extension(
            hazard=obj.hazard, new_deadline=obj.requested_deadline, reason=obj.reason, by=request.user
        )
        _copy_into(obj, saved)

    def _decide(self, request, queryset, approve: bool):
        decided = 0
        for extension in queryset.filter(decision=ExtensionDecision.PENDING):
            try:
                decide_extension(request=extension, approve=approve, by=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{extension}：{_messages_of(exc)}", messages.ERROR)
            else:
                decided += 1
        skipped = queryset.exclude(decision=ExtensionDecision.PENDING).count()
        if skipped:
            self.message_user(request, f"{skipped} 条申请已审批过，未再处理", messages.WARNING)
        if decided:
            self.message_user(
                request, f"{decided} 条延期申请已{'同意' if approve else '不同意'}", messages.SUCCESS
            )

    @admin.action(description="同意延期（整改期限随之变更，原期限保留）")
    def approve_action(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description="不同意延期")
    def deny_action(self, request, queryset):
        self._decide(request, queryset, False)


# ---- accidents -----------------------------------------------------------------------------------------


class CasualtyRevisionInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = CasualtyRevision
    fields = (
        "at",
        "deaths_before",
        "deaths_after",
        "serious_injuries_before",
        "serious_injuries_after",
        "loss_before",
        "loss_after",
        "grade_before",
        "grade_after",
        "by",
        "note",
    )
    readonly_fields = fields
    verbose_name_plural = "伤亡补报（只读；在“伤亡补报”中新增）"


class LateReportFilter(admin.SimpleListFilter):
    """迟报: reported more than one hour after it occurred (493号令 Art 9), derived from the two times."""

    title = "迟报"
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return (("yes", "迟报"), ("no", "按时报告"))

    def queryset(self, request, queryset):
        late = {"reported_at__gt": F("occurred_at") + REPORT_WITHIN}
        if self.value() == "yes":
            return queryset.filter(**late)
        if self.value() == "no":
            return queryset.exclude(**late)
        return queryset


@admin.register(Accident)
class AccidentAdmin(SimpleHistoryAdmin):
    list_display = (
        "code",
        "title",
        "enterprise",
        "region",
        "sector",
        "occurred_at",
        "grade",
        "late_report",
        "deaths",
        "serious_injuries",
        "direct_loss_yuan",
        "case_link",
    )
    list_filter = ("grade", LateReportFilter, "sector")
    search_fields = ("code", "title", "enterprise__code", "enterprise__name")
    autocomplete_fields = ("enterprise", "region", "sector", "unit", "post", "also_sectors")
    list_select_related = ("enterprise", "region", "sector", "case")
    date_hierarchy = "occurred_at"
    fieldsets = (
        (None, {"fields": ("code", "title", "enterprise", "region", "sector", "unit", "post")}),
        ("时间", {"fields": ("occurred_at", "reported_at", "event_day", "late_report")}),
        ("责任期间与涉及行业", {"fields": ("hazard_since", "also_sectors")}),
        (
            "伤亡与损失（等级据此计算，不可填写；登记后的变化经“伤亡补报”）",
            {"fields": ("deaths", "serious_injuries", "direct_loss_yuan", "grade")},
        ),
    )
    inlines = (EventPartyInline, EventActorInline, InvestigatorInline, CasualtyRevisionInline)
    actions = ("open_case_action",)

    def get_readonly_fields(self, request, obj=None):
        fields = ["grade", "event_day", "late_report"]
        if obj is not None:
            # A change of casualties is a 补报 (493号令 Art 13): it keeps a revision and widens an open case.
            fields += ["deaths", "serious_injuries", "direct_loss_yuan"]
        return fields

    @admin.display(description="迟报", boolean=True)
    def late_report(self, accident):
        return accident.is_late_report if accident.occurred_at else None

    @admin.display(description="事发日（北京时间）")
    def event_day(self, accident):
        return accident.event_day if accident.occurred_at else "—"

    @admin.display(description="一案双查")
    def case_link(self, accident):
        case = getattr(accident, "case", None)
        if case is None:
            return ""
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:accountability_case_change", args=[case.pk]), case.code
        )

    @admin.action(description="立案（一案双查）")
    def open_case_action(self, request, queryset):
        _open_cases(self, request, queryset, "accident")


def _open_cases(model_admin, request, queryset, source: str) -> None:
    for event in queryset:
        try:
            opened = open_case(**{source: event}, by=request.user)
        except ValidationError as exc:
            model_admin.message_user(request, f"{event.code}：{_messages_of(exc)}", messages.ERROR)
            continue
        url = reverse("admin:accountability_case_change", args=[opened.case.pk])
        verb = "已立案" if opened.created else "已有案件"
        model_admin.message_user(
            request,
            format_html(
                '{}：{} <a href="{}">{}</a>（{} 条责任认定记录）',
                event.code,
                verb,
                url,
                opened.case.code,
                opened.case.records.count(),
            ),
            messages.SUCCESS,
        )


class CasualtyReportForm(forms.ModelForm):
    """补报: the casualties and loss as now known; the service keeps the figures before and re-grades."""

    class Meta:
        model = CasualtyRevision
        fields = ("accident", "at", "deaths_after", "serious_injuries_after", "loss_after", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "at" in self.fields:
            self.fields["at"].initial = timezone.now

    def clean(self):
        data = super().clean()
        needed = ("accident", "at", "deaths_after", "serious_injuries_after", "loss_after")
        if all(data.get(name) is not None for name in needed):
            try:
                check_casualty_report(
                    accident=data["accident"],
                    deaths=data["deaths_after"],
                    serious_injuries=data["serious_injuries_after"],
                    direct_loss_yuan=data["loss_after"],
                    at=data["at"],
                )
            except ValidationError as exc:
                _form_errors(
                    self,
                    exc,
                    {
                        "deaths": "deaths_after",
                        "serious_injuries": "serious_injuries_after",
                        "direct_loss_yuan": "loss_after",
                    },
                )
        return data


@admin.register(CasualtyRevision)
class CasualtyRevisionAdmin(admin.ModelAdmin):
    """补报 is added here (the service re-grades the accident and widens its open case); never edited."""

    form = CasualtyReportForm
    list_display = ("accident", "at", "deaths_before", "deaths_after", "grade_before", "grade_after", "by")
    list_filter = ("grade_after",)
    search_fields = ("accident__code", "accident__title", "note")
    autocomplete_fields = ("accident",)
    list_select_related = ("accident", "by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("accident", "at", "deaths_after", "serious_injuries_after", "loss_after", "note")
        return (
            "accident",
            "at",
            "by",
            ("deaths_before", "deaths_after"),
            ("serious_injuries_before", "serious_injuries_after"),
            ("loss_before", "loss_after"),
            ("grade_before", "grade_after"),
            "note",
        )

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = report_casualties(
            accident=obj.accident,
            deaths=obj.deaths_after,
            serious_injuries=obj.serious_injuries_after,
            direct_loss_yuan=obj.loss_after,
            at=obj.at,
            note=obj.note,
            by=request.user,
        )
        _copy_into(obj, saved)


# ---- cases ---------------------------------------------------------------------------------------------


def _current(decisions) -> Decision | None:
    amended = {d.amends_id for d in decisions if d.amends_id}
    return next((d for d in reversed(decisions) if d.pk not in amended), None)


def _types_text(types) -> str:
    labels = dict(DutyType.choices)
    return "、".join(labels.get(t, t) for t in types)


class RecordInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = AccountabilityRecord
    fields = ("order", "track", "subject", "types_text", "vacant", "origin", "current_finding")
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = "责任认定记录（立案时冻结，只读）"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("decisions", queryset=Decision.objects.order_by("decided_at", "id")))
        )

    @admin.display(description="责任主体")
    def subject(self, record):
        return str(record)

    @admin.display(description="责任类型")
    def types_text(self, record):
        return _types_text(record.types)

    @admin.display(description="现行认定")
    def current_finding(self, record):
        current = _current(list(record.decisions.all()))
        return current.get_finding_display() if current else "未认定"


class _OpenCaseInlineMixin:
    """Rows a case gathers until it closes: added and edited while open, never deleted."""

    extra = 0
    can_delete = False

    def _open(self, obj) -> bool:
        return obj is not None and obj.state == CaseState.OPEN

    def has_add_permission(self, request, obj=None):
        return self._open(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._open(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class CorrectiveActionInline(_OpenCaseInlineMixin, admin.TabularInline):
    model = CorrectiveAction
    fields = ("description", "responsible", "due_on", "done_on", "verified_by")
    readonly_fields = ("verified_by",)
    verbose_name_plural = "整改措施（四不放过：整改措施落实）"


class EducationInline(_OpenCaseInlineMixin, admin.TabularInline):
    model = EducationActivity
    fields = ("held_on", "description", "participants", "recorded_by")
    readonly_fields = ("recorded_by",)
    verbose_name_plural = "警示教育（四不放过：有关人员受到教育）"


class CaseForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = (
            "title",
            "handlers",
            "cause",
            "investigation_extension_days",
            "report_submitted_on",
            "reply_on",
            "review_done_on",
        )

    def clean_investigation_extension_days(self):
        days = self.cleaned_data["investigation_extension_days"] or 0
        stored = self.instance.investigation_extension_days if self.instance.pk else 0
        if days != stored:
            if self.instance.hazard_id:
                raise ValidationError("逾期隐患案件没有法定调查期限")
            if stored:
                raise ValidationError("调查期限只能延长一次（493号令第二十九条）")
            if days > 60:
                raise ValidationError("延长不得超过 60 日")
        return days


@admin.register(Case)
class CaseAdmin(SimpleHistoryAdmin):
    """Opened from an accident or an overdue hazard (their action), closed by the 四不放过 action."""

    form = CaseForm
    list_display = ("code", "title", "source", "grade", "state", "event_day", "record_count", "opened_at")
    list_filter = ("state", "grade")
    search_fields = ("code", "title", "accident__code", "hazard__code")
    autocomplete_fields = ("handlers",)
    list_select_related = ("accident", "hazard")
    date_hierarchy = "event_day"
    readonly_fields = (
        "code",
        "source",
        "grade",
        "event_day",
        "state",
        "opened_at",
        "opened_by",
        "cause_recorded_at",
        "deadlines",
        "four_nots",
        "closed_at",
        "closed_by",
    )
    fieldsets = (
        (None, {"fields": ("code", "title", "source", "grade", "event_day", "state", "handlers")}),
        ("立案", {"fields": ("opened_at", "opened_by")}),
        (
            "调查与批复（493号令第二十九、三十二条；安全生产法第八十六条）",
            {
                "fields": (
                    "investigation_extension_days",
                    "report_submitted_on",
                    "reply_on",
                    "review_done_on",
                    "deadlines",
                )
            },
        ),
        ("四不放过", {"fields": ("cause", "cause_recorded_at", "four_nots", "closed_at", "closed_by")}),
    )
    inlines = (RecordInline, CorrectiveActionInline, EducationInline)
    actions = ("close_action",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_records=Count("records"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.state == CaseState.CLOSED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="来源")
    def source(self, case):
        if case.accident_id:
            url = reverse("admin:accountability_accident_change", args=[case.accident_id])
            return format_html('事故 <a href="{}">{}</a>', url, case.accident.code)
        url = reverse("admin:accountability_hazard_change", args=[case.hazard_id])
        return format_html('逾期隐患 <a href="{}">{}</a>', url, case.hazard.code)

    @admin.display(description="记录数", ordering="n_records")
    def record_count(self, case):
        return case.n_records

    @admin.display(description="法定期限")
    def deadlines(self, case):
        rows = [
            ("调查报告", case.investigation_due),
            ("批复", case.reply_due),
            ("回头看", case.review_due),
        ]
        return format_html_join(
            "", "<div>{}：{}</div>", ((label, due or "—") for label, due in rows if case.accident_id or due)
        )

    @admin.display(description="结案条件")
    def four_nots(self, case):
        if case.state == CaseState.CLOSED:
            return "已结案"
        blockers = closing_blockers(case)
        if not blockers:
            return "四不放过条件均已满足，可结案"
        return format_html_join("", "<div>✗ {}</div>", ((message,) for _code, message in blockers))

    def save_model(self, request, obj, form, change):
        if "cause" in form.changed_data:
            obj.cause = obj.cause.strip()
            obj.cause_recorded_at = timezone.now() if obj.cause else None
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        rows = formset.save(commit=False)
        for row in rows:
            if isinstance(row, CorrectiveAction) and row.done_on and not row.verified_by_id:
                row.verified_by = request.user
            if isinstance(row, EducationActivity) and not row.pk:
                row.recorded_by = request.user
            row.save()
        formset.save_m2m()

    @admin.action(description="结案（四不放过）")
    def close_action(self, request, queryset):
        for case in queryset:
            try:
                close_case(case=case, by=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{case.code} 不能结案：{_messages_of(exc)}", messages.ERROR)
            else:
                self.message_user(request, f"{case.code} 已结案", messages.SUCCESS)


# ---- records and decisions -----------------------------------------------------------------------------


class CurrentFindingFilter(admin.SimpleListFilter):
    title = "现行认定"
    parameter_name = "finding"

    def lookups(self, request, model_admin):
        return (*Finding.choices, ("none", "未认定"))

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(decisions__isnull=True)
        if self.value() in Finding.values:
            # One filter() call: the same decision row is both of this finding and not amended.
            return queryset.filter(decisions__finding=self.value(), decisions__amended_by__isnull=True)
        return queryset


class DecisionInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Decision
    fk_name = "record"
    fields = ("decided_at", "finding", "grounds", "measures_text", "amends", "amendment_reason", "decided_by")
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = "认定及更正（只读；更正请新增一条“更正的认定”）"

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("decided_by", "amends").prefetch_related("measures")
        )

    @admin.display(description="处理措施")
    def measures_text(self, decision):
        return _measures_text(decision.measures.all())


def _measures_text(measures) -> str:
    parts = []
    for m in measures:
        extra = [x for x in (m.detail, f"{m.period_months}个月" if m.period_months else "", m.article) if x]
        if m.amount_yuan is not None:
            extra.append(f"¥{m.amount_yuan}")
        parts.append(label_of(m.kind) + (f"（{'，'.join(extra)}）" if extra else ""))
    return "；".join(parts) or "—"


@admin.register(AccountabilityRecord)
class AccountabilityRecordAdmin(admin.ModelAdmin):
    """Records are frozen when a case opens (and added by investigators on the case page): read-only."""

    list_display = ("subject", "case", "track", "types_text", "vacant", "origin", "current_finding")
    list_filter = ("track", CurrentFindingFilter, "origin", "vacant", "case__state")
    search_fields = (
        "case__code",
        "unit_code",
        "position_code",
        "person_code",
        "unit__name",
        "position__title",
        "person__name",
    )
    list_select_related = ("case",)
    fields = (
        "case",
        "track",
        "types_text",
        "unit_code",
        "position_code",
        "person_code",
        "vacant",
        "origin",
        "added_reason",
        "snapshot_text",
        "current_finding",
        "created_at",
    )
    readonly_fields = fields
    inlines = (DecisionInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("decisions", queryset=Decision.objects.order_by("decided_at", "id")))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="责任主体")
    def subject(self, record):
        return str(record)

    @admin.display(description="责任类型")
    def types_text(self, record):
        return _types_text(record.types)

    @admin.display(description="现行认定")
    def current_finding(self, record):
        current = _current(list(record.decisions.all()))
        return current.get_finding_display() if current else "未认定"

    @admin.display(description="事发时快照（名称、职务、依据）")
    def snapshot_text(self, record):
        snap = record.snapshot
        head = format_html(
            "<div>{} {} {}（{}，{}）</div>",
            snap.get("unit_name", ""),
            snap.get("position_title", ""),
            snap.get("person_name") or ("空缺" if snap.get("vacant") else ""),
            snap.get("region_name", ""),
            snap.get("event_day", ""),
        )
        links = format_html_join(
            "",
            "<div>· {}：{}</div>",
            (
                (link.get("type_label") or link.get("type"), link.get("basis", ""))
                for link in snap.get("links", [])
            ),
        )
        return head + links

    def change_view(self, request, object_id, form_url="", extra_context=None):
        record = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if record is not None and record.case.state == CaseState.OPEN:
            current = _current(list(record.decisions.all()))
            extra_context["decide_url"] = _decide_url(record, current)
            extra_context["decide_label"] = "更正认定" if current else "作出认定"
        return super().change_view(request, object_id, form_url, extra_context)


def _decide_url(record, current: Decision | None) -> str:
    params = {"record": record.pk}
    if current is not None:
        params["amends"] = current.pk
    return f"{reverse('admin:accountability_decision_add')}?{urlencode(params)}"


class DecisionForm(forms.ModelForm):
    class Meta:
        model = Decision
        fields = ("record", "finding", "grounds", "amends", "amendment_reason")

    refused = False

    def clean(self):
        data = super().clean()
        if data.get("record") and data.get("finding"):
            try:
                check_decision(
                    record=data["record"],
                    finding=data["finding"],
                    category=data.get("category", ""),
                    grounds=data.get("grounds", ""),
                    amends=data.get("amends"),
                    reason=data.get("amendment_reason", ""),
                )
            except ValidationError as exc:
                self.refused = True
                _form_errors(self, exc, {"case": "record", "reason": "amendment_reason", "measures": None})
        return data

    def _post_clean(self):
        if self.refused:
            # The model's constraints would only repeat what the service said, in their own words;
            # the instance is still built, for the measures' formset to check against its record.
            self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
            return
        super()._post_clean()


class MeasureFormSet(BaseInlineFormSet):
    """Measures are checked against the record (a 政务处分 needs a person, 移送司法 an article …)."""

    def clean(self):
        super().clean()
        decision = self.instance
        if decision.record_id is None or not decision.finding:
            return
        rows = [
            (form, form.cleaned_data)
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("kind")
        ]
        measures = [{k: v for k, v in data.items() if k in MEASURE_FIELDS} for _form, data in rows]
        try:
            check_decision(
                record=decision.record,
                finding=decision.finding,
                category=decision.category,
                grounds=decision.grounds,
                measures=measures,
                amends=decision.amends,
                reason=decision.amendment_reason,
            )
        except ValidationError as exc:
            for key, messages_ in exc.message_dict.items():
                if key.startswith("measures["):
                    index, field = key[len("measures[") :].split("].")
                    for message in messages_:
                        rows[int(index)][0].add_error(field, message)
                elif key == "measures":
                    raise ValidationError(messages_) from None

    def measure_rows(self) -> list[dict]:
        return [
            {k: v for k, v in form.cleaned_data.items() if k in MEASURE_FIELDS}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("kind")
        ]


MEASURE_FIELDS = ("kind", "detail", "period_months", "amount_yuan", "article")


class MeasureInline(admin.TabularInline):
    model = Measure
    formset = MeasureFormSet
    fields = MEASURE_FIELDS
    extra = 1
    can_delete = False
    verbose_name_plural = "处理措施（认定负有责任的须有措施；政务处分期间按法定）"

    def has_add_permission(self, request, obj=None):
        return obj is None and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    """A finding is added, never changed: a correction is a new decision that `amends` the current one."""

    form = DecisionForm
    list_display = ("record", "case_code", "finding", "is_current", "amends", "decided_at", "decided_by")
    list_filter = ("finding", "record__track", "record__case__state")
    search_fields = (
        "record__case__code",
        "record__person_code",
        "record__person__name",
        "record__unit_code",
        "record__position_code",
        "grounds",
    )
    autocomplete_fields = ("record", "amends")
    list_select_related = ("record__case", "amends", "decided_by", "amended_by")
    inlines = (MeasureInline,)
    actions = ("amend_action",)

    def get_fields(self, request, obj=None):
        fields = ["record", "finding", "category", "grounds", "amends", "amendment_reason"]
        return fields if obj is None else [*fields, "decided_at", "decided_by", "amended_by_link"]

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        # No change permission on an existing decision: its page is read-only, a POST is refused.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="案件", ordering="record__case__code")
    def case_code(self, decision):
        return decision.record.case.code

    @admin.display(description="现行", boolean=True)
    def is_current(self, decision):
        try:
            decision.amended_by  # noqa: B018 - the reverse one-to-one raises when nothing amends it
        except Decision.DoesNotExist:
            return True
        return False

    @admin.display(description="已被更正为")
    def amended_by_link(self, decision):
        try:
            later = decision.amended_by
        except Decision.DoesNotExist:
            return "—（现行认定）"
        url = reverse("admin:accountability_decision_change", args=[later.pk])
        return format_html('<a href="{}">{}</a>', url, later)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        decision = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if (
            decision is not None
            and self.is_current(decision)
            and decision.record.case.state == CaseState.OPEN
        ):
            extra_context["amend_url"] = _decide_url(decision.record, decision)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """Saved with its measures through the service, in save_related (it needs the inline rows)."""

    def save_related(self, request, form, formsets, change):
        measures = [row for formset in formsets for row in formset.measure_rows()]
        decision = form.instance
        if decision.amends_id:
            saved = amend_finding(
                record=decision.record,
                finding=decision.finding,
                category=decision.category,
                reason=decision.amendment_reason,
                grounds=decision.grounds,
                measures=measures,
                by=request.user,
            )
        else:
            saved = record_finding(
                record=decision.record,
                finding=decision.finding,
                category=decision.category,
                grounds=decision.grounds,
                measures=measures,
                by=request.user,
            )
        _copy_into(decision, saved)
        for formset in formsets:  # the service wrote the measures; the change message reads these
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    @admin.action(description="更正所选认定（新增一条更正的认定）")
    def amend_action(self, request, queryset):
        chosen = list(queryset.select_related("record__case")[:2])
        if len(chosen) != 1:
            self.message_user(request, "请只选择一条认定进行更正", messages.WARNING)
            return None
        decision = chosen[0]
        if not self.is_current(decision):
            self.message_user(request, "该认定已被更正，请更正现行认定", messages.WARNING)
            return None
        if decision.record.case.state != CaseState.OPEN:
            self.message_user(request, "案件已结案，不能再更正", messages.ERROR)
            return None
        return redirect(_decide_url(decision.record, decision))
