"""The workbench's 调查报告提交 / 批复 dates (cases/timeline.py), with the deadlines they move."""

from __future__ import annotations

from django.views.decorators.http import require_POST

from responsibility.access import page

from .. import cases as case_services
from ..forms_timeline import ReportDatesForm
from .cases import _post_case
from .conclusions import _submit


@page("case", "write")
@require_POST
def case_report_dates(request, code):
    vis, case = _post_case(request, code)

    def write(data):
        case_services.record_report_dates(
            case=case,
            report_submitted_on=data["report_submitted_on"],
            reply_on=data["reply_on"],
            by=request.user,
        )

    form = ReportDatesForm(request.POST)
    return _submit(
        request, case, vis, form, "dates_form", write, "已登记调查报告提交和批复日期", "#deadlines"
    )
