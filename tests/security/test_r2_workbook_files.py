"""Issue 23, the matrix workbook import reads what the file really holds: malformed files are one clear
refusal (six kinds answered 500), rows past a sheet's declared size are read (they were silently
dropped), a formula without a cached value or an error value is a refused cell naming sheet, row and
column (it read as empty, and #DIV/0! was imported as a name), and the rows and bytes read are bounded
(a 3,000,000-row file held a worker for about two minutes)."""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from responsibility import workbook_reading
from responsibility.models import Person
from responsibility.workbook import SHEETS, WorkbookError, export_workbook, preview_workbook
from responsibility.workbook_reading import NOT_A_WORKBOOK

PEOPLE = next(sheet for sheet in SHEETS if sheet.section == "people")
PEOPLE_PART = f"xl/worksheets/sheet{SHEETS.index(PEOPLE) + 1}.xml"


def _rewrite(content: bytes, part: str, change) -> bytes:
    """The package with one part's text changed."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                data = change(data.decode()).encode()
            target.writestr(info.filename, data)
    return out.getvalue()


def _with_people(content: bytes, rows: list[list]) -> bytes:
    book = load_workbook(io.BytesIO(content))
    for row in rows:
        book[PEOPLE.title].append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _declaring(content: bytes, ref: str) -> bytes:
    return _rewrite(
        content,
        PEOPLE_PART,
        lambda xml: re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>', xml),
    )


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def _problems(content: bytes) -> list[str]:
    with pytest.raises(WorkbookError) as refused:
        preview_workbook(content)
    return [str(p) for p in refused.value.problems]


@pytest.fixture
def exported(world) -> bytes:
    return export_workbook()


@pytest.fixture
def admin_client(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.users["admin"])
    return client


MALFORMED = {
    "not a zip": lambda good: b"this is not a workbook",
    "empty": lambda good: b"",
    "a zip without a workbook": lambda good: _zip({"readme.txt": b"hello"}),
    "a Word document": lambda good: _zip(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
    ),
    "an .xls (OLE) file": lambda good: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048,
    "corrupt sheet XML": lambda good: _rewrite(good, PEOPLE_PART, lambda xml: xml[: len(xml) // 2]),
    "corrupt workbook XML": lambda good: _rewrite(good, "xl/workbook.xml", lambda xml: "<workbook><sheets"),
    "a truncated zip": lambda good: good[: len(good) // 2],
}


@pytest.mark.parametrize("kind", MALFORMED)
def test_a_malformed_file_is_refused_with_one_clear_message(exported, admin_client, kind, tried):
    content = MALFORMED[kind](exported)
    tried["workbook: malformed files"] += 1
    assert _problems(content) == [f"“工作簿”表：{NOT_A_WORKBOOK}"]
    response = admin_client.post("/matrix/import/", {"file": SimpleUploadedFile("matrix.xlsx", content)})
    assert response.status_code == 400
    if content:  # an empty upload is the form's own error (提交的文件为空)
        assert NOT_A_WORKBOOK in response.content.decode()


def test_rows_past_a_sheets_declared_size_are_read(exported):
    content = _declaring(_with_people(exported, [["px-late", "迟到的人"]]), "A1:B2")
    preview = preview_workbook(content)
    assert ("人员", "px-late") in {(c.sheet, c.key) for c in preview.new}


def test_a_formula_without_a_cached_value_is_a_refused_cell(exported):
    content = _with_people(exported, [["px-f", "=A1&B1"]])  # openpyxl stores no cached value
    row = Person.objects.count() + 2
    assert _problems(content) == [
        f"“人员”表第 {row} 行“姓名”列：公式没有计算结果（请在 Excel 中打开并保存后再上传，或填写数值）"
    ]


@pytest.mark.parametrize("error", ["#DIV/0!", "#REF!", "#N/A", "#VALUE!"])
def test_an_error_value_is_a_refused_cell(exported, error):
    content = _with_people(exported, [["px-e", "=1/0"]])
    content = _rewrite(
        content,
        PEOPLE_PART,
        lambda xml: re.sub(
            r"<c r=\"(B\d+)\"><f>1/0</f><v></v></c>", rf'<c r="\1" t="e"><f>1/0</f><v>{error}</v></c>', xml
        ),
    )
    row = Person.objects.count() + 2
    assert _problems(content) == [f"“人员”表第 {row} 行“姓名”列：单元格是错误值 {error}"]
    assert not Person.objects.filter(code="px-e").exists()


def test_a_formula_with_a_cached_value_reads_as_that_value(exported):
    content = _with_people(exported, [["px-c", "=A1"]])
    content = _rewrite(
        content,
        PEOPLE_PART,
        lambda xml: re.sub(
            r"<c r=\"(B\d+)\"><f>A1</f><v></v></c>", r'<c r="\1" t="str"><f>A1</f><v>算出的姓名</v></c>', xml
        ),
    )
    preview = preview_workbook(content)
    assert preview.document["people"][-1] == {"code": "px-c", "name": "算出的姓名"}


def test_a_sheet_declaring_three_million_rows_is_refused_before_its_rows_are_read(exported):
    content = _declaring(exported, "A1:B3000000")
    started = time.monotonic()
    problems = _problems(content)
    assert time.monotonic() - started < 10
    assert problems == ["“工作簿”表：“人员”表超过 100,000 行，请分批导入"]


def test_a_sheet_holding_more_rows_than_the_bound_is_refused_whatever_it_declares(exported, monkeypatch):
    monkeypatch.setattr(workbook_reading, "MAX_ROWS", 60)
    content = _declaring(_with_people(exported, [[f"pz{i}", f"人{i}"] for i in range(60)]), "A1:B2")
    assert _problems(content) == ["“工作簿”表：“人员”表超过 60 行，请分批导入"]


def test_a_package_unpacking_past_the_bound_is_refused(exported, monkeypatch):
    monkeypatch.setattr(workbook_reading, "MAX_UNPACKED_BYTES", 10 * 1024)
    (problem,) = _problems(exported)
    assert problem.startswith("“工作簿”表：工作簿解压后超过") and problem.endswith("请分批导入")
