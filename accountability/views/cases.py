"""The 一案双查 case list and workbench: open, cause, corrective actions, education, subjects, close.

Writes go only through accountability/cases/.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from responsibility.access import may, page
from responsibility.models import (
    DutyType,
    PartyRole,
    Track,
)
from responsibility.permissions import Visibility, request_visibility
from responsibility.validators import text_problem
from responsibility.views import render_page

from .. import cases as case_services
from ..forms import (
    CORRECTION_FIELDS,
    AddSubjectForm,
    CauseForm,
    CompleteActionForm,
    CorrectiveActionForm,
    EducationForm,
    apply_service_errors,
)
from ..forms_corrections import correction_form
from ..forms_timeline import ReportDatesForm
from ..listing import query_without_page, text_search
from ..measures import label_of as measure_label
from ..measures import suggested_ranges
from ..models import (
    AccountabilityRecord,
    Case,
    CaseState,
    CorrectiveAction,
)
from ..money import yuan_text
from ..selectors import case_records, records_by_track
from ..team_checks import case_deadlines
from ..withdrawals import case_withdrawals
from .common import (
    _today,
    visible_accidents,
    visible_cases,
    visible_findings,
    visible_hazards,
)


def _case_or_404(vis: Visibility, code: str) -> Case:
    """A case in scope (the view's policy check has passed), else 404."""
    return get_object_or_404(
        visible_cases(vis).select_related(
            "accident__enterprise",
            "accident__region",
            "accident__sector",
            "hazard__enterprise__region",
            "hazard__sector",
            "opened_by",
            "closed_by",
        ),
        code=code,
    )


@page("case", "read")
def case_list(request):
    vis = request_visibility(request)
    qs = visible_cases(vis).select_related("accident", "hazard").order_by("-opened_at")
    state = request.GET.get("state", "")
    if state in CaseState.values:
        qs = qs.filter(state=state)
    qs = text_search(qs, request, "code", "title", "accident__code", "hazard__code")
    qs = qs.annotate(n_records=Count("records", filter=Q(records__withdrawn_at__isnull=True)))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    today = _today()
    for case in page:
        case.investigation_overdue = case.is_investigation_overdue(today)
    return render_page(
        request,
        "accountability/case_list.html",
        {"page": page, "states": CaseState.choices, "state": state, "query": query_without_page(request)},
    )


@page("case", "write")
@require_POST
def case_open(request):
    """Open the case of an accident, an overdue hazard or an overdue government finding (idempotent)."""
    vis = request_visibility(request)
    accident = hazard = finding = None
    if any(text_problem(request.POST.get(name)) for name in ("accident", "hazard", "finding")):
        raise Http404  # no accident, hazard or finding has such a code (and PostgreSQL refuses a NUL in a query)
    if request.POST.get("accident"):
        accident = get_object_or_404(visible_accidents(vis), code=request.POST["accident"])
        back = reverse("accountability:accident_detail", args=[accident.code])
    elif request.POST.get("hazard"):
        hazard = get_object_or_404(visible_hazards(vis), code=request.POST["hazard"])
        back = reverse("accountability:hazard_detail", args=[hazard.code])
    elif request.POST.get("finding"):
        finding = get_object_or_404(visible_findings(vis), code=request.POST["finding"])
        back = reverse("accountability:finding_detail", args=[finding.code])
    else:
        raise Http404
    try:
        opened = case_services.open_case(accident=accident, hazard=hazard, finding=finding, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    if opened.created:
        messages.success(
            request, f"已立案：{opened.case.code}，按事发当日责任链生成 {opened.case.records.count()} 条记录"
        )
    return redirect("accountability:case_workbench", code=opened.case.code)


FOUR_NOTS = [
    (case_services.CAUSE, "事故原因未查清不放过"),
    (case_services.PEOPLE, "事故责任者未受到处理不放过"),
    (case_services.MEASURES, "整改措施未落实不放过"),
    (case_services.EDUCATION, "有关人员未受到教育不放过"),
]


def _four_nots(blockers: list[tuple[str, str]]) -> list[dict]:
    missing = dict(blockers)
    return [
        {"code": code, "label": label, "ok": code not in missing, "message": missing.get(code, "")}
        for code, label in FOUR_NOTS
    ]


def _record_rows(records: list[AccountabilityRecord]) -> list[AccountabilityRecord]:
    for record in records:
        snap = record.snapshot
        record.type_labels = [DutyType(t).label if t in DutyType.values else t for t in record.types]
        record.bases = [
            link
            for link in snap.get("links", [])
            if link.get("basis") or link.get("source") or link.get("role")
        ]
        for link in record.bases:
            link["role_label"] = PartyRole(link["role"]).label if link.get("role") in PartyRole.values else ""
            if not link.get("type_label") and link.get("type") in DutyType.values:
                link["type_label"] = DutyType(link["type"]).label
        # An added subject's basis is its reason, shown once beside the subject: not again, nor its code.
        record.chain_bases = [link for link in record.bases if link.get("source") != "investigation"]
        decision = record.current_decision
        record.finding_label = decision.get_finding_display() if decision else ""
        record.measure_labels = [measure_label(m.kind) for m in decision.measures.all()] if decision else []
        record.amended = len(record.decision_history) > 1
    return records


def _ranges_text(grade: str) -> list[str]:
    ranges = suggested_ranges(grade or None)
    if not ranges:
        return []

    wan = yuan_text
    low, high = ranges["enterprise_fine_yuan"]
    s_low, s_high = ranges["enterprise_fine_especially_serious_yuan"]
    return [
        f"主要负责人罚款：上一年年收入的 {ranges['principal_fine_percent_of_income']}%（安全生产法第九十五条）",
        f"生产经营单位罚款：{wan(low)}至{wan(high)}；情节特别严重、影响特别恶劣的：{wan(s_low)}至{wan(s_high)}（第一百一十四条）",
        f"行业禁入：{ranges['industry_ban']}（第九十四条）",
    ]


def _workbench(request, case: Case, vis: Visibility, *, status: int = 200, **bound):
    raw_records = case_records(case)
    if request.method == "GET":
        # ?correct=<kind>-<id>: the form that added that entry, filled with it, to correct it.
        bound |= correction_form(case, request.GET.get("correct", ""), vis=vis, records=raw_records)
    records = _record_rows(raw_records)
    tracks = records_by_track(records)
    blockers = case_services.closing_blockers(case)
    actions = list(case.corrective_actions.select_related("verified_by"))
    education = list(case.education.all())
    writer = may(vis, "case", "write") and not case.is_closed
    context = {
        "case": case,
        "source": case.source,
        "enterprise_records": tracks.get(Track.ENTERPRISE, []),
        "supervision_records": tracks.get(Track.SUPERVISION, []),
        "n_records": len(records),
        "n_decided": sum(1 for r in records if r.current_decision),
        "four_nots": _four_nots(blockers),
        "blockers": blockers,
        "actions": actions,
        "education": education,
        "may_write": writer,
        "ranges": _ranges_text(case.grade),
        "cause_form": bound.get("cause_form") or CauseForm(initial={"cause": case.cause}),
        "action_form": bound.get("action_form") or CorrectiveActionForm(),
        "complete_form": CompleteActionForm(),
        "education_form": bound.get("education_form") or EducationForm(),
        "subject_form": bound.get("subject_form") or AddSubjectForm(vis=vis),
        "close_refused": bound.get("close_refused"),
        "investigation_overdue": case.is_investigation_overdue(_today()),
        "deadlines": case_deadlines(case, _today()),
        "dates_form": bound.get("dates_form")
        or ReportDatesForm(
            initial={"report_submitted_on": case.report_submitted_on, "reply_on": case.reply_on}
        ),
        "action_errors": bound.get("action_errors"),
        # 回头看 comes a year after the 批复, on a closed case too (views/conclusions.py).
        "may_review": may(vis, "case", "write"),
        "bound_forms": bound,
        "withdrawals": case_withdrawals(case),
        "reopenings": case_services.case_reopenings(case),
    }
    return render_page(request, "accountability/case_workbench.html", context, status=status)


@page("case", "read")
def case_workbench(request, code):
    vis = request_visibility(request)
    case = _case_or_404(vis, code)
    refused = request.session.pop(_refused_key(case), None)
    return _workbench(request, case, vis, close_refused=[tuple(b) for b in refused] if refused else None)


def _post_case(request, code) -> tuple[Visibility, Case]:
    vis = request_visibility(request)
    case = _case_or_404(vis, code)
    return vis, case


def _done(request, case: Case, message: str, anchor: str = ""):
    messages.success(request, message)
    return redirect(reverse("accountability:case_workbench", args=[case.code]) + anchor)


def _case_form_post(
    request, code, form_class, write, done_message: str, anchor: str, form_name: str, kind: str = ""
):
    """Validate a workbench form, write through a case service, and show the service's refusal on the form.
    `kind`: the form adds an entry of that kind, or corrects one (case_services.write_entry)."""
    vis, case = _post_case(request, code)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            if kind:
                write_entry(case, kind, form, lambda data: write(case, data), request.user)
            else:
                write(case, form.cleaned_data)
            return _done(request, case, done_message, anchor)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return _workbench(request, case, vis, status=400, **{form_name: form})


def write_entry(case: Case, kind: str, form, write, by):
    """A workbench form that adds an entry: a new one, or the correction it was opened for (?correct=)."""
    data = {name: value for name, value in form.cleaned_data.items() if name not in CORRECTION_FIELDS}
    return case_services.write_entry(
        case=case, kind=kind, write=lambda: write(data), **form.correction(), by=by
    )


@page("case", "write")
@require_POST
def case_cause(request, code):
    return _case_form_post(
        request,
        code,
        CauseForm,
        lambda case, data: case_services.record_cause(
            case=case, cause=data["cause"], correction_reason=data["correction_reason"], by=request.user
        ),
        "已记录事故原因",
        "#four-nots",
        "cause_form",
    )


@page("case", "write")
@require_POST
def case_action_add(request, code):
    return _case_form_post(
        request,
        code,
        CorrectiveActionForm,
        lambda case, data: case_services.add_corrective_action(case=case, **data),
        "已登记整改措施",
        "#actions",
        "action_form",
        kind="action",
    )


@page("case", "write")
@require_POST
def case_action_done(request, code, pk):
    vis, case = _post_case(request, code)
    action = get_object_or_404(CorrectiveAction.objects.filter(case=case), pk=pk)
    action.case = case
    form = CompleteActionForm(request.POST)
    if form.is_valid():
        try:
            case_services.complete_corrective_action(
                action=action, done_on=form.cleaned_data["done_on"], by=request.user
            )
            return _done(request, case, "已确认整改措施完成", "#actions")
        except ValidationError as exc:
            return _workbench(request, case, vis, status=400, action_errors=exc.messages)
    return _workbench(
        request, case, vis, status=400, action_errors=[m for ms in form.errors.values() for m in ms]
    )


@page("case", "write")
@require_POST
def case_education(request, code):
    return _case_form_post(
        request,
        code,
        EducationForm,
        lambda case, data: case_services.record_education(case=case, by=request.user, **data),
        "已记录警示教育",
        "#education",
        "education_form",
        kind="education",
    )


@page("case", "write")
@require_POST
def case_add_subject(request, code):
    vis, case = _post_case(request, code)
    form = AddSubjectForm(request.POST, vis=vis)
    if form.is_valid():
        try:
            record = write_entry(
                case,
                "subject",
                form,
                lambda data: case_services.add_subject(
                    case=case,
                    track=data["track"],
                    reason=data["reason"],
                    types=data["types"],
                    unit=data["unit"],
                    position=data["position"],
                    person=data["person"],
                    by=request.user,
                ),
                request.user,
            )
            return _done(request, case, "已增列责任主体", f"#record-{record.pk}")
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return _workbench(request, case, vis, status=400, subject_form=form)


@page("case", "write")
@require_POST
def case_close(request, code):
    vis, case = _post_case(request, code)
    try:
        case_services.close_case(case=case, by=request.user)
    except case_services.CaseNotClosable as exc:
        refused = exc.blockers
    except ValidationError as exc:
        refused = [("", m) for m in exc.messages]
    else:
        return _done(request, case, "四不放过条件均已满足，案件已结案")
    # Post/redirect/get: the refusal is shown once on the workbench, so a reload never re-submits.
    request.session[_refused_key(case)] = [list(b) for b in refused]
    return redirect(reverse("accountability:case_workbench", args=[case.code]) + "#close-refused")


@page("case", "write")
@require_POST
def case_reopen(request, code):
    """A closed case opened again to correct its record, with the reason (the case's history keeps it)."""
    vis, case = _post_case(request, code)
    try:
        case_services.reopen_case(case=case, reason=request.POST.get("reason", ""), by=request.user)
    except ValidationError as exc:
        messages.error(request, "不能重新开启：" + "；".join(exc.messages))
        return redirect(reverse("accountability:case_workbench", args=[case.code]) + "#reopen")
    return _done(request, case, "案件已重新开启，更正后须按四不放过重新结案", "#reopen")


def _refused_key(case: Case) -> str:
    return f"close_refused:{case.code}"
