"""In a real browser (Debian's Chromium through Playwright), the 纪检 user keeps a case file that can be
trusted (issue 22): a hand-over dated 1900 is refused naming the bound, a duplicate is refused naming
the first, a mistaken one is withdrawn with its reason and stays struck through, the real one gets
its decision, the case closes under 四不放过, and the 结案 record downloaded from the workbench holds the
hand-over with its 文号, the decision apart from the proposal, the four conditions and the withdrawal with
its reason, on A4 with a page number. A screenshot goes to artifacts/screenshots/."""

import datetime as dt
from io import BytesIO

from docx import Document

from accountability import cases
from accountability.models import Accident, Case, HandOver, Measure
from responsibility.models import Position
from tests.accountability.test_closing_record import _footer_fields, _rows
from tests.factories import opened_on
from tests.pages.test_browser import SCREENSHOTS, browser, log_in, site  # noqa: F401


def _ready_but_for_the_official(case, official):
    """Everything of 四不放过 done but the official's decision, which comes back from the hand-over."""
    cases.record_cause(case=case, cause="塔吊附着装置螺栓松动，安装后未经验收即投入使用")
    for record in case.records.exclude(pk=official.pk):
        cases.record_finding(record=record, finding="not_responsible")
    cases.record_finding(
        record=official,
        finding="responsible",
        category="important_leadership",
        measures=[{"kind": "gov_warning"}],  # the 处理建议; the body with cadre authority decides
    )
    action = cases.add_corrective_action(
        case=case, description="全县塔吊专项排查", due_on=dt.date(2024, 4, 30)
    )
    cases.complete_corrective_action(action=action, done_on=dt.date(2024, 4, 25))
    cases.record_education(
        case=case, held_on=dt.date(2024, 5, 10), description="全县建筑施工警示教育大会", participants=120
    )


def _hand_over(page, official_pk, handed_on, authority):
    page.locator("summary", has_text="登记问题线索移交").click()
    page.check(f"input[name=records][value='{official_pk}']")
    page.fill("input[name=handed_on]", handed_on)
    page.select_option("select[name=authority]", authority)
    page.get_by_role("button", name="登记移交").click()
    page.wait_for_load_state()


def test_the_inspector_refuses_bad_hand_overs_withdraws_a_mistake_and_closes_the_case(site, browser):  # noqa: F811
    Position.objects.filter(code="d_vhead_build").update(authority="county")
    case = opened_on(cases.open_case(accident=Accident.objects.get(code="A0226")).case, dt.date(2024, 2, 27))
    official = case.records.get(position_code="d_vhead_build")
    _ready_but_for_the_official(case, official)

    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    log_in(page, site, "inspector")
    page.goto(f"{site}/cases/{case.code}/")

    # Dated 1900: refused on the date, naming the bound.
    _hand_over(page, official.pk, "1900-01-01", "county")
    assert "日期须在 1949-10-01 至 2099-12-31 之间" in page.content()
    assert not HandOver.every.exists()

    # A mistaken one: handed to the city's body.
    page.goto(f"{site}/cases/{case.code}/")
    _hand_over(page, official.pk, "2024-04-01", "city")
    assert "已登记问题线索移交" in page.locator("ul.messages").inner_text()
    mistaken = HandOver.objects.get()

    # The same again: refused, naming the first.
    _hand_over(page, official.pk, "2024-04-02", "city")
    assert f"已于 2024-04-01 移交市纪委监委（移交 #{mistaken.pk}）" in page.content()
    assert HandOver.every.count() == 1

    # The real one, to the county's body by the official's cadre authority.
    page.goto(f"{site}/cases/{case.code}/")
    _hand_over(page, official.pk, "2024-04-02", "county")
    real = HandOver.objects.get(receiving_body="县纪委监委")

    # Withdraw the mistaken one, with the reason; it stays, struck through, with who and why.
    row = page.locator(f"#handover-{mistaken.pk}")
    row.locator("details.withdraw summary").click()
    row.locator("details.withdraw input[name=reason]").fill("干部管理权限录错，应移交县纪委监委")
    row.get_by_role("button", name="确认撤销").click()
    page.wait_for_load_state()
    assert "已撤销该问题线索移交" in page.locator("ul.messages").inner_text()
    history = page.locator("#withdrawals")
    assert "2024-04-01 移交市纪委监委" in history.locator("del").first.inner_text()
    assert "干部管理权限录错" in history.inner_text() and "已撤销" in history.inner_text()
    assert HandOver.every.get(pk=mistaken.pk).withdrawn_by.username == "inspector"
    assert page.locator(f"#handover-{mistaken.pk}").count() == 0

    # The decision that came back on the real one.
    row = page.locator(f"#handover-{real.pk}")
    row.locator("summary", has_text="登记处理结果").click()
    row.locator("select[name$='-record']").select_option(str(official.pk))
    row.locator("select[name$='-kind']").select_option("gov_demerit")
    row.locator("input[name$='-document_number']").fill("县纪发〔2024〕12号")
    row.locator("input[name$='-decided_on']").fill("2024-05-20")
    row.get_by_role("button", name="登记处理结果").click()
    page.wait_for_load_state()
    assert "县纪发〔2024〕12号" in page.locator(f"#handover-{real.pk}").inner_text()
    assert Measure.objects.get(handover=real).recorded_by.username == "inspector"

    # 四不放过 holds: the case closes.
    page.screenshot(path=str(SCREENSHOTS / "case-corrections.png"), full_page=True)
    page.click("#close-case")
    page.wait_for_load_state()
    assert "四不放过条件均已满足，案件已结案" in page.locator("ul.messages").inner_text()
    assert Case.objects.get(pk=case.pk).is_closed

    # The 结案 record, downloaded as the user would, read with python-docx.
    with page.expect_download() as download:
        page.click("#closing-docx-link")
    document = Document(BytesIO(download.value.path().read_bytes()))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert "PAGE" in _footer_fields(document)
    _header, handed = _rows(document, "移交日期")
    assert handed[0] == "2024-04-02" and handed[2] == "县管" and "县纪发〔2024〕12号" in handed[5]
    subjects = _rows(document, "责任单位或人员")
    mine = next(r for r in subjects[1:] if official.snapshot["person_name"] in r[0])
    assert "警告" in mine[2] and "记过" not in mine[2]  # the proposal, alone in its column
    assert "记过" in mine[3] and "县纪发〔2024〕12号" in mine[3]  # the decision that came back
    assert [r[0] for r in _rows(document, "条件")[1:]] == [
        "事故原因未查清不放过",
        "事故责任者未受到处理不放过",
        "整改措施未落实不放过",
        "有关人员未受到教育不放过",
    ]
    assert [r[1] for r in _rows(document, "条件")[1:]] == ["已落实"] * 4
    corrections = next(
        t for t in document.tables if [c.text for c in t.rows[0].cells][:2] == ["日期", "事项"]
    )
    rows = [[c.text for c in row.cells] for row in corrections.rows]
    withdrawn = [r for r in rows[1:] if r[1] == "撤销问题线索移交"]
    assert len(withdrawn) == 1 and withdrawn[0][4] == "干部管理权限录错，应移交县纪委监委"
