"""/api/v1/: each app's api/urls.py."""

from django.urls import include, path

from accounts.api import ObtainTokenView

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("", include("responsibility.api.urls")),
    path("", include("accountability.api.urls")),
]
