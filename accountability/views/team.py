"""The 调查组 on the workbench: change the 牵头 unit explicitly, withdraw a member (cases/team.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from responsibility.access import page

from .. import cases as case_services
from ..forms_conclusions import TeamLeadForm, WithdrawMemberForm
from ..models import Investigator
from .cases import _done, _post_case, _workbench
from .conclusions import _submit


def _standing(case):
    return Investigator.objects.filter(
        accident_id=case.accident_id, withdrawn_at__isnull=True
    ).select_related("unit")


@page("case", "write")
@require_POST
def case_team_lead(request, code):
    vis, case = _post_case(request, code)
    form = TeamLeadForm(request.POST, team=list(_standing(case)))

    def write(data):
        case_services.change_lead(
            case=case, member=form.team[data["member"]], reason=data["reason"], by=request.user
        )

    return _submit(request, case, vis, form, "lead_form", write, "已更换牵头单位", "#team")


@page("case", "write")
@require_POST
def case_team_withdraw(request, code, pk):
    vis, case = _post_case(request, code)
    member = get_object_or_404(_standing(case), pk=pk)
    form = WithdrawMemberForm(request.POST)
    if form.is_valid():
        try:
            case_services.withdraw_investigator(
                case=case, member=member, reason=form.cleaned_data["reason"], by=request.user
            )
            return _done(request, case, f"已撤销调查组成员：{member.display_name}", "#team")
        except ValidationError as exc:
            errors = exc.messages
    else:
        errors = [m for ms in form.errors.values() for m in ms]
    return _workbench(request, case, vis, status=400, team_errors=errors)
