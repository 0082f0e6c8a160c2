"""/api/v1/: hazards, accidents, trace, 一案双查 cases and records, 终身追责."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from .notifications import NotificationViewSet
from .views.accidents import AccidentViewSet
from .views.alerts import AlertViewSet, FindingViewSet
from .views.cases import CaseViewSet
from .views.hazards import HazardViewSet
from .views.records import PersonAccountabilityView, RecordViewSet
from .views.trace import TraceView

router = SimpleRouter()
router.register("hazards", HazardViewSet, basename="hazard")
router.register("accidents", AccidentViewSet, basename="accident")
router.register("cases", CaseViewSet, basename="case")
router.register("records", RecordViewSet, basename="record")
router.register("alerts", AlertViewSet, basename="alert")
router.register("findings", FindingViewSet, basename="finding")

# ---- notifications (reminders engineer) ------------------------------------------------------------------
# Register the notification viewsets on `router` here, e.g.
#     router.register("notifications", NotificationViewSet, basename="notification")
# Each states its permission_classes and `action_roles` (responsibility/api/permissions.py) like the rest.
router.register("notifications", NotificationViewSet, basename="notification")
# ---------------------------------------------------------------------------------------------------------------

app_name = "accountability-api"
urlpatterns = [
    path("trace/", TraceView.as_view(), name="trace"),
    re_path(
        r"^persons/(?P<code>[A-Za-z0-9_.\-]+)/accountability/$",
        PersonAccountabilityView.as_view(),
        name="person-accountability",
    ),
    *router.urls,
]
