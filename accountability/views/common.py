"""Page plumbing shared by the page modules: who may read and write cases, and the scoped querysets.

Scope comes from `request_visibility` (the same as the API): every list and every lookup is filtered,
an object outside scope is a 404.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone

from responsibility.permissions import Role, Visibility

from ..models import (
    Accident,
    Case,
    Hazard,
)

# As the API: 一案双查 is the 纪检监察 side's work; regulators are themselves its supervision-track subjects.
CASE_READERS = {Role.ADMIN, Role.INSPECTOR}


CASE_WRITERS = {Role.ADMIN, Role.INSPECTOR}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def visible_accidents(vis: Visibility):
    return vis.filter_events(Accident.objects.all())


def visible_hazards(vis: Visibility):
    return vis.filter_events(Hazard.objects.all(), region_field="enterprise__region")


def visible_cases(vis: Visibility):
    if vis.role not in CASE_READERS:
        return Case.objects.none()
    if vis.everything:
        return Case.objects.all()
    return Case.objects.filter(
        Q(accident__in=visible_accidents(vis).values("pk")) | Q(hazard__in=visible_hazards(vis).values("pk"))
    )


def require_case_reader(vis: Visibility) -> None:
    # DESIGN §1: a role lacking cases gets 403 (enterprise users, and regulators who are their subjects).
    if vis.role not in CASE_READERS:
        raise PermissionDenied("只有纪检监察人员和安委办可以查看案件")


def require_case_writer(vis: Visibility) -> None:
    if vis.role not in CASE_WRITERS:
        raise PermissionDenied("只有纪检监察人员和安委办可以办理案件")


def _today() -> dt.date:
    return timezone.localdate()
