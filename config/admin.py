"""The admin site: Chinese titles, and the duty matrix (责任体系) first on the index."""

from django.contrib import admin

from responsibility.access import may_use_admin

# Apps in the order 安委办 staff use them; the rest (accounts, scheduling) follow in name order.
APP_ORDER = ["responsibility", "accountability", "accounts", "auth"]


class DutyChainAdminSite(admin.AdminSite):
    site_header = "安全生产责任链管理"
    site_title = "安全生产责任链"
    index_title = "责任体系与追责管理"

    def has_permission(self, request):
        """The access policy's rule for the admin (responsibility/access.py): 安委办 staff only."""
        return may_use_admin(request.user)

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)

        def rank(app):
            label = app["app_label"]
            return (APP_ORDER.index(label) if label in APP_ORDER else len(APP_ORDER), app["name"])

        return sorted(apps, key=rank)
