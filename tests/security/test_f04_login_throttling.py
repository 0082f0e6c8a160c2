"""Finding 4: 100 wrong passwords, then the right one, logged in — on the login page and the admin.
Now django-axes counts failures per username *and* address: after the limit that pair is locked (429,
in Chinese, with an audit row), while the same user from another address still gets in."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.auth import authenticate
from django.test import RequestFactory

from tests.api.conftest import PASSWORD

WRONG = "not-the-password"
LOGIN_FORMS = [("/accounts/login/", "/"), ("/admin/login/", "/admin/")]


def attempt(client, url, password, address="10.0.0.1", username="inspector"):
    return client.post(url, {"username": username, "password": password, "next": "/"}, REMOTE_ADDR=address)


@pytest.mark.parametrize("url,home", LOGIN_FORMS)
def test_thirty_wrong_passwords_lock_that_user_at_that_address(world, client, url, home, tried):
    for _ in range(30):
        attempt(client, url, WRONG)
        tried["login: wrong passwords"] += 1
    locked = attempt(client, url, PASSWORD)
    tried["login: right password after lockout"] += 1
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.filter(username="inspector", ip_address="10.0.0.1").exists()
    assert AccessFailureLog.objects.filter(username="inspector", locked_out=True).exists()


def test_a_colleague_elsewhere_is_not_locked_out(world, client, tried):
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        attempt(client, "/accounts/login/", WRONG, address="10.0.0.66")
        tried["login: wrong passwords"] += 1
    response = attempt(client, "/accounts/login/", PASSWORD, address="10.0.0.7")
    tried["login: right password elsewhere"] += 1
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world.users["inspector"].pk)


def test_authenticate_with_a_request_is_throttled_for_any_endpoint(world, tried):
    """The API's token endpoint calls authenticate(request=…): the same lock applies."""
    factory = RequestFactory()

    def login(password):
        request = factory.post("/api/v1/auth/token/", REMOTE_ADDR="10.0.0.9")
        return authenticate(request=request, username="regulator", password=password)

    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert login(WRONG) is None
        tried["authenticate(): wrong passwords"] += 1
    assert login(PASSWORD) is None
    tried["authenticate(): right password after lockout"] += 1
    # A call without a request (a management command) is no login from anywhere.
    assert authenticate(username="regulator", password=PASSWORD) == world.users["regulator"]
