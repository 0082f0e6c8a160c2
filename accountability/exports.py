"""Documents the pages hand out: the 一案双查 report as Word (python-docx), the hazard and accident ledgers as Excel."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl.styles import PatternFill

from responsibility.models import PartyRole
from responsibility.spreadsheets import SheetData, write_workbook

# ---- Excel ledgers ---------------------------------------------------------------------------------

OVERDUE_FILL = PatternFill("solid", fgColor="F8D7DA")


def _workbook(title: str, headers: list[tuple[str, int]], rows, highlight=None) -> bytes:
    marked = ((values, highlight if mark else None) for values, mark in rows)
    return write_workbook([SheetData(title, headers, marked)])


def _local(value: dt.datetime | None):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def hazard_ledger_xlsx(hazards, today: dt.date) -> bytes:
    """隐患台账: one row per hazard; overdue rows are shaded."""
    headers = [
        ("编码", 12),
        ("企业", 28),
        ("属地", 16),
        ("行业", 14),
        ("隐患描述", 36),
        ("等级", 10),
        ("来源", 10),
        ("发现日期", 12),
        ("整改期限", 12),
        ("原定期限", 12),
        ("状态", 12),
        ("是否逾期", 10),
        ("销号日期", 12),
        ("整改措施", 30),
        ("整改责任岗位", 20),
        ("整改资金（元）", 14),
        ("应急预案", 24),
        ("挂牌督办单位", 24),
        ("督办期限", 12),
    ]

    def rows():
        for h in hazards:
            listing = getattr(h, "listing", None)
            overdue = h.is_overdue(today)
            yield (
                [
                    h.code,
                    h.enterprise.name,
                    h.enterprise.region.name,
                    h.sector.name,
                    h.title,
                    h.get_level_display(),
                    h.get_source_display(),
                    h.found_on,
                    h.deadline,
                    h.original_deadline,
                    h.get_state_display(),
                    "逾期" if overdue else "",
                    h.closed_on,
                    h.measures,
                    h.responsible_position.title if h.responsible_position else "",
                    float(h.funds_yuan) if h.funds_yuan is not None else None,
                    h.contingency_plan,
                    listing.listing_unit.name if listing else "",
                    listing.due_on if listing else None,
                ],
                overdue,
            )

    return _workbook("隐患台账", headers, rows(), OVERDUE_FILL)


def accident_ledger_xlsx(accidents) -> bytes:
    """事故台账: one row per accident, with its grade, 迟报 and case."""
    headers = [
        ("编码", 12),
        ("事故名称", 32),
        ("事发企业", 28),
        ("事发区划", 14),
        ("行业", 14),
        ("发生时间", 18),
        ("报告时间", 18),
        ("迟报", 8),
        ("死亡人数", 10),
        ("重伤人数", 10),
        ("直接经济损失（元）", 18),
        ("等级", 12),
        ("案件编号", 20),
        ("案件状态", 12),
    ]

    def rows():
        for a in accidents:
            case = getattr(a, "case", None)
            yield (
                [
                    a.code,
                    a.title,
                    a.enterprise.name if a.enterprise else "",
                    a.region.name,
                    a.sector.name,
                    _local(a.occurred_at),
                    _local(a.reported_at),
                    "迟报" if a.is_late_report else "",
                    a.deaths,
                    a.serious_injuries,
                    float(a.direct_loss_yuan),
                    a.get_grade_display(),
                    case.code if case else "",
                    case.get_state_display() if case else "",
                ],
                False,
            )

    return _workbook("事故台账", headers, rows())


# ---- the 一案双查 report in Word --------------------------------------------------------------------


def _set_east_asian_font(document, name: str = "宋体") -> None:
    style = document.styles["Normal"]
    style.font.name = name
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), name)
    for heading in ("Title", "Heading 1", "Heading 2"):
        if heading in [s.name for s in document.styles]:
            rpr = document.styles[heading].element.get_or_add_rPr()
            rpr.get_or_add_rFonts().set(qn("w:eastAsia"), "黑体")


def _table(document, headers: list[str], rows: list[list[str]]):
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = "" if text is None else str(text)
    return table


def _subject(record) -> tuple[str, str, str]:
    snap = record.snapshot
    person = record.subject_name
    if record.term_note:
        person += f"（{record.term_note}）"  # §5.10: an earlier holder answers for their own term
    return snap.get("unit_name", ""), snap.get("position_title", ""), person


def _basis(record) -> str:
    parts = []
    for link in record.bases:
        text = link.get("type_label") or ""
        if link.get("role_label") and link.get("role") != PartyRole.MAIN:
            text += f"（{link['role_label']}）"
        if link.get("enterprise_name") and record.track == "supervision":
            text += f"［{link['enterprise_name']}］"
        # An investigator's subject: its reason is said once, below, and no internal source code is printed.
        added = link.get("source") == "investigation"
        if link.get("basis") and not added:
            text += f"：{link['basis']}"
        if link.get("source") and not added:
            text += f"［{link['source']}］"
        parts.append(text)
    if record.origin in ("added", "review"):
        parts.append(f"{record.get_origin_display()}：{record.added_reason}")
    return "；".join(p for p in parts if p)


def _measures(decision) -> str:
    if decision is None:
        return ""
    from .measures import label_of

    items = []
    for m in decision.measures.all():
        text = label_of(m.kind)
        extra = [
            m.detail,
            f"{m.period_months}个月" if m.period_months else "",
            f"{m.amount_yuan}元" if m.amount_yuan else "",
            f"刑法第{m.article}条" if m.article else "",
        ]
        extra = [e for e in extra if e]
        items.append(text + (f"（{'，'.join(extra)}）" if extra else ""))
    return "；".join(items)


def _decision_text(decision) -> str:
    if decision is None:
        return "未认定"
    text = decision.get_finding_display()
    if decision.grounds:
        text += f"：{decision.grounds}"
    return text


def case_docx(data: dict) -> bytes:
    """The 一案双查 report a 纪检 officer files: facts, cause, every record of both tracks, 四不放过."""
    case, source = data["case"], data["source"]
    document = Document()
    _set_east_asian_font(document)
    title = document.add_heading(f"{case.title}调查处理报告", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = document.add_paragraph(f"案件编号：{case.code}    状态：{case.get_state_display()}")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading("基本情况", level=1)
    facts = [
        ["案件来源", ("事故" if data["is_accident"] else "逾期隐患（隐患就是事故）") + f" {source.code}"],
        ["名称", source.title or source.code],
        ["责任认定日期（事发当日）", case.event_day.isoformat()],
        ["等级", case.get_grade_display() or "—"],
    ]
    if data["is_accident"]:
        facts += [
            ["事发企业", source.enterprise.name if source.enterprise else "（无）"],
            ["事发区划", source.region.name],
            ["行业领域", source.sector.name],
            ["发生时间", f"{timezone.localtime(source.occurred_at):%Y-%m-%d %H:%M}"],
            [
                "死亡 / 重伤 / 直接经济损失",
                f"{source.deaths} 人 / {source.serious_injuries} 人 / {source.direct_loss_yuan} 元",
            ],
        ]
        if source.is_late_report:
            facts.append(["迟报", "是（超过1小时报告）"])
    else:
        facts += [
            ["企业", source.enterprise.name],
            ["行业领域", source.sector.name],
            ["隐患等级", source.get_level_display()],
            ["发现日期 / 整改期限", f"{source.found_on} / {source.deadline}"],
        ]
    facts += [
        ["立案时间", f"{timezone.localtime(case.opened_at):%Y-%m-%d %H:%M}"],
        ["结案时间", f"{timezone.localtime(case.closed_at):%Y-%m-%d %H:%M}" if case.closed_at else "未结案"],
    ]
    _table(document, ["项目", "内容"], facts)
    team = list(source.investigator_rows.all()) if data["is_accident"] else []
    if team:
        document.add_paragraph(
            "调查组："
            + "、".join(f"{row.unit.name}（{row.get_role_display()}）" for row in team)
            + "。调查组中处于调查层级及以上的单位不作为本案责任主体，其责任由上级另行处理。"
        )

    document.add_heading("一、原因认定", level=1)
    document.add_paragraph(case.cause or "（尚未认定原因）")

    document.add_heading("二、责任认定", level=1)
    headers = ["序号", "单位", "岗位", "姓名", "责任类型", "依据", "认定结论", "处理措施"]
    for label, records in (
        ("（一）主体责任（企业）", data["enterprise_records"]),
        ("（二）监管责任（监管、主管、属地、领导责任）", data["supervision_records"]),
    ):
        document.add_heading(label, level=2)
        if not records:
            document.add_paragraph("无")
            continue
        rows = []
        for i, record in enumerate(records, start=1):
            unit, position, person = _subject(record)
            rows.append(
                [
                    str(i),
                    unit,
                    position,
                    person,
                    "、".join(record.type_labels),
                    _basis(record),
                    _decision_text(record.current_decision),
                    _measures(record.current_decision),
                ]
            )
        _table(document, headers, rows)

    amended = [r for r in [*data["enterprise_records"], *data["supervision_records"]] if r.amended]
    document.add_heading("（三）认定更正记录", level=2)
    if not amended:
        document.add_paragraph("无")
    for record in amended:
        unit, position, person = _subject(record)
        document.add_paragraph(f"{unit} {position} {person}".strip())
        for n, decision in enumerate(record.decision_history, start=1):
            when = f"{timezone.localtime(decision.decided_at):%Y-%m-%d %H:%M}"
            line = f"{n}. {when} {_decision_text(decision)}"
            if decision.amends_id:
                line += f"（更正理由：{decision.amendment_reason}）"
            measures = _measures(decision)
            if measures:
                line += f"；处理措施：{measures}"
            document.add_paragraph(line, style="List Bullet")

    document.add_heading("三、整改措施", level=1)
    if data["actions"]:
        _table(
            document,
            ["序号", "整改措施", "责任单位/人", "完成期限", "完成日期"],
            [
                [str(i), a.description, a.responsible, a.due_on or "", a.done_on or "未完成"]
                for i, a in enumerate(data["actions"], start=1)
            ],
        )
    else:
        document.add_paragraph("（尚未登记整改措施）")

    document.add_heading("四、警示教育", level=1)
    if data["education"]:
        _table(
            document,
            ["日期", "警示教育内容", "参加人数"],
            [[e.held_on, e.description, str(e.participants)] for e in data["education"]],
        )
    else:
        document.add_paragraph("（尚未记录警示教育）")

    document.add_heading("五、“四不放过”核查", level=1)
    _table(
        document,
        ["条件", "核查结果"],
        [[f["label"], "已落实" if f["ok"] else f"未落实：{f['message']}"] for f in data["four_nots"]],
    )
    document.add_paragraph(f"生成日期：{data['printed_on']}")
    out = BytesIO()
    document.save(out)
    return out.getvalue()
