"""In a real browser (Debian's Chromium through Playwright), against a live server:

an inspector traces “2·26”, sees the vacant street director and the deputy head of that day, opens
the case, records a finding and is refused closing; an enterprise user cannot reach another
enterprise. Screenshots of the trace page and the dashboard go to artifacts/screenshots/.
"""

import os

import pytest
from django.core.management import call_command

from responsibility.management.commands.load_demo import create_demo_users
from tests.conftest import DEMO_FILE, REPO

# Playwright's sync API runs an event loop in this thread; the ORM calls of the fixtures are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = REPO / "artifacts" / "screenshots"
PASSWORD = "browser-test-pw-1"

# `make test` installs Debian's chromium first (make browser); a missing browser fails here, loudly.


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def site(transactional_db, live_server):
    call_command("import_scenario", str(DEMO_FILE), quiet=True)
    create_demo_users(PASSWORD)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return live_server.url


def log_in(page, site, username):
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_an_inspector_traces_opens_the_case_and_is_refused_closing_and_an_enterprise_is_kept_out(
    site, browser
):
    # One live site for the whole story: loading the county and flushing it dominate the cost.
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    log_in(page, site, "inspector")
    assert page.locator("#notification-badge").is_visible()

    page.get_by_role("link", name="事故", exact=True).click()
    page.get_by_role("main").get_by_role("link", name="A0226").click()
    page.get_by_role("main").get_by_role("link", name="责任链追溯").click()
    assert "“2·26”塔吊倒塌事故" in page.locator("h1").inner_text()

    director = page.locator('#track-supervision [data-position="t1_head"]')
    assert "街道办事处主任" in director.inner_text()
    vacant = director.locator(".person.vacant")
    assert vacant.inner_text() == "空缺"
    assert vacant.evaluate("el => getComputedStyle(el).color") == "rgb(185, 28, 28)"
    deputy = page.locator('#track-supervision [data-position="d_vhead_build"]')
    assert "赵志强" in deputy.inner_text() and "孙明" not in deputy.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "trace-A0226.png"), full_page=True)

    page.get_by_role("button", name="立案（一案双查）").click()
    page.wait_for_url("**/cases/CASE-A-A0226/")
    assert "已立案" in page.locator("ul.messages").inner_text()

    page.locator('#records-enterprise tr[data-position="e1_chair"]').get_by_role("link", name="认定").click()
    page.select_option("select[name=finding]", "responsible")
    page.select_option("select[name=category]", "principal")
    page.fill("textarea[name=grounds]", "未落实塔吊安全管理主体责任")
    # A measure that fits an enterprise's person (DESIGN §6: a form says whom it fits).
    page.select_option("select[name='m-0-kind']", "dishonest_list")
    page.fill("input[name='m-0-detail']", "列入严重失信主体名单")
    page.click("#submit-finding")
    page.wait_for_url("**/cases/CASE-A-A0226/**")
    row = page.locator('#records-enterprise tr[data-position="e1_chair"]')
    assert "负有责任" in row.inner_text() and "失信" in row.inner_text()

    page.click("#close-case")
    refused = page.locator("#close-refused")
    assert refused.is_visible()
    text = refused.inner_text()
    assert "不能结案" in text and "事故原因未查清" in text and "条记录未认定" in text
    assert page.locator("#case-state").inner_text() == "调查处理中"

    page.goto(f"{site}/dashboard/?year=2024")
    assert page.locator("#kpi-accidents").inner_text() == "3"
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/accounts/login/")
    page.close()

    # An enterprise user, in a fresh browser context: their own page, and a 404 for another enterprise's.
    page = browser.new_page(locale="zh-CN")
    log_in(page, site, "enterprise")
    assert "示范建工集团有限公司" in page.locator("h1").inner_text()
    response = page.goto(f"{site}/enterprises/e2/")
    assert response.status == 404
    assert "不在您的查看范围内" in page.content()
    response = page.goto(f"{site}/hazards/H1/")
    assert response.status == 404
    page.close()
