"""Finding 10: with DJANGO_DEBUG=0 and no SECRET_KEY the public development key was used; evidence
uploads had no limit; no Content-Security-Policy; signed-in pages could be cached; the API docs were
public. Development and test settings keep working without any secret."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accountability.hazards import start_rectification
from accountability.models import Hazard, HazardState
from tests import evidence_files
from tests.conftest import REPO

PUBLIC_KEY = "dev-only-insecure-key-not-for-production"


def settings_in_a_fresh_process(module: str, code: str, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_SECRET_KEY")}
    environment.update(DJANGO_SETTINGS_MODULE=module, **env)
    script = f"import django; django.setup(); from django.conf import settings; {code}"
    return subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=environment, capture_output=True, text=True, timeout=120
    )


def test_debug_off_without_a_key_never_uses_the_public_development_key(tried):
    done = settings_in_a_fresh_process(
        "config.settings.base", "print(settings.SECRET_KEY)", DJANGO_DEBUG="0", DATABASE_URL=""
    )
    tried["settings: processes started"] += 1
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() and done.stdout.strip() != PUBLIC_KEY


def test_production_refuses_to_start_without_a_key_and_puts_the_docs_behind_login(tried):
    refused = settings_in_a_fresh_process("config.settings.production", "print(1)", DATABASE_URL="")
    started = settings_in_a_fresh_process(
        "config.settings.production",
        "print(settings.DUTYCHAIN['API_DOCS_LOGIN_REQUIRED'], settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src'])",
        DATABASE_URL="",
        SECRET_KEY="x" * 64,
    )
    tried["settings: processes started"] += 2
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip().split(maxsplit=1) == ["True", "[\"'self'\"]"]


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_the_api_docs_need_a_login_when_production_says_so(world, client, settings, path, tried):
    settings.DUTYCHAIN = {**settings.DUTYCHAIN, "API_DOCS_LOGIN_REQUIRED": True}
    tried["api docs: requests"] += 2
    assert client.get(path).status_code in (401, 403)
    client.force_login(world.users["enterprise"])
    assert client.get(path).status_code == 200


def test_pages_carry_a_content_security_policy_and_signed_in_ones_are_not_stored(world, client, tried):
    anonymous = client.get("/accounts/login/")
    policy = anonymous["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy
        and "frame-ancestors 'none'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    client.force_login(world.users["inspector"])
    for path in ("/dashboard/", "/accidents/", "/cases/CASE-A-A0226/", "/accidents/ledger.xlsx"):
        response = client.get(path)
        tried["pages: headers checked"] += 1
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
    api = world.clients["inspector"].get("/api/v1/accidents/")
    tried["api: headers checked"] += 1
    assert "no-store" in api["Cache-Control"]


@pytest.mark.parametrize(
    "name,size,accepted",
    [
        ("after.jpg", 10, True),
        ("report.pdf", 10, True),
        ("run.exe", 10, False),
        ("page.html", 10, False),
        ("big.jpg", 3_000, False),
    ],
)
def test_evidence_uploads_have_a_type_and_size_limit(world, settings, name, size, accepted, tried):
    settings.DUTYCHAIN = {**settings.DUTYCHAIN, "EVIDENCE_MAX_BYTES": 2_000}
    hazard = start_rectification(hazard=Hazard.objects.get(code="HZ1"))
    # Real signatures for the accepted types: the content must be what the name claims.
    extension = name.rsplit(".", 1)[-1]
    content = {"jpg": evidence_files.jpeg, "pdf": evidence_files.pdf}.get(extension, lambda size: b"x" * size)
    upload = SimpleUploadedFile(name, content(size=size))
    response = world.clients["enterprise"].post(
        f"/api/v1/hazards/{hazard.code}/submit/", {"evidence": upload}, format="multipart"
    )
    tried["api: evidence uploads"] += 1
    assert response.status_code == (200 if accepted else 400), response.content
    state = Hazard.objects.get(code="HZ1").state
    assert state == (HazardState.SUBMITTED if accepted else HazardState.RECTIFYING)
