"""In a real browser: 安委办 exports the matrix workbook, imports it back unchanged (nothing to do),
then edits a name and imports it through the preview; an enterprise user creates an API key on the
keys page, a script uses it, and the user revokes it."""

import json
import urllib.error
import urllib.request

from openpyxl import load_workbook

from responsibility.models import Person
from tests.pages.test_browser import SCREENSHOTS, browser, log_in, site  # noqa: F401 (fixtures)


def test_the_matrix_workbook_goes_out_and_comes_back_through_the_preview(site, browser, tmp_path):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="en-US")
    log_in(page, site, "admin")
    page.goto(f"{site}/matrix/")
    with page.expect_download() as download:
        page.click("#workbook-export")
    exported = tmp_path / "matrix.xlsx"
    download.value.save_as(exported)
    assert load_workbook(exported).sheetnames[:3] == ["行政区划", "行业领域", "单位"]

    page.get_by_role("link", name="导入工作簿").click()
    page.set_input_files("#id_file", str(exported))
    page.get_by_role("button", name="预览").click()
    assert "新增 0 条" in page.locator("#workbook-preview").inner_text()
    assert page.locator("#nothing-to-import").is_visible()

    book = load_workbook(exported)
    people = book["人员"]
    row = next(r for r in range(2, people.max_row + 1) if people.cell(r, 1).value == "p17")
    old = people.cell(row, 2).value
    people.cell(row, 2).value = "王改名"
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    page.set_input_files("#id_file", str(edited))
    page.get_by_role("button", name="预览").click()
    changed = page.locator("#preview-changed").inner_text()
    assert "p17" in changed and old in changed and "王改名" in changed
    assert "修改 1 条" in page.locator("#workbook-preview").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "workbook-preview.png"), full_page=True)
    page.get_by_role("button", name="确认导入").click()
    assert "导入完成：新增 0 条，修改 1 条" in page.locator("ul.messages").inner_text()
    assert Person.objects.get(code="p17").name == "王改名"
    page.close()


def call_api(url: str, token: str) -> int:
    request = urllib.request.Request(f"{url}/api/v1/my/duties/", headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request) as response:
            assert json.load(response)["enterprise"]["code"] == "e1"
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_an_enterprise_user_creates_uses_and_revokes_an_api_key(site, browser):  # noqa: F811
    page = browser.new_page(locale="zh-CN")
    log_in(page, site, "enterprise")
    page.click("#api-keys-link")
    page.fill("#id_name", "排班脚本")
    page.get_by_role("button", name="创建新密钥").click()
    token = page.locator("#new-api-key").inner_text().strip()
    assert len(token) >= 32
    assert "排班脚本" in page.locator("#api-keys").inner_text()
    assert token not in page.locator("#api-keys").inner_text()  # only the prefix is listed
    assert call_api(site, token) == 200

    page.reload()  # the key is shown once
    assert page.locator("#new-api-key").count() == 0
    page.get_by_role("button", name="撤销 排班脚本").click()
    assert "密钥已撤销" in page.locator("ul.messages").inner_text()
    assert "还没有密钥" in page.locator("#api-keys").inner_text()
    assert call_api(site, token) == 401
    page.close()
