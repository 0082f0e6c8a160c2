from django.contrib import admin

from .models import ApiKey, ApiKeyEvent
from .services import client_address, revoke_api_key


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created by their owners (page or API); here they can only be seen and revoked."""

    list_display = ("name", "token_key", "user", "created", "expiry")
    list_select_related = ("user",)
    search_fields = ("name", "user__username", "token_key")
    fields = ("name", "token_key", "user", "created", "expiry")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        revoke_api_key(user=obj.user, token_key=obj.token_key, via="admin", address=client_address(request))

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("user"):
            self.delete_model(request, obj)


@admin.register(ApiKeyEvent)
class ApiKeyEventAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "username", "key_prefix", "key_name", "via", "address")
    list_filter = ("action", "via")
    search_fields = ("username", "key_prefix")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
