"""The admin's per-model downloads and imports speak Chinese: sheet names, headers, labels, headings."""

from io import BytesIO

import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook


def test_the_duty_download_has_a_chinese_sheet_headers_and_type_labels(login):
    admin = login("admin")
    page = admin.get("/admin/responsibility/duty/export/")
    html = page.content.decode()
    assert "全选" in html and "Select all" not in html and "Holder Position" not in html
    form = page.context["form"]
    data = {name: "on" for name, field in form.fields.items() if field.widget.input_type == "checkbox"}
    response = admin.post("/admin/responsibility/duty/export/", {**data, "format": "0", "resource": "0"})
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet.title == "责任清单"
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["编码", "责任类型", "责任岗位编码"]
    types = {row[1].value for row in sheet.iter_rows(min_row=2)}
    assert "属地管理责任" in types and "territorial" not in types


def test_an_import_refusal_has_a_readable_chinese_heading(login):
    content = tablib.Dataset(
        ["n2", "质检员", "no_such_unit"], headers=["编码", "职务/岗位", "所在单位编码"]
    ).export("xlsx")
    response = login("admin").post(
        "/admin/responsibility/position/import/",
        {"import_file": SimpleUploadedFile("sheet.xlsx", content), "format": "0"},
    )
    html = response.content.decode()
    assert "部分行未通过校验，整表未导入" in html and "某些行验数据证失败" not in html
    assert "所在单位编码" in html
