"""The matrix workbook pages: 安委办 downloads the matrix, uploads it, sees the preview, confirms."""

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from responsibility.models import Person

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, content: bytes, name="matrix.xlsx"):
    return client.post(reverse("responsibility:workbook_import"), {"file": SimpleUploadedFile(name, content)})


def test_the_matrix_page_offers_the_workbook_to_the_admin_only(login):
    assert "导出工作簿" in login("admin").get(reverse("responsibility:matrix")).content.decode()
    assert "导出工作簿" not in login("inspector").get(reverse("responsibility:matrix")).content.decode()
    for role in ("inspector", "regulator", "enterprise"):
        assert login(role).get(reverse("responsibility:workbook_export")).status_code == 403
        assert login(role).get(reverse("responsibility:workbook_import")).status_code == 403


def test_the_admin_index_links_the_workbook(login):
    html = login("admin").get("/admin/").content.decode()
    assert (
        reverse("responsibility:workbook_export") in html
        and reverse("responsibility:workbook_import") in html
    )


def test_an_unchanged_workbook_previews_as_nothing_to_import(login):
    admin = login("admin")
    response = admin.get(reverse("responsibility:workbook_export"))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    preview = upload(admin, response.content)
    html = preview.content.decode()
    assert preview.status_code == 200 and "新增 0 条" in html and "修改 0 条" in html
    assert "无需导入" in html and "确认导入" not in html


def test_a_changed_name_is_previewed_then_imported_on_confirmation(login):
    admin = login("admin")
    book = load_workbook(BytesIO(admin.get(reverse("responsibility:workbook_export")).content))
    people = book["人员"]
    row = next(r for r in range(2, people.max_row + 1) if people.cell(r, 1).value == "p17")
    old = people.cell(row, 2).value
    people.cell(row, 2).value = "新名字"
    out = BytesIO()
    book.save(out)
    preview = upload(admin, out.getvalue())
    html = preview.content.decode()
    assert "修改 1 条" in html and old in html and "新名字" in html
    assert Person.objects.get(code="p17").name == old
    done = admin.post(
        reverse("responsibility:workbook_import"),
        {"confirm": "1", "digest": preview.context["digest"]},
        follow=True,
    )
    assert "导入完成：新增 0 条，修改 1 条" in done.content.decode()
    assert Person.objects.get(code="p17").name == "新名字"


def test_a_file_that_is_not_a_workbook_is_a_problem_not_a_crash(login):
    response = upload(login("admin"), b"not a spreadsheet")
    assert response.status_code == 400 and "不是可读取的 Excel 工作簿" in response.content.decode()


def test_a_confirmation_without_a_preview_imports_nothing(login):
    response = login("admin").post(
        reverse("responsibility:workbook_import"), {"confirm": "1", "digest": "x"}, follow=True
    )
    assert "预览已失效" in response.content.decode()
