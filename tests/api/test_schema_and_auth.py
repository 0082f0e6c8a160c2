"""The schema validates, the docs need no CDN, tokens and sessions both authenticate, errors are JSON."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from .conftest import PASSWORD


def test_the_schema_validates_without_a_warning(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/v1/trace/" in (tmp_path / "schema.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_their_assets_from_this_server(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert assets
    assert not [url for url in assets if url.startswith(("http:", "https:", "//"))], assets
    assert "cdn" not in html.lower()


def test_redoc_runs_the_sidecar_bundle(client):
    assert "/static/drf_spectacular_sidecar/redoc/" in client.get("/api/redoc/").content.decode()


def test_issue_token_prints_a_token_that_authenticates(shared_world, db):
    out = StringIO()
    call_command("issue_token", "regulator", stdout=out)
    key = out.getvalue().strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").json()["username"] == "regulator"
    rotated = StringIO()
    call_command("issue_token", "regulator", "--rotate", stdout=rotated)
    assert rotated.getvalue().strip() != key
    assert client.get("/api/v1/me/").status_code == 401


def test_issue_token_for_an_unknown_user_is_an_error(db):
    with pytest.raises(CommandError):
        call_command("issue_token", "nobody")


def test_a_session_login_authenticates_the_api_too(shared_world, db):
    client = APIClient()
    assert client.login(username="inspector", password=PASSWORD)
    assert client.get("/api/v1/me/").json()["role"] == "inspector"


def test_anonymous_requests_are_told_to_authenticate_in_json(db):
    response = APIClient().get("/api/v1/hazards/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_a_malformed_body_is_a_json_400(shared_world, db):
    response = shared_world.clients["enterprise"].post(
        "/api/v1/hazards/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "detail" in response.json()
