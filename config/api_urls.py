"""/api/v1/: each app's api/urls.py."""

from django.urls import include, path

urlpatterns = [
    path("", include("responsibility.api.urls")),
    path("", include("accountability.api.urls")),
]
