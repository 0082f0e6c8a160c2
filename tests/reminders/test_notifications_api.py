"""My notifications over the API: list, mark read, mark all read — only my own."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from rest_framework.test import APIClient

from accountability.models import Notification
from responsibility.models import Person


@pytest.fixture
def people(db):
    owner = User.objects.create_user("owner")
    outsider = User.objects.create_user("outsider")
    person = Person.objects.create(code="px", name="王五", user=owner)
    mine = [
        Notification.objects.create(user=owner, title="给我的账号"),
        Notification.objects.create(person=person, title="给我这个人"),
    ]
    theirs = Notification.objects.create(user=outsider, title="别人的")
    return owner, outsider, mine, theirs


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_it_lists_only_my_notifications(people):
    owner, _, mine, _ = people
    assert reverse("accountability-api:notification-list") == "/api/v1/notifications/"
    response = client_for(owner).get("/api/v1/notifications/")
    assert response.status_code == 200
    assert {n["id"] for n in response.json()["results"]} == {n.pk for n in mine}


def test_it_marks_one_read_and_filters_unread(people):
    owner, _, mine, _ = people
    client = client_for(owner)
    response = client.post(f"/api/v1/notifications/{mine[0].pk}/read/")
    assert response.status_code == 200 and response.json()["is_read"] is True
    unread = client.get("/api/v1/notifications/?unread=1").json()["results"]
    assert [n["id"] for n in unread] == [mine[1].pk]
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 1}


def test_it_marks_all_mine_read_and_no_one_elses(people):
    owner, _, _, theirs = people
    response = client_for(owner).post("/api/v1/notifications/read-all/")
    assert response.json() == {"marked": 2}
    assert Notification.objects.for_user(owner).unread().count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_someone_elses_notification_is_not_found(people):
    owner, _, _, theirs = people
    client = client_for(owner)
    assert client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404


def test_an_anonymous_caller_is_refused(people):
    assert APIClient().get("/api/v1/notifications/").status_code in (401, 403)
    assert APIClient().post("/api/v1/notifications/read-all/").status_code in (401, 403)
