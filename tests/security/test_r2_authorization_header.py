"""Round two (issue 23): an `Authorization: Token` header with a non-UTF-8 byte or a NUL was a 500 on
every API route, without login, also under production settings (inside django-rest-knox). Now any
malformed header is a 401 in Chinese, before the view and before the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from rest_framework.schemas.generators import EndpointEnumerator
from rest_framework.test import APIClient

from tests.conftest import REPO

# What a WSGI server hands Django for raw header bytes: each byte as one ISO-8859-1 character.
BAD_HEADERS = {
    "non-UTF-8 byte": "Token " + "a" * 20 + "\xff\xfe",
    "NUL": "Token " + "ab" * 10 + "\x00" + "cd" * 10,
    "NUL alone": "Token \x00",
    "quote and percent": "Token '%00\"--",
    "beyond ISO-8859-1": "Token 密钥" + "a" * 20,
    "two parts": "Token abc def",
    "no key": "Token",
    "control characters": "Token " + "\x01\x02\x1b" * 8,
}


# A path parameter whose pattern a bare "1" does not match (the URL would 404 before any authentication).
SAMPLES = {"kind": "handover"}


def api_routes() -> list[tuple[str, str]]:
    """Every route and method under /api/v1/, with a placeholder for each path parameter."""
    routes = []
    for path, method, _view in EndpointEnumerator().get_api_endpoints():
        if not path.startswith("/api/v1/"):
            continue
        concrete = path
        while "{" in concrete:
            start, end = concrete.index("{"), concrete.index("}")
            sample = SAMPLES.get(concrete[start + 1 : end], "1")
            concrete = concrete[:start] + sample + concrete[end + 1 :]
        routes.append((concrete, method))
    return routes


def test_the_route_list_covers_the_api(db):
    paths = {path for path, _ in api_routes()}
    assert len(paths) > 30
    assert {"/api/v1/auth/token/", "/api/v1/accidents/", "/api/v1/hazards/1/"} <= paths


@pytest.mark.parametrize("kind", list(BAD_HEADERS))
def test_a_malformed_token_header_is_a_401_in_chinese_on_every_api_route(db, kind, tried):
    client = APIClient(raise_request_exception=False)
    failures = []
    for path, method in api_routes():
        response = client.generic(method, path, HTTP_AUTHORIZATION=BAD_HEADERS[kind])
        tried[f"api: {kind} in Authorization"] += 1
        if path == "/api/v1/auth/token/":
            # The key endpoint reads no key: a header there is ignored, the body is checked.
            if response.status_code >= 500:
                failures.append((method, path, response.status_code))
            continue
        detail = response.json().get("detail", "") if response.status_code == 401 else ""
        if response.status_code != 401 or not any("\u4e00" <= ch <= "\u9fff" for ch in detail):
            failures.append((method, path, response.status_code, detail))
    assert failures == []


def test_a_well_formed_but_unknown_key_is_a_401_in_chinese(db):
    response = APIClient().get("/api/v1/accidents/", HTTP_AUTHORIZATION="Token " + "ab" * 32)
    assert response.status_code == 401
    assert response.json()["detail"] == "API 密钥无效或已撤销"
    assert response["WWW-Authenticate"] == "Token"


def test_under_production_settings_a_bad_byte_is_a_401_not_a_500(tried):
    """The production settings (DEBUG off, HTTPS) in a process of their own; the refusal comes before
    any database access, so an empty database file is enough."""
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "from django.test.utils import setup_test_environment; setup_test_environment();"
        "c = Client(raise_request_exception=False);"
        "out = [];"
        f"headers = {list(BAD_HEADERS.values())!r};"
        "paths = ['/api/v1/accidents/', '/api/v1/my/duties/', '/api/v1/hazards/x1/', '/api/v1/units/'];"
        "out = [[p, h, (r := c.get(p, HTTP_AUTHORIZATION=h, secure=True, HTTP_HOST='example.org')).status_code,"
        " r.content.decode()] for p in paths for h in headers];"
        "print(json.dumps(out))"
    )
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="p" * 64,
        DJANGO_ALLOWED_HOSTS="example.org,testserver",
        DATABASE_URL="sqlite:////tmp/dutychain-authorization-probe.sqlite3",
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)
    tried["production: malformed Authorization"] += len(answers)
    assert {status for _path, _header, status, _body in answers} == {401}
    assert all("Authorization" in body or "API 密钥" in body for *_, body in answers)
