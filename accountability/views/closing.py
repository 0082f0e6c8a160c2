"""The 结案 record (处理情况报告) of a case: the print page and the Word file (closing_record.py)."""

from __future__ import annotations

from django.http import HttpResponse

from responsibility.access import page
from responsibility.permissions import request_visibility
from responsibility.views import render_page

from ..closing_record import closing_sections
from ..report_docx import closing_docx
from .cases import _case_or_404
from .common import DOCX, _today


@page("case", "read")
def case_closing(request, code):
    """Printable, A4 in the report's fonts; open or closed (an open case's record says what is missing)."""
    vis = request_visibility(request)
    case = _case_or_404(vis, code)
    return render_page(
        request,
        "accountability/case_closing.html",
        {"case": case, "report": closing_sections(case, _today()), "printed_on": _today()},
    )


@page("case", "read")
def case_closing_docx(request, code):
    vis = request_visibility(request)
    case = _case_or_404(vis, code)
    response = HttpResponse(closing_docx(case), content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="{case.code}-closing.docx"'
    return response
