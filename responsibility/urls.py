"""The responsibility pages (templates/responsibility/)."""

from django.urls import path

from . import views

app_name = "responsibility"

urlpatterns = [
    path("matrix/", views.matrix, name="matrix"),
]
