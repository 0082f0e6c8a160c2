"""The hazard ledger (隐患台账) and the accident ledger as Excel, with the list's filters and the user's scope."""

from io import BytesIO

from django.urls import reverse
from openpyxl import load_workbook


def _rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = load_workbook(BytesIO(response.content)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_the_hazard_ledger_lists_every_hazard_in_scope_with_overdue_marked(inspector):
    rows = _rows(inspector.get(reverse("accountability:hazard_ledger")))
    header, *data = rows
    assert header[:6] == ["编码", "企业", "属地", "行业", "隐患描述", "等级"]
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in data}
    assert set(by_code) == {"H1", "H2"}
    assert by_code["H1"]["是否逾期"] == "逾期" and by_code["H1"]["等级"] == "重大隐患"
    assert by_code["H2"]["状态"] == "已销号" and by_code["H2"]["是否逾期"] is None


def test_the_hazard_ledger_keeps_the_filters_of_the_list(inspector):
    rows = _rows(inspector.get(reverse("accountability:hazard_ledger"), {"overdue": "1"}))
    assert [row[0] for row in rows[1:]] == ["H1"]


def test_the_accident_ledger_shows_grade_and_late_report(inspector):
    header, *data = _rows(inspector.get(reverse("accountability:accident_ledger")))
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in data}
    assert set(by_code) == {"A0226", "A0318", "A0402"}
    assert by_code["A0318"]["等级"] == "较大事故" and by_code["A0318"]["迟报"] == "迟报"
    assert by_code["A0226"]["死亡人数"] == 2 and by_code["A0402"]["事发企业"] is None


def test_an_enterprise_user_exports_only_their_own(login):
    rows = _rows(login("enterprise").get(reverse("accountability:hazard_ledger")))
    assert [row[0] for row in rows[1:]] == ["H2"]
    rows = _rows(login("enterprise2").get(reverse("accountability:accident_ledger")))
    assert rows[1:] == []
