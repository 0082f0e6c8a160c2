"""The hazard workflow in a real browser (Chromium through Playwright), one role after another:

the enterprise reports a 重大隐患, completes its 五到位 plan, uploads its evidence and applies to close;
the regulator rejects it with a reason; the enterprise resubmits; the township verifies it (销号).
Then 挂牌督办 and an extension: the regulator lists a hazard, the enterprise asks for more time, the
regulator approves. And the must-shows: an unknown accident is a form error, an enterprise user is
refused cases and traces its own accident without other enterprises' people.
"""

import datetime as dt

from accountability import hazards as hazard_services
from accountability.models import Hazard, HazardState
from responsibility.models import Sector, Tenure, Unit
from tests import evidence_files
from tests.pages.test_browser import SCREENSHOTS, browser, log_in, site  # noqa: F401

TODAY = dt.date.today()
JPEG = evidence_files.jpeg(b"photo-of-the-drained-foundation" * 20)


def as_user(browser, site, username):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    log_in(page, site, username)
    return page


def state_of(page) -> str:
    return page.locator("#hazard-state").inner_text()


def test_report_plan_evidence_submit_then_reject_resubmit_and_verify(site, browser, tmp_path):  # noqa: F811
    evidence = tmp_path / "after.jpg"
    evidence.write_bytes(JPEG)
    not_a_photo = tmp_path / "notes.txt"
    not_a_photo.write_text("not a photo")

    # The enterprise: self-report, 五到位, evidence, 销号申请.
    page = as_user(browser, site, "enterprise")
    page.get_by_role("link", name="隐患台账", exact=True).click()
    page.click("#report-hazard")
    page.fill("#id_title", "塔吊基础积水")
    page.select_option("#id_sector", "housing")
    page.select_option("#id_level", "major")
    page.fill("#id_deadline", (TODAY + dt.timedelta(days=30)).isoformat())
    page.click("#report-form button[type=submit]")
    page.wait_for_url("**/hazards/HZ*/")
    assert "已上报隐患" in page.locator("ul.messages").inner_text()
    assert state_of(page) == "已上报"
    code = page.url.rstrip("/").rsplit("/", 1)[-1]

    page.fill("#plan-form [name=measures]", "排水并加固塔吊基础")
    # Autocomplete by name: typing fills the datalist from /lookup/ with this enterprise's posts.
    page.type("#plan-form [name=responsible_position]", "安全")
    # Waits in the page without evaluating a string (the Content-Security-Policy forbids eval).
    page.locator("#pick-positions option[value=e1_safety]").wait_for(state="attached")
    assert "安全总监" in page.locator("#pick-positions option[value=e1_safety]").get_attribute("label")
    page.fill("#plan-form [name=responsible_position]", "安全总监")
    page.fill("#plan-form [name=funds_yuan]", "50000")
    page.click("#start-rectification")
    assert "重大隐患进入整改前须五到位，缺少应急预案" in page.content()
    page.fill("#plan-form [name=contingency_plan]", "塔吊倾覆专项应急预案")
    page.click("#start-rectification")
    page.wait_for_load_state()
    assert state_of(page) == "整改中"
    assert "安全总监" in page.locator("#five-in-place").inner_text()

    page.set_input_files("#submit-form [name=evidence]", str(not_a_photo))
    page.click("#submit-form button[type=submit]")
    assert "只接受" in page.locator("#submit-form").inner_text()
    page.set_input_files("#submit-form [name=evidence]", str(evidence))
    page.fill("#submit-form [name=note]", "已排水，基础已加固")
    page.click("#submit-form button[type=submit]")
    page.wait_for_load_state()
    assert state_of(page) == "已申请销号"
    assert page.locator("#timeline a.evidence").count() == 1
    page.close()

    # The regulator (区住建局): finds it by the search box, sees the evidence, rejects with a reason.
    page = as_user(browser, site, "regulator")
    page.get_by_role("link", name="隐患台账", exact=True).click()
    page.fill("input[name=q]", "塔吊基础")
    page.press("input[name=q]", "Enter")
    page.get_by_role("link", name=code).click()
    with page.expect_download() as download:
        page.click("#timeline a.evidence")
    assert download.value.path().read_bytes() == JPEG
    page.fill("#reject-form [name=reason]", "基础周边仍有积水，排水沟未完成")
    page.click("#reject-form button[type=submit]")
    page.wait_for_load_state()
    assert state_of(page) == "整改中"
    assert "排水沟未完成" in page.locator("#timeline").inner_text()
    page.close()

    # The enterprise resubmits.
    page = as_user(browser, site, "enterprise")
    page.goto(f"{site}/hazards/{code}/")
    assert "排水沟未完成" in page.locator("#timeline").inner_text()
    page.set_input_files("#submit-form [name=evidence]", str(evidence))
    page.click("#submit-form button[type=submit]")
    page.wait_for_load_state()
    assert state_of(page) == "已申请销号"
    page.close()

    # The township (街道办) verifies on site: 销号.
    page = as_user(browser, site, "township")
    page.goto(f"{site}/hazards/{code}/")
    page.fill("#verify-form [name=note]", "现场核查合格")
    page.click("#verify-form button[type=submit]")
    page.wait_for_load_state()
    assert state_of(page) == "已销号"
    timeline = page.locator("#timeline").inner_text()
    assert timeline.count("已申请销号") >= 2 and "现场核查合格" in timeline
    page.screenshot(path=str(SCREENSHOTS / "hazard-closed.png"), full_page=True)
    page.close()
    assert Hazard.objects.get(code=code).state == HazardState.CLOSED


def test_listing_and_extension_and_what_each_role_may_not_reach(site, browser):  # noqa: F811
    hazard = hazard_services.report_hazard(
        code="HZ-B2",
        title="脚手架连墙件缺失",
        enterprise=Unit.objects.get(code="e1"),
        sector=Sector.objects.get(code="housing"),
        level="general",
        source="self_check",
        found_on=TODAY,
        deadline=TODAY + dt.timedelta(days=10),
    )
    hazard_services.start_rectification(hazard=hazard)
    later = TODAY + dt.timedelta(days=25)

    # The regulator lists it for supervision in its own name (the unit is filled in).
    page = as_user(browser, site, "regulator")
    page.goto(f"{site}/hazards/HZ-B2/")
    assert page.input_value("#listing-form [name=listing_unit]") == "d_housing"
    page.fill("#listing-form [name=due_on]", (TODAY + dt.timedelta(days=20)).isoformat())
    page.fill("#listing-form [name=document]", "住建督〔2024〕7号")
    page.click("#listing-form button[type=submit]")
    page.wait_for_load_state()
    assert "督办期限" in page.locator("#listing").inner_text()
    page.close()

    # The enterprise asks for more time.
    page = as_user(browser, site, "enterprise")
    page.goto(f"{site}/hazards/")
    row = page.locator("tr", has_text="HZ-B2")
    assert (
        "住建督" not in row.inner_text() and (TODAY + dt.timedelta(days=20)).isoformat() in row.inner_text()
    )
    row.get_by_role("link", name="HZ-B2").click()
    page.click("#extension-form >> xpath=.. >> summary")
    page.fill("#extension-form [name=requested_deadline]", later.isoformat())
    page.fill("#extension-form [name=reason]", "连墙件到货延迟")
    page.click("#extension-form button[type=submit]")
    page.wait_for_load_state()
    assert "待审批" in page.locator("#extensions").inner_text()
    page.close()

    # The regulator approves: the deadline moves, the old one is kept.
    page = as_user(browser, site, "regulator")
    page.goto(f"{site}/hazards/HZ-B2/")
    page.select_option("#decide-form [name=approve]", "1")
    page.fill("#decide-form [name=note]", "同意延期")
    page.click("#decide-form button[type=submit]")
    page.wait_for_load_state()
    assert later.isoformat() in page.locator("#hazard-deadline").inner_text()
    assert "同意" in page.locator("#extensions").inner_text()
    page.close()

    # The must-shows: the inspector's unknown accident, the enterprise user's cases and own trace.
    page = as_user(browser, site, "inspector")
    response = page.goto(f"{site}/trace/?accident=A9999")
    assert response.status == 200
    assert "“A9999”不存在或不在您的查看范围内" in page.locator(".errorlist").inner_text()
    page.close()

    page = as_user(browser, site, "enterprise")
    assert page.goto(f"{site}/cases/").status == 403
    assert page.goto(f"{site}/trace/?accident=A0318").status == 200
    text = page.locator("main").inner_text()
    others = set(
        Tenure.objects.filter(position__unit__enterprise__isnull=False)
        .exclude(position__unit__enterprise__code="e1")
        .values_list("person__name", flat=True)
    ) | {"张某"}
    assert not [name for name in others if name in text]
    assert "董事长（主要负责人）" in text and page.locator("#track-supervision .chain-link").count() > 0
    page.screenshot(path=str(SCREENSHOTS / "trace-A0318-enterprise.png"), full_page=True)
    page.close()
