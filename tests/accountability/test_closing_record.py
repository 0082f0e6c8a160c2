"""The 结案 record (处理情况报告): per subject the finding, the proposal and — apart from it — each decision
that came back; the hand-overs; the 四不放过 item by item; A4 with page numbers; any case of the demo."""

import datetime as dt
from io import BytesIO
from pathlib import Path

import pytest
from django.core.management import call_command
from docx import Document
from docx.oxml.ns import qn

from accountability import cases
from accountability.models import Accident, Case, Hazard
from accountability.selectors import case_records
from tests.accountability.test_open_case_demo_county import CASE_KEYS, _source
from tests.factories import opened_on


def _texts(document) -> list[str]:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return parts


def _rows(document, header: str) -> list[list[str]]:
    """The rows of the table whose first header cell is `header`."""
    for table in document.tables:
        cells = [[c.text for c in row.cells] for row in table.rows]
        if cells and cells[0][0] == header:
            return cells
    raise AssertionError(f"no table headed {header!r}")


def _footer_fields(document) -> list[str]:
    footer = document.sections[0].footer._element
    return [node.text.strip() for node in footer.iter(qn("w:instrText"))]


def _export(case_code: str, tmp_path: Path, option: str = "--closing") -> Document:
    target = tmp_path / f"{case_code}-{option.strip('-')}.docx"
    call_command("export_case", "--case", case_code, option, str(target))
    return Document(BytesIO(target.read_bytes()))


@pytest.fixture
def handled_case(demo_county):
    """The 3·18 case dealt with: a proposal, a hand-over to the 县纪委监委 and the decision with its 文号."""
    case = opened_on(cases.open_case(accident=Accident.objects.get(code="A0318")).case, dt.date(2024, 4, 1))
    records = case_records(case)
    official = next(r for r in records if r.track == "supervision" and r.person_code)
    cases.record_finding(
        record=official,
        finding="responsible",
        category="supervision",
        grounds="未按规定开展专项检查",
        measures=[{"kind": "party_warning"}],
    )
    mistaken = cases.hand_over(case=case, records=[official], handed_on=dt.date(2024, 5, 9), authority="city")
    cases.withdraw_entry(entry=mistaken, reason="误填为市管，应移交县纪委监委")
    handover = cases.hand_over(
        case=case,
        records=[official],
        handed_on=dt.date(2024, 5, 10),
        authority="county",
    )
    cases.record_handover_decision(
        handover=handover,
        record=official,
        measure={"kind": "party_serious_warning"},
        document_number="示纪处〔2024〕12号",
        decided_on=dt.date(2024, 6, 20),
    )
    cases.record_cause(case=case, cause="模板支撑体系搭设不符合专项方案")
    cases.add_corrective_action(case=case, description="全面排查高支模", responsible="示范建工")
    cases.record_education(
        case=case, held_on="2024-06-01", description="全区建筑施工警示教育", participants=200
    )
    return case, official


def test_the_closing_record_holds_the_handover_its_number_and_the_decision_apart_from_the_proposal(
    handled_case, tmp_path
):
    case, official = handled_case
    document = _export(case.code, tmp_path)
    handovers = _rows(document, "移交日期")
    assert handovers[0] == ["移交日期", "接收机关", "干部管理权限", "移交人员", "反馈情况", "处理结果"]
    row = handovers[1]
    assert row[0] == "2024-05-10" and row[1] == "县纪委监委" and row[2] == "县管"
    assert "已于 2024-06-20 全部反馈" in row[4]
    assert "示纪处〔2024〕12号" in row[5]

    subjects = _rows(document, "责任单位或人员")
    assert subjects[0] == ["责任单位或人员", "责任认定", "处理建议", "处理结果（机关、日期、文号）"]
    mine = next(r for r in subjects[1:] if official.snapshot["person_name"] in r[0])
    # The proposal (警告) and the decision that came back (严重警告) sit in separate columns, each once.
    assert "警告" in mine[2] and "严重警告" not in mine[2] and "示纪处" not in mine[2]
    assert "严重警告" in mine[3] and "县纪委监委" in mine[3] and "2024-06-20" in mine[3]
    assert "示纪处〔2024〕12号" in mine[3]

    # The mistaken hand-over is not among the hand-overs, but under corrections with its reason.
    assert [r[0] for r in handovers[1:]] == ["2024-05-10"]
    corrections = next(
        t for t in document.tables if [c.text for c in t.rows[0].cells][:2] == ["日期", "事项"]
    )
    withdrawn = [r for r in ([c.text for c in row.cells] for row in corrections.rows) if "移交" in r[1]]
    assert len(withdrawn) == 1 and withdrawn[0][1].startswith("撤销") and "2024-05-09" in withdrawn[0][2]
    assert withdrawn[0][4] == "误填为市管，应移交县纪委监委"


def test_the_closing_record_checks_the_four_conditions_item_by_item_with_dates(handled_case, tmp_path):
    case, _ = handled_case
    document = _export(case.code, tmp_path)
    four = _rows(document, "条件")
    assert [r[0] for r in four[1:]] == [
        "事故原因未查清不放过",
        "事故责任者未受到处理不放过",
        "整改措施未落实不放过",
        "有关人员未受到教育不放过",
    ]
    # Cause and education are done (with their dates); the undecided records and the open action are not.
    assert four[1][1] == "已落实" and four[1][3]
    assert four[4][1] == "已落实" and four[4][3] == "2024-06-01"
    assert four[2][1] == "未落实" and "未认定" in four[2][2]
    assert four[3][1] == "未落实" and "1 项整改措施未完成" in four[3][2]
    text = "\n".join(_texts(document))
    assert "尚未结案" in text and "本案尚未结案，仍缺：" in text


@pytest.mark.parametrize("option", ["--closing", "--docx"])
def test_both_word_documents_are_a4_with_a_page_number_in_the_footer(handled_case, tmp_path, option):
    case, _ = handled_case
    document = _export(case.code, tmp_path, option)
    section = document.sections[0]
    # A4, as Word stores it (in twips).
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert "PAGE" in _footer_fields(document)


def test_the_closing_record_of_a_closed_case_says_when_it_closed(demo_county, tmp_path):
    case = opened_on(cases.open_case(accident=Accident.objects.get(code="A0318")).case, dt.date(2024, 4, 1))
    for record in case_records(case):
        cases.record_finding(record=record, finding="not_responsible", grounds="已履职")
    cases.record_cause(case=case, cause="违规作业")
    action = cases.add_corrective_action(case=case, description="整改")
    cases.complete_corrective_action(action=action, done_on=dt.date(2024, 7, 1))
    cases.record_education(case=case, held_on="2024-06-01", description="警示教育", participants=30)
    cases.close_case(case=case)
    document = _export(case.code, tmp_path)
    text = "\n".join(_texts(document))
    assert "已结案" in text and "仍缺" not in text
    assert [r[1] for r in _rows(document, "条件")[1:]] == ["已落实"] * 4


def test_export_closing_writes_the_record_of_every_case_the_demo_can_open(demo_county, tmp_path):
    for key in CASE_KEYS:
        _, _, source = _source(key)
        cases.open_case(**source)
    opened = list(Case.objects.order_by("code"))
    assert len(opened) == len(CASE_KEYS) and Accident.objects.exists() and Hazard.objects.exists()
    for case in opened:
        document = _export(case.code, tmp_path)
        text = "\n".join(_texts(document))
        assert case.code in text
        # An open case's record says what is still missing.
        assert "本案尚未结案，仍缺：" in text
        assert [r[0] for r in _rows(document, "条件")[1:]][0] == "事故原因未查清不放过"
