"""The project's URLs plus one view that fails, for the 500 page's test."""

from django.urls import path

from config.urls import handler500
from config.urls import urlpatterns as project_urls


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), *project_urls]
__all__ = ["handler500", "urlpatterns"]
