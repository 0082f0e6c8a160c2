"""The same scope as the API: an enterprise user sees only their enterprise; an object outside scope is a 404."""

import pytest
from django.urls import reverse


def test_an_enterprise_user_lands_on_their_own_page_with_duties_regulators_and_deadlines(login):
    client = login("enterprise")
    home = client.get("/")
    assert home["Location"] == reverse("accountability:enterprise_detail", args=["e1"])
    response = client.get(home["Location"], {"date": "2024-02-26"})
    html = response.content.decode()
    assert "全员安全生产责任清单" in html and "塔吊司机" in html and "梁师傅" in html
    regulators = html[html.index('id="regulators"') : html.index('id="hazards"')]
    assert "示范区住房和城乡建设局" in regulators and "空缺" in regulators
    assert "塔吊附着装置松动" in html[html.index('id="hazards"') :]
    # Navigation offers no dashboard, matrix or cases to an enterprise user.
    assert "驾驶舱" not in html and "责任矩阵" not in html and "一案双查" not in html


@pytest.mark.parametrize(
    "url",
    [
        reverse("accountability:enterprise_detail", args=["e2"]),
        reverse("accountability:hazard_detail", args=["H1"]),
        reverse("accountability:accident_detail", args=["A0402"]),
    ],
)
def test_an_enterprise_user_cannot_reach_another_enterprises_pages(login, url):
    assert login("enterprise").get(url).status_code == 404


def test_an_enterprise_users_lists_hold_only_their_enterprise(login):
    client = login("enterprise2")
    assert [e.code for e in client.get(reverse("accountability:enterprise_list")).context["page"]] == ["e2"]
    assert [h.code for h in client.get(reverse("accountability:hazard_list")).context["page"]] == ["H1"]
    assert list(client.get(reverse("accountability:accident_list")).context["page"]) == []


def test_an_inspector_sees_everything_in_the_region_subtree(login):
    client = login("inspector")
    assert {e.code for e in client.get(reverse("accountability:enterprise_list")).context["page"]} == {
        "e1",
        "e2",
        "e3",
        "e4",
        "e5",
    }  # e6 sits in the city, above the inspector's county
    assert client.get(reverse("accountability:enterprise_detail", args=["e6"])).status_code == 404
    assert client.get(reverse("accountability:accident_detail", args=["A0402"])).status_code == 200


def test_a_township_regulator_sees_its_territory_only(login):
    client = login("township")
    codes = {a.code for a in client.get(reverse("accountability:accident_list")).context["page"]}
    assert codes == {"A0226", "A0318"}
    assert client.get(reverse("accountability:accident_detail", args=["A0402"])).status_code == 404


def test_pages_need_a_login(client, demo_users):
    for name in ("accountability:dashboard", "accountability:trace", "responsibility:matrix"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
