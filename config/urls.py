from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from responsibility.api.permissions import DocsAccess

DOCS = {"permission_classes": [DocsAccess]}

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(**DOCS), name="schema"),
    # The split view serves its start-up script as a file: no inline script for the CSP to allow.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", **DOCS), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema", **DOCS), name="redoc"),
    path("", include("config.page_urls")),
]
