"""Plausible hazard dates (issue 25 item 5), one home (accountability/hazard_dates.py): a hazard is not found
in the future; its 整改期限, a 督办期限 and an extension stay within HAZARD_DEADLINE_MAX_DAYS of the day they
run from. Each rule refused on the API, the page's service and the admin, naming the field and the bound."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.forms.models import model_to_dict
from django.test import RequestFactory, override_settings

from accountability.models import Hazard

TODAY = dt.date.today()


def post(client, path, data):
    return client.post(path, data, format="json")


def report(client, **dates):
    body = {"sector": "housing", "level": "general", "title": "临边防护缺失"}
    return post(client, "/api/v1/hazards/", body | {k: str(v) for k, v in dates.items()})


def test_a_hazard_found_tomorrow_is_refused_naming_today(shared_world, db):
    tomorrow = TODAY + dt.timedelta(days=1)
    response = report(shared_world.clients["enterprise"], found_on=tomorrow, deadline=tomorrow)
    assert response.status_code == 400
    assert f"不能晚于今日（{TODAY}）" in response.json()["found_on"][0]
    assert report(shared_world.clients["enterprise"], found_on=TODAY, deadline=TODAY).status_code == 201


def test_a_deadline_past_the_maximum_is_refused_naming_the_bound(shared_world, db):
    bound = TODAY + dt.timedelta(days=365)
    late = report(shared_world.clients["enterprise"], found_on=TODAY, deadline=bound + dt.timedelta(days=1))
    assert late.status_code == 400
    assert f"不能晚于发现日期后 365 天（{bound}）" in late.json()["deadline"][0]
    assert report(shared_world.clients["enterprise"], found_on=TODAY, deadline=bound).status_code == 201


@override_settings(HAZARD_DEADLINE_MAX_DAYS=30)
def test_the_maximum_is_a_setting(shared_world, db):
    late = report(shared_world.clients["enterprise"], found_on=TODAY, deadline=TODAY + dt.timedelta(days=31))
    assert late.status_code == 400 and "30 天" in late.json()["deadline"][0]


def test_a_supervision_deadline_past_the_maximum_is_refused(shared_world, db):
    regulator = shared_world.clients["regulator"]
    too_late = post(regulator, "/api/v1/hazards/HZ1/list-for-supervision/", {"due_on": "2099-12-31"})
    assert too_late.status_code == 400
    assert f"不能晚于挂牌日期后 365 天（{TODAY + dt.timedelta(days=365)}）" in too_late.json()["due_on"][0]
    ok = post(
        regulator, "/api/v1/hazards/HZ1/list-for-supervision/", {"due_on": str(TODAY + dt.timedelta(days=30))}
    )
    assert ok.status_code == 200


def test_an_extension_past_the_maximum_is_refused(shared_world, db):
    hazard = Hazard.objects.get(code="HZ1")
    response = post(
        shared_world.clients["enterprise"],
        "/api/v1/hazards/HZ1/request-extension/",
        {"requested_deadline": str(hazard.deadline + dt.timedelta(days=366)), "reason": "材料到货延迟"},
    )
    assert response.status_code == 400
    assert "不能晚于现整改期限后 365 天" in response.json()["requested_deadline"][0]


def test_the_admin_refuses_a_hazard_found_in_the_future(shared_world, db):
    hazard = Hazard.objects.get(code="HZ1")
    request = RequestFactory().post("/admin/accountability/hazard/")
    request.user = next(user for user in shared_world.users.values() if user.is_superuser)
    form_class = admin.site._registry[Hazard].get_form(request, hazard)
    data = model_to_dict(hazard) | {
        "found_on": TODAY + dt.timedelta(days=3),
        "deadline": TODAY + dt.timedelta(days=9),
    }
    form = form_class(data=data, instance=hazard)
    assert not form.is_valid()
    assert "不能晚于今日" in form.errors["found_on"][0]
