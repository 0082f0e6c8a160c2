from django.contrib import admin
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from config.health import healthz, readyz
from responsibility.api.permissions import DocsAccess

DOCS = {"permission_classes": [DocsAccess]}


def favicon(request):
    """The site's icon, for browsers that ask /favicon.ico (its static name is hashed in production)."""
    return HttpResponseRedirect(static("dutychain/favicon.svg"))


urlpatterns = [
    # For the load balancer: no login, no data (config/health.py).
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # Browsers ask for /favicon.ico whatever the page links: the site's icon (static, hashed in production).
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(**DOCS), name="schema"),
    # The split view serves its start-up script as a file: no inline script for the CSP to allow.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", **DOCS), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema", **DOCS), name="redoc"),
    path("", include("config.page_urls")),
]

# The 500 page shows the request id; an unreachable database gets the 503 page (config/observability.py).
handler500 = "config.observability.server_error"
