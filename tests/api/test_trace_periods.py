"""The trace over a period and several sectors (DESIGN §5) on the page and in the API, the same as the
command: terms, spans and unknowns, for an event's own period and for a typed one."""

import json
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from tests.api.conftest import token_client


def command_json(*args) -> dict:
    out = StringIO()
    call_command("trace", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def admin(db):
    return User.objects.create_superuser("chief", password="x")


@pytest.mark.parametrize("query", ["accident=A0429", "hazard=HZ_INN"])
def test_the_api_trace_of_an_event_carries_its_period_and_sectors_like_the_command(old_house, admin, query):
    kind, code = query.split("=")
    response = token_client(admin).get(f"/api/v1/trace/?{query}")

    assert response.status_code == 200
    assert response.json() == {k: v for k, v in command_json(f"--{kind}", code).items() if k != "links"} | {
        "links": response.json()["links"]
    }
    assert [
        (link["person"], link["term"], link.get("from"), link["unknown"]) for link in response.json()["links"]
    ] == [
        (link["person"], link["term"], link.get("from"), link["unknown"])
        for link in command_json(f"--{kind}", code)["links"]
    ]


def test_the_api_traces_an_enterprise_over_a_typed_period_and_further_sectors(old_house, admin):
    args = {"enterprise": "house", "sector": "selfbuilt", "date": "2022-04-29", "grade": "especially_major"}
    query = (
        "&".join(f"{k}={v}" for k, v in args.items())
        + "&since=2018-05-01&also_sector=catering&also_sector=lodging"
    )

    got = token_client(admin).get(f"/api/v1/trace/?{query}").json()
    want = command_json(
        *[f"--{k}={v}" for k, v in args.items()],
        "--since=2018-05-01",
        "--also-sector=catering",
        "--also-sector=lodging",
    )

    assert (got["since"], got["also_sectors"]) == ("2018-05-01", ["catering", "lodging"])
    assert got == want
    assert {"earlier"} <= {link["term"] for link in got["links"]}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("enterprise=house&sector=selfbuilt&date=2022-04-29&since=2022-05-01", "since"),
        ("enterprise=house&sector=selfbuilt&date=2022-04-29&also_sector=nowhere", "also_sector"),
    ],
)
def test_a_bad_period_or_sector_is_a_400_naming_the_field(old_house, admin, query, field):
    response = token_client(admin).get(f"/api/v1/trace/?{query}")

    assert response.status_code == 400
    assert field in response.json()


def test_the_trace_page_says_who_held_a_post_earlier_and_what_is_not_recorded(old_house, admin, client):
    client.force_login(admin)

    page = client.get("/trace/?accident=A0429").content.decode()

    assert "在任期间 2018-05-01 至 2020-05-31" in page  # 朱前区长, the district head before
    assert "未录入" in page  # the squad leader of 2018, before the post's records start
    assert 'data-term="earlier"' in page


def test_the_trace_page_takes_a_period_and_further_sectors_for_an_enterprise(old_house, admin, client):
    client.force_login(admin)

    page = client.get(
        "/trace/?enterprise=house&sector=selfbuilt&date=2022-04-29&grade=especially_major"
        "&since=2018-05-01&also_sector=catering&also_sector=lodging"
    ).content.decode()

    assert "在任期间 2018-05-01 至 2020-05-31" in page
    assert "鉴定人员" in page  # the certification's signers come with the period
