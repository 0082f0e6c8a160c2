"""The audit trail: every change of the duty matrix keeps who made it and what it said before."""

import datetime as dt

from django.core.management import call_command
from django.urls import reverse

from responsibility.models import Duty, Person, Region, Sector, Tenure, Unit
from tests.conftest import DEMO_FILE


def change_url(obj):
    return reverse(f"admin:responsibility_{obj._meta.model_name}_change", args=[obj.pk])


def history_url(obj):
    return reverse(f"admin:responsibility_{obj._meta.model_name}_history", args=[obj.pk])


def form_data(response) -> dict:
    """The POST a browser would send back unchanged from an admin change page (form and inlines)."""
    data = {}

    def put(form):
        for name in form.fields:
            value = form[name].value()
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                data[form.add_prefix(name)] = [str(v) for v in value]
            elif isinstance(value, bool):
                if value:
                    data[form.add_prefix(name)] = "on"
            else:
                data[form.add_prefix(name)] = str(value)

    put(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        put(formset.management_form)
        for form in formset.initial_forms:
            put(form)
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(formset.initial_forms))
    return data


def post_change(client, obj, **changes):
    response = client.get(change_url(obj))
    assert response.status_code == 200
    data = form_data(response) | {name: str(value) for name, value in changes.items()}
    response = client.post(change_url(obj), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    return response


def test_changing_a_duty_basis_in_the_admin_records_the_user_and_keeps_the_old_basis(
    demo_county, admin_client, admin_user
):
    duty = Duty.objects.get(code="D18")
    old_basis = duty.basis
    sectors_before = set(duty.sectors.values_list("pk", flat=True))

    post_change(admin_client, duty, basis="安全生产法 第二十一条（2021 年修正）")

    duty.refresh_from_db()
    assert duty.basis == "安全生产法 第二十一条（2021 年修正）"
    assert set(duty.sectors.values_list("pk", flat=True)) == sectors_before
    latest = duty.history.latest()
    assert latest.history_type == "~"
    assert latest.history_user == admin_user
    assert latest.basis == "安全生产法 第二十一条（2021 年修正）"
    assert latest.prev_record.basis == old_basis
    delta = latest.diff_against(latest.prev_record)
    assert delta.changed_fields == ["basis"]


def test_changing_a_tenure_end_in_the_admin_records_the_user_and_keeps_the_old_end(
    demo_county, admin_client, admin_user
):
    tenure = Tenure.objects.exclude(end=None).select_related("position").order_by("pk").first()
    old_end = tenure.end
    new_end = old_end - dt.timedelta(days=1)

    post_change(admin_client, tenure, end=new_end.isoformat())

    tenure.refresh_from_db()
    assert tenure.end == new_end
    latest = tenure.history.latest()
    assert latest.history_user == admin_user
    assert latest.end == new_end
    assert latest.prev_record.end == old_end
    assert latest.prev_record.history_user is None


def test_a_tenure_changed_inline_on_its_position_page_records_the_user(demo_county, admin_client, admin_user):
    tenure = Tenure.objects.exclude(end=None).select_related("position").order_by("pk").first()
    old_end = tenure.end
    response = admin_client.get(change_url(tenure.position))
    data = form_data(response)
    index = next(
        i
        for i, form in enumerate(response.context["inline_admin_formsets"][0].formset.initial_forms)
        if form.instance.pk == tenure.pk
    )
    data[f"tenures-{index}-end"] = (old_end - dt.timedelta(days=1)).isoformat()
    response = admin_client.post(change_url(tenure.position), data)
    assert response.status_code == 302, response.context["errors"]

    latest = tenure.history.latest()
    assert latest.history_user == admin_user
    assert latest.prev_record.end == old_end


def test_history_page_shows_who_changed_what_from_which_old_value(demo_county, admin_client, admin_user):
    duty = Duty.objects.get(code="D18")
    old_basis = duty.basis
    post_change(admin_client, duty, basis="新的依据文件")

    html = admin_client.get(history_url(duty)).content.decode()
    assert admin_user.get_username() in html
    assert old_basis in html
    assert "新的依据文件" in html
    assert "import_scenario" in html


def test_import_scenario_writes_history_with_its_change_reason(db):
    call_command("import_scenario", str(DEMO_FILE), quiet=True)

    for model in (Region, Sector, Unit, Person, Tenure, Duty):
        records = model.history.all()
        assert records.count() == model.objects.count() > 0, model.__name__
        assert set(records.values_list("history_change_reason", flat=True)) == {"import_scenario"}
        assert set(records.values_list("history_type", flat=True)) == {"+"}
        assert not records.exclude(history_user=None).exists()


def test_reimporting_an_unchanged_document_adds_no_history(demo_county):
    before = Duty.history.count()
    call_command("import_scenario", str(DEMO_FILE), quiet=True)
    assert Duty.history.count() == before


def test_imported_duties_units_and_inspections_keep_their_sets_and_enterprise_in_history(demo_county):
    from responsibility.models import Duty, Inspection, Unit

    duty = Duty.objects.get(code="D09").history.latest()
    assert [row.sector.code for row in duty.sectors.all()] == ["construction"]
    unit = Unit.objects.get(code="e1")
    assert [row.sector.code for row in unit.history.latest().sectors.all()] == ["housing"]
    assert unit.history.latest().enterprise_id == unit.pk
    inspection = Inspection.objects.get(code="IN1").history.latest()
    assert [row.position.code for row in inspection.inspectors.all()] == ["d_housing_insp"]
