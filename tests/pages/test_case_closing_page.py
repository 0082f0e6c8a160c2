"""The 结案 record on the page: a button on the workbench, the print page (A4, the report's styles) and
the Word download, the same sections (closing_record.py) on all three."""

from io import BytesIO

from django.urls import reverse
from docx import Document

from accountability import cases
from accountability.closing_record import HEADINGS
from accountability.models import Accident


def test_the_workbench_links_the_closing_record_and_its_word_file(inspector):
    case = cases.open_case(accident=Accident.objects.get(code="A0318")).case
    page = inspector.get(reverse("accountability:case_workbench", args=[case.code])).content.decode()
    assert reverse("accountability:case_closing", args=[case.code]) in page
    assert reverse("accountability:case_closing_docx", args=[case.code]) in page


def test_the_print_page_shows_every_section_and_what_an_open_case_still_misses(inspector):
    case = cases.open_case(accident=Accident.objects.get(code="A0318")).case
    response = inspector.get(reverse("accountability:case_closing", args=[case.code]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "dutychain/report.css" in html  # the report's A4 print styles and fonts
    positions = [html.index(heading) for _, heading in HEADINGS]
    assert positions == sorted(positions)
    assert "本案尚未结案，仍缺：" in html and "事故原因未查清：尚未记录原因" in html


def test_the_word_button_downloads_the_closing_record(inspector):
    case = cases.open_case(accident=Accident.objects.get(code="A0318")).case
    response = inspector.get(reverse("accountability:case_closing_docx", args=[case.code]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{case.code}-closing.docx"'
    document = Document(BytesIO(response.content))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [heading for _, heading in HEADINGS]
