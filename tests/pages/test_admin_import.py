"""The admin import view with the import/export mixins: a dry-run preview, then the confirmed import;
a sheet with a bad row is shown with its row and field and cannot be confirmed."""

import re

import pytest
import tablib
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from import_export.admin import ImportExportMixin

from responsibility.models import Position, Region

pytestmark = pytest.mark.urls("tests.pages.admin_urls")


def xlsx(headers, *rows) -> SimpleUploadedFile:
    content = tablib.Dataset(*rows, headers=headers).export("xlsx")
    return SimpleUploadedFile("sheet.xlsx", content)


@pytest.fixture
def admin_client_(login):
    return login("admin")


def test_a_sheet_is_previewed_then_imported_on_confirmation(admin_client_):
    upload = xlsx(["code", "name", "level", "parent"], ["T3", "南湖街道", "township", "SD"])
    preview = admin_client_.post(
        "/admin/responsibility/region/import/", {"import_file": upload, "format": "0"}
    )
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "南湖街道" in html and not Region.objects.filter(code="T3").exists()
    confirm = preview.context["confirm_form"]
    assert confirm is not None
    done = admin_client_.post("/admin/responsibility/region/process_import/", confirm.initial)
    assert done.status_code == 302
    assert Region.objects.get(code="T3").path == "/SH/SC/SD/T3/"


def test_a_bad_row_is_shown_with_its_row_and_field_and_cannot_be_confirmed(admin_client_):
    upload = xlsx(["code", "title", "unit"], ["n1", "安全员", "e1"], ["n2", "质检员", "no_such_unit"])
    preview = admin_client_.post(
        "/admin/responsibility/position/import/", {"import_file": upload, "format": "0"}
    )
    html = preview.content.decode()
    assert preview.context.get("confirm_form") is None
    assert "找不到编码为“no_such_unit”的单位" in html
    row = re.search(
        r"<tr>\s*<td>(\d+) </td>\s*<td class=\"errors\">.*?validation-error-field-label\">(\w+)</span>",
        html,
        re.S,
    )
    assert row and row.groups() == ("2", "所在单位编码")
    assert not Position.objects.filter(code__in=["n1", "n2"]).exists()


def test_the_project_admin_offers_import_and_export_for_the_duty_matrix(demo_users):
    from responsibility.admin_import_export import ADMIN_MIXINS

    wired = {
        model_admin.__class__.__name__
        for model_admin in admin.site._registry.values()
        if isinstance(model_admin, ImportExportMixin)
    }
    assert set(ADMIN_MIXINS) <= wired
