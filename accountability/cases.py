"""一案双查: open_case, findings and amendments, corrective actions, education, and the 四不放过 gate.

Writes only; reads are in selectors.py. Every service is keyword-only and atomic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone

from responsibility.chain import EARLIER, EVENT_DAY, REACH_BY_GRADE, Link
from responsibility.models import LEVEL_RANK, DutyType, Person, Position, Track, Unit

from .events import accident_event, hazard_event, load_accident, load_hazard
from .grading import INVESTIGATION_EXTENSION_MAX_DAYS
from .measures import BY_CODE as MEASURE_KINDS
from .measures import CRIMINAL_ARTICLES
from .models import (
    Accident,
    AccountabilityRecord,
    Case,
    CaseState,
    CorrectiveAction,
    Decision,
    EducationActivity,
    Finding,
    Hazard,
    Measure,
    RecordOrigin,
)

# ---- opening: freeze the chain --------------------------------------------------------------------


def _subject_key(track: str, unit: Unit | None, position: Position | None, person: Person | None) -> tuple:
    return (
        track,
        unit.code if unit else "",
        position.code if position else "",
        person.code if person else "",
    )


def _snapshot(link: Link, event_day: dt.date) -> dict:
    unit, position, person = link.unit, link.position, link.person
    return {
        "event_day": event_day.isoformat(),
        "unit_code": unit.code if unit else "",
        "unit_name": unit.name if unit else "",
        "unit_kind": unit.kind if unit else "",
        "region_code": unit.region.code if unit else "",
        "region_name": unit.region.name if unit else "",
        "region_level": unit.region.level if unit else "",
        "position_code": position.code if position else "",
        "position_title": position.title if position else "",
        "person_code": person.code if person else "",
        "person_name": person.name if person else "",
        "vacant": link.vacant,
        "unknown": link.unknown,
        "links": [],
    }


def _link_evidence(link: Link) -> dict:
    evidence = {
        "type": link.type,
        "type_label": link.type_label,
        "basis": link.basis,
        "source": link.source,
        "enterprise": link.enterprise.code if link.enterprise else "",
        "enterprise_name": link.enterprise.name if link.enterprise else "",
        "role": link.role or "",
        "term": link.term,
    }
    if link.span:
        evidence["from"], evidence["to"] = link.span[0].isoformat(), link.span[1].isoformat()
    return evidence


def _record_term(snapshot: dict) -> None:
    """§5.10: a record answers for the event day if any of its links does; else for its earlier span."""
    links = snapshot["links"]
    if any(link["term"] == EVENT_DAY for link in links):
        snapshot["term"] = EVENT_DAY
        return
    snapshot["term"] = EARLIER
    snapshot["from"] = min(link["from"] for link in links)
    snapshot["to"] = max(link["to"] for link in links)


def investigated_by_team(link: Link, team: Sequence[Unit], grade: str | None) -> bool:
    """§5.9: nobody examines themselves — a link whose unit is on the 调查组 (or inside a team unit) and
    sits at or above the level that investigates the grade. A lower unit on the team keeps its records."""
    if link.unit is None or not team:
        return False
    at_or_above = LEVEL_RANK[link.unit.region.level] <= LEVEL_RANK[REACH_BY_GRADE[grade or None]]
    return at_or_above and any(link.unit.path.startswith(unit.path) for unit in team)


def records_from_links(case: Case, links: Sequence[Link], *, skip: Iterable[tuple] = (), start: int = 0):
    """One unsaved record per subject (track, unit, position, person), its types in chain order."""
    skip = set(skip)
    grouped: dict[tuple, AccountabilityRecord] = {}
    for link in links:
        key = _subject_key(link.track, link.unit, link.position, link.person)
        if key in skip:
            continue
        record = grouped.get(key)
        if record is None:
            record = AccountabilityRecord(
                case=case,
                track=link.track,
                types=[],
                unit=link.unit,
                position=link.position,
                person=link.person,
                unit_code=key[1],
                position_code=key[2],
                person_code=key[3],
                snapshot=_snapshot(link, case.event_day),
                vacant=link.vacant,
                order=start + len(grouped),
            )
            grouped[key] = record
        if link.type not in record.types:
            record.types.append(link.type)
        record.snapshot["links"].append(_link_evidence(link))
    for record in grouped.values():
        record.snapshot["types"] = record.types
        _record_term(record.snapshot)
    return list(grouped.values())


def investigation_team(accident: Accident) -> list[Unit]:
    return [row.unit for row in accident.investigator_rows.all()]


def _chain_for_case(traced, accident: Accident | None) -> list[Link]:
    """The traced chain less the investigation team's own part (§5.9), which goes to the body above."""
    links = traced.links()
    team = investigation_team(accident) if accident is not None else []
    return [link for link in links if not investigated_by_team(link, team, traced.grade)]


@dataclass(frozen=True)
class OpenedCase:
    case: Case
    created: bool


def _case_fields(accident: Accident | None, hazard: Hazard | None) -> dict:
    if accident is not None:
        return {
            "code": f"CASE-A-{accident.code}",
            "title": f"{accident.title or accident.code} 一案双查",
            "grade": accident.grade,
            "event_day": accident.event_day,
        }
    return {
        "code": f"CASE-H-{hazard.code}",
        "title": f"{hazard.title or hazard.code}（逾期隐患）一案双查",
        "grade": "",
        "event_day": hazard.deadline,
    }


def open_case(
    *,
    accident: Accident | None = None,
    hazard: Hazard | None = None,
    by=None,
    today: dt.date | None = None,
    change_reason: str = "",
) -> OpenedCase:
    """Open the case of an accident or an overdue hazard, or return the one already open.

    At most one case per source, also under concurrent requests: the source columns are unique,
    so a second insert fails and the loser returns the winner's case.
    """
    if (accident is None) == (hazard is None):
        raise ValidationError("open_case needs exactly one of an accident and a hazard")
    source = {"accident": accident} if accident is not None else {"hazard": hazard}
    existing = Case.objects.filter(**source).first()
    if existing is not None:
        return OpenedCase(existing, False)
    if hazard is not None and not hazard.is_overdue(today):
        raise ValidationError(
            {
                "hazard": f"{hazard.code}: 隐患未逾期（状态 {hazard.get_state_display()}，期限 {hazard.deadline}），不能按事故立案"
            }
        )
    loaded = load_accident(accident.code) if accident else None
    traced = accident_event(loaded) if accident else hazard_event(load_hazard(hazard.code))
    links = _chain_for_case(traced, loaded)
    try:
        with transaction.atomic():
            case = Case(**_case_fields(accident, hazard), opened_by=by, **source)
            case._history_user = by
            if change_reason:
                case._change_reason = change_reason
            case.save(force_insert=True)
            AccountabilityRecord.objects.bulk_create(records_from_links(case, links))
    except IntegrityError:
        winner = Case.objects.filter(**source).first()
        if winner is None:
            raise
        return OpenedCase(winner, False)
    return OpenedCase(case, True)


def extend_case_to_grade(*, case: Case) -> list[AccountabilityRecord]:
    """After 补报 raised the grade, the case gains the subjects the higher levels add; none removed or altered."""
    if case.accident_id is None:
        return []
    accident = load_accident(case.accident.code)
    links = _chain_for_case(accident_event(accident), accident)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        existing = {r.key for r in locked.records.all()}
        start = (locked.records.aggregate(m=Max("order"))["m"] or 0) + 1
        added = records_from_links(locked, links, skip=existing, start=start)
        AccountabilityRecord.objects.bulk_create(added)
        if locked.grade != accident.grade:
            locked.grade = accident.grade
            locked.save(update_fields=["grade"])
    return added


def add_subject(
    *,
    case: Case,
    track: str,
    reason: str,
    types: Sequence[str],
    unit: Unit | None = None,
    position: Position | None = None,
    person: Person | None = None,
    by=None,
) -> AccountabilityRecord:
    """An investigator names a subject the chain did not (an official who colluded, say), with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "增列责任主体必须写明理由"})
    if track not in Track.values:
        raise ValidationError({"track": f"unknown track {track!r}"})
    types = list(types or [])
    unknown = [t for t in types if t not in DutyType.values]
    if not types or unknown:
        raise ValidationError(
            {"types": f"须写明责任类型（未知：{', '.join(unknown)}）" if unknown else "须写明责任类型"}
        )
    if unit is None and person is None:
        raise ValidationError({"person": "增列的责任主体须有单位或人员"})
    if position is not None and unit is None:
        unit = position.unit
    if position is not None and position.unit_id != unit.pk:
        raise ValidationError({"position": f"{position.code} 不属于 {unit.code}"})
    key = _subject_key(track, unit, position, person)
    snapshot = {
        "event_day": case.event_day.isoformat(),
        "unit_code": key[1],
        "unit_name": unit.name if unit else "",
        "unit_kind": unit.kind if unit else "",
        "region_code": unit.region.code if unit else "",
        "region_name": unit.region.name if unit else "",
        "region_level": unit.region.level if unit else "",
        "position_code": key[2],
        "position_title": position.title if position else "",
        "person_code": key[3],
        "person_name": person.name if person else "",
        "vacant": False,
        "types": types,
        "links": [{"type": t, "basis": reason, "source": "investigation", "term": EVENT_DAY} for t in types],
        "term": EVENT_DAY,
    }
    with transaction.atomic():
        _require_open(case)
        if case.records.filter(
            track=track, unit_code=key[1], position_code=key[2], person_code=key[3]
        ).exists():
            raise ValidationError({"person": "该责任主体已在本案中"})
        record = AccountabilityRecord(
            case=case,
            track=track,
            types=types,
            unit=unit,
            position=position,
            person=person,
            unit_code=key[1],
            position_code=key[2],
            person_code=key[3],
            snapshot=snapshot,
            origin=RecordOrigin.ADDED,
            added_reason=reason,
            added_by=by,
            order=(case.records.aggregate(m=Max("order"))["m"] or 0) + 1,
        )
        record.full_clean()
        record.save()
    return record


# ---- findings, measures, amendments ------------------------------------------------------------------


def _require_open(case: Case) -> Case:
    """The case as stored, locked until the caller's transaction ends, refused once closed.

    The caller's copy (or a record's cached `record.case`) may predate the closing; reading the row
    under a lock also orders a finding and a concurrent `close_case` one after the other.
    """
    locked = Case.objects.select_for_update().only("pk", "code", "state").get(pk=case.pk)
    if locked.state == CaseState.CLOSED:
        raise ValidationError({"case": f"{locked.code}: 案件已结案，不能再修改"})
    return locked


def _clean_measure(record: AccountabilityRecord, index: int, data: dict) -> Measure:
    kind = MEASURE_KINDS.get(data.get("kind", ""))
    where = f"measures[{index}]"
    if kind is None:
        raise ValidationError({f"{where}.kind": f"unknown measure {data.get('kind')!r}"})
    if kind.needs_person and not record.person_code:
        raise ValidationError({f"{where}.kind": f"{kind.label} 只能对个人适用，本记录没有具体人员"})
    article = (data.get("article") or "").strip()
    if kind.needs_article and article not in CRIMINAL_ARTICLES:
        raise ValidationError(
            {f"{where}.article": f"移送司法须写明刑法条款，可选：{', '.join(CRIMINAL_ARTICLES)}"}
        )
    amount = data.get("amount_yuan")
    if amount not in (None, ""):
        try:
            amount = Decimal(str(amount))
        except InvalidOperation:
            raise ValidationError({f"{where}.amount_yuan": "金额必须是数字"}) from None
        if amount <= 0:
            raise ValidationError({f"{where}.amount_yuan": "金额必须大于零"})
    else:
        amount = None
    if kind.needs_amount and amount is None:
        raise ValidationError({f"{where}.amount_yuan": f"{kind.label} 须写明金额"})
    period = data.get("period_months")
    if period in (None, ""):
        period = kind.period_months
    else:
        try:
            period = int(period)
        except (TypeError, ValueError):
            raise ValidationError({f"{where}.period_months": "影响期须为月数"}) from None
        if kind.period_months and period != kind.period_months:
            # 公职人员政务处分法 Art 8 fixes the period; it is not the investigator's to choose.
            raise ValidationError(
                {f"{where}.period_months": f"{kind.label}的处分期间为法定 {kind.period_months} 个月"}
            )
        if period <= 0:
            raise ValidationError({f"{where}.period_months": "影响期须大于零"})
    return Measure(
        kind=kind.code,
        detail=(data.get("detail") or "").strip(),
        period_months=period,
        amount_yuan=amount,
        article=article,
    )


def _validated(record, finding, grounds, measures) -> tuple[str, list[Measure]]:
    if finding not in Finding.values:
        raise ValidationError({"finding": f"unknown finding {finding!r}"})
    grounds = (grounds or "").strip()
    if finding == Finding.EXEMPT and not grounds:
        raise ValidationError({"grounds": "尽职免责须写明履职事实与依据"})
    measures = list(measures or [])
    if measures and finding != Finding.RESPONSIBLE:
        raise ValidationError({"measures": "只有认定负有责任的才能给予处理措施"})
    return grounds, [_clean_measure(record, i, m) for i, m in enumerate(measures)]


def check_decision(
    *,
    record: AccountabilityRecord,
    finding: str,
    grounds: str = "",
    measures: Sequence[dict] = (),
    amends: Decision | None = None,
    reason: str = "",
) -> None:
    """Everything `record_finding` / `amend_finding` would refuse, without writing (for forms).

    The services check again under the case's lock; this only lets a form show the errors early.
    """
    if Case.objects.filter(pk=record.case_id, state=CaseState.CLOSED).exists():
        raise ValidationError({"case": f"{record.case.code}: 案件已结案，不能再修改"})
    current = Decision.objects.current().filter(record=record).first()
    if amends is None and current is not None:
        raise ValidationError({"finding": "该记录已认定；更正请提交更正认定（amendment）"})
    if amends is not None:
        if amends.record_id != record.pk:
            raise ValidationError({"amends": "更正的认定须属于同一条记录"})
        if current is None or current.pk != amends.pk:
            raise ValidationError({"amends": "只能更正该记录现行有效的认定"})
        if not (reason or "").strip():
            raise ValidationError({"reason": "更正认定须写明理由"})
    _validated(record, finding, grounds, measures)


def _decide(record, finding, grounds, measures, by, amends=None, reason="") -> Decision:
    grounds, cleaned = _validated(record, finding, grounds, measures)
    with transaction.atomic():
        decision = Decision.objects.create(
            record=record,
            finding=finding,
            grounds=grounds,
            decided_by=by,
            amends=amends,
            amendment_reason=reason,
        )
        for measure in cleaned:
            measure.decision = decision
        Measure.objects.bulk_create(cleaned)
    return decision


def record_finding(
    *, record: AccountabilityRecord, finding: str, grounds: str = "", measures: Sequence[dict] = (), by=None
) -> Decision:
    """The first finding on a record. A decided record is corrected by `amend_finding`, never edited."""
    with transaction.atomic():
        _require_open(record.case)
        if record.decisions.exists():
            raise ValidationError({"finding": "该记录已认定；更正请提交更正认定（amendment）"})
        try:
            return _decide(record, finding, grounds, measures, by)
        except IntegrityError:
            raise ValidationError({"finding": "该记录已认定；更正请提交更正认定（amendment）"}) from None


def amend_finding(
    *,
    record: AccountabilityRecord,
    finding: str,
    reason: str,
    grounds: str = "",
    measures: Sequence[dict] = (),
    by=None,
) -> Decision:
    """A correction: a new decision linked to the one it replaces; both stay in the record's history."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "更正认定须写明理由"})
    with transaction.atomic():
        _require_open(record.case)
        # `current()` joins the amending decision (an outer join): PostgreSQL locks only this side.
        current = Decision.objects.select_for_update(of=("self",)).current().filter(record=record).first()
        if current is None:
            raise ValidationError({"finding": "该记录尚未认定，无需更正"})
        try:
            return _decide(record, finding, grounds, measures, by, amends=current, reason=reason.strip())
        except IntegrityError:
            raise ValidationError({"finding": "该认定已被更正，请基于最新认定提交"}) from None


# ---- cause, corrective actions, education ------------------------------------------------------------


def record_cause(*, case: Case, cause: str, by=None) -> Case:
    """四不放过 (1): the cause as found; a later call replaces it (the case history keeps each version)."""
    if not cause.strip():
        raise ValidationError({"cause": "原因不能为空"})
    with transaction.atomic():
        _require_open(case)
        case.cause = cause.strip()
        case.cause_recorded_at = timezone.now()
        case._history_user = by
        case.save(update_fields=["cause", "cause_recorded_at"])
    return case


def add_corrective_action(
    *, case: Case, description: str, responsible: str = "", due_on: dt.date | None = None
) -> CorrectiveAction:
    if not description.strip():
        raise ValidationError({"description": "整改措施不能为空"})
    with transaction.atomic():
        _require_open(case)
        return CorrectiveAction.objects.create(
            case=case, description=description.strip(), responsible=responsible, due_on=due_on
        )


def complete_corrective_action(*, action: CorrectiveAction, done_on: dt.date, by=None) -> CorrectiveAction:
    with transaction.atomic():
        _require_open(action.case)
        locked = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
        if locked.done_on is not None:
            raise ValidationError({"done_on": "该整改措施已确认完成"})
        action.done_on = done_on
        action.verified_by = by
        action._history_user = by
        action.save(update_fields=["done_on", "verified_by"])
    return action


def record_education(*, case: Case, held_on: dt.date, description: str, participants: int = 0, by=None):
    if not description.strip():
        raise ValidationError({"description": "警示教育内容不能为空"})
    with transaction.atomic():
        _require_open(case)
        return EducationActivity.objects.create(
            case=case,
            held_on=held_on,
            description=description.strip(),
            participants=participants,
            recorded_by=by,
        )


def extend_investigation(*, case: Case, days: int, by=None) -> Case:
    """493号令 Art 29: the 60-day investigation may be extended once, by at most 60 days."""
    if case.accident_id is None:
        raise ValidationError({"days": "只有事故调查有法定调查期限"})
    if not 1 <= days <= INVESTIGATION_EXTENSION_MAX_DAYS:
        raise ValidationError({"days": f"延长天数须在 1 至 {INVESTIGATION_EXTENSION_MAX_DAYS} 天之间"})
    with transaction.atomic():
        _require_open(case)
        stored = Case.objects.values_list("investigation_extension_days", flat=True).get(pk=case.pk)
        if stored:
            raise ValidationError({"days": "调查期限只能延长一次"})
        case.investigation_extension_days = days
        case._history_user = by
        case.save(update_fields=["investigation_extension_days"])
    return case


# ---- 四不放过 --------------------------------------------------------------------------------------------

CAUSE = "cause_not_found"
PEOPLE = "people_not_dealt_with"
MEASURES = "measures_not_carried_out"
EDUCATION = "people_not_educated"


def closing_blockers(case: Case) -> list[tuple[str, str]]:
    """Which of the four conditions still fail, each with its message (empty when the case may close)."""
    blockers = []
    if not case.cause.strip():
        blockers.append((CAUSE, "事故原因未查清：尚未记录原因"))
    records = list(case.records.order_by("order").values_list("id", "snapshot"))
    current = {
        d["record_id"]: d
        for d in Decision.objects.current()
        .filter(record__case=case)
        .annotate(n_measures=Count("measures"))
        .values("record_id", "finding", "n_measures")
    }
    undecided = [snap for rid, snap in records if rid not in current]
    unpunished = [
        snap
        for rid, snap in records
        if rid in current
        and current[rid]["finding"] == Finding.RESPONSIBLE
        and not current[rid]["n_measures"]
    ]
    if undecided or unpunished:
        parts = []
        if undecided:
            parts.append(f"{len(undecided)} 条记录未认定（{_names(undecided)}）")
        if unpunished:
            parts.append(f"{len(unpunished)} 条负有责任的记录没有处理措施（{_names(unpunished)}）")
        blockers.append((PEOPLE, "责任人员未处理：" + "；".join(parts)))
    actions = list(case.corrective_actions.values_list("done_on", flat=True))
    if not actions:
        blockers.append((MEASURES, "整改措施未落实：尚未登记整改措施"))
    elif any(done is None for done in actions):
        pending = sum(1 for done in actions if done is None)
        blockers.append((MEASURES, f"整改措施未落实：{pending} 项整改措施未完成"))
    if not case.education.exists():
        blockers.append((EDUCATION, "有关人员未受到教育：尚未记录警示教育"))
    return blockers


def _names(snapshots, limit: int = 5) -> str:
    names = [
        "/".join(
            x
            for x in [
                s.get("unit_name"),
                s.get("position_title"),
                s.get("person_name") or ("空缺" if s.get("vacant") else ""),
            ]
            if x
        )
        for s in snapshots[:limit]
    ]
    return "、".join(names) + ("等" if len(snapshots) > limit else "")


class CaseNotClosable(ValidationError):
    def __init__(self, blockers: list[tuple[str, str]]):
        self.blockers = blockers
        super().__init__({code: message for code, message in blockers})


def close_case(*, case: Case, by=None) -> Case:
    """Close only when all four of 四不放过 hold; otherwise say which are missing."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.state == CaseState.CLOSED:
            return locked
        blockers = closing_blockers(locked)
        if blockers:
            raise CaseNotClosable(blockers)
        locked.state = CaseState.CLOSED
        locked.closed_at = timezone.now()
        locked.closed_by = by
        locked._history_user = by
        locked.save(update_fields=["state", "closed_at", "closed_by"])
    # The caller's copy says closed too, so a later write through it is refused without surprise.
    case.state, case.closed_at, case.closed_by = locked.state, locked.closed_at, locked.closed_by
    return locked
