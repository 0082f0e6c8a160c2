"""The 一案双查 report: the Word document and the print page carry every record of the case."""

from io import BytesIO

import pytest
from django.urls import reverse
from docx import Document

from accountability import cases
from accountability.models import Accident
from accountability.report import report_sections
from accountability.selectors import case_records
from tests.conftest import REPO


@pytest.fixture
def worked_case(demo_users):
    """The 3·18 case with a finding, an amendment, an added subject, an action and education."""
    case = cases.open_case(accident=Accident.objects.get(code="A0318")).case
    records = case_records(case)
    chair = next(r for r in records if r.position_code == "e1_chair")
    cases.record_finding(
        record=chair,
        finding="responsible",
        category="leadership",
        grounds="未组织排查模板支撑体系",
        measures=[
            {"kind": "principal_fine", "amount_yuan": "180000"},
            {"kind": "judicial_referral", "article": "134"},
        ],
    )
    vp = next(r for r in records if r.position_code == "e1_vp")
    cases.record_finding(record=vp, finding="not_responsible", grounds="已履职")
    cases.amend_finding(
        record=vp,
        finding="responsible",
        category="leadership",
        reason="复核认定",
        measures=[{"kind": "party_warning"}],
    )
    cases.record_cause(case=case, cause="模板支撑体系搭设不符合专项方案")
    cases.add_corrective_action(case=case, description="全面排查高支模", responsible="示范建工")
    cases.record_education(
        case=case, held_on="2024-06-01", description="全区建筑施工警示教育", participants=200
    )
    return case


def _docx_text(content: bytes) -> str:
    document = Document(BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_the_word_button_downloads_the_investigation_report_with_every_subject_of_the_case(
    login, worked_case
):
    # The page's Word button and `export_case --docx` give the same 调查报告 (report.py), not a working record.
    response = login("inspector").get(reverse("accountability:case_report_docx", args=[worked_case.code]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    text = _docx_text(response.content)
    headings = [
        p.text for p in Document(BytesIO(response.content)).paragraphs if p.style.name.startswith("Heading 1")
    ]
    assert headings == [section["heading"] for section in report_sections(worked_case)["sections"]]
    records = list(worked_case.records.all())
    assert len(records) > 20
    for record in records:
        snap = record.snapshot
        for value in (snap["unit_name"], snap["person_name"]):
            assert value in text, (record.key, value)
    for expected in ("模板支撑体系搭设不符合专项方案", "全面排查高支模", "张某"):
        assert expected in text, expected


def test_the_print_page_carries_every_record_in_the_findings_and_prints_on_a4(login, worked_case):
    response = login("inspector").get(reverse("accountability:case_report", args=[worked_case.code]))
    html = response.content.decode()
    findings = html[html.index('id="report-findings"') : html.index('id="report-proposals"')]
    for record in worked_case.records.all():
        assert f'id="record-{record.pk}"' in findings
    assert 'media="print"' in html and "report.css" in html
    css = (REPO / "responsibility/static/dutychain/report.css").read_text()
    assert "@page { size: A4; margin:" in css and "仿宋" in css and "黑体" in css
