"""The workbench's 调查结论 forms: 事故性质 and causes, 经过和救援, 主要教训, per-unit 存在的主要问题,
technical-appraisal periods, 问题线索移交 and the decision that comes back, and the 回头看.

As every workbench form (views/cases.py case_cause): an out-of-scope case is a 404, a role that may not write
a 403; each write goes through the same service of accountability/cases.py as the API's; success
redirects to the workbench (post/redirect/get), a refusal re-renders it with the form's field errors.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from responsibility.access import page

from .. import cases as case_services
from ..cases import ReviewEntry
from ..forms_conclusions import (
    AppraisalEndForm,
    AppraisalForm,
    CourseForm,
    HandOverDecisionForm,
    HandOverForm,
    InvestigationPeriodForm,
    InvestigatorForm,
    LessonsForm,
    NatureCausesForm,
    ReviewForm,
    UnitProblemForm,
    WithdrawForm,
    review_choices,
    show_service_errors,
)
from ..models import CorrectiveAction, Measure
from ..selectors import case_records
from .cases import _done, _post_case, _workbench, write_entry


def _submit(request, case, vis, form, form_name: str, write, message: str, anchor: str, rename=None):
    """Validate, write through the service in one transaction, redirect; or show the refusal on the form."""
    if form.is_valid():
        try:
            with transaction.atomic():
                write(form.cleaned_data)
            return _done(request, case, message, anchor)
        except ValidationError as exc:
            show_service_errors(form, exc, rename)
    return _workbench(request, case, vis, status=400, **{form_name: form})


@page("case", "write")
@require_POST
def case_nature_causes(request, code):
    vis, case = _post_case(request, code)

    def write(data):
        case_services.record_conclusions(
            case=case,
            nature=data["nature"],
            direct_cause=data["direct_cause"],
            indirect_cause=data["indirect_cause"],
            correction_reason=data["correction_reason"],
            by=request.user,
        )

    form = NatureCausesForm(request.POST)
    return _submit(request, case, vis, form, "nature_form", write, "已记录事故性质和原因", "#conclusions")


@page("case", "write")
@require_POST
def case_course(request, code):
    vis, case = _post_case(request, code)

    def write(data):
        case_services.record_conclusions(
            case=case,
            course_and_rescue=data["course_and_rescue"],
            correction_reason=data["correction_reason"],
            by=request.user,
        )

    form = CourseForm(request.POST)
    return _submit(
        request, case, vis, form, "course_form", write, "已记录事故经过和应急救援情况", "#conclusions"
    )


@page("case", "write")
@require_POST
def case_lessons(request, code):
    vis, case = _post_case(request, code)

    def write(data):
        case_services.record_conclusions(
            case=case, lessons=data["lessons"], correction_reason=data["correction_reason"], by=request.user
        )

    form = LessonsForm(request.POST)
    return _submit(request, case, vis, form, "lessons_form", write, "已记录主要教训", "#conclusions")


@page("case", "write")
@require_POST
def case_unit_problems(request, code):
    vis, case = _post_case(request, code)

    def write(data):
        case_services.set_unit_problems(case=case, unit=data["unit"], problems=data["problems"])

    form = UnitProblemForm(request.POST, vis=vis)
    return _submit(request, case, vis, form, "problem_form", write, "已记录该单位存在的主要问题", "#problems")


@page("case", "write")
@require_POST
def case_appraisal_add(request, code):
    vis, case = _post_case(request, code)

    form = AppraisalForm(request.POST)

    def write(_data):
        write_entry(
            case,
            "appraisal",
            form,
            lambda data: case_services.add_appraisal_period(
                case=case, start=data["start"], end=data["end"], subject=data["subject"], by=request.user
            ),
            request.user,
        )

    return _submit(request, case, vis, form, "appraisal_form", write, "已登记技术鉴定期间", "#appraisal")


@page("case", "write")
@require_POST
def case_appraisal_end(request, code, pk):
    vis, case = _post_case(request, code)
    period = get_object_or_404(case.appraisal_periods.all(), pk=pk)
    period.case = case
    form = AppraisalEndForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                case_services.end_appraisal_period(
                    period=period, end=form.cleaned_data["end"], by=request.user
                )
            return _done(request, case, "已登记技术鉴定结束日期", "#appraisal")
        except ValidationError as exc:
            show_service_errors(form, exc)
    # The end date sits in the period's table row: its errors are shown above the table.
    errors = [m for ms in form.errors.values() for m in ms]
    return _workbench(request, case, vis, status=400, appraisal_errors=errors)


@page("case", "write")
@require_POST
def case_handover(request, code):
    vis, case = _post_case(request, code)
    form = HandOverForm(request.POST, records=case_records(case))

    def write(_data):
        write_entry(
            case,
            "handover",
            form,
            lambda data: case_services.hand_over(
                case=case,
                records=form.chosen_records(),
                handed_on=data["handed_on"],
                receiving_body=data["receiving_body"],
                authority=data["authority"],
                decision_due=data["decision_due"],
                note=data["note"],
                by=request.user,
            ),
            request.user,
        )

    return _submit(request, case, vis, form, "handover_form", write, "已登记问题线索移交", "#handovers")


@page("case", "write")
@require_POST
def case_handover_decision(request, code, pk):
    vis, case = _post_case(request, code)
    handover = get_object_or_404(case.handovers.prefetch_related("records"), pk=pk)
    handover.case = case
    form = HandOverDecisionForm(request.POST, handover=handover)

    def write(data):
        case_services.record_handover_decision(
            handover=handover,
            record=form.records[data["record"]],
            measure=form.measure(),
            document_number=data["document_number"],
            decided_on=data["decided_on"],
            correction_reason=data["correction_reason"],
            by=request.user,
        )

    return _submit(
        request, case, vis, form, "decision_form", write, "已登记移交处理结果", f"#handover-{handover.pk}"
    )


@page("case", "write")
@require_POST
def case_review(request, code):
    vis, case = _post_case(request, code)
    records = case_records(case)
    actions = {f"action-{a.pk}": a for a in CorrectiveAction.objects.filter(case=case)}
    measures = {
        f"measure-{m.pk}": m
        for m in Measure.objects.filter(decision__record__case=case).select_related("decision__record")
    }
    form = ReviewForm(request.POST, items=review_choices(actions.values(), records), vis=vis)

    def write(data):
        item = data["item"]
        case_services.record_review(
            case=case,
            reviewed_on=data["reviewed_on"],
            entries=[
                ReviewEntry(
                    carried_out=data["carried_out"] == "yes",
                    corrective_action=actions.get(item),
                    measure=measures.get(item),
                    note=data["note"],
                    follow_up=form.follow_up_subject(),
                )
            ],
            by=request.user,
        )

    # add_subject's keys land on the form's own fields (reason: the note that becomes the reason).
    return _submit(
        request, case, vis, form, "review_form", write, "已记录回头看评估", "#review", {"reason": "note"}
    )


@page("case", "write")
@require_POST
def case_investigator(request, code):
    vis, case = _post_case(request, code)

    def write(data):
        case_services.set_investigator(
            case=case,
            unit=data["unit"],
            name=data["name"],
            role=data["role"],
            duty=data["duty"],
            by=request.user,
        )

    form = InvestigatorForm(request.POST, vis=vis)
    return _submit(request, case, vis, form, "investigator_form", write, "已登记调查组成员单位", "#team")


@page("case", "write")
@require_POST
def case_investigation_period(request, code):
    vis, case = _post_case(request, code)

    def write(data):
        case_services.set_investigation_period(case=case, days=data["days"], by=request.user)

    form = InvestigationPeriodForm(request.POST)
    return _submit(request, case, vis, form, "period_form", write, "已登记国务院确定的调查期限", "#team")


# Where each kind of entry sits on the workbench.
ENTRY_ANCHORS = {
    "handover": "#handovers",
    "decision": "#handovers",
    "appraisal": "#appraisal",
    "education": "#education",
    "action": "#actions",
    "subject": "#records",
}


@page("case", "write")
@require_POST
def case_entry_withdraw(request, code, kind, pk):
    """撤销 an entry with the reason (the same service as the API's); it stays on the page, struck through."""
    vis, case = _post_case(request, code)
    entry = case_services.entry_of(case, kind, pk)
    if entry is None:
        raise Http404
    anchor = ENTRY_ANCHORS[kind]
    form = WithdrawForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([m for ms in form.errors.values() for m in ms])
        with transaction.atomic():
            case_services.withdraw_entry(entry=entry, reason=form.cleaned_data["reason"], by=request.user)
    except ValidationError as exc:
        # Post/redirect/get as the closing refusal: the message is shown once above the workbench.
        messages.error(request, f"不能撤销该{case_services.KIND_LABELS[kind]}：{'；'.join(exc.messages)}")
        return redirect(reverse("accountability:case_workbench", args=[case.code]) + anchor)
    return _done(request, case, f"已撤销该{case_services.KIND_LABELS[kind]}", anchor)
