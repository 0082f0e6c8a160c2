"""The admin of 一案双查 cases: opening, cause, corrective actions, education and closing, through accountability/cases/."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from ..cases import (
    add_corrective_action,
    close_case,
    closing_blockers,
    complete_corrective_action,
    extend_investigation,
    record_cause,
    record_education,
    timeline,
)
from ..cases.work import check_investigation_extension
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


class CorrectiveActionForm(forms.ModelForm):
    class Meta:
        model = CorrectiveAction
        fields = ("description", "responsible", "due_on", "done_on")

    def clean_done_on(self):
        done_on = self.cleaned_data.get("done_on")
        if self.instance.pk and self.instance.done_on and done_on != self.instance.done_on:
            # complete_corrective_action's rule: a confirmed completion stands.
            raise ValidationError("该整改措施已确认完成")
        return done_on

    def clean(self):
        data = super().clean()
        if not self.errors:  # the case's timeline (cases/timeline.py), as the page and the API
            timeline.check_action_due(self.instance.case, due_on=data.get("due_on"))
            if data.get("done_on") and data["done_on"] != self.instance.done_on:
                timeline.check_action_done(self.instance.case, done_on=data["done_on"])
        return data


class CorrectiveActionInline(_OpenCaseInlineMixin, admin.TabularInline):
    model = CorrectiveAction
    form = CorrectiveActionForm
    fields = ("description", "responsible", "due_on", "done_on", "verified_by")
    readonly_fields = ("verified_by",)
    verbose_name_plural = "整改措施（四不放过：整改措施落实）"


class EducationForm(forms.ModelForm):
    class Meta:
        model = EducationActivity
        fields = ("held_on", "description", "participants")

    def clean(self):
        data = super().clean()
        if not self.errors:
            timeline.check_education(
                self.instance.case, held_on=data.get("held_on"), participants=data.get("participants")
            )
        return data


class EducationInline(_OpenCaseInlineMixin, admin.TabularInline):
    model = EducationActivity
    form = EducationForm
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
            try:  # extend_investigation's rule (493号令第二十九条)
                check_investigation_extension(case=self.instance, days=days, stored=stored)
            except ValidationError as exc:
                raise ValidationError(exc.message_dict["days"]) from None
        return days

    def clean(self):
        data = super().clean()
        if not self.errors:
            timeline.check_report_dates(
                self.instance,
                report_submitted_on=data.get("report_submitted_on"),
                reply_on=data.get("reply_on"),
                review_done_on=data.get("review_done_on"),
            )
        return data

    def clean_cause(self):
        cause = self.cleaned_data["cause"].strip()
        if not cause and self.instance.cause:
            raise ValidationError("原因不能为空（已查明的原因可以改写，不能删去）")
        return cause


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
        return (
            super()
            .get_queryset(request)
            .annotate(n_records=Count("records", filter=Q(records__withdrawn_at__isnull=True)))
        )

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
        if case.finding_id:
            url = reverse("admin:accountability_govfinding_change", args=[case.finding_id])
            return format_html('督查问题 <a href="{}">{}</a>', url, case.finding.code)
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

    # Fields written only by their services (accountability/cases/work.py), after the plain fields.
    SERVICE_FIELDS = ("cause", "investigation_extension_days")

    def save_model(self, request, obj, form, change):
        wanted = {name: getattr(obj, name) for name in self.SERVICE_FIELDS if name in form.changed_data}
        for name in wanted:
            setattr(obj, name, form.initial.get(name) or type(wanted[name])())
        super().save_model(request, obj, form, change)
        if wanted.get("cause"):
            record_cause(case=obj, cause=wanted["cause"], by=request.user)
        if wanted.get("investigation_extension_days"):
            extend_investigation(case=obj, days=wanted["investigation_extension_days"], by=request.user)

    def save_formset(self, request, form, formset, change):
        """Corrective actions and education go through their services; records are read-only here."""
        if formset.model not in (CorrectiveAction, EducationActivity):
            return super().save_formset(request, form, formset, change)
        case = form.instance
        formset.save(commit=False)
        for row in formset.new_objects:
            if isinstance(row, EducationActivity):
                saved = record_education(
                    case=case,
                    held_on=row.held_on,
                    description=row.description,
                    participants=row.participants,
                    by=request.user,
                )
            else:
                saved = add_corrective_action(
                    case=case, description=row.description, responsible=row.responsible, due_on=row.due_on
                )
                if row.done_on:
                    complete_corrective_action(action=saved, done_on=row.done_on, by=request.user)
            row.pk = saved.pk
        for row, changed in formset.changed_objects:
            plain = [name for name in changed if name != "done_on"]
            if plain:
                row.save(update_fields=plain)
            if "done_on" in changed and row.done_on:
                complete_corrective_action(action=row, done_on=row.done_on, by=request.user)
        return None

    @admin.action(description="结案（四不放过）")
    def close_action(self, request, queryset):
        for case in queryset:
            try:
                close_case(case=case, by=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{case.code} 不能结案：{_messages_of(exc)}", messages.ERROR)
            else:
                self.message_user(request, f"{case.code} 已结案", messages.SUCCESS)
