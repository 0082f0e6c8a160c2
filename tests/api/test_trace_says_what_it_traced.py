"""The trace says what it traced (issue 25 item 1): over a period with further sectors the page heading
names the period and every sector; an inspection reads as its 检查日期, not a term; one parameter name
(`also_sector`) on the page, its JSON and the API, and a parameter the trace does not know is a 400 naming it."""

import pytest
from django.contrib.auth.models import User

from tests.api.conftest import token_client

PERIOD = "enterprise=house&sector=selfbuilt&date=2022-04-29&grade=especially_major&since=2018-05-01"
SECTORS = "&also_sector=catering&also_sector=lodging"


@pytest.fixture
def admin(db):
    return User.objects.create_superuser("chief", password="x")


@pytest.fixture
def page(client, admin):
    client.force_login(admin)
    return client


def test_the_heading_names_the_period_and_every_sector(old_house, page):
    html = page.get(f"/trace/?{PERIOD}{SECTORS}").content.decode()
    assert "2018年5月1日（隐患形成）至 2022年4月29日（事发当日）" in html
    heading = html[html.index('id="traced-sectors"') :][:200]
    assert "经营性自建房、餐饮服务、旅馆业" in heading
    # The printout is this page (its print stylesheet): the JSON link carries the same parameters.
    assert "also_sector=catering" in html and "also_sector=lodging" in html


def test_an_earlier_inspection_reads_as_its_inspection_day(old_house, page):
    html = page.get(f"/trace/?{PERIOD}").content.decode()
    assert "检查日期 " in html
    assert not any(
        f"在任期间 {day} 至 {day}" in html for day in {part[5:15] for part in html.split("在任期间 ")[1:]}
    )


@pytest.mark.parametrize("path", ["/trace/", "/trace/json/"])
def test_the_page_and_its_json_refuse_the_misspelt_parameter_by_name(old_house, page, path):
    response = page.get(f"{path}?{PERIOD}&also_sectors=catering")
    assert response.status_code == 400
    assert "未知参数“also_sectors”" in response.content.decode()
    assert page.get(f"{path}?{PERIOD}{SECTORS}").status_code == 200


def test_the_api_refuses_the_misspelt_parameter_by_name(old_house, admin):
    response = token_client(admin).get(f"/api/v1/trace/?{PERIOD}&also_sectors=catering")
    assert response.status_code == 400
    assert "未知参数“also_sectors”" in response.json()["also_sectors"][0]
    assert token_client(admin).get(f"/api/v1/trace/?{PERIOD}{SECTORS}").status_code == 200


def test_the_accident_page_shows_its_period_and_its_sectors(old_house, page):
    html = page.get("/accidents/A0429/").content.decode()
    period = html[html.index('id="accident-period"') :][:200]
    assert "2018-05-01（隐患形成）至 2022-04-29（事发当日）" in period
    sectors = html[html.index('id="accident-sectors"') :][:200]
    assert "经营性自建房、餐饮服务、旅馆业" in sectors
