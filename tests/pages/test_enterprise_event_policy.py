"""One policy for an event's other parties (DESIGN §1, issue 25 item 6): the accident page and the API show
the same parties and actors to each role — an enterprise its own party entry and its controllers only,
other roles all of them — and the same period, sectors and figures."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from lxml import html as lxml_html

from tests.api.conftest import token_client


def _page(client, code: str) -> dict:
    doc = lxml_html.fromstring(client.get(reverse("accountability:accident_detail", args=[code])).content)
    parties = sorted(
        (li.get("data-enterprise"), li.get("data-role"))
        for li in doc.xpath("//ul[@id='parties']/li[@data-enterprise]")
    )
    actors = sorted(
        (li.get("data-person"), li.get("data-role"))
        for li in doc.xpath("//ul[@id='parties']/li[@data-person]")
    )
    return {
        "parties": parties,
        "actors": actors,
        "sectors": doc.xpath("string(//*[@id='accident-sectors'])"),
        "period": doc.xpath("string(//*[@id='accident-period'])"),
        "text": doc.text_content(),
    }


def _api(user, code: str) -> dict:
    return token_client(user).get(f"/api/v1/accidents/{code}/").json()


@pytest.mark.parametrize("username", ["enterprise", "inspector"])
@pytest.mark.parametrize("code", ["A0226", "A0318"])
def test_the_page_and_the_api_show_the_same_parties_actors_and_facts(login, username, code):
    page = _page(login(username), code)
    api = _api(User.objects.get(username=username), code)
    assert page["parties"] == sorted((p["enterprise"], p["role"]) for p in api["parties"])
    assert page["actors"] == sorted((a["person"], a["role"]) for a in api["actors"])
    for figure in (api["title"], f"{api['deaths']} 人", api["investigating_body"]):
        assert figure in page["text"]
    assert api["hazard_since"] is None and "事发当日" in page["period"]
    assert api["also_sectors"] == [] and "同时涉及" not in page["sectors"]


def test_an_enterprise_sees_none_of_the_other_enterprises_parties_or_actors(login):
    mine = _api(User.objects.get(username="enterprise"), "A0318")
    assert (mine["parties"], mine["actors"]) == ([], [])
    theirs = _api(User.objects.get(username="inspector"), "A0318")
    assert {p["enterprise"] for p in theirs["parties"]} == {"e4", "e5"} and theirs["actors"]
