"""Admin for patterns that escalate: alert rules (data, with history), alerts (handled through the
services: 约谈 held, closure decided, closed, dismissed), penalties on hazards, government findings."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from ..alerts import close_alert, record_penalty
from ..models import (
    Alert,
    AlertPerson,
    AlertRule,
    AlertState,
    GovFinding,
    GovFindingTransition,
    HazardPenalty,
)


@admin.register(AlertRule)
class AlertRuleAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "region", "grade", "window_days", "threshold", "active"]
    list_filter = ["kind", "active", "region__level"]
    search_fields = ["code", "name", "region__name"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]


class AlertPersonInline(admin.TabularInline):
    model = AlertPerson
    extra = 0
    can_delete = False
    fields = ["duty_type", "label", "person", "position", "unit", "vacant"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(SimpleHistoryAdmin):
    """Alerts are raised by the rules; what an admin may do to one goes through the services."""

    list_display = ["code", "kind", "subject_label", "count", "window_start", "fired_on", "state"]
    list_filter = ["kind", "state", "region__level"]
    search_fields = ["code", "subject_label"]
    list_select_related = ["region"]
    date_hierarchy = "fired_on"
    inlines = [AlertPersonInline]
    actions = ["close_selected"]
    readonly_fields = [f.name for f in Alert._meta.concrete_fields] + [
        "accidents",
        "penalties",
        "hazards",
        "findings",
        "review_items",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="办结所选预警（须已处置）")
    def close_selected(self, request, queryset):
        for alert in queryset.filter(state=AlertState.HANDLED):
            close_alert(alert=alert, by=request.user)
        skipped = queryset.exclude(state__in=[AlertState.HANDLED, AlertState.CLOSED]).count()
        if skipped:
            self.message_user(request, f"{skipped} 条预警尚未处置，未办结", messages.WARNING)


@admin.register(HazardPenalty)
class HazardPenaltyAdmin(SimpleHistoryAdmin):
    """A new penalty goes through record_penalty, so a 重大隐患 penalised often enough raises its alert."""

    list_display = ["hazard", "decided_on", "document", "amount_yuan"]
    search_fields = ["hazard__code", "document"]
    list_select_related = ["hazard"]
    autocomplete_fields = ["hazard"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            saved = record_penalty(
                hazard=obj.hazard,
                decided_on=obj.decided_on,
                document=obj.document,
                amount_yuan=obj.amount_yuan,
                note=obj.note,
                by=request.user,
            )
        except ValidationError as exc:
            self.message_user(request, "；".join(exc.messages), messages.ERROR)
            return
        obj.pk = saved.pk


class GovFindingTransitionInline(admin.TabularInline):
    model = GovFindingTransition
    extra = 0
    can_delete = False
    fields = ["from_state", "to_state", "at", "by", "note", "evidence"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GovFinding)
class GovFindingAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "source", "assigned_unit", "issuing_unit", "deadline", "state"]
    list_filter = ["source", "state"]
    search_fields = ["code", "title", "assigned_unit__name"]
    list_select_related = ["assigned_unit", "issuing_unit"]
    autocomplete_fields = ["issuing_unit", "assigned_unit", "responsible_position", "sector"]
    readonly_fields = ["state", "submitted_on", "closed_on"]
    inlines = [GovFindingTransitionInline]
