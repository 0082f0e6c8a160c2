"""In a real browser (Debian's Chromium through Playwright): an inspector records the 事故性质 and the
causes of “2·26” on the workbench, hands a responsible official over to the 纪检监察 body with
authority and records the decision that comes back; the printable 调查报告 then carries each in its
own section, in DOMAIN.md's order, in black Chinese type. A screenshot goes to artifacts/screenshots/."""

import datetime as dt
import re

from accountability import cases
from accountability.models import Accident
from accountability.report import ANNEX, HEADINGS
from responsibility.models import Position
from tests.factories import opened_on
from tests.pages.test_browser import SCREENSHOTS, browser, log_in, site  # noqa: F401


def test_nature_causes_and_a_hand_over_recorded_on_the_workbench_appear_in_the_report(site, browser):  # noqa: F811
    Position.objects.filter(code="d_vhead_build").update(authority="county")
    case = cases.open_case(accident=Accident.objects.get(code="A0226")).case
    opened_on(case, dt.date(2024, 2, 27))  # recorded after the fact: the 2024 dates fall in its timeline
    official = case.records.get(position_code="d_vhead_build")
    cases.record_finding(record=official, finding="responsible", category="important_leadership")

    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    log_in(page, site, "inspector")
    page.goto(f"{site}/cases/{case.code}/")

    # 事故性质、直接原因、间接原因.
    page.locator("#nature-causes summary").click()
    page.select_option("#nature-causes select[name=nature]", "liability")
    page.fill("#nature-causes textarea[name=direct_cause]", "塔吊附着装置螺栓松动，塔身失稳倒塌")
    page.fill("#nature-causes textarea[name=indirect_cause]", "施工总承包单位未落实设备安全管理")
    page.click("#save-nature-causes")
    page.wait_for_url("**/cases/CASE-A-A0226/**")
    assert "已记录事故性质和原因" in page.locator("ul.messages").inner_text()
    assert page.locator("#fact-nature").inner_text() == "生产安全责任事故"

    # 问题线索移交 to the county's 纪检监察 body, by the official's cadre authority.
    page.get_by_text("登记问题线索移交", exact=True).click()
    page.check(f"input[name=records][value='{official.pk}']")
    page.fill("input[name=handed_on]", "2024-04-01")
    page.select_option("select[name=authority]", "county")
    page.get_by_role("button", name="登记移交").click()
    page.wait_for_url("**/cases/CASE-A-A0226/**")
    row = page.locator("tr[id^=handover-]")
    assert "县纪委监委" in row.inner_text() and "待反馈" in row.inner_text()

    # The decision that comes back: the measure and its document number.
    row.locator("summary", has_text="登记处理结果").click()
    row.locator("select[name$='-record']").select_option(str(official.pk))
    row.locator("select[name$='-kind']").select_option("gov_demerit")
    row.locator("input[name$='-document_number']").fill("县纪发〔2024〕12号")
    row.locator("input[name$='-decided_on']").fill("2024-05-20")
    row.get_by_role("button", name="登记处理结果").click()
    page.wait_for_url("**/cases/CASE-A-A0226/**")
    row = page.locator("tr[id^=handover-]")
    assert "县纪发〔2024〕12号" in row.inner_text() and "已全部反馈" in row.inner_text()
    page.locator("#conclusions").screenshot(path=str(SCREENSHOTS / "case-conclusions.png"))

    # The printable report: each in its section, the sections in DOMAIN.md's order.
    page.click("#report-link")
    page.wait_for_url("**/report/")
    headings = page.locator("#report h2").all_inner_texts()
    assert headings == [*HEADINGS, ANNEX]
    assert "是一起生产安全责任事故" in page.locator("#report-nature").inner_text()
    causes = page.locator("#report-causes").inner_text()
    assert "塔吊附着装置螺栓松动" in causes and "施工总承包单位未落实设备安全管理" in causes
    assert causes.index("直接原因") < causes.index("塔吊附着装置螺栓松动") < causes.index("间接原因")
    group = page.locator(
        '#report-proposals .proposal-group[data-channel="officials"][data-authority="county"]'
    )
    text = group.inner_text()
    assert "县管干部，移交县纪委监委" in text and "赵志强" in text
    # The report proposes; the decision that came back (记过, its 文号) is the 结案 record's, not a second sanction here.
    assert "负有重要领导责任" in text and "移交县纪委监委依规依纪依法处理" in text
    assert "记过" not in text and "县纪发〔2024〕12号" not in text

    # Printed: black headings in a Chinese type, no navigation, A4.
    page.emulate_media(media="print")
    heading = page.locator("#report h2").first
    assert heading.evaluate("el => getComputedStyle(el).color") == "rgb(0, 0, 0)"
    assert "SimHei" in heading.evaluate("el => getComputedStyle(el).fontFamily")
    assert not page.locator("nav[aria-label='主导航']").is_visible()
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", pdf))
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}, boxes  # A4 in points
    page.emulate_media(media="screen")
    page.screenshot(path=str(SCREENSHOTS / "case-report.png"), full_page=True)
    page.close()
