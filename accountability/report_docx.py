"""The 调查报告 and the 结案 record in Word: A4, Chinese fonts, black heading styles, tables sized to
their content, page numbers in the footer. The content is report.py's `report_sections` (or
closing_record.py's `closing_sections`), the same as the print page's."""

from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from .closing_record import closing_sections
from .models import Case
from .report import report_sections

BODY_FONT, HEADING_FONT, SUBHEADING_FONT, TITLE_FONT = "仿宋", "黑体", "楷体", "宋体"
BLACK = RGBColor(0, 0, 0)
TEXT_WIDTH_CM = 21.0 - 2.8 - 2.6  # A4 less the left and right margins below


def _fonts(style, name: str, size: float, bold: bool | None = None) -> None:
    style.font.name = name
    style.font.size = Pt(size)
    style.font.color.rgb = BLACK
    if bold is not None:
        style.font.bold = bold
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    # Drop theme fonts and colours, which would bring back the default blue headings.
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    color = rpr.find(qn("w:color"))
    if color is not None:
        for attr in ("w:themeColor", "w:themeShade", "w:themeTint"):
            color.attrib.pop(qn(attr), None)


def _setup(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    styles = document.styles
    _fonts(styles["Normal"], BODY_FONT, 14)
    styles["Normal"].paragraph_format.line_spacing = 1.35
    _fonts(styles["Title"], TITLE_FONT, 22, bold=True)
    styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # The Title style carries a bottom border in the default template; a report has none.
    ppr = styles["Title"].element.get_or_add_pPr()
    border = ppr.find(qn("w:pBdr"))
    if border is not None:
        ppr.remove(border)
    _fonts(styles["Heading 1"], HEADING_FONT, 16, bold=False)
    _fonts(styles["Heading 2"], SUBHEADING_FONT, 15, bold=False)
    for name in ("Heading 1", "Heading 2"):
        styles[name].paragraph_format.space_before = Pt(10)
        styles[name].paragraph_format.space_after = Pt(4)
    _page_numbers(section)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES): Word fills in the number on every page."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {instruction} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def _page_numbers(section) -> None:
    """“— 1 —” centred in the footer, as official documents number their pages."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("— ")
    _field(paragraph, "PAGE")
    paragraph.add_run(" —")


def _para(document, text: str, indent: bool = True):
    paragraph = document.add_paragraph(text)
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(28)
    return paragraph


def _width(text: str) -> float:
    """Display width in character cells: a CJK character counts two, ASCII one."""
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _table(document, headers: list[str], rows: list[list[str]]):
    """A grid whose columns are as wide as their content needs, shared out of the text width."""
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = "" if text is None else str(text)
    # Needed width per column: the header, or the longest line up to a wrap limit of 30 cells.
    need = [
        max([_width(h)] + [min(_width(str(r[i] or "")), 30) for r in rows]) + 2 for i, h in enumerate(headers)
    ]
    scale = min(1.0, TEXT_WIDTH_CM / (sum(need) * 0.19))
    widths = [Cm(n * 0.19 * scale) for n in need]
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(width.twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.first_line_indent = None
                paragraph.paragraph_format.line_spacing = 1.0
                for run in paragraph.runs:
                    run.font.size = Pt(10.5)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    document.add_paragraph()
    return table


# ---- Word --------------------------------------------------------------------------------------------


def _render_block(document, block: dict) -> None:
    kind = block["kind"]
    if kind == "sub":
        document.add_heading(block["text"], level=2)
    elif kind == "para":
        _para(document, block["text"], indent=block["indent"])
    elif kind == "lead":
        _para(document, block["text"], indent=False)
    elif kind == "table":
        _table(document, block["headers"], [row["cells"] for row in block["rows"]])
    elif kind == "group":
        if block["head"]:
            _para(document, block["head"], indent=False).runs[0].bold = True
        for item in block["items"]:
            _para(document, item)
    else:  # pragma: no cover - a new kind must be rendered in both places
        raise ValueError(kind)


def report_docx(case: Case) -> bytes:
    """The 调查报告 of a case, as bytes of a .docx."""
    return sections_docx(report_sections(case))


def closing_docx(case: Case) -> bytes:
    """The 结案 record (处理情况报告) of a case, as bytes of a .docx."""
    return sections_docx(closing_sections(case))


def sections_docx(report: dict) -> bytes:
    """A document of sections and blocks (report.py's shape) as bytes of a .docx."""
    document = Document()
    _setup(document)
    document.add_paragraph(report["title"], style="Title")
    _para(document, f"案件编号：{report['code']}", indent=False).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in report.get("status", []):
        _para(document, line, indent=False).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section in report["sections"]:
        document.add_heading(section["heading"], level=1)
        for block in section["blocks"]:
            _render_block(document, block)
    out = BytesIO()
    document.save(out)
    return out.getvalue()
