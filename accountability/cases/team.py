"""The 调查组 as real teams have it: units of the matrix or named bodies outside it (检察院, 专家组, an
invited 纪委监委 with its role), one 牵头 unit changed only explicitly, members withdrawn with a reason."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from responsibility.models import Unit

from ..models import Case, Investigator, InvestigatorRole
from .findings import _require_open


def _standing(case: Case):
    return Investigator.objects.filter(accident_id=case.accident_id, withdrawn_at__isnull=True)


def _check_accident(case: Case) -> None:
    if case.accident_id is None:
        raise ValidationError({"unit": "只有事故调查有调查组"})


def set_investigator(
    *, case: Case, role: str, unit: Unit | None = None, name: str = "", duty: str = "", by=None
) -> Investigator:
    """Add a member (a unit, or a body outside the matrix by name) or change a member's role.

    Registering the 牵头 unit again never demotes it, and a second 牵头 is refused: the lead changes
    only through `change_lead`.
    """
    _check_accident(case)
    name, duty = (name or "").strip(), (duty or "").strip()
    if role not in InvestigatorRole.values:
        raise ValidationError({"role": f"unknown role {role!r}"})
    if (unit is None) == (not name):
        raise ValidationError({"unit": "须选择一个单位，或填写矩阵外机关（专家组）的名称，二者只填其一"})
    with transaction.atomic():
        _require_open(case)
        standing = _standing(case).select_for_update()
        row = (standing.filter(unit=unit) if unit else standing.filter(unit__isnull=True, name=name)).first()
        lead = next((r for r in standing if r.role == InvestigatorRole.LEAD), None)
        if role == InvestigatorRole.LEAD and lead is not None and lead != row:
            raise ValidationError(
                {"role": f"调查组已有牵头单位（{lead.display_name}）；更换牵头单位请用“更换牵头单位”"}
            )
        if row is not None and row.role == InvestigatorRole.LEAD and role != InvestigatorRole.LEAD:
            raise ValidationError(
                {
                    "role": f"{row.display_name}是牵头单位，再次登记不会改变其角色；更换牵头单位请用“更换牵头单位”"
                }
            )
        if row is not None:
            row.role, row.duty = role, duty or row.duty
            row._history_user = by
            row.save(update_fields=["role", "duty"])
            return row
        order = (
            Investigator.objects.filter(accident_id=case.accident_id).aggregate(m=Max("order"))["m"] or 0
        ) + 1
        row = Investigator(
            accident_id=case.accident_id, unit=unit, name=name, role=role, duty=duty, order=order
        )
        row._history_user = by
        row.save()
        return row


def change_lead(*, case: Case, member: Investigator, reason: str, by=None) -> Investigator:
    """The 牵头 unit changes explicitly, with the reason; the former lead stays on the team as a 成员."""
    _check_accident(case)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "更换牵头单位须写明理由"})
    with transaction.atomic():
        _require_open(case)
        standing = list(_standing(case).select_for_update())
        member = next((r for r in standing if r.pk == member.pk), None)
        if member is None:
            raise ValidationError({"member": "该成员不在本案调查组中（或已撤销）"})
        if member.unit_id is None:
            raise ValidationError({"member": "牵头单位须为单位（矩阵内的机关）"})
        for row in standing:
            if row.role == InvestigatorRole.LEAD and row.pk != member.pk:
                row.role = InvestigatorRole.MEMBER
                row._history_user, row._change_reason = by, reason
                row.save(update_fields=["role"])
        member.role = InvestigatorRole.LEAD
        member._history_user, member._change_reason = by, reason
        member.save(update_fields=["role"])
    return member


def withdraw_investigator(*, case: Case, member: Investigator, reason: str, by=None) -> Investigator:
    """A member registered by mistake, or who left the team: withdrawn with the reason, kept in history."""
    _check_accident(case)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "撤销调查组成员须写明理由"})
    with transaction.atomic():
        _require_open(case)
        locked = Investigator.objects.select_for_update().get(pk=member.pk)
        if locked.accident_id != case.accident_id:
            raise ValidationError({"member": "该成员不在本案调查组中"})
        if locked.withdrawn_at is not None:
            raise ValidationError(
                {"member": f"{locked.display_name} 已于 {locked.withdrawn_at:%Y-%m-%d} 撤销"}
            )
        locked.withdrawn_at, locked.withdrawn_reason, locked.withdrawn_by = timezone.now(), reason, by
        locked._history_user, locked._change_reason = by, reason
        locked.save(update_fields=["withdrawn_at", "withdrawn_reason", "withdrawn_by"])
    return locked
