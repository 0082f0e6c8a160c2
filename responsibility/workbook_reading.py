"""Reading an uploaded workbook as it really is, within bounds (README, Spreadsheets):

- the package is checked before openpyxl sees it: a zip holding a workbook part, no more than
  MAX_UNPACKED_BYTES once unpacked (a small upload can unpack to gigabytes);
- a sheet's rows are read to its real end, not to the size its `<dimension>` declares (read-only
  openpyxl trusts that declaration, so rows past it were silently dropped), and no sheet may hold more
  than MAX_ROWS rows: a declared size past it is refused before a row is parsed, and a sheet that
  declares less is refused as soon as it reaches the bound;
- a formula cell is read by its cached value; a formula without one (written by a program that does not
  calculate) and an error value (#DIV/0!, #REF!, …) are refused cells, not empty or text cells;
- anything else a malformed file raises while being read is one refusal of the file.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO

from openpyxl import load_workbook

MAX_ROWS = 100_000  # per sheet, the header included
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
NOT_A_WORKBOOK = "不是可读取的 Excel 工作簿（.xlsx），请上传从本页导出并修改后的文件"


class FileRefused(Exception):
    """The file as a whole cannot be read (its message is shown as is)."""


@dataclass(frozen=True)
class BadCell:
    """A cell whose value cannot be used: a formula without a cached value, or an error value."""

    reason: str


def _check_package(content: bytes) -> None:
    try:
        package = zipfile.ZipFile(BytesIO(content))
        names = set(package.namelist())
        unpacked = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise FileRefused(NOT_A_WORKBOOK) from None
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise FileRefused(NOT_A_WORKBOOK)
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileRefused(f"工作簿解压后超过 {MAX_UNPACKED_BYTES // (1024 * 1024)} MB，请分批导入")


def _declared_rows(ws) -> int:
    """The row count the sheet's `<dimension>` declares (0 when it declares none)."""
    try:
        return int(ws.max_row or 0)
    except (TypeError, ValueError):
        return 0


def _too_many(title: str) -> FileRefused:
    return FileRefused(f"“{title}”表超过 {MAX_ROWS:,} 行，请分批导入")


def read_sheets(content: bytes) -> Iterator[tuple[str, Iterator[list]]]:
    """Each sheet's title and its rows; a row is a list of values, a refused cell being a BadCell.
    Raises FileRefused for a file that is not a readable workbook or exceeds the bounds."""
    _check_package(content)
    try:
        values_book = load_workbook(BytesIO(content), read_only=True, data_only=True)
        formula_book = load_workbook(BytesIO(content), read_only=True, data_only=False)
        for values_ws, formula_ws in zip(values_book.worksheets, formula_book.worksheets, strict=True):
            if _declared_rows(values_ws) > MAX_ROWS:
                raise _too_many(values_ws.title)
            values_ws.reset_dimensions()  # read to the real end, not to the declared size
            formula_ws.reset_dimensions()
            yield values_ws.title, _rows(values_ws, formula_ws)
    except FileRefused:
        raise
    except Exception:  # noqa: BLE001 — whatever a malformed package, part or XML raises while read
        raise FileRefused(NOT_A_WORKBOOK) from None


def _rows(values_ws, formula_ws) -> Iterator[list]:
    try:
        yield from _cells(values_ws, formula_ws)
    except FileRefused:
        raise
    except Exception:  # noqa: BLE001 — a sheet's XML is parsed as its rows are read
        raise FileRefused(NOT_A_WORKBOOK) from None


def _cells(values_ws, formula_ws) -> Iterator[list]:
    cells = zip(values_ws.iter_rows(), formula_ws.iter_rows(), strict=False)
    for number, (values, formulas) in enumerate(cells, start=1):
        if number > MAX_ROWS:
            raise _too_many(values_ws.title)
        # A row's cells stand at their column's place (read-only openpyxl fills the gaps).
        formula_at = {i for i, cell in enumerate(formulas) if getattr(cell, "data_type", None) == "f"}
        row = []
        for i, cell in enumerate(values):
            value = getattr(cell, "value", None)
            if getattr(cell, "data_type", None) == "e":
                row.append(BadCell(f"单元格是错误值 {value}"))
            elif value is None and i in formula_at:
                row.append(BadCell("公式没有计算结果（请在 Excel 中打开并保存后再上传，或填写数值）"))
            else:
                row.append(value)
        yield row
