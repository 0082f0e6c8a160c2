"""The import log in the admin: read only (it is an audit trail, written by the import alone)."""

from __future__ import annotations

from django.contrib import admin

from .models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("at", "by", "os_user", "source", "outcome", "created", "changed", "sha256")
    list_filter = ("outcome",)
    search_fields = ("source", "sha256", "by__username", "os_user")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
