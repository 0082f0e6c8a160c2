"""The printable 调查报告 (/cases/<code>/report/): DOMAIN.md's structure, the same sections as the Word
export, 处理建议 grouped by channel and cadre authority, and a fixed number of queries."""

import datetime as dt
from html.parser import HTMLParser
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document

from accountability import cases
from accountability.models import Accident, AccountabilityRecord, Case, Hazard, InvestigatorRole
from accountability.report import ANNEX, HEADINGS
from accountability.report_docx import report_docx
from responsibility.models import Position, Unit
from tests.factories import opened_on


class Outline(HTMLParser):
    """The report article's headings (h1–h3) in document order, and its proposal groups."""

    def __init__(self):
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.groups: list[dict] = []
        self._tag = None
        self._in_report = False
        self._text = ""
        self._group = None
        self._para = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article" and attrs.get("id") == "report":
            self._in_report = True
        if not self._in_report:
            return
        if tag in ("h1", "h2", "h3"):
            self._tag, self._text = tag, ""
        if tag == "div" and "proposal-group" in (attrs.get("class") or ""):
            self._group = {
                "channel": attrs["data-channel"],
                "authority": attrs["data-authority"],
                "lines": [],
            }
            self.groups.append(self._group)
        if tag == "p" and self._group is not None:
            self._para, self._text = True, ""

    def handle_endtag(self, tag):
        if tag == "article":
            self._in_report = False
        if tag == self._tag:
            self.headings.append((tag, self._text.strip()))
            self._tag = None
        if tag == "p" and self._para:
            self._group["lines"].append(self._text.strip())
            self._para = False
        if tag == "div" and self._group is not None and not self._para:
            self._group = None

    def handle_data(self, data):
        if self._tag or self._para:
            self._text += data


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def report_url(case):
    return reverse("accountability:case_report", args=[case.code])


@pytest.fixture
def concluded(demo_users):
    """A0226 with its conclusions: nature, causes, a problem, findings by channel and cadre authority."""
    Position.objects.filter(code="d_vhead_build").update(authority="county")
    Position.objects.filter(code="d_sec").update(authority="city")
    case = opened_on(cases.open_case(accident=Accident.objects.get(code="A0226")).case, dt.date(2024, 2, 27))
    cases.record_conclusions(
        case=case,
        nature="liability",
        direct_cause="塔吊附着螺栓松动",
        indirect_cause="总包未落实设备管理",
        course_and_rescue="2月26日9时30分塔吊倒塌。\n区应急管理局组织救援。",
        lessons="设备管理缺位",
    )
    cases.set_unit_problems(case=case, unit=Unit.objects.get(code="d_housing"), problems="未督促整改塔吊隐患")
    cases.set_investigator(case=case, unit=Unit.objects.get(code="d_em"), role=InvestigatorRole.LEAD)
    records = {r.position_code: r for r in case.records.all() if r.person_code}
    cases.record_finding(
        record=records["e1_chair"],
        finding="responsible",
        category="principal_leadership",
        measures=[
            {"kind": "judicial_referral", "article": "134"},
            {"kind": "principal_fine", "amount_yuan": "180000"},
        ],
    )
    cases.record_finding(
        record=records["d_vhead_build"],
        finding="responsible",
        category="important_leadership",
        measures=[{"kind": "party_warning"}],
    )
    cases.record_finding(
        record=records["d_sec"],
        finding="responsible",
        category="leadership",
        measures=[{"kind": "party_warning"}],
    )
    cases.record_finding(
        record=records["t1_vhead"],
        finding="responsible",
        category="territorial",
        measures=[{"kind": "party_warning"}],
    )
    cases.record_finding(record=records["e1_crane"], finding="deceased", category="direct")
    cases.add_corrective_action(case=case, description="全面排查塔吊附着装置", responsible="区住建局")
    return case


def test_the_page_has_the_report_headings_in_domain_order_the_same_as_the_word_export(inspector, concluded):
    html = inspector.get(report_url(concluded)).content.decode()
    found = outline(html)
    assert [text for tag, text in found.headings if tag == "h2"] == [*HEADINGS, ANNEX]
    document = Document(BytesIO(report_docx(concluded)))
    word = [
        ("h2" if p.style.name == "Heading 1" else "h3", p.text)
        for p in document.paragraphs
        if p.style.name in ("Heading 1", "Heading 2")
    ]
    assert [h for h in found.headings if h[0] != "h1"] == word
    assert found.headings[0] == ("h1", "“2·26”塔吊倒塌事故调查报告")
    # Each section's own text lands under its heading.
    for section, text in (
        ("course", "区应急管理局组织救援。"),
        ("causes", "总包未落实设备管理"),
        ("nature", "是一起生产安全责任事故。"),
        ("findings", "区住房和城乡建设局：未督促整改塔吊隐患"),
        ("lessons", "设备管理缺位"),
        ("corrective", "一是全面排查塔吊附着装置（区住建局）。"),
        ("annex", "区应急管理局"),
    ):
        start = html.index(f'id="report-{section}"')
        assert text in html[start : html.index("</section>", start)], section


def test_proposals_are_grouped_by_channel_and_for_officials_by_the_body_with_authority(inspector, concluded):
    found = outline(inspector.get(report_url(concluded)).content.decode())
    groups = [(g["channel"], g["authority"]) for g in found.groups]
    # 司法; 公职人员 市管 → 县管 → authority not set; 单位和其他人员.
    assert groups == [
        ("judicial", ""),
        ("officials", "city"),
        ("officials", "county"),
        ("officials", ""),
        ("others", ""),
    ]
    by_key = {(g["channel"], g["authority"]): g["lines"] for g in found.groups}
    assert "刑法第134条" in by_key[("judicial", "")][0] and "示范建工" in by_key[("judicial", "")][0]
    assert by_key[("officials", "city")][0] == "市管干部，移交市纪委监委："
    assert by_key[("officials", "county")][0] == "县管干部，移交县纪委监委："
    assert "负有重要领导责任" in by_key[("officials", "county")][1]
    assert by_key[("officials", "")][0] == "干部管理权限未登记的人员："
    # Money as reports write it.
    assert "18万元" in by_key[("others", "")][0] and "180000" not in by_key[("others", "")][0]
    # Numbering runs on through a section's groups.
    officials = [line for g in found.groups if g["channel"] == "officials" for line in g["lines"][1:]]
    assert [line.split(".")[0] for line in officials] == ["1", "2", "3"]
    html = inspector.get(report_url(concluded)).content.decode()
    proposals = html[html.index('id="report-proposals"') : html.index('id="report-lessons"')]
    assert "鉴于其已死亡，免予追究" in proposals and "梁师傅" in proposals


def test_an_official_is_grouped_by_the_authority_a_handover_recorded_and_a_unit_is_no_official(
    inspector, concluded
):
    records = {r.position_code: r for r in concluded.records.all() if r.person_code}
    # The township's deputy head has no authority on the post; the hand-over recorded 县管.
    handover = cases.hand_over(
        case=concluded, records=[records["t1_vhead"]], handed_on=dt.date(2024, 3, 20), authority="county"
    )
    cases.record_handover_decision(
        handover=handover,
        record=records["t1_vhead"],
        measure={"kind": "party_serious_warning"},
        document_number="示纪〔2024〕3号",
        decided_on=dt.date(2024, 4, 1),
    )
    unit = AccountabilityRecord.objects.filter(
        case=concluded, position_code="", person_code="", track="supervision"
    ).first()
    cases.record_finding(
        record=unit, finding="responsible", category="supervision", measures=[{"kind": "interview"}]
    )
    found = outline(inspector.get(report_url(concluded)).content.decode())
    by_key = {(g["channel"], g["authority"]): g["lines"] for g in found.groups}
    assert ("officials", "") not in by_key
    county = "\n".join(by_key[("officials", "county")])
    assert records["t1_vhead"].snapshot["person_name"] in county
    # The report lists the proposal; the decision that came back (严重警告, its 文号) is the 结案 record's.
    assert "严重警告" not in county and "示纪〔2024〕3号" not in county
    officials = "\n".join(line for g in found.groups if g["channel"] == "officials" for line in g["lines"])
    assert unit.snapshot["unit_name"] + "，" not in officials and "约谈" not in officials
    assert any("约谈" in line and unit.snapshot["unit_name"] in line for line in by_key[("others", "")])


def test_the_page_takes_the_same_number_of_queries_for_one_record_and_for_many(inspector, concluded):
    def count(case):
        with CaptureQueriesContext(connection) as ctx:
            assert inspector.get(report_url(case)).status_code == 200
        return len(ctx)

    # One record: a case of A0318 holding only its enterprise's principal, with a finding and a measure.
    a0318 = Accident.objects.get(code="A0318")
    one = Case.objects.create(
        code="CASE-ONE", accident=a0318, title="单条记录案件", grade="larger", event_day=dt.date(2024, 3, 18)
    )
    chair = concluded.records.get(position_code="e1_chair")
    AccountabilityRecord.objects.create(
        case=one,
        track="enterprise",
        types=["primary"],
        unit_id=chair.unit_id,
        position_id=chair.position_id,
        person_id=chair.person_id,
        unit_code=chair.unit_code,
        position_code=chair.position_code,
        person_code=chair.person_code,
        snapshot=chair.snapshot,
    )
    record = one.records.get()
    cases.record_finding(
        record=record,
        finding="responsible",
        category="principal",
        measures=[{"kind": "principal_fine", "amount_yuan": "9"}],
    )
    cases.set_unit_problems(case=one, unit=Unit.objects.get(code="e1"), problems="未落实安全生产责任")
    cases.add_corrective_action(case=one, description="整改")
    single = count(one)

    # Many: every record of A0226 decided, several with measures of every section, more problems and actions.
    for rec in [r for r in concluded.records.all() if r.person_code and not r.decisions.exists()]:
        cases.record_finding(
            record=rec,
            finding="responsible",
            category="management",
            measures=[{"kind": "party_warning"}]
            if rec.track == "supervision"
            else [{"kind": "judicial_referral", "article": "134"}],
        )
    for code in ("d_em", "t1_gov", "e1"):
        cases.set_unit_problems(case=concluded, unit=Unit.objects.get(code=code), problems=f"{code} 的问题")
    for i in range(4):
        cases.add_corrective_action(case=concluded, description=f"措施{i}")
    assert concluded.records.count() > 20
    assert count(concluded) == single


def test_a_hazard_case_has_the_same_sections(inspector):
    """隐患就是事故: a case of an overdue hazard prints the same structure, without an accident's facts."""
    case = cases.open_case(hazard=Hazard.objects.get(code="H1")).case
    response = inspector.get(report_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert [text for tag, text in outline(html).headings if tag == "h2"] == [*HEADINGS, ANNEX]
    assert "逾期未整改的重大事故隐患，未造成人员伤亡。" in html
