"""The admin as 安委办 staff meet it: errors at their field, a handover in one save, Chinese whatever
the browser asks for, the duty matrix first, and no references to the specification."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from responsibility.models import Duty, Person, Position, Tenure, Unit


def inline_data(position: Position, tenures, duties=()) -> dict:
    data = {
        "code": position.code,
        "title": position.title,
        "unit": position.unit_id,
        "tenures-TOTAL_FORMS": str(len(tenures)),
        "tenures-INITIAL_FORMS": str(sum(1 for t in tenures if t.get("id"))),
        "duties-TOTAL_FORMS": str(len(duties)),
        "duties-INITIAL_FORMS": "0",
    }
    for i, row in enumerate(tenures):
        data |= {f"tenures-{i}-{k}": v for k, v in row.items()}
        data[f"tenures-{i}-position"] = position.pk or ""
    for i, row in enumerate(duties):
        data |= {f"duties-{i}-{k}": v for k, v in row.items()}
    return data


def test_a_handover_ends_the_old_tenure_and_adds_the_successor_in_one_save(demo_county, admin_client):
    tenure = Tenure.objects.filter(end__isnull=True, position__unit__code="e1").order_by("pk").first()
    position = tenure.position
    successor = Person.objects.create(code="p_next", name="接任者")
    handover = (tenure.start + dt.timedelta(days=400)).isoformat()
    rows = [
        {
            "id": t.pk,
            "person": t.person_id,
            "start": t.start.isoformat(),
            "end": (t.end or "") and t.end.isoformat(),
        }
        for t in position.tenures.order_by("start")
    ]
    for row in rows:
        if row["id"] == tenure.pk:
            row["end"] = handover
    rows.append({"person": successor.pk, "start": handover, "end": ""})
    response = admin_client.post(
        reverse("admin:responsibility_position_change", args=[position.pk]), inline_data(position, rows)
    )
    assert response.status_code == 302, re.findall(
        r'class="errorlist[^"]*">(.*?)</ul>', response.content.decode()
    )
    tenure.refresh_from_db()
    assert tenure.end.isoformat() == handover
    assert Tenure.objects.get(position=position, start=handover).person == successor


def test_a_successor_starting_before_the_old_tenure_ends_is_refused_at_its_start(demo_county, admin_client):
    tenure = Tenure.objects.filter(end__isnull=True, position__unit__code="e1").order_by("pk").first()
    position = tenure.position
    successor = Person.objects.create(code="p_next", name="接任者")
    start = (tenure.start + dt.timedelta(days=400)).isoformat()
    rows = [
        {
            "id": t.pk,
            "person": t.person_id,
            "start": t.start.isoformat(),
            "end": (t.end or "") and t.end.isoformat(),
        }
        for t in position.tenures.order_by("start")
    ]
    rows.append({"person": successor.pk, "start": start, "end": ""})
    response = admin_client.post(
        reverse("admin:responsibility_position_change", args=[position.pk]), inline_data(position, rows)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "重叠" in html and tenure.person.name in html
    assert not Tenure.objects.filter(person=successor).exists()


def test_adding_a_position_with_a_duty_inline_saves_both(demo_county, admin_client):
    unit = Unit.objects.get(code="e1")
    data = {
        "code": "e1_new",
        "title": "安全员",
        "unit": unit.pk,
        "tenures-TOTAL_FORMS": "0",
        "tenures-INITIAL_FORMS": "0",
        "duties-TOTAL_FORMS": "1",
        "duties-INITIAL_FORMS": "0",
        "duties-0-code": "D_new",
        "duties-0-type": "safety_manager",
        "duties-0-start": "2024-01-01",
        "duties-0-basis": "岗位责任清单",
    }
    response = admin_client.post(reverse("admin:responsibility_position_add"), data)
    assert response.status_code == 302
    assert Duty.objects.get(code="D_new").holder_position.code == "e1_new"


def test_an_inline_duty_error_is_shown_at_its_field(demo_county, admin_client):
    unit = Unit.objects.get(code="e1")
    data = {
        "code": "e1_new",
        "title": "安全员",
        "unit": unit.pk,
        "tenures-TOTAL_FORMS": "0",
        "tenures-INITIAL_FORMS": "0",
        "duties-TOTAL_FORMS": "1",
        "duties-INITIAL_FORMS": "0",
        "duties-0-code": "D_new",
        "duties-0-type": "safety_manager",
        "duties-0-start": "2024-06-01",
        "duties-0-end": "2024-01-01",
    }
    response = admin_client.post(reverse("admin:responsibility_position_add"), data)
    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][1].formset.forms[0]
    assert "end" in inline.errors
    assert "止必须晚于起" in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/admin/login/", "/admin/", "/admin/responsibility/duty/", "/admin/responsibility/duty/add/"]
)
def test_the_admin_is_chinese_for_a_browser_asking_for_english(demo_county, admin_client, client, url):
    http = client if url == "/admin/login/" else admin_client
    html = http.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in html
    for english in (
        "Log in",
        "Username",
        "Home",
        "Select ",
        "Add ",
        "Periodic tasks",
        "Save and add another",
    ):
        assert english not in html, (url, english)


def test_the_duty_matrix_comes_first_on_the_admin_index(demo_county, admin_client):
    apps = [app["app_label"] for app in admin_client.get("/admin/").context["app_list"]]
    assert apps[:2] == ["responsibility", "accountability"]


def test_no_page_of_the_admin_or_the_api_docs_cites_the_specification(demo_county, admin_client):
    enterprise = Unit.objects.get(code="e1")
    for url in (
        "/admin/",
        reverse("admin:responsibility_unit_chain", args=[enterprise.pk]),
        reverse("admin:responsibility_duty_changelist"),
        "/api/schema/",
    ):
        assert "DESIGN" not in admin_client.get(url).content.decode(), url
