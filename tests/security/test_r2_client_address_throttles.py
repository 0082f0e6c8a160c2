"""Round two (issue 23): the key endpoint's per-address throttle believed X-Forwarded-For (40 requests,
each with another value, got no 429); the login page had no per-address limit (60 usernames × 2
passwords from one address all answered 200); a locked-out account asking for a key got 400 "wrong
password". Now the client's address is REMOTE_ADDR unless that is a configured trusted proxy (none by
default), the same function for the API throttles and the lockout; every login (page, admin, key
endpoint) is limited per address and per account; a lockout answers 429 everywhere."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.test import RequestFactory

from responsibility.auth import client_ip
from tests.api.conftest import PASSWORD
from tests.conftest import REPO

WRONG = "not-the-password"
TOKEN = "/api/v1/auth/token/"
LOGIN_FORMS = ["/accounts/login/", "/admin/login/"]


def ask_for_key(client, username, password, address="10.9.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(TOKEN, {"username": username, "password": password}, format="json", **extra)


def log_in(client, url, username, password, address="10.9.0.1"):
    return client.post(url, {"username": username, "password": password, "next": "/"}, REMOTE_ADDR=address)


def test_forged_x_forwarded_for_does_not_lift_the_key_endpoint_throttle(world, tried):
    client = world.clients["anonymous"]
    statuses = []
    for i in range(40):
        response = ask_for_key(client, f"user{i}", WRONG, forwarded=f"203.0.113.{i + 1}")
        statuses.append(response.status_code)
        tried["key endpoint: forged X-Forwarded-For"] += 1
    assert 429 in statuses[:39]
    assert statuses.index(429) == 10  # the 11th: api_token is 10 a minute per address
    assert set(statuses[10:]) == {429}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["detail"])  # in Chinese


def test_no_proxy_is_trusted_by_default():
    assert settings.TRUSTED_PROXIES == ()
    request = RequestFactory().get("/", REMOTE_ADDR="10.9.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert client_ip(request) == "10.9.0.1"


@pytest.mark.parametrize("url", LOGIN_FORMS)
def test_the_login_page_limits_one_address_trying_many_usernames(world, client, url, tried):
    statuses = []
    for i in range(60):
        for password in (WRONG, "123456"):
            statuses.append(log_in(client, url, f"guess{i}", password).status_code)
            tried["login: usernames from one address"] += 1
    assert statuses[:30] == [200] * 30
    assert set(statuses[30:]) == {429}
    # Even the right password of a real account waits from that address.
    locked = log_in(client, url, "admin", PASSWORD)
    assert locked.status_code == 429 and "登录尝试过于频繁" in locked.content.decode()
    assert int(locked["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    # Another address is not held up.
    assert log_in(client, url, "admin", PASSWORD, address="10.9.0.2").status_code == 302


@pytest.mark.parametrize("url", [*LOGIN_FORMS, TOKEN])
def test_one_account_tried_from_many_addresses_is_limited(world, client, url, tried):
    statuses = []
    for i in range(30):
        if url == TOKEN:
            response = ask_for_key(world.clients["anonymous"], "regulator", WRONG, address=f"10.8.0.{i + 1}")
        else:
            response = log_in(client, url, "regulator", WRONG, address=f"10.8.0.{i + 1}")
        statuses.append(response.status_code)
        tried["login: one account from many addresses"] += 1
    assert 429 not in statuses[:20]  # login_account: 20 a minute
    assert set(statuses[20:]) == {429}


@pytest.mark.parametrize("locked_at", ["/accounts/login/", TOKEN])
def test_a_locked_out_account_gets_the_lockout_answer_everywhere(world, client, locked_at, tried):
    """Locked at one door (the limit of wrong passwords, one address), every door answers 429 with the
    lockout message — the key endpoint included, which answered 400 "wrong password"."""
    api = world.clients["anonymous"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        if locked_at == TOKEN:
            ask_for_key(api, "township", WRONG, address="10.7.0.1")
        else:
            log_in(client, locked_at, "township", WRONG, address="10.7.0.1")
        tried["login: wrong passwords to a lockout"] += 1
    cache.clear()  # the rate limits forgotten: what answers now is the lockout alone
    key = ask_for_key(api, "township", PASSWORD, address="10.7.0.1")
    assert key.status_code == 429, key.content
    assert "登录失败次数过多" in key.json()["detail"]
    for url in LOGIN_FORMS:
        page = log_in(client, url, "township", PASSWORD, address="10.7.0.1")
        assert page.status_code == 429 and "登录失败次数过多" in page.content.decode()
    tried["login: right password while locked"] += 3


def test_behind_a_trusted_proxy_each_client_is_counted_by_the_address_the_proxy_saw(world, settings, tried):
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("10.0.1.5/32"))
    api = world.clients["anonymous"]

    def via_proxies(forwarded, username):
        return ask_for_key(api, username, WRONG, address="10.0.0.2", forwarded=forwarded)

    # Two proxies (10.0.1.5 then 10.0.0.2); what the client wrote on the left is not believed.
    statuses = [via_proxies(f"1.1.1.{i}, 198.51.100.7, 10.0.1.5", f"probe{i}").status_code for i in range(12)]
    tried["key endpoint: through trusted proxies"] += 12
    assert statuses[:10] == [400] * 10 and statuses[10:] == [429, 429]
    # The lockout counted the same address (axes asks the same function).
    assert AccessAttempt.objects.filter(username="probe0", ip_address="198.51.100.7").exists()
    # Another client behind the same proxies has its own count.
    assert via_proxies("198.51.100.8, 10.0.1.5", "probe0").status_code == 400


@pytest.mark.parametrize(
    "remote,forwarded,client",
    [
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.3", "198.51.100.7"),
        ("10.0.0.2", "not-an-address, 10.0.0.3", "10.0.0.3"),
        ("10.0.0.2", "", "10.0.0.2"),
        ("192.0.2.1", "198.51.100.7", "192.0.2.1"),  # not a trusted proxy: its header is ignored
        ("10.0.0.2", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_reads_x_forwarded_for_only_past_trusted_proxies(settings, remote, forwarded, client):
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.0/24"),)
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == client


@pytest.mark.parametrize(
    "env,message",
    [
        ({"DJANGO_TRUSTED_PROXIES": "10.0.0.1, proxy.local"}, "DJANGO_TRUSTED_PROXIES"),
        ({"DJANGO_PROXY_COUNT": "1"}, "DJANGO_TRUSTED_PROXIES"),
    ],
)
def test_a_bad_proxy_setting_stops_the_start_by_name(env, message):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.base", "DATABASE_URL": "", **env}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and message in done.stderr
