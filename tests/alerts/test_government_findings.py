"""督查反馈问题 against a department: 下发 → 整改 → 提交 → 销号 on the pages, each side seeing only its own;
overdue, it reminds the department's head once, shows on the dashboard, and a case lists the unit's chain."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accountability import govfindings
from accountability.models import Case, FindingSource, FindingState, GovFinding, ReminderLog
from accountability.reminders.sweep import sweep
from responsibility.management.commands.load_demo import create_demo_users
from responsibility.models import Position, Sector, Unit
from responsibility.permissions import Role, ensure_role_groups
from tests import evidence_files

TITLE = "区住建局未按要求开展自建房排查"


@pytest.fixture
def clients(demo_county):
    create_demo_users("pw-findings")
    issuer = User.objects.create_user("ducha")
    issuer.groups.add(ensure_role_groups()[Role.REGULATOR])
    assign_perm("responsibility.regulate_unit", issuer, Unit.objects.get(code="d_gov"))
    result = {}
    for name in ("ducha", "regulator", "township", "inspector", "admin", "enterprise"):
        client = Client()
        client.force_login(User.objects.get(username=name))
        result[name] = client
    return result


def _listed(client, code):
    response = client.get("/findings/", {"q": code})
    assert response.status_code == 200
    return [f.code for f in response.context["page"]]


def test_a_finding_goes_from_issue_to_closure_on_the_pages_each_side_seeing_only_its_own(clients):
    today = timezone.localdate()
    issued = clients["ducha"].post(
        "/findings/new/",
        {
            "code": "GF-ZJ1",
            "issuing_unit": "d_gov",
            "source": FindingSource.SUPERVISION,
            "title": TITLE,
            "assigned_unit": "d_housing",
            "responsible_position": "d_housing_dir",
            "sector": "construction",
            "found_on": (today - dt.timedelta(days=5)).isoformat(),
            "deadline": (today + dt.timedelta(days=10)).isoformat(),
        },
    )
    assert issued.status_code == 302, issued.content.decode()[:2000]
    finding = GovFinding.objects.get(code="GF-ZJ1")
    assert finding.state == FindingState.ISSUED and finding.assigned_unit.code == "d_housing"

    # The township sees nothing of the department's finding; an enterprise may not read findings at all.
    assert clients["township"].get("/findings/GF-ZJ1/").status_code == 404
    assert _listed(clients["township"], "GF-ZJ1") == []
    assert clients["township"].post("/findings/GF-ZJ1/rectify/", {"step": "start"}).status_code == 404
    assert clients["enterprise"].get("/findings/").status_code == 403
    # The department and the issuer both see it; 纪检 of the county too.
    for name in ("regulator", "ducha", "inspector"):
        assert _listed(clients[name], "GF-ZJ1") == ["GF-ZJ1"], name

    department = clients["regulator"]
    page = department.get("/findings/GF-ZJ1/")
    assert page.context["assignee"] and not page.context["issuer"]
    assert department.post("/findings/GF-ZJ1/rectify/", {"step": "start"}).status_code == 302
    # The department cannot 销号 its own finding, nor can the issuer rectify it: the form's error.
    department.post("/findings/GF-ZJ1/verify/", {"decision": "close"})
    clients["ducha"].post("/findings/GF-ZJ1/rectify/", {"step": "submit", "rectification": "代为整改"})
    assert GovFinding.objects.get(code="GF-ZJ1").state == FindingState.RECTIFYING

    evidence = SimpleUploadedFile("check.jpg", evidence_files.jpeg(), content_type="image/jpeg")
    submitted = department.post(
        "/findings/GF-ZJ1/rectify/",
        {"step": "submit", "rectification": "已完成全区自建房排查并建立台账", "evidence": evidence},
    )
    assert submitted.status_code == 302
    assert GovFinding.objects.get(code="GF-ZJ1").state == FindingState.SUBMITTED

    assert clients["ducha"].get("/findings/GF-ZJ1/").context["issuer"]
    assert clients["ducha"].post("/findings/GF-ZJ1/verify/", {"decision": "close"}).status_code == 302
    closed = GovFinding.objects.get(code="GF-ZJ1")
    assert closed.state == FindingState.CLOSED and closed.closed_on == today
    steps = [(t.from_state, t.to_state) for t in closed.transitions.all()]
    assert steps == [
        ("", "issued"),
        ("issued", "rectifying"),
        ("rectifying", "submitted"),
        ("submitted", "closed"),
    ]
    assert closed.transitions.get(to_state="submitted").evidence.name.endswith(".jpg")


def test_an_issuer_may_issue_only_from_its_own_unit_and_bad_input_names_the_field(clients):
    today = timezone.localdate()
    response = clients["regulator"].post(
        "/findings/new/",
        {
            "issuing_unit": "d_gov",
            "source": FindingSource.SUPERVISION,
            "title": TITLE,
            "assigned_unit": "nowhere",
            "found_on": today.isoformat(),
            "deadline": (today - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    errors = response.context["errors"]
    assert "issuing_unit" in errors and "assigned_unit" in errors
    assert not GovFinding.objects.exists()


@pytest.fixture
def overdue_finding(clients):
    today = timezone.localdate()
    return govfindings.issue_finding(
        code="GF-ZJ2",
        title=TITLE,
        source=FindingSource.UNDERCOVER,
        media=SimpleUploadedFile("anfang.mp4", b"\x00\x00\x00\x18ftypmp42video", content_type="video/mp4"),
        issuing_unit=Unit.objects.get(code="d_gov"),
        assigned_unit=Unit.objects.get(code="d_housing"),
        responsible_position=Position.objects.get(code="d_housing_insp"),
        sector=Sector.objects.get(code="construction"),
        found_on=today - dt.timedelta(days=20),
        deadline=today - dt.timedelta(days=5),
    )


def test_overdue_it_reminds_the_department_head_once_and_shows_on_the_dashboard(overdue_finding, clients):
    day = overdue_finding.deadline + dt.timedelta(days=1)
    sweep(now=day, dispatch="none")
    sweep(now=day, dispatch="none")
    sweep(now=day + dt.timedelta(days=1), dispatch="none")
    logs = ReminderLog.objects.filter(subject_type="finding", subject_id=overdue_finding.pk)
    to_head = logs.filter(person__code="p09")
    assert to_head.count() == 1
    assert to_head.get().rule.code == "finding-overdue"
    assert "unit_head" in to_head.get().roles
    # The responsible inspector is told too, once.
    assert logs.filter(person__code="p11").count() == 1

    dashboard = clients["admin"].get("/dashboard/")
    assert [(r["assigned_unit__code"], r["n"]) for r in dashboard.context["overdue_findings"]] == [
        ("d_housing", 1)
    ]
    # The department's own dashboard shows its own overdue finding; the township's does not.
    assert clients["regulator"].get("/dashboard/").context["overdue_findings"][0]["n"] == 1
    assert clients["township"].get("/dashboard/").context["overdue_findings"] == []


def test_a_case_opened_from_the_overdue_finding_lists_the_departments_chain(overdue_finding, clients):
    response = clients["inspector"].post("/cases/open/", {"finding": "GF-ZJ2"})
    assert response.status_code == 302
    case = Case.objects.get(finding=overdue_finding)
    assert case.code == "CASE-F-GF-ZJ2" and case.event_day == overdue_finding.deadline
    subjects = {(r.unit_code, r.position_code, r.person_code, tuple(r.types)) for r in case.records.all()}
    assert subjects == {
        ("d_housing", "", "", ("competent",)),
        ("d_housing", "d_housing_dir", "p09", ("competent",)),
        ("d_gov", "d_vhead_build", "p07", ("leader_in_charge",)),
        ("d_gov", "d_head", "p05", ("party_gov_lead",)),
        ("d_party", "d_sec", "p04", ("party_gov_lead",)),
    }
    assert clients["inspector"].get(f"/cases/{case.code}/").status_code == 200
    # Idempotent: a second request returns the same case.
    clients["inspector"].post("/cases/open/", {"finding": "GF-ZJ2"})
    assert Case.objects.filter(finding=overdue_finding).count() == 1
    # The department (a subject of the case) may not open or read cases.
    assert clients["regulator"].post("/cases/open/", {"finding": "GF-ZJ2"}).status_code == 403


def test_the_overdue_reminder_is_delivered_in_app_with_a_link_to_the_finding(overdue_finding, clients):
    from accountability.models import Notification

    sweep(now=overdue_finding.deadline + dt.timedelta(days=1), dispatch="inline")
    note = Notification.objects.get(person__code="p09")
    assert note.title.startswith("督查问题 GF-ZJ2：督查问题逾期未整改")
    assert "/findings/GF-ZJ2/" in note.body and "示范区住房和城乡建设局" in note.body
    # The department head's account reads it on the notification page.
    assert "GF-ZJ2" in clients["regulator"].get("/notifications/").content.decode()
