"""Documents the pages hand out: the hazard and accident ledgers as Excel (the 调查报告 is report.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from openpyxl.styles import PatternFill

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
        ("提级调查", 18),
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
                    a.investigating_body if a.is_raised else "",  # §5.11: who took it over
                    case.code if case else "",
                    case.get_state_display() if case else "",
                ],
                False,
            )

    return _workbook("事故台账", headers, rows())


# ---- the 一案双查 report in Word --------------------------------------------------------------------
