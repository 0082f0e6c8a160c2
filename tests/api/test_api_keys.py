"""API keys: a script trades a username and password for a key (several per user, stored hashed,
throttled, audited), the key works on my/duties, which honours ?date=; an enterprise traces its own events."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import ApiKey, ApiKeyEvent
from tests.api.conftest import PASSWORD


def obtain(username: str, password: str = PASSWORD, **extra):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password, **extra}, format="json"
    )


def test_an_enterprise_user_gets_a_key_that_works_on_my_duties(shared_world, db):
    response = obtain("enterprise", name="排班脚本")
    assert response.status_code == 201
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    duties = client.get("/api/v1/my/duties/")
    assert duties.status_code == 200 and duties.json()["enterprise"]["code"] == "e1"
    key = ApiKey.objects.get(user__username="enterprise", name="排班脚本")
    assert token not in (key.digest, key.token_key) and token.startswith(key.token_key)
    event = ApiKeyEvent.objects.get(username="enterprise", action="created", via="api")
    assert event.key_prefix == key.token_key and event.address == "127.0.0.1"


def test_each_request_makes_another_key_and_the_old_one_keeps_working(shared_world, db):
    first, second = obtain("enterprise").json()["token"], obtain("enterprise").json()["token"]
    assert first != second
    for token in (first, second):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.get("/api/v1/me/").json()["username"] == "enterprise"
    assert ApiKey.objects.filter(user__username="enterprise").count() >= 2


def test_a_wrong_password_gets_no_key_and_is_audited(shared_world, db):
    response = obtain("enterprise", "wrong")
    assert response.status_code == 400 and "token" not in response.json()
    assert response.json()["non_field_errors"] == ["登录名或密码错误"]
    assert ApiKeyEvent.objects.filter(username="enterprise", action="refused").count() == 1


def test_a_missing_field_is_named(db):
    response = APIClient().post("/api/v1/auth/token/", {"username": "x"}, format="json")
    assert response.status_code == 400 and "password" in response.json()


def test_the_token_endpoint_is_throttled(shared_world, db):
    cache.clear()
    # Another name each time: one name's tenth wrong password is a lockout (429 of its own).
    statuses = [obtain(f"nobody{i}", "wrong").status_code for i in range(12)]
    cache.clear()
    assert statuses[:10] == [400] * 10 and statuses[-1] == 429


def test_my_duties_honours_the_date(shared_world, db):
    client = shared_world.clients["enterprise"]
    then = client.get("/api/v1/my/duties/", {"date": "2020-01-01"}).json()
    now = client.get("/api/v1/my/duties/").json()
    assert then["date"] == "2020-01-01" and now["date"] == shared_world.today.isoformat()
    assert then["positions"] != now["positions"] or then["answerable"] != now["answerable"]


@pytest.mark.parametrize("value", ["2024-02-30", "yesterday", "0001-01-01"])
def test_a_bad_date_on_my_duties_is_a_400_naming_the_field(shared_world, db, value):
    response = shared_world.clients["enterprise"].get("/api/v1/my/duties/", {"date": value})
    assert response.status_code == 400 and list(response.json()) == ["date"]


def test_an_enterprise_traces_its_own_accident_without_other_enterprises_links(shared_world, db):
    response = shared_world.clients["enterprise"].get("/api/v1/trace/", {"accident": "A0226"})
    assert response.status_code == 200
    links = response.json()["links"]
    assert {link["track"] for link in links} == {"enterprise", "supervision"}
    assert {link["enterprise"] for link in links} <= {"e1", None}
    assert all(link["role"] == "main" for link in links if link["track"] == "enterprise")
    full = shared_world.clients["admin"].get("/api/v1/trace/", {"accident": "A0226"}).json()["links"]
    assert {link["enterprise"] for link in full} > {"e1"}  # the parties e4 and e6 are in the full trace
    supervision = [
        link for link in full if link["track"] == "supervision" and link["enterprise"] in (None, "e1")
    ]
    assert [link for link in links if link["track"] == "supervision"] == supervision


def test_an_enterprise_cannot_trace_events_not_its_own(shared_world, db):
    client = shared_world.clients["enterprise2"]
    assert client.get("/api/v1/trace/", {"accident": "A0226"}).status_code == 404
    assert (
        client.get(
            "/api/v1/trace/", {"enterprise": "e1", "sector": "housing", "date": "2024-02-26"}
        ).status_code
        == 404
    )
    assert (
        client.get("/api/v1/trace/", {"region": "T1", "sector": "housing", "date": "2024-02-26"}).status_code
        == 404
    )
