"""The one formula-safe spreadsheet writer: the ledgers, the matrix workbook and the admin's downloads.

A cell of text that a spreadsheet program would read as a formula (a leading =, +, -, @, tab or CR:
"CSV injection") is written as text: in Excel files the cell is typed as a string, so the text stays
exactly as typed; in CSV, where there is no type, it gets a leading apostrophe, which
`unescape_text` takes off again on import.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def escape_text(value):
    """For text formats (CSV): formula-like text gets a leading apostrophe."""
    return "'" + value if is_formula_like(value) else value


def unescape_text(value):
    """The inverse of `escape_text`, for what comes back from a spreadsheet."""
    if isinstance(value, str) and value.startswith("'") and is_formula_like(value[1:]):
        return value[1:]
    return value


def set_cell(cell, value) -> None:
    """Write a value; text is always a string cell, never a formula."""
    cell.value = value
    if isinstance(value, str) and cell.data_type != TYPE_STRING:
        cell.data_type = TYPE_STRING


@dataclass
class SheetData:
    title: str
    headers: list[tuple[str, int]]  # (header, column width)
    rows: list  # iterable of (values, highlight fill or None)
    number_formats: dict[int, str] | None = None  # column index (0-based) → number format


def write_workbook(sheets: list[SheetData]) -> bytes:
    """An .xlsx with one sheet per `SheetData`: bold header row, frozen, filterable."""
    wb = Workbook()
    wb.remove(wb.active)
    for data in sheets:
        ws = wb.create_sheet(data.title)
        for i, (header, width) in enumerate(data.headers, start=1):
            cell = ws.cell(row=1, column=i)
            set_cell(cell, header)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            ws.column_dimensions[get_column_letter(i)].width = width
        for r, (values, fill) in enumerate(data.rows, start=2):
            for c, value in enumerate(values, start=1):
                cell = ws.cell(row=r, column=c)
                set_cell(cell, value)
                if fill is not None:
                    cell.fill = fill
                if data.number_formats and (c - 1) in data.number_formats and value is not None:
                    cell.number_format = data.number_formats[c - 1]
        ws.freeze_panes = "B2"
        ws.auto_filter.ref = ws.dimensions
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
