"""Where DESIGN §5.11–12 shows: the trace page and the accident page say the investigation was raised and
where a party's crew was working, the crew's links sit under their party; the 调查报告 (data and Word) says
the same; the API reads and writes the fields and refuses a lowered level or a crew outside the party."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document

from accountability.cases import open_case
from accountability.models import Accident
from accountability.report import report_sections
from tests.api.conftest import token_client

RAISED = "提级调查：省级人民政府"
CREW = "作业班组：拆改作业班组 · 岗位：墙体切割作业人员"


@pytest.fixture
def raised(old_house_raised):
    return Accident.objects.get(code="A0816")


def test_the_trace_page_says_the_investigation_was_raised_and_shows_the_crew_under_its_party(
    raised, admin_client
):
    page = admin_client.get(reverse("accountability:trace") + "?accident=A0816").content.decode()

    assert RAISED in page
    party_block = page.split("施工总承包：湖滨金桥建筑加固工程有限公司", 1)[1].split("chain-group", 1)[0]
    assert CREW in party_block
    for position in ("wbuild_cutter", "wbuild_crew_lead", "wbuild_pm_mgr"):
        assert f'data-position="{position}"' in party_block


def test_a_trace_by_grade_alone_says_nothing_of_a_raise(old_house_raised, admin_client):
    page = admin_client.get(reverse("accountability:trace") + "?accident=A0429").content.decode()
    assert "提级调查" not in page


def test_the_accident_page_names_the_investigating_body_and_the_crew(raised, admin_client):
    page = admin_client.get(reverse("accountability:accident_detail", args=["A0816"])).content.decode()
    assert RAISED in page
    assert "作业班组：拆改作业班组 · 岗位：墙体切割作业人员" in page


def _text(sections) -> str:
    out = []
    for section in sections["sections"]:
        for block in section["blocks"]:
            if block["kind"] == "table":
                out += [" | ".join(row["cells"]) for row in block["rows"]]
            else:
                out.append(block.get("text", ""))
    return "\n".join(out)


def test_the_report_says_the_investigation_was_raised_and_puts_the_crew_under_its_party(raised, tmp_path):
    case = open_case(accident=raised).case
    text = _text(report_sections(case))

    assert f"{RAISED}（较大事故）。" in text
    assert "湖滨金桥建筑加固工程有限公司 | 施工总承包 | " in text
    assert "作业班组：拆改作业班组，岗位：墙体切割作业人员" in text
    assert (
        "韦切割工，拆改作业班组墙体切割作业人员 | 主体责任（施工总承包：湖滨金桥建筑加固工程有限公司）"
        in text
    )

    out = tmp_path / "a0816.docx"
    call_command("export_case", "--case", case.code, "--docx", str(out))
    document = Document(io.BytesIO(out.read_bytes()))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert RAISED in paragraphs
    assert "主体责任（施工总承包：湖滨金桥建筑加固工程有限公司）" in cells


def test_the_api_reads_the_raised_level_and_the_crew(raised, admin_user):
    got = token_client(admin_user).get("/api/v1/accidents/A0816/").json()
    assert (got["investigation_level"], got["investigating_body"]) == ("province", "省级人民政府")
    assert got["parties"] == [
        {"enterprise": "wbuild", "role": "general_contractor", "unit": "wbuild_crew", "post": "wbuild_cutter"}
    ]


def _new_accident(**changes) -> dict:
    body = {
        "enterprise": "wmall",
        "sector": "commercial_bldg",
        "occurred_at": "2022-09-01T10:00:00+08:00",
        "deaths": 3,
        "parties": [
            {
                "enterprise": "wbuild",
                "role": "general_contractor",
                "unit": "wbuild_crew",
                "post": "wbuild_cutter",
            }
        ],
        "investigation_level": "province",
    }
    return body | changes


def test_the_api_records_a_raised_accident_with_its_crew(raised, admin_user):
    response = token_client(admin_user).post("/api/v1/accidents/", _new_accident(), format="json")
    assert response.status_code == 201, response.content
    accident = Accident.objects.get(code=response.json()["code"])
    assert accident.investigation_level == "province"
    assert [(p.unit.code, p.post.code) for p in accident.parties.all()] == [("wbuild_crew", "wbuild_cutter")]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"investigation_level": "county"}, "investigation_level", "不能低于较大事故的调查层级（市级）"),
        (
            {"parties": [{"enterprise": "wbuild", "role": "general_contractor", "unit": "wmall"}]},
            "parties",
            "wmall 不属于企业 wbuild",
        ),
        (
            {"parties": [{"enterprise": "wbuild", "role": "general_contractor", "post": "wmall_owner"}]},
            "parties",
            "wmall_owner 不属于企业 wbuild",
        ),
    ],
)
def test_the_api_refuses_a_lowered_level_or_a_crew_outside_the_party(
    raised, admin_user, changes, field, message
):
    before = Accident.objects.count()
    response = token_client(admin_user).post("/api/v1/accidents/", _new_accident(**changes), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json() and message in response.content.decode()
    assert Accident.objects.count() == before


def test_the_admin_shows_the_raised_level_and_the_crew_in_chinese_and_keeps_their_history(
    raised, admin_client
):
    page = admin_client.get(
        reverse("admin:accountability_accident_change", args=[raised.pk])
    ).content.decode()
    for label in ("提级调查", "提级调查层级", "作业车间/班组", "作业岗位"):
        assert label in page, label
    assert raised.history.first().investigation_level == "province"
    party = raised.parties.get()
    assert party.history.first().unit_id == party.unit_id


def test_the_accident_ledger_names_the_body_that_took_a_raised_investigation_over(raised, admin_client):
    from openpyxl import load_workbook

    response = admin_client.get(reverse("accountability:accident_ledger"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *data = [list(row) for row in sheet.iter_rows(values_only=True)]
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in data}
    assert by_code["A0816"]["提级调查"] == "省级人民政府"
    assert by_code["A0429"]["提级调查"] is None
