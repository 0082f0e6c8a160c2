"""Habits every page keeps: navigation (the password page too) and breadcrumbs, a finding form with no
outcome chosen, an overdue 调查期限 flagged on the case and the dashboard, case links only for roles
that may open cases, and filters on the enterprise list."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accountability import cases as case_services
from accountability.models import Accident


@pytest.fixture
def case_a0226(demo_users):
    return case_services.open_case(accident=Accident.objects.get(code="A0226")).case


@pytest.mark.parametrize("name", ["password_change", "password_change_done"])
def test_the_password_pages_have_the_navigation(login, name):
    html = login("inspector").get(reverse(name)).content.decode()
    assert 'aria-label="主导航"' in html and "责任链追溯" in html and 'class="crumbs' in html


def test_every_page_links_to_the_password_change(login):
    for username in ("inspector", "enterprise"):
        html = login(username).get(reverse("accountability:hazard_list")).content.decode()
        assert f'href="{reverse("password_change")}"' in html


@pytest.mark.parametrize(
    "url",
    [
        reverse("accountability:hazard_list"),
        reverse("accountability:accident_detail", args=["A0226"]),
        reverse("accountability:enterprise_detail", args=["e1"]),
        reverse("accountability:trace") + "?accident=A0226",
        reverse("accountability:dashboard"),
        reverse("responsibility:matrix"),
    ],
)
def test_pages_carry_breadcrumbs(inspector, url):
    html = inspector.get(url).content.decode()
    assert 'aria-label="面包屑"' in html and '<a href="/">首页</a>' in html


def test_the_finding_form_starts_with_no_outcome_chosen(inspector, case_a0226):
    record = case_a0226.records.first()
    html = inspector.get(
        reverse("accountability:record_detail", args=[case_a0226.code, record.pk])
    ).content.decode()
    select = html[html.index('name="finding"') : html.index("</select>", html.index('name="finding"'))]
    assert '<option value="" selected>—请选择—</option>' in select
    assert "selected" not in select.replace('<option value="" selected>', "")
    refused = inspector.post(
        reverse("accountability:record_detail", args=[case_a0226.code, record.pk]),
        {"finding": "", "m-TOTAL_FORMS": 0, "m-INITIAL_FORMS": 0},
    )
    assert refused.status_code == 400 and not record.decisions.exists()


def test_an_overdue_investigation_is_flagged_on_the_case_the_list_and_the_dashboard(inspector, case_a0226):
    # 2024-02-26 + 60 days passed long ago, and no report was submitted.
    workbench = inspector.get(
        reverse("accountability:case_workbench", args=[case_a0226.code])
    ).content.decode()
    assert "已超过调查期限" in workbench
    assert "调查超期" in inspector.get(reverse("accountability:case_list")).content.decode()
    dashboard = inspector.get(reverse("accountability:dashboard"), {"year": 2024}).content.decode()
    assert 'id="kpi-late-cases">1<' in dashboard and case_a0226.code in dashboard
    case_a0226.report_submitted_on = case_a0226.event_day
    case_a0226.save()
    assert (
        "已超过调查期限"
        not in inspector.get(
            reverse("accountability:case_workbench", args=[case_a0226.code])
        ).content.decode()
    )


def test_the_dashboard_takes_the_same_queries_with_one_and_many_late_cases(inspector, case_a0226):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert inspector.get(reverse("accountability:dashboard"), {"year": 2024}).status_code == 200
        return len(queries)

    one = count()
    for code in ("A0318", "A0402"):
        case_services.open_case(accident=Accident.objects.get(code=code))
    assert count() == one


def test_case_links_are_shown_only_to_roles_that_may_open_cases(login, case_a0226):
    case_url = reverse("accountability:case_workbench", args=[case_a0226.code])
    assert case_url in login("inspector").get(reverse("accountability:accident_list")).content.decode()
    for username in ("regulator", "township", "enterprise"):
        client = login(username)
        for url in (
            reverse("accountability:accident_list"),
            reverse("accountability:accident_detail", args=["A0226"]),
        ):
            assert case_url not in client.get(url).content.decode(), (username, url)
        assert client.get(case_url).status_code == 403


def test_the_enterprise_list_searches_and_filters(inspector):
    url = reverse("accountability:enterprise_list")
    assert "示范建工集团有限公司" in inspector.get(url, {"q": "建工"}).content.decode()
    assert "高新化工有限公司" not in inspector.get(url, {"q": "建工"}).content.decode()
    chem = inspector.get(url, {"sector": "hazchem"}).content.decode()
    assert "高新化工有限公司" in chem and "示范建工集团有限公司" not in chem
    assert "示范建工集团有限公司" not in inspector.get(url, {"region": "T2"}).content.decode()


def test_an_enterprise_users_accident_page_leaves_other_enterprises_out(login):
    mine = login("enterprise").get(reverse("accountability:accident_detail", args=["A0318"])).content.decode()
    assert "示范工程监理有限公司" not in mine and "张某" not in mine
    theirs = (
        login("inspector").get(reverse("accountability:accident_detail", args=["A0318"])).content.decode()
    )
    assert "示范工程监理有限公司" in theirs and "张某" in theirs


def test_the_enterprise_page_offers_the_self_report(login):
    html = login("enterprise").get(reverse("accountability:enterprise_detail", args=["e1"])).content.decode()
    assert f'href="{reverse("accountability:hazard_report")}"' in html
