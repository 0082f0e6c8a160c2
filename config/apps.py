from django.contrib.admin.apps import AdminConfig


class DutyChainAdminConfig(AdminConfig):
    default_site = "config.admin.DutyChainAdminSite"
