"""The whole duty matrix as one Excel workbook, in the user's language, and back.

One sheet per section of the scenario document, Chinese sheet names and headers, choices by their
Chinese labels, dates as dates. A sheet is one entry of `SHEETS`: its section, title, stored rows and
columns. The import turns the sheets into a scenario document and goes through the same validation
and the same all-or-nothing write as `import_scenario`; `preview` says beforehand what would change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from .models import (
    Certification,
    CertificationKind,
    Duty,
    DutyType,
    ImportRun,
    Inspection,
    Permit,
    Person,
    Position,
    Region,
    RegionLevel,
    Sector,
    Tenure,
    Unit,
    UnitKind,
)
from .scenario import ImportContext, ScenarioError, import_document
from .spreadsheets import SheetData, unescape_text, write_workbook
from .workbook_reading import BadCell, FileRefused, read_sheets

SEPARATORS = re.compile(r"[,，;；、|\s]+")


@dataclass(frozen=True)
class Column:
    key: str  # the field of the scenario document
    header: str  # the Chinese column header
    kind: str = "text"  # text, code, codes (several in one cell), date, choice
    source: str = ""  # attribute path on the stored object; default `key`, `key.code` for codes
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False
    width: int = 14

    def read(self, obj):
        """The stored value as the scenario document writes it."""
        path = self.source or (f"{self.key}.code" if self.kind == "code" else self.key)
        value = obj
        for part in path.split("."):
            value = getattr(value, part, None) if value is not None else None
        if self.kind == "codes":
            # A list is already in its meaningful order (a certification's signers); a set is sorted.
            return list(value) if isinstance(value, list) else sorted(o.code for o in value.all())
        if self.kind == "date":
            return value.isoformat() if value else None
        return value if value not in ("", None) else None


@dataclass(frozen=True)
class Sheet:
    section: str  # the scenario document's section
    title: str  # the Chinese sheet name
    queryset: Callable[[], QuerySet]
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ("code",)  # what identifies a row (tenures: position and start)

    def items(self) -> list[dict]:
        rows = []
        for obj in self.queryset():
            item = {c.key: c.read(obj) for c in self.columns}
            rows.append({k: v for k, v in item.items() if v not in (None, [])})
        return rows


def _choices(choices) -> tuple[tuple[str, str], ...]:
    return tuple((str(code), str(label)) for code, label in choices)


def _sector_codes():
    return Prefetch("sectors", queryset=Sector.objects.only("id", "code"))


STORED_DUTY_TYPES = _choices(
    c for c in DutyType.choices if c[0] in dict(Duty._meta.get_field("type").choices)
)

# The workbook, in import order: each sheet refers only to the ones before it. A new section of the
# matrix is one more entry here.
SHEETS: list[Sheet] = [
    Sheet(
        "regions",
        "行政区划",
        lambda: Region.objects.select_related("parent").order_by("path"),
        (
            Column("code", "编码", required=True),
            Column("name", "名称", required=True, width=20),
            Column("level", "层级", "choice", choices=_choices(RegionLevel.choices), required=True),
            Column("parent", "上级区划编码", "code"),
        ),
    ),
    Sheet(
        "sectors",
        "行业领域",
        lambda: Sector.objects.select_related("parent").order_by("path"),
        (
            Column("code", "编码", required=True),
            Column("name", "名称", required=True, width=20),
            Column("parent", "上级行业编码", "code"),
        ),
    ),
    Sheet(
        "units",
        "单位",
        lambda: (
            Unit.objects.select_related("region", "parent").prefetch_related(_sector_codes()).order_by("path")
        ),
        (
            Column("code", "编码", required=True),
            Column("name", "名称", required=True, width=28),
            Column("kind", "类别", "choice", choices=_choices(UnitKind.choices), required=True),
            Column("region", "所在区划编码", "code", required=True),
            Column("parent", "上级单位编码", "code"),
            Column("sectors", "经营行业编码", "codes", width=20),
        ),
    ),
    Sheet(
        "positions",
        "岗位",
        lambda: Position.objects.select_related("unit").order_by("code"),
        (
            Column("code", "编码", required=True),
            Column("title", "职务/岗位", required=True, width=20),
            Column("unit", "所在单位编码", "code", required=True),
            Column("records_from", "任职记录完整起始日", "date"),
        ),
    ),
    Sheet(
        "people",
        "人员",
        lambda: Person.objects.order_by("code"),
        (Column("code", "编码", required=True), Column("name", "姓名", required=True)),
    ),
    Sheet(
        "tenures",
        "任职",
        lambda: Tenure.objects.select_related("person", "position").order_by("position__code", "start"),
        (
            Column("person", "人员编码", "code", required=True),
            Column("position", "岗位编码", "code", required=True),
            Column("start", "任职起", "date", required=True),
            Column("end", "任职止（不含）", "date"),
        ),
        key=("position", "start"),
    ),
    Sheet(
        "duties",
        "责任",
        lambda: (
            Duty.objects.select_related("holder_position", "holder_unit", "region", "enterprise")
            .prefetch_related(_sector_codes())
            .order_by("code")
        ),
        (
            Column("code", "编码", required=True),
            Column("type", "责任类型", "choice", choices=STORED_DUTY_TYPES, required=True, width=28),
            Column("holder_position", "责任岗位编码", "code"),
            Column("holder_unit", "责任单位编码", "code"),
            Column("sectors", "行业范围编码（空=全部）", "codes", width=20),
            Column("region", "区划范围编码", "code"),
            Column("enterprise", "限定企业编码", "code"),
            Column("start", "起", "date", required=True),
            Column("end", "止（不含）", "date"),
            Column("basis", "依据", width=36),
        ),
    ),
    Sheet(
        "permits",
        "审批许可",
        lambda: Permit.objects.select_related("enterprise", "sector", "position").order_by("code"),
        (
            Column("code", "编码", required=True),
            Column("name", "许可/资质名称", width=24),
            Column("enterprise", "企业编码", "code", required=True),
            Column("sector", "行业编码", "code", required=True),
            Column("position", "审批岗位编码", "code", required=True),
            Column("approved_on", "审批日期", "date", required=True),
            Column("valid_until", "有效期至（含，空=长期有效）", "date"),
        ),
    ),
    Sheet(
        "inspections",
        "检查记录",
        lambda: (
            Inspection.objects.select_related("enterprise", "sector", "unit")
            .prefetch_related(Prefetch("inspectors", queryset=Position.objects.only("id", "code")))
            .order_by("code")
        ),
        (
            Column("code", "编码", required=True),
            Column("enterprise", "企业编码", "code", required=True),
            Column("sector", "行业编码", "code", required=True),
            Column("unit", "检查单位编码", "code", required=True),
            Column("inspectors", "检查人员岗位编码", "codes", required=True, width=20),
            Column("date", "检查日期", "date", required=True),
            Column("findings", "检查发现", width=36),
        ),
    ),
    Sheet(
        "certifications",
        "技术服务文书",
        lambda: (
            Certification.objects.select_related("issuer", "enterprise", "sector")
            .prefetch_related("signer_rows__position")
            .order_by("code")
        ),
        (
            Column("code", "编码", required=True),
            Column("kind", "文书类别", "choice", choices=_choices(CertificationKind.choices), required=True),
            Column("issuer", "出具机构编码", "code", required=True),
            Column(
                "signers",
                "签字人员岗位编码（按签字顺序）",
                "codes",
                source="signer_codes",
                required=True,
                width=24,
            ),
            Column("enterprise", "被出具企业编码", "code", required=True),
            Column("sector", "行业编码", "code", required=True),
            Column("issued_on", "出具日期", "date", required=True),
            Column("valid_until", "有效期至（含，空=一直有效）", "date"),
            Column("conclusion", "结论", width=36),
        ),
    ),
]

# ---- export --------------------------------------------------------------------------------------


def _cell(column: Column, value):
    if value is None:
        return None
    if column.kind == "codes":
        return ",".join(value)
    if column.kind == "date":
        return dt.date.fromisoformat(value)
    if column.kind == "choice":
        return dict(column.choices).get(value, value)
    return value


def export_workbook(sheets: list[Sheet] | None = None) -> bytes:
    """The whole matrix: one sheet per entry of SHEETS, formula-safe (spreadsheets.write_workbook)."""
    data = []
    for sheet in sheets or SHEETS:
        dates = {i: "yyyy-mm-dd" for i, c in enumerate(sheet.columns) if c.kind == "date"}
        rows = [([_cell(c, item.get(c.key)) for c in sheet.columns], None) for item in sheet.items()]
        data.append(SheetData(sheet.title, [(c.header, c.width) for c in sheet.columns], rows, dates))
    return write_workbook(data)


# ---- import --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    sheet: str
    row: int | None  # the row number as the spreadsheet shows it (the header is row 1)
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"“{self.sheet}”表" + (f"第 {self.row} 行" if self.row else "")
        return f"{where}{f'“{self.column}”列' if self.column else ''}：{self.reason}"


class WorkbookError(Exception):
    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


@dataclass
class Change:
    sheet: str
    key: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (column header, old, new)


@dataclass
class Preview:
    document: dict
    new: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.changed)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        value = value.strftime("%Y-%m-%d")
    text = unescape_text(str(value)).strip()
    return text or None


def _convert(column: Column, value) -> object:
    """A cell as the scenario document's value; ValueError names what is wrong, in Chinese."""
    if column.kind == "date":
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        text = _text(value)
        if text is None:
            return None
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"“{text}”不是日期（应为 YYYY-MM-DD）") from None
    text = _text(value)
    if text is None:
        return [] if column.kind == "codes" else None
    if column.kind == "codes":
        return [c for c in SEPARATORS.split(text) if c]
    if column.kind == "choice":
        by_label = {label: code for code, label in column.choices}
        if text in dict(column.choices):
            return text
        if text in by_label:
            return by_label[text]
        raise ValueError(f"“{text}”不是可选值，可选：{'、'.join(label for _c, label in column.choices)}")
    return text


def read_workbook(content: bytes) -> tuple[dict, dict[str, list[int]]]:
    """The workbook as a scenario document, and for each section the spreadsheet row of each item.
    Raises WorkbookError with every problem of every sheet."""
    try:
        return _read_sheets(content)
    except FileRefused as exc:
        raise WorkbookError([RowProblem("工作簿", None, "", str(exc))]) from None


def _read_sheets(content: bytes) -> tuple[dict, dict[str, list[int]]]:
    by_title = {sheet.title: sheet for sheet in SHEETS}
    problems, doc, rows_of = [], {}, {}
    for title, rows in read_sheets(content):
        sheet = by_title.get(title)
        if sheet is None:
            problems.append(RowProblem(title, None, "", f"不认识的工作表，可用：{'、'.join(by_title)}"))
            continue
        headers = [None if isinstance(h, BadCell) else _text(h) for h in next(rows, ())]
        by_header = {c.header: c for c in sheet.columns}
        unknown = [h for h in headers if h and h not in by_header]
        missing = [c.header for c in sheet.columns if c.required and c.header not in headers]
        for header in unknown:
            problems.append(RowProblem(sheet.title, 1, header, "不认识的列"))
        for header in missing:
            problems.append(RowProblem(sheet.title, 1, header, "缺少必填列"))
        if unknown or missing:
            continue
        items, numbers = [], []
        for number, values in enumerate(rows, start=2):
            if all(not isinstance(v, BadCell) and _text(v) is None for v in values):
                continue
            item = {}
            for header, value in zip(headers, values, strict=False):
                column = by_header.get(header) if header else None
                if column is None:
                    continue
                if isinstance(value, BadCell):
                    problems.append(RowProblem(sheet.title, number, column.header, value.reason))
                    continue
                try:
                    converted = _convert(column, value)
                except ValueError as exc:
                    problems.append(RowProblem(sheet.title, number, column.header, str(exc)))
                    continue
                if converted in (None, []):
                    if column.required:
                        problems.append(RowProblem(sheet.title, number, column.header, "必填"))
                    elif column.kind == "codes":
                        item[column.key] = []
                    continue
                item[column.key] = converted
            items.append(item)
            numbers.append(number)
        doc[sheet.section] = items
        rows_of[sheet.section] = numbers
    if problems:
        raise WorkbookError(problems)
    return doc, rows_of


def _locate(error: ScenarioError, rows_of: dict[str, list[int]]) -> list[RowProblem]:
    sheets = {sheet.section: sheet for sheet in SHEETS}
    if not error.located:
        return [RowProblem("工作簿", None, "", line) for line in error.problems]
    problems = []
    for section, index, field_name, message in error.located:
        sheet = sheets.get(section)
        if sheet is None:
            problems.append(RowProblem(section, None, field_name, message))
            continue
        headers = {c.key: c.header for c in sheet.columns}
        numbers = rows_of.get(section, [])
        row = numbers[index] if 0 <= index < len(numbers) else None
        problems.append(RowProblem(sheet.title, row, headers.get(field_name, field_name), message))
    return problems


def _shown(column: Column, value) -> str:
    if value in (None, []):
        return "（空）"
    if column.kind == "codes":
        return ",".join(sorted(value))
    if column.kind == "choice":
        return dict(column.choices).get(value, value)
    return str(value)


def _same(column: Column, old, new) -> bool:
    if column.kind == "codes":
        return sorted(old or []) == sorted(new or [])
    return (old or None) == (new or None)


def preview_workbook(content: bytes) -> Preview:
    """What the import would do, after the full validation of `import_scenario` (nothing written):
    new rows, changed rows with old → new per column, and how many rows are unchanged."""
    doc, rows_of = read_workbook(content)
    try:
        import_document(doc, dry_run=True)
    except ScenarioError as exc:
        raise WorkbookError(_locate(exc, rows_of)) from None
    preview = Preview(document=doc)
    for sheet in SHEETS:
        if sheet.section not in doc:
            continue
        stored = {tuple(item.get(k) for k in sheet.key): item for item in sheet.items()}
        for item in doc[sheet.section]:
            key = tuple(item.get(k) for k in sheet.key)
            label = " / ".join(str(k) for k in key)
            old = stored.get(key)
            if old is None:
                preview.new.append(Change(sheet.title, label))
                continue
            columns = [c for c in sheet.columns if c.key in item or c.kind == "codes" or c.key in old]
            fields = [
                (c.header, _shown(c, old.get(c.key)), _shown(c, item.get(c.key)))
                for c in columns
                if c.key not in sheet.key and not _same(c, old.get(c.key), item.get(c.key))
            ]
            if fields:
                preview.changed.append(Change(sheet.title, label, fields))
            else:
                preview.unchanged += 1
    return preview


def import_workbook(content: bytes, *, by=None, source: str = "") -> ImportContext:
    """All or nothing, through the validation and the write of `import_scenario`, audited like it."""
    doc, rows_of = read_workbook(content)
    run = ImportRun(by=by, source=source[:500], sha256=hashlib.sha256(content).hexdigest(), size=len(content))
    try:
        return import_document(doc, run=run, by=by)
    except ScenarioError as exc:
        raise WorkbookError(_locate(exc, rows_of)) from None
