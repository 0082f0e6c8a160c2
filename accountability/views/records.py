"""One accountability record of a case (finding, amendment, measures) and the case report (page and Word)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse

from responsibility.access import may, page, require
from responsibility.permissions import request_visibility
from responsibility.views import render_page

from .. import cases as case_services
from ..forms import (
    AmendForm,
    FindingForm,
    MeasureFormSet,
    apply_service_errors,
    measure_needs,
)
from ..models import (
    Finding,
)
from ..report import report_sections
from ..report_docx import report_docx
from ..selectors import case_records
from .cases import _case_or_404, _done, _ranges_text, _record_rows
from .common import DOCX, _today


@page("case", "read")
def record_detail(request, code, pk):
    """One subject of the case: its snapshot and basis, the finding or its amendment, and the measures."""
    vis = request_visibility(request)
    if request.method == "POST":
        require(vis, "case", "write")
    case = _case_or_404(vis, code)
    records = {r.pk: r for r in case_records(case)}
    record = records.get(pk)
    if record is None:
        raise Http404
    _record_rows([record])
    amending = record.current_decision is not None
    form_class = AmendForm if amending else FindingForm
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        formset = MeasureFormSet(request.POST, prefix="m")
        if form.is_valid() and formset.is_valid():
            used = [f for f in formset.forms if f.cleaned_data and f.as_measure()]
            measures = [f.as_measure() for f in used]
            data = form.cleaned_data
            try:
                if amending:
                    case_services.amend_finding(
                        record=record,
                        finding=data["finding"],
                        category=data.get("category", ""),
                        reason=data["reason"],
                        grounds=data["grounds"],
                        no_measure_reason=data["no_measure_reason"],
                        require_measure=True,
                        measures=measures,
                        by=request.user,
                    )
                    message = "已提交更正认定（原认定保留在记录中）"
                else:
                    case_services.record_finding(
                        record=record,
                        finding=data["finding"],
                        category=data.get("category", ""),
                        grounds=data["grounds"],
                        no_measure_reason=data["no_measure_reason"],
                        require_measure=True,
                        measures=measures,
                        by=request.user,
                    )
                    message = "已记录认定结论"
                return _done(request, case, message, f"#record-{record.pk}")
            except ValidationError as exc:
                apply_service_errors(form, exc, used)
        status = 400
    else:
        initial, measures = {}, []
        if amending:
            # 更正认定 starts from the standing finding and its proposed measures: change one, keep the rest.
            current = record.current_decision
            initial = {
                "finding": current.finding,
                "category": current.category,
                "grounds": current.grounds,
                "no_measure_reason": current.no_measure_reason,
            }
            measures = [
                {
                    "kind": m.kind,
                    "detail": m.detail,
                    "period_months": m.period_months,
                    "amount_yuan": m.amount_yuan,
                    "article": m.article,
                }
                for m in current.measures.all()
                if m.handover_id is None
            ]
        form = form_class(initial=initial)
        formset = MeasureFormSet(prefix="m", initial=measures)
    return render_page(
        request,
        "accountability/record_detail.html",
        {
            "case": case,
            "record": record,
            "form": form,
            "formset": formset,
            "amending": amending,
            "may_write": may(vis, "case", "write") and not case.is_closed,
            "ranges": _ranges_text(case.grade),
            "measure_needs": measure_needs(),
            "findings": Finding,
        },
        status=status,
    )


@page("case", "read")
def case_report(request, code):
    """The printable 调查报告: the sections of the Word export (report.py), in DOMAIN.md's order."""
    vis = request_visibility(request)
    case = _case_or_404(vis, code)
    return render_page(
        request,
        "accountability/case_report.html",
        {"case": case, "report": report_sections(case), "printed_on": _today()},
    )


@page("case", "read")
def case_report_docx(request, code):
    vis = request_visibility(request)
    case = _case_or_404(vis, code)
    response = HttpResponse(report_docx(case), content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="{case.code}.docx"'
    return response
