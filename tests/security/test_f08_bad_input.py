"""Finding 8: NUL bytes in paths, query parameters or API code fields, ?year=0 or a huge year, JSON
nested 1,000 deep and a lone surrogate in an import answered 500 or a traceback. Now 400, or a refusal
that names item and field, and nothing written."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from accountability.models import Accident, Hazard
from responsibility.models import Person

NUL_PATHS = [
    "/accidents/A%00226/",
    "/hazards/HZ1%00/",
    "/api/v1/accidents/A%000226/",
    "/api/v1/people/p%0017/",
    "/api/v1/units/e1%00/",
    "/enterprises/e1%00/",
]
NUL_QUERIES = [
    ("/api/v1/accidents/", {"enterprise": "e1\x00"}),
    ("/api/v1/hazards/", {"search": "\x00"}),
    ("/accidents/", {"grade": "\x00"}),
    ("/hazards/", {"enterprise": "e\x001"}),
    ("/trace/", {"enterprise": "e1\x00", "sector": "housing", "date": "2024-02-26"}),
]
BAD_YEARS = ["0", "-1", "99999", "10000", "1900", "9" * 40, "２０２４年", "abc"]


@pytest.mark.parametrize("path", NUL_PATHS)
def test_a_nul_byte_in_a_path_is_a_bad_request(world, client, path, tried):
    client.force_login(world.users["admin"])
    tried["pages and api: NUL in path"] += 1
    assert client.get(path).status_code == 400


@pytest.mark.parametrize("path,params", NUL_QUERIES)
def test_a_nul_byte_in_a_query_parameter_is_a_bad_request(world, client, path, params, tried):
    client.force_login(world.users["admin"])
    tried["pages and api: NUL in query"] += 1
    assert client.get(path, params).status_code == 400


@pytest.mark.parametrize("field", ["sector", "region", "enterprise", "unit", "post"])
def test_a_nul_byte_in_an_api_code_field_is_a_field_error(world, field, tried):
    body = {"enterprise": "e1", "sector": "housing", "occurred_at": "2024-06-01T08:00:00+08:00"}
    body[field] = "e1\x00" if field != "sector" else "hous\x00ing"
    response = world.clients["admin"].post("/api/v1/accidents/", body, format="json")
    tried["api: NUL in code fields"] += 1
    assert response.status_code == 400


@pytest.mark.parametrize("year", BAD_YEARS)
def test_a_year_outside_the_calendar_answers_without_a_server_error(world, client, year, tried):
    client.force_login(world.users["admin"])
    for page in ("/accidents/", "/accidents/ledger.xlsx", "/dashboard/"):
        tried["pages: malformed year"] += 1
        status = client.get(page, {"year": year}).status_code
        assert status in (200, 400), (page, year, status)
    assert client.get("/accidents/", {"year": year}).status_code == 400


@pytest.mark.parametrize("depth", [40, 1_000, 100_000])
def test_json_nested_deeply_is_refused(world, depth, tried):
    body = '{"title": ' + "[" * depth + "]" * depth + "}"
    response = world.clients["admin"].post("/api/v1/accidents/", body, content_type="application/json")
    tried["api: deep JSON"] += 1
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_a_json_body_over_the_limit_is_refused(world, settings, tried):
    settings.DUTYCHAIN = {**settings.DUTYCHAIN, "MAX_JSON_BYTES": 1_000}
    body = json.dumps({"title": "x" * 2_000, "sector": "housing"})
    response = world.clients["admin"].post("/api/v1/accidents/", body, content_type="application/json")
    tried["api: oversized JSON"] += 1
    assert response.status_code == 413


@pytest.mark.parametrize(
    "document,named",
    [
        ('{"people": [{"code": "px9", "name": "\\ud800"}]}', "people px9 field name"),
        ('{"people": [{"code": "px9", "name": "a\\u0000b"}]}', "people px9 field name"),
        ('{"people": [{"code": "px9\\udfff", "name": "b"}]}', "people[0] field code"),
        (
            '{"accidents": [{"code": "AX9", "title": "\\udc00", "region": "T1", "sector": "housing",'
            ' "occurred_at": "2024-06-01T08:00:00+08:00", "deaths": 0, "serious_injuries": 0, "direct_loss_yuan": 0}]}',
            "accidents AX9 field title",
        ),
    ],
)
def test_a_lone_surrogate_or_nul_in_an_import_is_refused_without_a_traceback(
    world, tmp_path, document, named, tried
):
    path = tmp_path / "bad.json"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_scenario", str(path), quiet=True)
    tried["import: invalid text"] += 1
    message = str(refused.value)
    message.encode("utf-8")  # printable: the bad text itself is never echoed
    assert f"{named}: contains a NUL character or an invalid Unicode character" in message
    assert not Person.objects.filter(code__startswith="px9").exists()
    assert not Accident.objects.filter(code="AX9").exists()


def test_hazard_api_text_with_a_lone_surrogate_is_refused(world, tried):
    before = Hazard.objects.count()
    body = '{"title": "\\ud83d", "enterprise": "e1", "sector": "housing", "level": "general", "found_on": "2024-01-01", "deadline": "2024-02-01"}'
    response = world.clients["admin"].post("/api/v1/hazards/", body, content_type="application/json")
    tried["api: invalid text"] += 1
    assert response.status_code == 400
    assert Hazard.objects.count() == before
