"""Every date a page form or the admin takes is bounded as the API's are (issue 23 item 3).

The walk collects every django Form class the project defines (importing the URL configuration loads
every view and so every form the pages use) and every editable date field of the project's models (the
admin builds its forms from them); an unbounded date field anywhere fails the walk.
"""

import datetime as dt

import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.urls import reverse

import config.urls  # noqa: F401 - loads every view, and so every form the pages use
from responsibility.forms import DayField
from responsibility.validators import validate_day

PROJECT = ("accountability", "responsibility", "accounts", "config")


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _project_forms():
    return sorted(
        {f for f in _subclasses(forms.BaseForm) if f.__module__.split(".")[0] in PROJECT},
        key=lambda f: f"{f.__module__}.{f.__qualname__}",
    )


def test_the_walk_finds_the_workbench_and_hazard_forms():
    names = {f.__name__ for f in _project_forms()}
    assert {"EducationForm", "CorrectiveActionForm", "HandOverForm", "AppraisalForm", "ReviewForm"} <= names
    assert {"HazardReportForm", "CompleteActionForm", "HandOverDecisionForm", "MatrixForm"} <= names


def _bounded(form, name, field) -> bool:
    """The form field itself, or (a model form) the model field, whose validators the form runs."""
    if validate_day in field.validators:
        return True
    model = getattr(getattr(form, "_meta", None), "model", None)
    return model is not None and validate_day in model._meta.get_field(name).validators


def test_every_date_field_of_every_page_form_is_bounded():
    unbounded = [
        f"{form.__module__}.{form.__qualname__}.{name}"
        for form in _project_forms()
        for name, field in form.base_fields.items()
        if isinstance(field, forms.DateField) and not _bounded(form, name, field)
    ]
    assert unbounded == []


def test_every_editable_date_field_of_the_models_is_bounded():
    unbounded = [
        f"{model.__name__}.{field.name}"
        for app in PROJECT
        if apps.is_installed(app)
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical")
        for field in model._meta.get_fields()
        if isinstance(field, models.DateField)
        and not isinstance(field, models.DateTimeField)
        and field.editable
        and validate_day not in field.validators
        and model._meta.app_label != "reminders"
    ]
    # The reminder bookkeeping (sweep days) is written by the sweep only, never by a form.
    unbounded = [u for u in unbounded if not u.startswith(("Reminder", "Notification", "Sweep"))]
    assert unbounded == []


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_the_page_field_refuses_what_the_api_refuses(value):
    field = DayField()
    with pytest.raises(forms.ValidationError) as refused:
        field.clean(value)
    assert "日期须在 1949-10-01 至 2099-12-31 之间" in refused.value.messages
    assert field.clean("2024-05-01") == dt.date(2024, 5, 1)


@pytest.mark.django_db
def test_a_hazard_deadline_of_9999_is_refused_on_the_page(login):
    from accountability.models import Hazard

    client = login("enterprise")
    response = client.post(
        reverse("accountability:hazard_report"),
        {
            "title": "脚手架未设连墙件",
            "enterprise": "e1",
            "sector": "housing",
            "unit": "钢筋班组",
            "level": "general",
            "source": "self_check",
            "found_on": dt.date.today(),
            "deadline": "9999-12-31",
        },
    )
    assert response.status_code == 400
    assert "日期须在 1949-10-01 至 2099-12-31 之间" in response.content.decode()
    assert not Hazard.objects.filter(title="脚手架未设连墙件").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("education", {"held_on": "0001-01-01", "description": "警示教育", "participants": "5"}),
        ("action", {"description": "整改", "due_on": "9999-12-31"}),
    ],
)
def test_workbench_forms_refuse_dates_outside_the_calendar(login, path, data):
    from accountability import cases as case_services
    from accountability.models import Accident

    client = login("inspector")
    case = case_services.open_case(accident=Accident.objects.get(code="A0226")).case
    url = {
        "education": reverse("accountability:case_education", args=[case.code]),
        "action": reverse("accountability:case_action_add", args=[case.code]),
    }[path]
    response = client.post(url, data)
    assert response.status_code == 400
    assert "日期须在 1949-10-01 至 2099-12-31 之间" in response.content.decode()
    assert not case.education.exists() and not case.corrective_actions.exists()
