"""The matrix workbook: one sheet per section in Chinese; export → import changes nothing; a preview
lists only what would change; a bad row is named by sheet, row and column, and nothing is written."""

import datetime as dt
from io import BytesIO

import pytest
from openpyxl import load_workbook

from responsibility.models import Duty, Region, Tenure
from responsibility.workbook import SHEETS, WorkbookError, export_workbook, import_workbook, preview_workbook


def edit(content: bytes, sheet_title: str, change) -> bytes:
    book = load_workbook(BytesIO(content))
    change(book[sheet_title])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def column_of(ws, header: str) -> int:
    return [c.value for c in ws[1]].index(header) + 1


def row_of(ws, code: str, header: str = "编码") -> int:
    col = column_of(ws, header)
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == code)


def test_the_workbook_has_a_chinese_sheet_per_section_with_labels_and_dates(demo_county):
    book = load_workbook(BytesIO(export_workbook()))
    assert book.sheetnames == [
        "行政区划",
        "行业领域",
        "单位",
        "岗位",
        "人员",
        "任职",
        "责任",
        "审批许可",
        "检查记录",
        "技术服务文书",
    ]
    duties = book["责任"]
    assert [c.value for c in duties[1]][:3] == ["编码", "责任类型", "责任岗位编码"]
    types = {duties.cell(r, 2).value for r in range(2, duties.max_row + 1)}
    assert "属地管理责任" in types and not any(t and t.isascii() for t in types)
    start = duties.cell(2, column_of(duties, "起")).value
    assert (
        isinstance(start, dt.datetime)
        and duties.cell(2, column_of(duties, "起")).number_format == "yyyy-mm-dd"
    )


def test_export_then_import_changes_nothing(demo_county):
    content = export_workbook()
    preview = preview_workbook(content)
    assert not preview.has_changes
    assert preview.unchanged == sum(len(sheet.items()) for sheet in SHEETS)
    before = {sheet.section: sheet.items() for sheet in SHEETS}
    ctx = import_workbook(content)
    assert all(counts == (0, 0) for counts in ctx.counts.values()), ctx.counts
    assert {sheet.section: sheet.items() for sheet in SHEETS} == before


def test_the_preview_lists_only_the_change_with_old_and_new(demo_county):
    duty = Duty.objects.order_by("code").first()

    def change(ws):
        ws.cell(row_of(ws, duty.code), column_of(ws, "依据")).value = "县政府令第 1 号"
        new_row = ws.max_row + 1
        for header, value in [
            ("编码", "D_new"),
            ("责任类型", "属地管理责任"),
            ("责任单位编码", "t1_gov"),
            ("起", dt.date(2025, 1, 1)),
        ]:
            ws.cell(new_row, column_of(ws, header)).value = value

    preview = preview_workbook(edit(export_workbook(), "责任", change))
    assert [c.key for c in preview.new] == ["D_new"]
    assert len(preview.changed) == 1 and preview.changed[0].key == duty.code
    assert preview.changed[0].fields == [("依据", duty.basis or "（空）", "县政府令第 1 号")]
    assert not Duty.objects.filter(code="D_new").exists()


def test_bad_rows_are_named_by_sheet_row_and_column_and_nothing_is_written(demo_county):
    content = export_workbook()

    def bad_duty(ws):
        ws.cell(2, column_of(ws, "责任类型")).value = "随便什么"
        ws.cell(3, column_of(ws, "起")).value = "明天"

    def bad_region(ws):
        ws.cell(row_of(ws, "T1"), column_of(ws, "名称")).value = "新名字"
        ws.cell(row_of(ws, "T1"), column_of(ws, "上级区划编码")).value = "nowhere"

    content = edit(edit(content, "责任", bad_duty), "行政区划", bad_region)
    with pytest.raises(WorkbookError) as first:
        import_workbook(content)
    texts = [str(p) for p in first.value.problems]
    assert any(t.startswith("“责任”表第 2 行“责任类型”列：“随便什么”不是可选值") for t in texts), texts
    assert any(t.startswith("“责任”表第 3 行“起”列：“明天”不是日期") for t in texts), texts

    fixed = edit(export_workbook(), "行政区划", bad_region)
    with pytest.raises(WorkbookError) as second:
        import_workbook(fixed)
    problem = second.value.problems[0]
    assert (problem.sheet, problem.column) == ("行政区划", "上级区划编码") and "nowhere" in problem.reason
    assert problem.row == row_of(load_workbook(BytesIO(fixed))["行政区划"], "T1")
    assert Region.objects.get(code="T1").name != "新名字"


def test_an_overlapping_tenure_is_refused_as_import_scenario_refuses_it(demo_county):
    tenure = Tenure.objects.filter(end__isnull=False).select_related("position", "person").first()

    def overlap(ws):
        row = ws.max_row + 1
        for header, value in [
            ("人员编码", tenure.person.code),
            ("岗位编码", tenure.position.code),
            ("任职起", tenure.start + dt.timedelta(days=1)),
        ]:
            ws.cell(row, column_of(ws, header)).value = value

    before = Tenure.objects.count()
    with pytest.raises(WorkbookError) as refused:
        import_workbook(edit(export_workbook(), "任职", overlap))
    assert refused.value.problems[0].sheet == "任职" and "overlap" in refused.value.problems[0].reason
    assert Tenure.objects.count() == before


def test_formula_like_text_goes_out_as_text_and_comes_back_as_typed(demo_county):
    Duty.objects.filter(pk=Duty.objects.order_by("code").first().pk).update(basis="=HYPERLINK(1)")
    content = export_workbook()
    for ws in load_workbook(BytesIO(content)).worksheets:
        assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row)
    assert not preview_workbook(content).has_changes


def test_the_period_example_round_trips_with_signers_in_order_and_records_from(old_house):
    """DESIGN §5's matrix: certifications (signers in order), records_from, audited like import_scenario."""
    from responsibility.models import Certification, ImportRun

    content = export_workbook()
    book = load_workbook(BytesIO(content))
    sheet = book["技术服务文书"]
    row = row_of(sheet, "CF_2022")
    assert sheet.cell(row, column_of(sheet, "签字人员岗位编码（按签字顺序）")).value == "appr_a1,appr_a2"
    positions = book["岗位"]
    assert positions.cell(
        row_of(positions, "wv_director"), column_of(positions, "任职记录完整起始日")
    ).value == dt.datetime(2021, 1, 1)

    assert not preview_workbook(content).has_changes
    swapped = edit(
        content,
        "技术服务文书",
        lambda ws: ws.cell(
            row_of(ws, "CF_2022"), column_of(ws, "签字人员岗位编码（按签字顺序）"), "appr_a2,appr_a1"
        ),
    )
    import_workbook(swapped)

    assert Certification.objects.get(code="CF_2022").signer_codes == ["appr_a2", "appr_a1"]
    assert ImportRun.objects.filter(outcome="imported").exists()
