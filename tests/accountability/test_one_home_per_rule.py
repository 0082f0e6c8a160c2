"""Each domain rule has one home, and every surface applies it: the admin refuses what the API and the
import refuse, naming the same field; overdue and the current decision read the same everywhere."""

import datetime as dt

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from accountability.cases import amend_finding, record_finding
from accountability.models import AccountabilityRecord, Hazard, overdue_q
from responsibility.models import Position, Sector, Tenure, Unit


def _admin_form(model, admin_user, data, instance=None):
    request = RequestFactory().get("/")
    request.user = admin_user
    form_class = admin.site._registry[model].get_form(request, instance)
    return form_class(data=data, instance=instance)


# ---- overdue --------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [dt.date(2024, 1, 1), dt.date(2024, 6, 1), dt.date(2030, 1, 1)])
def test_overdue_is_one_rule_in_sql_and_in_memory(demo_county, day):
    in_sql = set(Hazard.objects.overdue(day).values_list("code", flat=True))
    in_memory = {h.code for h in Hazard.objects.all() if h.is_overdue(day)}
    assert in_sql == in_memory
    assert set(Hazard.objects.not_overdue(day).values_list("code", flat=True)) == (
        set(Hazard.objects.values_list("code", flat=True)) - in_sql
    )
    through_enterprise = Unit.objects.filter(overdue_q(day, prefix="hazards__")).distinct()
    assert set(through_enterprise.values_list("code", flat=True)) == {
        h.enterprise.code for h in Hazard.objects.overdue(day)
    }


def test_the_api_filter_the_admin_filter_and_the_model_agree_on_what_is_overdue(demo_county, admin_client):
    today = set(Hazard.objects.overdue().values_list("code", flat=True))
    assert today == {"H1"}  # the worked example's deadlines are long past; H2 is closed
    api = admin_client.get("/api/v1/hazards/", {"overdue": "true"}).json()["results"]
    assert {h["code"] for h in api} == today and all(h["overdue"] for h in api)
    changelist = admin_client.get(reverse("admin:accountability_hazard_changelist"), {"overdue": "yes"})
    assert {h.code for h in changelist.context["cl"].result_list} == today


# ---- the current decision ---------------------------------------------------------------------------


def test_the_current_decision_is_the_one_no_later_decision_amends(case, admin_client):
    record = case.records.filter(person__isnull=False).first()
    first = record_finding(record=record, finding="not_responsible")
    second = amend_finding(record=record, finding="exempt", grounds="已履职", reason="补充材料")
    fresh = AccountabilityRecord.objects.get(pk=record.pk)
    assert fresh.current_decision == second and fresh.decision_history == [first, second]
    assert not first.__class__.objects.get(pk=first.pk).is_current and second.is_current
    assert list(first.__class__.objects.current().filter(record=record)) == [second]
    api = admin_client.get(f"/api/v1/records/{record.pk}/").json()
    assert api["current_decision"]["id"] == second.pk


# ---- tenure overlap ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, end, overlaps",
    [
        ("2024-02-29", "", True),  # the stored holder of d_vhead_build ends on 2024-03-01 (exclusive)
        ("2024-03-01", "", False),  # from the day the last one ends: a handover
        ("2010-01-01", "2011-01-01", False),
    ],
)
def test_the_model_the_admin_and_the_query_apply_one_overlap_rule(
    demo_county, admin_user, start, end, overlaps
):
    stored = Tenure.objects.get(position__code="d_vhead_build", end__isnull=False)
    Tenure.objects.filter(position=stored.position).exclude(pk=stored.pk).delete()
    s, e = dt.date.fromisoformat(start), dt.date.fromisoformat(end) if end else None
    assert Tenure.periods_overlap(s, e, stored.start, stored.end) is overlaps
    assert stored.overlaps(s, e) is overlaps
    assert Tenure.objects.filter(pk=stored.pk).overlapping(s, e).exists() is overlaps
    data = {"person": stored.person_id, "position": stored.position_id, "start": start, "end": end}
    form = _admin_form(Tenure, admin_user, data)
    assert form.is_valid() is not overlaps
    if overlaps:
        assert "start" in form.errors


# ---- hazard validity --------------------------------------------------------------------------------


def test_a_hazard_unit_outside_its_enterprise_is_refused_by_the_admin_as_by_the_api(
    demo_county, admin_user, admin_client
):
    e2, other_unit = Unit.objects.get(code="e2"), Unit.objects.get(code="e1_rebar")
    body = {
        "enterprise": "e2",
        "sector": "hazchem",
        "unit": "e1_rebar",
        "level": "general",
        "source": "inspection",
        "found_on": "2024-05-01",
        "deadline": "2024-06-30",
    }
    api = admin_client.post("/api/v1/hazards/", body, content_type="application/json")
    assert api.status_code == 400 and "unit" in api.json()
    form = _admin_form(
        Hazard,
        admin_user,
        {
            "code": "HX1",
            "enterprise": e2.pk,
            "unit": other_unit.pk,
            "sector": Sector.objects.get(code="hazchem").pk,
            "level": "general",
            "source": "inspection",
            "found_on": "2024-05-01",
            "deadline": "2024-06-30",
        },
    )
    assert not form.is_valid() and "unit" in form.errors
    assert "e1_rebar 不属于企业 e2" in form.errors["unit"][0]
    assert not Hazard.objects.filter(code="HX1").exists()


def test_a_plan_naming_another_enterprises_post_is_refused(demo_county):
    hazard = Hazard.objects.get(code="H1")
    hazard.responsible_position = Position.objects.get(code="e1_crane")
    assert "responsible_position" in hazard.outside_enterprise()


def test_only_an_enterprise_lists_sectors_in_the_admin_as_in_the_import(demo_county, admin_user):
    department = Unit.objects.get(code="d_housing")
    data = {
        "code": department.code,
        "name": department.name,
        "kind": department.kind,
        "region": department.region_id,
        "parent": department.parent_id or "",
        "sectors": [Sector.objects.get(code="housing").pk],
    }
    form = _admin_form(Unit, admin_user, data, instance=department)
    assert not form.is_valid() and "sectors" in form.errors
    assert Unit.sectors_problem("department", ["housing"]) and not Unit.sectors_problem(
        "enterprise", ["housing"]
    )
