"""A full evidence disk (a real, tiny tmpfs as MEDIA_ROOT): the upload answers a Chinese 503, and nothing of
the rectification is written — the hazard keeps its state and has no new transition."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from accountability.hazards import start_rectification
from accountability.models import Hazard, HazardTransition
from config.observability import DISK_FULL
from tests import evidence_files
from tests.api.conftest import build_world

PNG = evidence_files.png("x" * 96 * 1024)  # well-formed (uploads are checked), larger than the disk


@pytest.fixture
def full_disk(tmp_path, settings):
    mount = tmp_path / "media"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    try:
        filled = subprocess.run(
            ["dd", "if=/dev/zero", f"of={mount / 'filler'}", "bs=4k"], capture_output=True
        )
        assert b"No space left" in filled.stderr
        settings.MEDIA_ROOT = str(mount)
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_an_evidence_upload_on_a_full_disk_is_a_503_and_writes_nothing(db, full_disk):
    world = build_world()
    hazard = start_rectification(hazard=Hazard.objects.get(code="HZ1"))
    transitions = HazardTransition.objects.filter(hazard=hazard).count()
    response = world.clients["enterprise"].post(
        "/api/v1/hazards/HZ1/submit/",
        {"note": "整改完成", "evidence": _upload()},
        format="multipart",
    )
    assert response.status_code == 503
    assert response.json()["detail"] == DISK_FULL and response["X-Request-ID"]
    assert Hazard.objects.get(code="HZ1").state == "rectifying"
    assert HazardTransition.objects.filter(hazard=hazard).count() == transitions
    assert not [p for p in Path(full_disk).rglob("*.png") if p.stat().st_size]


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("photo.png", PNG, content_type="image/png")
