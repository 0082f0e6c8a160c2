"""The hazard pages: report, 五到位 plan, evidence, 销号 or rejection, 挂牌督办, extensions, and the timeline.

Thin views over accountability/hazards.py (the API's services): the roles per action are the access
policy's (responsibility/access.py, as for the API); a role lacking the action is a 403, then a hazard
outside scope a 404;
a refusal of a service is shown on its form, and every successful POST redirects (post/redirect/get).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from responsibility.access import may, page
from responsibility.permissions import Visibility, request_visibility
from responsibility.views import render_page

from .. import hazards as hazard_services
from ..evidence import evidence_download
from ..forms import apply_service_errors
from ..forms_hazards import (
    DecideExtensionForm,
    ExtensionRequestForm,
    HazardReportForm,
    ListingForm,
    PlanForm,
    RejectForm,
    SubmitForm,
    VerifyForm,
)
from ..models import ExtensionDecision, ExtensionRequest, Hazard, HazardState, HazardTransition
from .common import visible_cases, visible_hazards


def _hazard_or_404(vis: Visibility, code: str) -> Hazard:
    return get_object_or_404(
        visible_hazards(vis)
        .select_related(
            "enterprise__region",
            "sector",
            "unit",
            "responsible_position__unit",
            "inspection",
            "listing__listing_unit",
        )
        .prefetch_related(
            Prefetch("transitions", queryset=HazardTransition.objects.select_related("by")),
            Prefetch(
                "extensions", queryset=ExtensionRequest.objects.select_related("requested_by", "decided_by")
            ),
            "parties__enterprise",
            "actors__person",
        ),
        code=code,
    )


def _user_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else "—"


def timeline(hazard: Hazard) -> list[dict]:
    """State changes, extension requests and decisions, and the listing, oldest first (who, when, what)."""
    tz = timezone.get_current_timezone()
    events = []
    for t in hazard.transitions.all():
        label = f"{t.get_from_state_display()} → {t.get_to_state_display()}" if t.from_state else "上报"
        events.append(
            {
                "at": t.at,
                "by": _user_name(t.by),
                "what": label,
                "note": t.note,
                "transition": t,
                "evidence_name": os.path.basename(t.evidence.name) if t.evidence else "",
            }
        )
    for e in hazard.extensions.all():
        events.append(
            {
                "at": e.requested_at,
                "by": _user_name(e.requested_by),
                "what": f"申请延期：{e.previous_deadline:%Y-%m-%d} → {e.requested_deadline:%Y-%m-%d}",
                "note": e.reason,
            }
        )
        if e.decided_at:
            events.append(
                {
                    "at": e.decided_at,
                    "by": _user_name(e.decided_by),
                    "what": f"延期审批：{e.get_decision_display()}",
                    "note": e.decision_note,
                }
            )
    listing = getattr(hazard, "listing", None)
    if listing is not None:
        at = dt.datetime.combine(listing.listed_on, dt.time(), tzinfo=tz)
        events.append(
            {
                "at": at,
                "by": listing.listing_unit.name,
                "what": f"挂牌督办，期限 {listing.due_on:%Y-%m-%d}",
                "note": listing.document,
            }
        )
    return sorted(events, key=lambda e: e["at"])


def _forms(vis: Visibility, hazard: Hazard, bound: dict) -> dict:
    """The action forms this role may use on this hazard in its state (a bound one keeps its errors)."""
    state, forms = hazard.state, {}
    pending = next((e for e in hazard.extensions.all() if e.decision == ExtensionDecision.PENDING), None)
    if may(vis, "hazard", "rectify") and state != HazardState.CLOSED:
        if state in (HazardState.REPORTED, HazardState.RECTIFYING):
            initial = {
                "measures": hazard.measures,
                "responsible_position": hazard.responsible_position.code
                if hazard.responsible_position
                else "",
                "funds_yuan": hazard.funds_yuan,
                "contingency_plan": hazard.contingency_plan,
            }
            forms["plan_form"] = PlanForm(initial=initial, vis=vis, hazard=hazard)
        if state == HazardState.RECTIFYING:
            forms["submit_form"] = SubmitForm()
        if pending is None:
            forms["extension_form"] = ExtensionRequestForm()
    if may(vis, "hazard", "supervise"):
        if state == HazardState.SUBMITTED:
            forms["verify_form"] = VerifyForm()
            forms["reject_form"] = RejectForm()
        if state != HazardState.CLOSED and getattr(hazard, "listing", None) is None:
            forms["listing_form"] = ListingForm(vis=vis)
        if pending is not None:
            forms["decide_form"] = DecideExtensionForm(initial={"extension": pending.pk})
    forms.update(bound)
    return {**forms, "pending_extension": pending}


def _detail(request, hazard: Hazard, vis: Visibility, *, status: int = 200, **bound):
    today = timezone.localdate()
    context = {
        "hazard": hazard,
        "listing": getattr(hazard, "listing", None),
        "overdue": hazard.is_overdue(today),
        "days_left": (hazard.deadline - today).days,
        "case": visible_cases(vis).filter(hazard=hazard).first(),
        "may_open_case": may(vis, "case", "write") and hazard.is_overdue(today),
        "five_missing": [hazard_services.FIVE_IN_PLACE_LABELS[m] for m in hazard.five_in_place_missing],
        "timeline": timeline(hazard),
        **_forms(vis, hazard, bound),
    }
    return render_page(request, "accountability/hazard_detail.html", context, status=status)


@page("hazard", "read")
def hazard_detail(request, code):
    vis = request_visibility(request)
    return _detail(request, _hazard_or_404(vis, code), vis)


def _act(request, code, form_name, make_form, write, done: str):
    """Validate a hazard form, write through a service, redirect; a refusal stays on the form (400).
    The role was checked by the view's `page` decorator."""
    vis = request_visibility(request)
    hazard = _hazard_or_404(vis, code)
    form = make_form(vis, hazard)
    if form.is_valid():
        try:
            with transaction.atomic():
                write(vis, hazard, form.cleaned_data)
            messages.success(request, done)
            return redirect("accountability:hazard_detail", code=hazard.code)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return _detail(request, _hazard_or_404(vis, code), vis, status=400, **{form_name: form})


@page("hazard", "rectify")
@require_POST
def hazard_plan(request, code):
    """Save the 五到位 plan; with `start`, also move reported → rectifying (a 重大隐患 needs all five)."""
    starting = "start" in request.POST

    def write(vis, hazard, data):
        hazard_services.complete_plan(hazard=hazard, by=request.user, **PlanForm.plan_of(data))
        if starting:
            hazard_services.start_rectification(hazard=hazard, by=request.user)

    return _act(
        request,
        code,
        "plan_form",
        lambda vis, hazard: PlanForm(request.POST, vis=vis, hazard=hazard),
        write,
        "已保存整改方案并开始整改" if starting else "已保存整改方案",
    )


@page("hazard", "rectify")
@require_POST
def hazard_submit(request, code):
    return _act(
        request,
        code,
        "submit_form",
        lambda vis, hazard: SubmitForm(request.POST, request.FILES),
        lambda vis, hazard, data: hazard_services.submit_rectification(
            hazard=hazard, by=request.user, note=data["note"], evidence=data["evidence"]
        ),
        "已提交销号申请和整改证明材料",
    )


@page("hazard", "rectify")
@require_POST
def hazard_request_extension(request, code):
    return _act(
        request,
        code,
        "extension_form",
        lambda vis, hazard: ExtensionRequestForm(request.POST),
        lambda vis, hazard, data: hazard_services.request_extension(
            hazard=hazard, new_deadline=data["requested_deadline"], reason=data["reason"], by=request.user
        ),
        "已提交延期申请",
    )


@page("hazard", "supervise")
@require_POST
def hazard_verify(request, code):
    return _act(
        request,
        code,
        "verify_form",
        lambda vis, hazard: VerifyForm(request.POST),
        lambda vis, hazard, data: hazard_services.verify_and_close(
            hazard=hazard, by=request.user, note=data["note"], on=data["on"]
        ),
        "已核查销号",
    )


@page("hazard", "supervise")
@require_POST
def hazard_reject(request, code):
    return _act(
        request,
        code,
        "reject_form",
        lambda vis, hazard: RejectForm(request.POST),
        lambda vis, hazard, data: hazard_services.reject_submission(
            hazard=hazard, reason=data["reason"], by=request.user
        ),
        "已退回整改",
    )


@page("hazard", "supervise")
@require_POST
def hazard_list_for_supervision(request, code):
    return _act(
        request,
        code,
        "listing_form",
        lambda vis, hazard: ListingForm(request.POST, vis=vis),
        lambda vis, hazard, data: hazard_services.list_for_supervision(
            hazard=hazard, listing_unit=data["listing_unit"], due_on=data["due_on"], document=data["document"]
        ),
        "已挂牌督办",
    )


@page("hazard", "supervise")
@require_POST
def hazard_decide_extension(request, code):
    def write(vis, hazard, data):
        extension = hazard.extensions.filter(pk=data["extension"]).first()
        if extension is None:
            raise ValidationError({"extension": "没有该延期申请"})
        hazard_services.decide_extension(
            request=extension, approve=data["approve"], note=data["note"], by=request.user
        )

    return _act(
        request,
        code,
        "decide_form",
        lambda vis, hazard: DecideExtensionForm(request.POST),
        write,
        "已审批延期申请",
    )


@page("hazard", "report")
def hazard_report(request):
    """A new hazard (自查上报 for an enterprise user); the code is given by the system."""
    vis = request_visibility(request)
    form = HazardReportForm(request.POST or None, vis=vis)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                hazard = hazard_services.report_hazard(code=_new_code(), by=request.user, **form.cleaned_data)
                messages.success(request, f"已上报隐患 {hazard.code}")
                return redirect("accountability:hazard_detail", code=hazard.code)
            except ValidationError as exc:
                apply_service_errors(form, exc)
        status = 400
    return render_page(request, "accountability/hazard_report.html", {"form": form}, status=status)


def _new_code() -> str:
    while True:
        code = f"HZ{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"
        if not Hazard.objects.filter(code=code).exists():
            return code


@page("hazard", "read")
def hazard_evidence(request, code, pk):
    """An evidence file, for those who may see the hazard."""
    vis = request_visibility(request)
    return evidence_download(get_object_or_404(visible_hazards(vis), code=code), pk)
