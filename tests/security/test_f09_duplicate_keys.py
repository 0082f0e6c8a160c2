"""Finding 9: a repeated JSON key was accepted, the last one winning, in the API and the import (a
repeated top-level section too). Now refused in both."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from accountability.models import Accident
from responsibility.models import Person


@pytest.mark.parametrize(
    "body",
    [
        '{"enterprise": "e1", "sector": "housing", "sector": "hazchem", "occurred_at": "2024-06-01T08:00:00+08:00"}',
        '{"enterprise": "e1", "sector": "housing", "occurred_at": "2024-06-01T08:00:00+08:00",'
        ' "parties": [{"enterprise": "e4", "role": "owner", "role": "other"}]}',
    ],
)
def test_the_api_refuses_a_repeated_key(world, body, tried):
    before = Accident.objects.count()
    response = world.clients["admin"].post("/api/v1/accidents/", body, content_type="application/json")
    tried["api: duplicate keys"] += 1
    assert response.status_code == 400
    assert "duplicate key" in response.json()["detail"]
    assert Accident.objects.count() == before


@pytest.mark.parametrize(
    "document,named",
    [
        ('{"people": [{"code": "px7", "name": "甲", "name": "乙"}]}', "'name' in the object with code 'px7'"),
        (
            '{"people": [{"code": "px7", "name": "甲"}], "people": [{"code": "px8", "name": "乙"}]}',
            "'people'",
        ),
    ],
)
def test_the_import_refuses_a_repeated_key_or_section(world, tmp_path, document, named, tried):
    path = tmp_path / "dup.json"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_scenario", str(path), quiet=True)
    tried["import: duplicate keys"] += 1
    assert f"duplicate key {named}" in str(refused.value)
    assert not Person.objects.filter(code__in=["px7", "px8"]).exists()
