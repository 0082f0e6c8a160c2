"""Government findings (督查反馈问题): issue, rectify, submit, verify (销号) or reject — the hazard's life
cycle for a government unit. Services for the pages and the API alike.

Who acts: the assigned unit rectifies and submits; the issuing unit verifies or rejects. The role comes
from the access policy (403); the side from the user's own units (`acts_for`): a user of the other side
gets the form's error, naming the finding and the unit."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from responsibility.permissions import Visibility
from responsibility.validators import validate_evidence

from .models import FindingSource, FindingState, GovFinding, GovFindingTransition

VIDEO_EXTENSIONS = ("mp4", "mov")
MEDIA_MAX_BYTES = 200 * 1024 * 1024


def validate_media(file) -> None:
    """暗访: an exposure video (MP4/MOV, read from its first bytes) or any evidence file."""
    name = getattr(file, "name", "") or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in VIDEO_EXTENSIONS:
        validate_evidence(file)
        return
    size = getattr(file, "size", 0) or 0
    if size == 0 or size > MEDIA_MAX_BYTES:
        raise ValidationError("暗访视频为空或超过 200 MB")
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(12)
    file.seek(position)
    if head[4:8] != b"ftyp":
        raise ValidationError(f"文件内容不是 {extension.upper()} 视频")


def acts_for(vis: Visibility | None, unit) -> bool:
    """Whether the user acts for `unit` (安委办 acts for every unit)."""
    return vis is None or vis.everything or unit.pk in vis.unit_ids


def _require_side(vis, finding: GovFinding, unit, side: str) -> None:
    if not acts_for(vis, unit):
        raise ValidationError({"state": f"{finding.code}: 只有{side}（{unit.name}）可以执行此操作"})


def _transition(finding: GovFinding, to_state: str, *, by, note: str = "", evidence=None, **changes):
    with transaction.atomic():
        locked = GovFinding.objects.select_for_update().get(pk=finding.pk)
        if locked.state != finding.state:
            raise ValidationError(
                {"state": f"{finding.code}: 状态已变更为“{locked.get_state_display()}”，请刷新"}
            )
        transition = GovFindingTransition(
            finding=locked, from_state=locked.state, to_state=to_state, by=by, note=(note or "").strip()
        )
        if evidence:
            transition.evidence = evidence
        locked.state = to_state
        for name, value in changes.items():
            setattr(locked, name, value)
        locked._history_user = by
        locked.save()
        transition.save()
    return locked


def issue_finding(
    *,
    code: str,
    title: str,
    source: str,
    issuing_unit,
    assigned_unit,
    found_on: dt.date,
    deadline: dt.date,
    responsible_position=None,
    sector=None,
    media=None,
    vis: Visibility | None = None,
    by=None,
) -> GovFinding:
    """下发: a finding of 督查, 巡查 or 暗访, assigned to a government unit with a deadline."""
    if not acts_for(vis, issuing_unit):
        raise ValidationError({"issuing_unit": f"{issuing_unit.code}: 您不能以该单位名义下发问题"})
    if found_on and found_on > timezone.localdate():
        raise ValidationError({"found_on": f"{code}: 发现日期不能晚于今天"})
    if media:
        try:
            validate_media(media)
        except ValidationError as exc:
            raise ValidationError({"media": f"{code}: {'；'.join(exc.messages)}"}) from None
    elif source == FindingSource.UNDERCOVER:
        raise ValidationError({"media": f"{code}: 暗访问题须附暗访视频或材料"})
    finding = GovFinding(
        code=code,
        title=(title or "").strip(),
        source=source,
        issuing_unit=issuing_unit,
        assigned_unit=assigned_unit,
        responsible_position=responsible_position,
        sector=sector,
        found_on=found_on,
        deadline=deadline,
    )
    if media:
        finding.media = media
    finding.full_clean(exclude=["media"])
    with transaction.atomic():
        finding._history_user = by
        finding.save()
        GovFindingTransition.objects.create(finding=finding, to_state=FindingState.ISSUED, by=by, note="下发")
    return finding


def _require_state(finding: GovFinding, *states: str) -> None:
    if finding.state not in states:
        raise ValidationError(
            {"state": f"{finding.code}: 当前状态“{finding.get_state_display()}”不能执行此操作"}
        )


def start_rectification(*, finding: GovFinding, note: str = "", vis=None, by=None) -> GovFinding:
    _require_side(vis, finding, finding.assigned_unit, "整改责任单位")
    _require_state(finding, FindingState.ISSUED)
    return _transition(finding, FindingState.RECTIFYING, by=by, note=note or "开始整改")


def submit_rectification(
    *, finding: GovFinding, rectification: str, evidence=None, vis=None, by=None, today: dt.date | None = None
) -> GovFinding:
    """提交: what was done, with its evidence, for the issuer to verify."""
    _require_side(vis, finding, finding.assigned_unit, "整改责任单位")
    _require_state(finding, FindingState.RECTIFYING)
    rectification = (rectification or "").strip()
    if not rectification:
        raise ValidationError({"rectification": f"{finding.code}: 须写明整改情况"})
    if evidence:
        try:
            validate_evidence(evidence)
        except ValidationError as exc:
            raise ValidationError({"evidence": f"{finding.code}: {'；'.join(exc.messages)}"}) from None
    return _transition(
        finding,
        FindingState.SUBMITTED,
        by=by,
        note=rectification,
        evidence=evidence,
        rectification=rectification,
        submitted_on=today or timezone.localdate(),
    )


def verify_and_close(*, finding: GovFinding, note: str = "", vis=None, by=None, today=None) -> GovFinding:
    """销号: verified by the issuing unit."""
    _require_side(vis, finding, finding.issuing_unit, "下发单位")
    _require_state(finding, FindingState.SUBMITTED)
    return _transition(
        finding,
        FindingState.CLOSED,
        by=by,
        note=note or "核查合格，销号",
        closed_on=today or timezone.localdate(),
    )


def reject_submission(*, finding: GovFinding, reason: str, vis=None, by=None) -> GovFinding:
    _require_side(vis, finding, finding.issuing_unit, "下发单位")
    _require_state(finding, FindingState.SUBMITTED)
    if not (reason or "").strip():
        raise ValidationError({"reason": f"{finding.code}: 退回须写明理由"})
    return _transition(finding, FindingState.RECTIFYING, by=by, note=reason, submitted_on=None)
