"""/api/v1/: who I am, my duty list, coverage, and the reference lists of the duty matrix."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("sectors", views.SectorViewSet, basename="sector")
router.register("units", views.UnitViewSet, basename="unit")
router.register("positions", views.PositionViewSet, basename="position")
router.register("people", views.PersonViewSet, basename="person")
router.register("duties", views.DutyViewSet, basename="duty")

app_name = "responsibility-api"
urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("my/duties/", views.MyDutiesView.as_view(), name="my-duties"),
    path("coverage/", views.CoverageView.as_view(), name="coverage"),
    *router.urls,
]
