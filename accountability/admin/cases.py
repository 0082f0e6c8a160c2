"""The admin of 一案双查 cases: opening, cause, corrective actions, education and closing, through accountability/cases/."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from ..cases import (
    close_case,
    closing_blockers,
)
from ..models import (
    AccountabilityRecord,
    Case,
    CaseState,
    CorrectiveAction,
    Decision,
    EducationActivity,
)
from .common import ReadOnlyInlineMixin, _messages_of, _types_text


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
        current = record.current_decision
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
