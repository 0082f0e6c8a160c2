"""The admin of the duty matrix (DESIGN §1: 安委办 staff build and edit the chains here).

Every model keeps its history (SimpleHistoryAdmin): who changed which duty or tenure, and what it
said before, is the audit trail an accountability case leans on. Changelists read their related rows
with joins (`list_select_related`) or one prefetch, never a query per row.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from .admin_import_export import (
    DutyImportExportMixin,
    PersonImportExportMixin,
    PositionImportExportMixin,
    RegionImportExportMixin,
    SectorImportExportMixin,
    TenureImportExportMixin,
    UnitImportExportMixin,
)
from .admin_views import chain_view
from .models import (
    SUPERVISION_TYPES,
    Certification,
    CertificationSigner,
    Duty,
    Inspection,
    Permit,
    Person,
    Position,
    Region,
    Sector,
    Tenure,
    Track,
    Unit,
)


class TrackFilter(admin.SimpleListFilter):
    """主体责任 / 监管责任: the track is derived from the type, so filter on the types of each track."""

    title = "责任轨道"
    parameter_name = "track"

    def lookups(self, request, model_admin):
        return Track.choices

    def queryset(self, request, queryset):
        if self.value() == Track.SUPERVISION:
            return queryset.filter(type__in=SUPERVISION_TYPES)
        if self.value() == Track.ENTERPRISE:
            return queryset.exclude(type__in=SUPERVISION_TYPES)
        return queryset


# ---- inlines -------------------------------------------------------------------------------------


class InlineForm(forms.ModelForm):
    """An error the model puts on a hidden field (the inline's own foreign key) is shown on the row."""

    def _post_clean(self):
        super()._post_clean()
        for name in [n for n in self.errors if n in self.fields and self.fields[n].widget.is_hidden]:
            for message in self.errors.pop(name):
                self.add_error(None, message)


class TenureFormSet(BaseInlineFormSet):
    """Overlaps are checked here, against the other rows of this save and the stored rows it leaves
    alone, so a handover (end the old tenure, add the successor) is accepted in one save, and each
    clash is shown at the row's start date."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.overlap_checked_by_formset = True
        return form

    def clean(self):
        super().clean()
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE") or not data.get("start") or not data.get("position"):
                continue
            rows.append((form, data["position"], data["start"], data.get("end")))
        for i, (_form, position, start, end) in enumerate(rows):
            for other, other_position, other_start, other_end in rows[i + 1 :]:
                if position == other_position and Tenure.periods_overlap(start, end, other_start, other_end):
                    other.add_error("start", f"同一岗位的任职期间不得重叠：与本次填写的 {start} 起的任职重叠")
        # Stored rows of these positions that this save does not touch (the edited ones count as edited).
        touched = [form.instance.pk for form in self.forms if form.instance.pk]
        positions = {position.pk for _form, position, _s, _e in rows if position.pk}
        stored = (
            Tenure.objects.filter(position_id__in=positions).exclude(pk__in=touched).select_related("person")
        )
        for form, position, start, end in rows:
            for tenure in stored:
                if tenure.position_id == position.pk and tenure.overlaps(start, end):
                    form.add_error(
                        "start",
                        f"任职期间与 {tenure.person.name}（{tenure.person.code}）的任职"
                        f" [{tenure.start}, {tenure.end or '…'}) 重叠",
                    )


class PositionTenureInline(admin.TabularInline):
    model = Tenure
    form = InlineForm
    formset = TenureFormSet
    fk_name = "position"
    fields = ("person", "start", "end", "document")
    autocomplete_fields = ("person",)
    extra = 0
    show_change_link = True
    verbose_name = "任职"
    verbose_name_plural = "任职（谁在何时担任本岗位）"


class PersonTenureInline(admin.TabularInline):
    model = Tenure
    form = InlineForm
    formset = TenureFormSet
    fk_name = "person"
    fields = ("position", "start", "end", "document")
    autocomplete_fields = ("position",)
    extra = 0
    show_change_link = True
    verbose_name_plural = "任职经历"


class PositionDutyInline(admin.StackedInline):
    model = Duty
    form = InlineForm
    fk_name = "holder_position"
    fields = (("code", "type"), "sectors", ("region", "enterprise"), ("start", "end"), "basis")
    autocomplete_fields = ("sectors", "region", "enterprise")
    extra = 0
    show_change_link = True
    verbose_name_plural = "本岗位承担的责任"


class UnitDutyInline(PositionDutyInline):
    fk_name = "holder_unit"
    verbose_name_plural = "本单位承担的责任（单位责任）"


class UnitPositionInline(admin.TabularInline):
    model = Position
    form = InlineForm
    fields = ("code", "title")
    extra = 0
    show_change_link = True
    verbose_name_plural = "本单位的岗位/职务"


# ---- the trees -----------------------------------------------------------------------------------


class RegionForm(forms.ModelForm):
    def _post_clean(self):
        # Region.clean looks its level up in LEVEL_RANK; with no valid level (already a form error) that
        # lookup raises KeyError, so model validation waits until the level is valid.
        if "level" in self.errors:
            return
        super()._post_clean()


@admin.register(Region)
class RegionAdmin(RegionImportExportMixin, SimpleHistoryAdmin):
    form = RegionForm
    list_display = ("code", "name", "level", "parent", "path")
    list_filter = ("level",)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    readonly_fields = ("path",)
    fields = ("code", "name", "level", "parent", "path")
    list_select_related = ("parent",)


@admin.register(Sector)
class SectorAdmin(SectorImportExportMixin, SimpleHistoryAdmin):
    list_display = ("code", "name", "parent", "path")
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    readonly_fields = ("path",)
    fields = ("code", "name", "parent", "path")
    list_select_related = ("parent",)


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ("code", "name", "kind", "region", "parent", "sectors")

    def clean(self):
        data = super().clean()
        problem = Unit.sectors_problem(data.get("kind"), data.get("sectors"))
        if problem:
            self.add_error("sectors", problem)
        return data


@admin.register(Unit)
class UnitAdmin(UnitImportExportMixin, SimpleHistoryAdmin):
    form = UnitForm
    list_display = ("code", "name", "kind", "region", "parent", "enterprise", "chain_link")
    list_filter = ("kind", ("region__level", admin.ChoicesFieldListFilter), "sectors")
    search_fields = ("code", "name")
    autocomplete_fields = ("region", "parent", "sectors")
    readonly_fields = ("enterprise", "path")
    fields = ("code", "name", "kind", "region", "parent", "sectors", "enterprise", "path")
    list_select_related = ("region", "parent", "enterprise")
    inlines = (UnitPositionInline, UnitDutyInline)
    change_form_template = "admin/responsibility/unit/change_form.html"

    def get_urls(self):
        chain = path(
            "<path:object_id>/chain/",
            self.admin_site.admin_view(self.chain_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_chain",
        )
        return [chain, *super().get_urls()]

    def chain_view(self, request, object_id):
        return chain_view(self, request, object_id)

    @admin.display(description="责任链")
    def chain_link(self, unit):
        if not unit.is_enterprise:
            return ""
        url = reverse(f"{self.admin_site.name}:responsibility_unit_chain", args=[unit.pk])
        return format_html('<a href="{}">按日期查询</a>', url)


# ---- people and posts ----------------------------------------------------------------------------


@admin.register(Person)
class PersonAdmin(PersonImportExportMixin, SimpleHistoryAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    inlines = (PersonTenureInline,)


@admin.register(Position)
class PositionAdmin(PositionImportExportMixin, SimpleHistoryAdmin):
    list_display = ("code", "title", "unit")
    list_filter = (("unit__kind", admin.ChoicesFieldListFilter),)
    search_fields = ("code", "title", "unit__code", "unit__name")
    autocomplete_fields = ("unit",)
    list_select_related = ("unit",)
    inlines = (PositionTenureInline, PositionDutyInline)


@admin.register(Tenure)
class TenureAdmin(TenureImportExportMixin, SimpleHistoryAdmin):
    list_display = ("person", "position", "position_unit", "start", "end")
    list_filter = (("position__unit__kind", admin.ChoicesFieldListFilter),)
    search_fields = ("person__code", "person__name", "position__code", "position__title")
    autocomplete_fields = ("person", "position")
    list_select_related = ("person", "position__unit")
    date_hierarchy = "start"

    @admin.display(description="所在单位", ordering="position__unit__path")
    def position_unit(self, tenure):
        return tenure.position.unit


# ---- the duty matrix and what creates duties ---------------------------------------------------


@admin.register(Duty)
class DutyAdmin(DutyImportExportMixin, SimpleHistoryAdmin):
    list_display = (
        "code",
        "type",
        "holder",
        "holder_unit_of",
        "sector_list",
        "region",
        "enterprise",
        "start",
        "end",
    )
    list_filter = (TrackFilter, "type", "sectors")
    search_fields = (
        "code",
        "basis",
        "holder_position__code",
        "holder_position__title",
        "holder_unit__code",
        "holder_unit__name",
    )
    autocomplete_fields = ("holder_position", "holder_unit", "sectors", "region", "enterprise")
    list_select_related = ("holder_position__unit", "holder_unit", "region", "enterprise")
    fieldsets = (
        (None, {"fields": ("code", "type")}),
        ("责任主体（岗位、单位二选一）", {"fields": ("holder_position", "holder_unit")}),
        ("范围", {"fields": ("sectors", "region", "enterprise")}),
        ("期间与依据", {"fields": ("start", "end", "basis")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("sectors")

    @admin.display(description="责任主体")
    def holder(self, duty):
        return duty.holder_position if duty.holder_position_id else duty.holder_unit

    @admin.display(description="责任单位")
    def holder_unit_of(self, duty):
        return duty.unit

    @admin.display(description="行业范围")
    def sector_list(self, duty):
        return "、".join(s.name for s in duty.sectors.all()) or "全部"


@admin.register(Permit)
class PermitAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "enterprise", "sector", "position", "approved_on", "valid_until")
    list_filter = ("sector",)
    search_fields = ("code", "name", "enterprise__code", "enterprise__name")
    autocomplete_fields = ("enterprise", "sector", "position")
    list_select_related = ("enterprise", "sector", "position")
    date_hierarchy = "approved_on"


@admin.register(Inspection)
class InspectionAdmin(SimpleHistoryAdmin):
    list_display = ("code", "date", "enterprise", "sector", "unit", "inspector_list")
    list_filter = ("sector",)
    search_fields = ("code", "findings", "enterprise__code", "enterprise__name", "unit__name")
    autocomplete_fields = ("enterprise", "sector", "unit", "inspectors")
    list_select_related = ("enterprise", "sector", "unit")
    date_hierarchy = "date"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("inspectors")

    @admin.display(description="检查人员岗位")
    def inspector_list(self, inspection):
        return format_html_join("、", "{}", ((p.title,) for p in inspection.inspectors.all()))


class CertificationSignerInline(admin.TabularInline):
    model = CertificationSigner
    extra = 1
    fields = ("order", "position")
    autocomplete_fields = ("position",)
    ordering = ("order", "id")


@admin.register(Certification)
class CertificationAdmin(SimpleHistoryAdmin):
    """谁出具谁负责: reports of technical service bodies; their signers answer for them (DESIGN §5.5)."""

    list_display = (
        "code",
        "kind",
        "issuer",
        "enterprise",
        "sector",
        "issued_on",
        "valid_until",
        "signer_list",
    )
    list_filter = ("kind", "sector")
    search_fields = (
        "code",
        "conclusion",
        "issuer__code",
        "issuer__name",
        "enterprise__code",
        "enterprise__name",
    )
    autocomplete_fields = ("issuer", "enterprise", "sector")
    list_select_related = ("issuer", "enterprise", "sector")
    date_hierarchy = "issued_on"
    fields = ("code", "kind", ("issuer", "enterprise"), "sector", ("issued_on", "valid_until"), "conclusion")
    inlines = (CertificationSignerInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("signer_rows__position")

    @admin.display(description="签字人员岗位")
    def signer_list(self, certification):
        return format_html_join(
            "、", "{}", ((row.position.title,) for row in certification.signer_rows.all())
        )


from . import admin_audit  # noqa: E402, F401  (the import log)
