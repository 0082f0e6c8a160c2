"""Admin for the reminders: rules (data, with history), the claim log, notifications, digests.

The periodic schedule itself (PeriodicTask "每日到期提醒扫描") is edited in django-celery-beat's admin.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from ..models import (
    Notification,
    RecipientRole,
    ReminderDigest,
    ReminderLog,
    ReminderRule,
    ReminderState,
)


class ReminderRuleForm(forms.ModelForm):
    offsets = forms.CharField(
        label="提醒节点（天）",
        help_text="相对期限的天数，逗号分隔：-7,-3,-1 为期限前7、3、1天；0 为当天；1,30 为逾期第1、30天。",
    )
    recipients = forms.MultipleChoiceField(
        label="提醒对象", choices=RecipientRole.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ReminderRule
        fields = [
            "code",
            "name",
            "kind",
            "active",
            "basis",
            "offsets",
            "catch_up_days",
            "hazard_level",
            "recipients",
            "digest",
            "open_case",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offsets = self.initial.get("offsets")
        if isinstance(offsets, list):
            self.initial["offsets"] = ", ".join(str(o) for o in offsets)

    def clean_offsets(self):
        raw = self.cleaned_data["offsets"].replace("，", ",")
        try:
            return [int(part) for part in raw.split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError("提醒节点须为逗号分隔的整数，如 -7,-3,-1") from None


@admin.register(ReminderRule)
class ReminderRuleAdmin(SimpleHistoryAdmin):
    form = ReminderRuleForm
    list_display = [
        "name",
        "code",
        "kind",
        "offsets_display",
        "recipients_display",
        "digest",
        "open_case",
        "active",
    ]
    list_filter = ["kind", "active", "digest"]
    list_editable = ["active"]
    search_fields = ["code", "name"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "active", "basis"]}),
        ("何时提醒", {"fields": ["offsets", "catch_up_days", "hazard_level"]}),
        ("提醒谁、如何提醒", {"fields": ["recipients", "digest", "open_case"]}),
    ]

    @admin.display(description="提醒节点（天）")
    def offsets_display(self, rule):
        return ", ".join(f"{o:+d}" for o in rule.sorted_offsets)

    @admin.display(description="提醒对象")
    def recipients_display(self, rule):
        return "、".join(RecipientRole(r).label for r in rule.recipients if r in RecipientRole.values)


@admin.register(ReminderLog)
class ReminderLogAdmin(admin.ModelAdmin):
    list_display = [
        "claimed_for",
        "rule",
        "subject_type",
        "subject_code",
        "due_date",
        "offset",
        "recipient_display",
        "state",
        "email_mode",
        "delivered_at",
    ]
    list_filter = ["state", "email_mode", "subject_type", "rule", "claimed_for"]
    search_fields = ["subject_code", "person__name", "person__code", "user__username", "email_to"]
    date_hierarchy = "claimed_for"
    list_select_related = ["rule", "person", "user"]
    actions = ["redeliver"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description="收件人")
    def recipient_display(self, log):
        if log.person_id:
            return str(log.person)
        return log.user.get_username() if log.user_id else log.recipient_key

    @admin.action(description="重新送达所选的待送达提醒")
    def redeliver(self, request, queryset):
        from ..reminders.sweep import enqueue_deliveries

        ids = list(queryset.filter(state=ReminderState.PENDING).values_list("pk", flat=True))
        sent = enqueue_deliveries(ids)
        self.message_user(request, f"已提交 {sent} 条待送达提醒。", messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "person", "created_at", "read_at"]
    list_filter = ["subject_type", "created_at"]
    search_fields = ["title", "subject_code", "person__name", "user__username"]
    raw_id_fields = ["user", "person", "reminder"]
    list_select_related = ["user", "person"]
    date_hierarchy = "created_at"


@admin.register(ReminderDigest)
class ReminderDigestAdmin(admin.ModelAdmin):
    list_display = ["day", "recipient_key", "email_to", "items", "sent_at"]
    list_filter = ["day"]
    search_fields = ["recipient_key", "email_to"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False
