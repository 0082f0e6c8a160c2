"""Pages that help an inspector find things: form errors instead of 404s, a trace one can click through
(with tenure dates and documents), units and people with search, autocomplete in scope, and an
enterprise user's trace that leaves other enterprises out."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from responsibility.models import Person, Position, Tenure, Unit

TRACE = reverse("accountability:trace")
TRACE_JSON = reverse("accountability:trace_json")


def other_enterprise_people(own: str) -> set[str]:
    """Names of people who held a post in an enterprise other than `own`."""
    return set(
        Tenure.objects.filter(position__unit__enterprise__isnull=False)
        .exclude(position__unit__enterprise__code=own)
        .values_list("person__name", flat=True)
    )


def test_an_unknown_accident_is_a_form_error_on_a_200_page(inspector):
    response = inspector.get(TRACE, {"accident": "A9999"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "“A9999”不存在或不在您的查看范围内" in html and 'class="errorlist' in html
    assert "Page not found" not in html


def test_an_enterprise_user_may_not_open_cases(login):
    assert login("enterprise").get(reverse("accountability:case_list")).status_code == 403


def test_an_enterprise_traces_its_own_accident_without_other_enterprises_links(login, inspector):
    others = other_enterprise_people("e1") | {"张某"}  # 张某: the actor of 3·18
    full = inspector.get(TRACE, {"accident": "A0318"}).content.decode()
    assert any(name in full for name in others)  # the inspector sees the parties and the actor

    html = login("enterprise").get(TRACE, {"accident": "A0318"}).content.decode()
    assert 'id="track-supervision"' in html and "董事长（主要负责人）" in html
    assert not [name for name in others if name in html]
    for name in ("示范城投置业有限公司", "示范工程监理有限公司"):
        assert name not in html
    links = login("enterprise").get(TRACE_JSON, {"accident": "A0318"}).json()["links"]
    enterprise_track = [link for link in links if link["track"] == "enterprise"]
    assert enterprise_track and {(link["enterprise"], link["role"]) for link in enterprise_track} == {
        ("e1", "main")
    }
    assert any(link["track"] == "supervision" for link in links)


def test_the_trace_links_people_and_units_with_tenure_dates_and_the_appointment_document(inspector):
    tenure = Tenure.objects.get(position__code="d_vhead_build", person__name="赵志强")
    tenure.document = "区委〔2023〕12号"
    tenure.save()
    html = inspector.get(TRACE, {"accident": "A0226"}).content.decode()
    card = html[html.index('data-position="d_vhead_build"') :]
    card = card[: card.index('<div class="link-basis">') if '<div class="link-basis">' in card else 2000]
    person = reverse("accountability:person_detail", args=[tenure.person.code])
    unit = reverse("accountability:unit_detail", args=[tenure.position.unit.code])
    assert f'href="{person}"' in card and f'href="{unit}"' in card
    assert f"任职 {tenure.start:%Y-%m-%d} 至" in card and "任职文件：区委〔2023〕12号" in card
    assert inspector.get(person).status_code == 200 and inspector.get(unit).status_code == 200


def test_an_enterprise_user_gets_no_link_it_cannot_follow(login):
    html = login("enterprise").get(TRACE, {"accident": "A0226"}).content.decode()
    supervision = html[html.index('id="track-supervision"') :]
    assert "/people/" not in supervision and "/units/" not in supervision
    enterprise = html[html.index('id="track-enterprise"') : html.index('id="track-supervision"')]
    assert "/people/" in enterprise


def test_the_trace_takes_the_site_and_post_by_name(inspector):
    params = {"enterprise": "e1", "sector": "housing", "date": "2024-02-26"}
    by_name = inspector.get(TRACE_JSON, {**params, "unit": "钢筋班组", "post": "塔吊司机"})
    by_code = inspector.get(TRACE_JSON, {**params, "unit": "e1_rebar", "post": "e1_crane"})
    assert by_name.status_code == 200 and by_name.json() == by_code.json()
    refused = inspector.get(TRACE, {**params, "post": "蒋涛"})
    assert "“蒋涛”不存在或不在您的查看范围内" in refused.content.decode()


def test_autocomplete_finds_by_name_only_inside_the_users_scope(login, inspector):
    found = inspector.get(reverse("lookup", args=["people"]), {"q": "赵志"}).json()["results"]
    assert {"code": Person.objects.get(name="赵志强").code, "label": "赵志强"} in found
    posts = inspector.get(reverse("lookup", args=["positions"]), {"q": "塔吊", "enterprise": "e1"}).json()
    assert [row["code"] for row in posts["results"]] == ["e1_crane"]
    own = login("enterprise").get(reverse("lookup", args=["units"]), {"q": "有限公司"}).json()["results"]
    assert {row["code"] for row in own} == {"e1"}
    assert inspector.get(reverse("lookup", args=["secrets"]), {"q": "a"}).status_code == 404


def test_unit_and_person_lists_search_by_name(inspector, login):
    units = inspector.get(reverse("accountability:unit_list"), {"q": "住房和城乡"}).content.decode()
    assert "d_housing" in units and "e1_rebar" not in units
    people = inspector.get(reverse("accountability:person_list"), {"q": "赵志"}).content.decode()
    assert "赵志强" in people and "孙明" not in people
    # An enterprise user's directory is its own enterprise.
    own = login("enterprise").get(reverse("accountability:unit_list")).content.decode()
    assert "e1_rebar" in own and "d_housing" not in own
    assert (
        login("enterprise").get(reverse("accountability:unit_detail", args=["d_housing"])).status_code == 404
    )


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def test_the_directory_pages_take_the_same_queries_for_one_and_many_rows(inspector):
    unit = Unit.objects.get(code="d_housing")
    pages = [
        (reverse("accountability:unit_list"), {"q": "住房和城乡"}),
        (reverse("accountability:person_list"), {"q": "测试人"}),
        (reverse("accountability:unit_detail", args=["d_housing"]), None),
        (reverse("lookup", args=["people"]), {"q": "测试人"}),
    ]
    person = Person.objects.create(code="tp0", name="测试人0")
    Tenure.objects.create(
        person=person,
        position=Position.objects.create(code="tpos0", title="科员0", unit=unit),
        start="2020-01-01",
    )
    before = [_count(inspector, url, params) for url, params in pages]
    for i in range(1, 8):
        person = Person.objects.create(code=f"tp{i}", name=f"测试人{i}")
        position = Position.objects.create(code=f"tpos{i}", title=f"科员{i}", unit=unit)
        Tenure.objects.create(person=person, position=position, start=dt.date(2020, 1, 1))
    after = [_count(inspector, url, params) for url, params in pages]
    assert before == after
    assert max(after) <= 14, after
    tenure_person = _count(inspector, reverse("accountability:person_detail", args=["tp0"]))
    assert tenure_person <= 14
