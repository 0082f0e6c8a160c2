"""The admin of hazards: state changes, 督办 and extension requests, through accountability/hazards.py."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from ..hazards import (
    check_extension_request,
    check_listing,
    decide_extension,
    list_for_supervision,
    request_extension,
    start_rectification,
    submit_rectification,
    verify_and_close,
)
from ..models import (
    ExtensionDecision,
    ExtensionRequest,
    Hazard,
    HazardListing,
    HazardTransition,
)
from .common import (
    EventActorInline,
    EventPartyInline,
    ReadOnlyInlineMixin,
    _copy_into,
    _form_errors,
    _messages_of,
    _open_cases,
)


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

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and all(data.get(k) for k in ("listing_unit", "due_on", "listed_on")):
            try:  # list_for_supervision's rules
                check_listing(
                    hazard=self.instance.hazard if self.instance.hazard_id else Hazard(),
                    listing_unit=data["listing_unit"],
                    due_on=data["due_on"],
                    listed_on=data["listed_on"],
                )
            except ValidationError as exc:
                for name, messages_ in exc.message_dict.items():
                    self.add_error(name if name in self.fields else None, messages_)
        return data


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
            return queryset.not_overdue()
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

    def save_formset(self, request, form, formset, change):
        """A new 挂牌督办 goes through list_for_supervision (its rules: a public body, an open hazard,
        a due date not before the listing, one listing per hazard); later edits (摘牌) are saved as typed."""
        if formset.model is not HazardListing:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        for row in formset.new_objects:
            saved = list_for_supervision(
                hazard=form.instance,
                listing_unit=row.listing_unit,
                due_on=row.due_on,
                listed_on=row.listed_on,
                document=row.document,
            )
            row.pk = saved.pk
        for row, changed in formset.changed_objects:
            row.save(update_fields=changed)
        return None

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
