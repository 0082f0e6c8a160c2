"""Round two (issue 23): a PNG header followed by HTML, and any zip named .docx, passed the evidence
check (it read only the first bytes). Now the whole structure must be what the extension names — PNG
chunks with their checksums to IEND, JPEG segments to the image data and EOI, a PDF's %%EOF, an Office
package with [Content_Types].xml giving its main part the right type — and a refusal names the file."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accountability.hazards import start_rectification
from accountability.models import Hazard, HazardState
from tests import evidence_files

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def a_zip(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, content in members.items():
            package.writestr(name, content)
    return buffer.getvalue()


def submit(world, name: str, content: bytes):
    hazard = start_rectification(hazard=Hazard.objects.get(code="HZ1"))
    return world.clients["enterprise"].post(
        f"/api/v1/hazards/{hazard.code}/submit/",
        {"evidence": SimpleUploadedFile(name, content)},
        format="multipart",
    )


REFUSED = {
    "png header then HTML": ("after.png", b"\x89PNG\r\n\x1a\n" + HTML),
    "png with HTML after IEND": ("after.png", evidence_files.png() + HTML),
    "png with a bad checksum": ("after.png", evidence_files.png()[:-1] + b"\x00"),
    "jpeg header then HTML": ("after.jpg", b"\xff\xd8\xff\xe0" + HTML),
    "jpeg without image data": ("after.jpg", evidence_files.JPEG_HEAD[:22]),
    "pdf header then HTML": ("report.pdf", b"%PDF-1.7\n" + HTML),
    "random zip as docx": ("report.docx", a_zip(**{"index.html": HTML})),
    "random zip as xlsx": ("sheet.xlsx", a_zip(**{"a.txt": b"x", "b.txt": b"y"})),
    "xlsx named docx": ("report.docx", evidence_files.office("xlsx")),
    "docx named xlsx": ("sheet.xlsx", evidence_files.office("docx")),
    "content types without the main part": (
        "report.docx",
        a_zip(**{"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships/>"}),
    ),
    "macro workbook named xlsx": (
        "sheet.xlsx",
        evidence_files.office("xlsx", main_type="application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
    ),
    "entity in the package": (
        "report.docx",
        a_zip(**{"[Content_Types].xml": b'<!DOCTYPE t [<!ENTITY a "x">]><Types/>', "_rels/.rels": b"<R/>"}),
    ),
    "truncated zip": ("report.docx", evidence_files.office("docx")[:60]),
}
ACCEPTED = {
    "jpeg": ("after.jpg", evidence_files.jpeg()),
    "png": ("after.png", evidence_files.png()),
    "pdf": ("report.pdf", evidence_files.pdf()),
    "docx": ("整改报告.docx", evidence_files.office("docx")),
    "xlsx": ("sheet.xlsx", evidence_files.office("xlsx")),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_file_that_is_not_what_its_extension_says_is_refused_naming_it(world, case, tried):
    name, content = REFUSED[case]
    response = submit(world, name, content)
    tried["evidence: disguised files"] += 1
    assert response.status_code == 400, response.content
    message = " ".join(response.json()["evidence"])
    assert f"“{name}”" in message and "格式" in message
    assert Hazard.objects.get(code="HZ1").state == HazardState.RECTIFYING


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_a_real_file_of_each_kind_is_accepted(world, case, tried):
    name, content = ACCEPTED[case]
    response = submit(world, name, content)
    tried["evidence: real files"] += 1
    assert response.status_code == 200, response.content
    assert Hazard.objects.get(code="HZ1").state == HazardState.SUBMITTED


def test_a_real_word_document_passes(world, tmp_path):
    """A document as python-docx (the product's own report writer) saves it."""
    import docx

    path = tmp_path / "整改说明.docx"
    document = docx.Document()
    document.add_paragraph("基坑积水已抽排，支护已加固。")
    document.save(path)
    assert submit(world, path.name, path.read_bytes()).status_code == 200


def test_a_real_workbook_passes(world):
    import openpyxl

    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "整改台账"
    workbook.save(buffer)
    assert submit(world, "台账.xlsx", buffer.getvalue()).status_code == 200
