"""Helpers shared by the accountability admin modules: service errors on forms, read-only history inlines,
the parties and actors of an event.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from responsibility.models import DutyType

from ..cases import (
    open_case,
)
from ..models import (
    EventActor,
    EventParty,
    Investigator,
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


class EventPartyInline(admin.TabularInline):
    model = EventParty
    # §5.12: the unit and post inside the party's enterprise where its people were working (its crew)
    fields = ("enterprise", "role", "unit", "post", "order")
    autocomplete_fields = ("enterprise", "unit", "post")
    extra = 0
    verbose_name_plural = "相关单位（建设、总包、分包、监理、安装……）"


class EventActorInline(admin.TabularInline):
    model = EventActor
    fields = ("person", "role", "of", "order")
    autocomplete_fields = ("person", "of")
    extra = 0
    verbose_name_plural = "相关责任人（单位之外的个人）"


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


def _types_text(types) -> str:
    labels = dict(DutyType.choices)
    return "、".join(labels.get(t, t) for t in types)


class InvestigatorInline(admin.TabularInline):
    """The 调查组 (DESIGN §5.9): its units at or above the investigating level are no subjects of the case."""

    model = Investigator
    fields = ("order", "unit", "role")
    autocomplete_fields = ("unit",)
    extra = 0
    verbose_name_plural = "调查组（牵头单位在前；本级及以上成员单位的责任由上级另行处理）"
