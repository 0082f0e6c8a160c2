"""The admin of accidents and their casualty revisions (补报), through accountability/accidents.py."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from ..accidents import check_casualty_report, report_casualties
from ..grading import REPORT_WITHIN
from ..models import (
    Accident,
    CasualtyRevision,
)
from .common import (
    EventActorInline,
    EventPartyInline,
    InvestigatorInline,
    ReadOnlyInlineMixin,
    _copy_into,
    _form_errors,
    _open_cases,
)


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
    list_filter = ("grade", LateReportFilter, "investigation_level", "sector")
    search_fields = ("code", "title", "enterprise__code", "enterprise__name")
    autocomplete_fields = ("enterprise", "region", "sector", "unit", "post", "also_sectors")
    list_select_related = ("enterprise", "region", "sector", "case")
    date_hierarchy = "occurred_at"
    fieldsets = (
        (None, {"fields": ("code", "title", "enterprise", "region", "sector", "unit", "post")}),
        ("时间", {"fields": ("occurred_at", "reported_at", "event_day", "late_report")}),
        ("责任期间与涉及行业", {"fields": ("hazard_since", "also_sectors")}),
        ("提级调查", {"fields": ("investigation_level",)}),
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
