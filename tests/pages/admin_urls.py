"""A private admin site with the import/export mixins, for testing them through the admin views
independently of how responsibility/admin.py wires them."""

from django.contrib import admin
from django.urls import include, path

from responsibility.admin_import_export import PositionImportExportMixin, RegionImportExportMixin
from responsibility.models import Position, Region

site = admin.AdminSite(name="import_export_test")


@admin.register(Region, site=site)
class RegionAdmin(RegionImportExportMixin, admin.ModelAdmin):
    pass


@admin.register(Position, site=site)
class PositionAdmin(PositionImportExportMixin, admin.ModelAdmin):
    pass


urlpatterns = [path("admin/", site.urls), path("", include("config.page_urls"))]
