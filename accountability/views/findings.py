"""The pages of government findings (督查反馈问题): list, issue (下发), detail with its timeline, the
assigned unit's steps (整改, 提交) and the issuer's (销号, 退回), and opening a case (问责 for 整改不力).

Thin views over accountability/govfindings.py: the role per action is the access policy's (403), the
finding outside scope a 404, which side a user is on the service's (a form error); every POST redirects."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from responsibility.access import may, page
from responsibility.models import Sector, Unit
from responsibility.permissions import Visibility, request_visibility
from responsibility.validators import text_problem
from responsibility.views import render_page

from .. import govfindings as services
from ..listing import query_without_page, text_search
from ..models import FindingSource, FindingState, GovFinding, GovFindingTransition, finding_overdue_q
from ..models.govfindings import PUBLIC_BODIES
from .common import _today, posted_text_problems, visible_findings

UNKNOWN = "不存在或不在您的范围内"


def _finding_or_404(vis: Visibility, code: str) -> GovFinding:
    return get_object_or_404(
        visible_findings(vis).select_related(
            "issuing_unit__region", "assigned_unit__region", "responsible_position__unit", "sector"
        ),
        code=code,
    )


def finding_filters(request, vis: Visibility):
    qs = visible_findings(vis).select_related("issuing_unit", "assigned_unit")
    qs = text_search(qs, request, "code", "title", "assigned_unit__name", "issuing_unit__name")
    if request.GET.get("state") in FindingState.values:
        qs = qs.filter(state=request.GET["state"])
    if request.GET.get("source") in FindingSource.values:
        qs = qs.filter(source=request.GET["source"])
    if request.GET.get("overdue"):
        qs = qs.filter(finding_overdue_q(_today()))
    return qs.order_by("-found_on", "code")


@page("finding", "read")
def finding_list(request):
    vis = request_visibility(request)
    page_ = Paginator(finding_filters(request, vis), 50).get_page(request.GET.get("page"))
    today = _today()
    for finding in page_:
        finding.overdue = finding.is_overdue(today)
    return render_page(
        request,
        "accountability/finding_list.html",
        {
            "page": page_,
            "states": FindingState.choices,
            "sources": FindingSource.choices,
            "filters": request.GET,
            "query": query_without_page(request),
            "may_issue": may(vis, "finding", "issue"),
        },
    )


def _my_units(vis: Visibility):
    units = Unit.objects.filter(kind__in=PUBLIC_BODIES)
    return units if vis.everything else units.filter(pk__in=vis.unit_ids)


def _lookup(qs, code: str, field: str, errors: dict, label: str):
    """A code typed into the form: the row in scope, else one and the same error (never revealing which)."""
    code = (code or "").strip()
    if not code:
        return None
    if problem := text_problem(code):
        errors[field] = f"{label}：{problem}"
        return None
    row = qs.filter(code=code).first()
    if row is None:
        errors[field] = f"{label} {code}：{UNKNOWN}"
    return row


@page("finding", "issue")
def finding_issue(request):
    """下发: the issuer (one of the user's own units) assigns a problem to a government unit."""
    vis = request_visibility(request)
    errors: dict[str, str] = {}
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        issuing = _lookup(_my_units(vis), data.get("issuing_unit"), "issuing_unit", errors, "下发单位")
        units = Unit.objects.filter(kind__in=PUBLIC_BODIES)
        scoped = units if vis.everything else vis.units().filter(kind__in=PUBLIC_BODIES)
        assigned = _lookup(scoped, data.get("assigned_unit"), "assigned_unit", errors, "整改责任单位")
        position = _lookup(
            vis.positions(), data.get("responsible_position"), "responsible_position", errors, "责任岗位"
        )
        sector = _lookup(Sector.objects.all(), data.get("sector"), "sector", errors, "行业领域")
        found_on, deadline = parse_date(data.get("found_on") or ""), parse_date(data.get("deadline") or "")
        for field, value in (("issuing_unit", issuing), ("assigned_unit", assigned)):
            if value is None and field not in errors:
                errors[field] = "必填"
        if found_on is None:
            errors["found_on"] = "请填写发现日期（YYYY-MM-DD）"
        if deadline is None:
            errors["deadline"] = "请填写整改期限（YYYY-MM-DD）"
        if not errors:
            code = (data.get("code") or "").strip() or f"GF{_today():%Y%m%d}-{secrets.token_hex(3).upper()}"
            try:
                finding = services.issue_finding(
                    code=code,
                    title=data.get("title", ""),
                    source=data.get("source", ""),
                    issuing_unit=issuing,
                    assigned_unit=assigned,
                    responsible_position=position,
                    sector=sector,
                    found_on=found_on,
                    deadline=deadline,
                    media=request.FILES.get("media"),
                    vis=vis,
                    by=request.user,
                )
            except ValidationError as exc:
                errors.update({k: "；".join(v) for k, v in exc.message_dict.items()})
            else:
                messages.success(request, f"已下发：{finding.code}")
                return redirect("accountability:finding_detail", code=finding.code)
    return render_page(
        request,
        "accountability/finding_issue.html",
        {
            "errors": errors,
            "data": data,
            "sources": FindingSource.choices,
            "my_units": _my_units(vis).order_by("code"),
        },
        status=400 if errors else 200,
    )


@page("finding", "read")
def finding_detail(request, code):
    vis = request_visibility(request)
    finding = _finding_or_404(vis, code)
    today = _today()
    transitions = GovFindingTransition.objects.filter(finding=finding).select_related("by")
    case = getattr(finding, "case", None) if may(vis, "case", "read") else None
    return render_page(
        request,
        "accountability/finding_detail.html",
        {
            "finding": finding,
            "transitions": transitions,
            "overdue": finding.is_overdue(today),
            "days_left": (finding.deadline - today).days,
            "assignee": may(vis, "finding", "rectify") and services.acts_for(vis, finding.assigned_unit),
            "issuer": may(vis, "finding", "verify") and services.acts_for(vis, finding.issuing_unit),
            "case": case,
            "may_open_case": may(vis, "case", "write") and finding.is_overdue(today),
        },
    )


def _run(request, code: str, action) -> object:
    vis = request_visibility(request)
    finding = _finding_or_404(vis, code)
    try:
        if problems := posted_text_problems(request):
            raise ValidationError(problems)
        action(vis, finding)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("accountability:finding_detail", code=finding.code)


@require_POST
@page("finding", "rectify")
def finding_rectify(request, code):
    """The assigned unit: start rectifying, or submit what was done with its evidence."""

    def act(vis, finding):
        if request.POST.get("step") == "submit":
            services.submit_rectification(
                finding=finding,
                rectification=request.POST.get("rectification", ""),
                evidence=request.FILES.get("evidence"),
                vis=vis,
                by=request.user,
            )
        else:
            services.start_rectification(
                finding=finding, note=request.POST.get("note", ""), vis=vis, by=request.user
            )

    return _run(request, code, act)


@require_POST
@page("finding", "verify")
def finding_verify(request, code):
    """The issuing unit: 销号 after verification, or send it back with the reason."""

    def act(vis, finding):
        if request.POST.get("decision") == "reject":
            services.reject_submission(
                finding=finding, reason=request.POST.get("reason", ""), vis=vis, by=request.user
            )
        else:
            services.verify_and_close(
                finding=finding, note=request.POST.get("note", ""), vis=vis, by=request.user
            )

    return _run(request, code, act)
