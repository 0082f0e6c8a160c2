"""The responsibility pages (templates/responsibility/)."""

from django.urls import path

from . import views, workbook_views

app_name = "responsibility"

urlpatterns = [
    path("matrix/", views.matrix, name="matrix"),
    path("matrix/workbook.xlsx", workbook_views.workbook_export, name="workbook_export"),
    path("matrix/import/", workbook_views.workbook_import, name="workbook_import"),
]
