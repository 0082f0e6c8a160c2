"""The admin of accountability records and their decisions (finding, correction, measures); decisions are history."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.forms.models import BaseInlineFormSet, construct_instance
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ..cases import (
    amend_finding,
    check_decision,
    record_finding,
)
from ..measures import label_of
from ..models import (
    AccountabilityRecord,
    CaseState,
    Decision,
    Finding,
    Measure,
)
from .common import ReadOnlyInlineMixin, _copy_into, _form_errors, _types_text


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
        current = record.current_decision
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
            current = record.current_decision
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
        fields = ("record", "finding", "grounds", "no_measure_reason", "amends", "amendment_reason")

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
                no_measure_reason=decision.no_measure_reason,
                require_measure=True,
            )
        except ValidationError as exc:
            for key, messages_ in exc.message_dict.items():
                if key.startswith("measures["):
                    index, field = key[len("measures[") :].split("].")
                    for message in messages_:
                        rows[int(index)][0].add_error(field, message)
                elif key in ("measures", "no_measure_reason"):
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
        fields = [
            "record",
            "finding",
            "category",
            "grounds",
            "no_measure_reason",
            "amends",
            "amendment_reason",
        ]
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
        return decision.is_current

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
                no_measure_reason=decision.no_measure_reason,
                require_measure=True,
                measures=measures,
                by=request.user,
            )
        else:
            saved = record_finding(
                record=decision.record,
                finding=decision.finding,
                category=decision.category,
                grounds=decision.grounds,
                no_measure_reason=decision.no_measure_reason,
                require_measure=True,
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
