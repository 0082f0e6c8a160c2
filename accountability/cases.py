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
from responsibility.models import LEVEL_RANK, CadreAuthority, DutyType, Person, Position, Track, Unit

from .events import accident_event, hazard_event, load_accident, load_hazard
from .grading import INVESTIGATION_DAYS, INVESTIGATION_EXTENSION_MAX_DAYS
from .measures import BY_CODE as MEASURE_KINDS
from .measures import CRIMINAL_ARTICLES, SUBJECT_KIND_LABELS, SubjectKind
from .models import (
    WITH_CATEGORY,
    Accident,
    AccountabilityRecord,
    AppraisalPeriod,
    Case,
    CaseNature,
    CaseState,
    Category,
    CorrectiveAction,
    Decision,
    EducationActivity,
    Finding,
    HandOver,
    Hazard,
    Investigator,
    InvestigatorRole,
    Measure,
    RecordOrigin,
    ReviewItem,
    SubjectType,
    UnitProblem,
)
from .selectors import AUTHORITY_BODY

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
        "authority": position.authority if position else "",
        "person_code": person.code if person else "",
        "person_name": person.name if person else "",
        "vacant": link.vacant,
        "unknown": link.unknown,
        "links": [],
    }


def _subject_type(unit, position, person) -> str:
    if position is not None:
        return SubjectType.POSITION
    if unit is None and person is not None:
        return SubjectType.ACTOR
    return SubjectType.UNIT


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
                subject_type=_subject_type(link.unit, link.position, link.person),
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
    entity: bool = False,
    origin: str = RecordOrigin.ADDED,
    by=None,
) -> AccountabilityRecord:
    """An investigator names a subject the chain did not (an official who colluded, say), with the reason.

    `entity=True` names an enterprise as a legal person (单位责任, DESIGN §6): enterprise track, the unit alone.
    """
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
    if entity:
        if track != Track.ENTERPRISE:
            raise ValidationError({"track": "单位责任只在主体责任轨道"})
        if unit is None or not unit.is_enterprise:
            raise ValidationError({"unit": "单位责任的主体须为企业"})
        if position is not None or person is not None:
            raise ValidationError({"person": "单位责任的主体是企业本身，不填岗位或人员"})
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
        "authority": position.authority if position else "",
        "person_code": key[3],
        "person_name": person.name if person else "",
        "vacant": False,
        "types": types,
        "links": [{"type": t, "basis": reason, "source": "investigation", "term": EVENT_DAY} for t in types],
        "term": EVENT_DAY,
    }
    subject_type = SubjectType.ENTITY if entity else _subject_type(unit, position, person)
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
            origin=origin,
            subject_type=subject_type,
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


PUBLIC_KINDS = frozenset({"party_committee", "government", "department", "other"})


def subject_kind(record: AccountabilityRecord) -> str:
    """Whom the record is about, for the fit of a measure: a public body's person, an enterprise's (or
    another) person, an enterprise as such, a party organisation, a public body as such."""
    unit_kind = record.snapshot.get("unit_kind", "")
    public = unit_kind in PUBLIC_KINDS
    if record.person_code or record.position_code:
        return SubjectKind.PUBLIC_PERSON if public else SubjectKind.ENTERPRISE_PERSON
    if unit_kind == "party_committee":
        return SubjectKind.PARTY_ORG
    return SubjectKind.PUBLIC_BODY if public else SubjectKind.ENTERPRISE


def _clean_measure(record: AccountabilityRecord, index: int, data: dict) -> Measure:
    kind = MEASURE_KINDS.get(data.get("kind", ""))
    where = f"measures[{index}]"
    if kind is None:
        raise ValidationError({f"{where}.kind": f"unknown measure {data.get('kind')!r}"})
    if kind.needs_person and not record.person_code:
        raise ValidationError({f"{where}.kind": f"{kind.label} 只能对个人适用，本记录没有具体人员"})
    subject = subject_kind(record)
    if subject not in kind.fits:
        fits = "、".join(SUBJECT_KIND_LABELS[k] for k in sorted(kind.fits))
        raise ValidationError(
            {f"{where}.kind": f"{kind.label} 适用于{fits}，本记录的主体是{SUBJECT_KIND_LABELS[subject]}"}
        )
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


def _validated(record, finding, grounds, measures, category="") -> tuple[str, str, list[Measure]]:
    if finding not in Finding.values:
        raise ValidationError({"finding": f"unknown finding {finding!r}"})
    grounds = (grounds or "").strip()
    category = (category or "").strip()
    if finding == Finding.EXEMPT and not grounds:
        raise ValidationError({"grounds": "尽职免责须写明履职事实与依据"})
    if finding in WITH_CATEGORY:
        if category not in Category.values:
            raise ValidationError(
                {"category": "认定负有责任须写明责任类别（直接责任、主要领导责任、监管责任等）"}
                if not category
                else {"category": f"unknown category {category!r}"}
            )
        nature = Case.objects.values_list("nature", flat=True).get(pk=record.case_id)
        if nature and nature != CaseNature.LIABILITY:
            raise ValidationError(
                {
                    "finding": f"事故性质为{CaseNature(nature).label}，不能认定负有责任（只有生产安全责任事故追责）"
                }
            )
    elif category:
        raise ValidationError({"category": "只有负有责任的认定才有责任类别"})
    measures = list(measures or [])
    if measures and finding != Finding.RESPONSIBLE:
        raise ValidationError(
            {"measures": "只有认定负有责任的才能给予处理措施（已死亡的免予追究）"}
            if finding == Finding.DECEASED
            else {"measures": "只有认定负有责任的才能给予处理措施"}
        )
    if finding == Finding.DECEASED and not record.person_code:
        raise ValidationError({"finding": "免予追究（已死亡）只适用于具体人员"})
    return grounds, category, [_clean_measure(record, i, m) for i, m in enumerate(measures)]


def check_decision(
    *,
    record: AccountabilityRecord,
    finding: str,
    grounds: str = "",
    measures: Sequence[dict] = (),
    amends: Decision | None = None,
    reason: str = "",
    category: str = "",
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
    _validated(record, finding, grounds, measures, category)


def _decide(record, finding, grounds, measures, by, amends=None, reason="", category="") -> Decision:
    grounds, category, cleaned = _validated(record, finding, grounds, measures, category)
    with transaction.atomic():
        decision = Decision.objects.create(
            record=record,
            finding=finding,
            category=category,
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
    *,
    record: AccountabilityRecord,
    finding: str,
    grounds: str = "",
    measures: Sequence[dict] = (),
    category: str = "",
    by=None,
) -> Decision:
    """The first finding on a record. A decided record is corrected by `amend_finding`, never edited."""
    with transaction.atomic():
        _require_open(record.case)
        if record.decisions.exists():
            raise ValidationError({"finding": "该记录已认定；更正请提交更正认定（amendment）"})
        try:
            return _decide(record, finding, grounds, measures, by, category=category)
        except IntegrityError:
            raise ValidationError({"finding": "该记录已认定；更正请提交更正认定（amendment）"}) from None


def amend_finding(
    *,
    record: AccountabilityRecord,
    finding: str,
    reason: str,
    grounds: str = "",
    measures: Sequence[dict] = (),
    category: str = "",
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
            return _decide(
                record,
                finding,
                grounds,
                measures,
                by,
                amends=current,
                reason=reason.strip(),
                category=category,
            )
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


# ---- the report's conclusions: nature, causes, course, problems, lessons, team -----------------------

_UNSET = object()


def record_conclusions(
    *,
    case: Case,
    nature=_UNSET,
    direct_cause=_UNSET,
    indirect_cause=_UNSET,
    course_and_rescue=_UNSET,
    lessons=_UNSET,
    by=None,
) -> Case:
    """事故性质, 直接/间接原因, 经过和救援, 主要教训: each given field replaces the stored one (history kept)."""
    with transaction.atomic():
        _require_open(case)
        fields = []
        if nature is not _UNSET:
            nature = nature or ""
            if nature and nature not in CaseNature.values:
                raise ValidationError({"nature": f"unknown nature {nature!r}"})
            if nature and case.hazard_id:
                raise ValidationError({"nature": "事故性质只适用于事故案件"})
            if nature and nature != CaseNature.LIABILITY:
                responsible = Decision.objects.current().filter(record__case=case, finding__in=WITH_CATEGORY)
                if responsible.exists():
                    raise ValidationError(
                        {"nature": f"已有负有责任的认定，不能定性为{CaseNature(nature).label}；请先更正认定"}
                    )
            case.nature = nature
            fields.append("nature")
        for name, value in (
            ("cause", direct_cause),
            ("indirect_cause", indirect_cause),
            ("course_and_rescue", course_and_rescue),
            ("lessons", lessons),
        ):
            if value is not _UNSET:
                setattr(case, name, (value or "").strip())
                fields.append(name)
        if "cause" in fields or "indirect_cause" in fields:
            case.cause_recorded_at = timezone.now() if case.cause else None
            fields.append("cause_recorded_at")
        case._history_user = by
        case.save(update_fields=fields)
    return case


def set_unit_problems(*, case: Case, unit: Unit, problems: str) -> UnitProblem:
    """有关责任单位存在的主要问题: one text per unit; a second call replaces it."""
    problems = (problems or "").strip()
    if not problems:
        raise ValidationError({"problems": "存在的主要问题不能为空"})
    with transaction.atomic():
        _require_open(case)
        row = UnitProblem.objects.filter(case=case, unit=unit).first()
        if row is None:
            order = (case.unit_problems.aggregate(m=Max("order"))["m"] or 0) + 1
            return UnitProblem.objects.create(case=case, unit=unit, problems=problems, order=order)
        row.problems = problems
        row.save(update_fields=["problems"])
        return row


def set_investigator(*, case: Case, unit: Unit, role: str) -> Investigator:
    """The 调查组 is the accident's Investigator rows (one list): add a unit or change its role."""
    if case.accident_id is None:
        raise ValidationError({"unit": "只有事故调查有调查组"})
    if role not in InvestigatorRole.values:
        raise ValidationError({"role": f"unknown role {role!r}"})
    with transaction.atomic():
        _require_open(case)
        row = Investigator.objects.filter(accident_id=case.accident_id, unit=unit).first()
        if role == InvestigatorRole.LEAD:
            lead = Investigator.objects.filter(accident_id=case.accident_id, role=InvestigatorRole.LEAD)
            if lead.exclude(unit=unit).exists():
                raise ValidationError({"role": "调查组已有牵头单位"})
        if row is None:
            order = (
                Investigator.objects.filter(accident_id=case.accident_id).aggregate(m=Max("order"))["m"] or 0
            ) + 1
            return Investigator.objects.create(
                accident_id=case.accident_id, unit=unit, role=role, order=order
            )
        row.role = role
        row.save(update_fields=["role"])
        return row


# ---- the timetable: appraisal periods and the State Council's period ---------------------------------


def _sync_appraisal_days(case: Case) -> None:
    case.appraisal_days = sum(p.days for p in case.appraisal_periods.all())
    case.save(update_fields=["appraisal_days"])


def add_appraisal_period(
    *, case: Case, start: dt.date, end: dt.date | None = None, subject: str = "", by=None
) -> AppraisalPeriod:
    """Art 27: technical appraisal time does not count; its days move the investigation due date."""
    if case.accident_id is None:
        raise ValidationError({"start": "只有事故调查有法定调查期限"})
    if start < case.event_day:
        raise ValidationError({"start": "鉴定开始日期不能早于事发日"})
    if end is not None and end < start:
        raise ValidationError({"end": "鉴定结束日期不能早于开始日期"})
    with transaction.atomic():
        _require_open(case)
        for other in case.appraisal_periods.all():
            other_end = other.end or dt.date.max
            if start <= other_end and (end or dt.date.max) >= other.start:
                raise ValidationError({"start": f"与已登记的鉴定期间（{other}）重叠"})
        period = AppraisalPeriod.objects.create(case=case, start=start, end=end, subject=subject.strip())
        case._history_user = by
        _sync_appraisal_days(case)
    return period


def end_appraisal_period(*, period: AppraisalPeriod, end: dt.date, by=None) -> AppraisalPeriod:
    if period.end is not None:
        raise ValidationError({"end": "该鉴定期间已结束"})
    if end < period.start:
        raise ValidationError({"end": "鉴定结束日期不能早于开始日期"})
    with transaction.atomic():
        case = _require_open(period.case)
        period.end = end
        period.save(update_fields=["end"])
        case = Case.objects.get(pk=case.pk)
        case._history_user = by
        _sync_appraisal_days(case)
    period.case.appraisal_days = case.appraisal_days
    return period


def set_investigation_period(*, case: Case, days: int, by=None) -> Case:
    """特别重大: the State Council sets the investigation period (days from the accident)."""
    if case.grade != "especially_major":
        raise ValidationError({"days": "只有特别重大事故由国务院确定调查期限"})
    if not INVESTIGATION_DAYS <= days <= 3650:
        # A longer period than Art 29's (the dashboard narrows overdue cases by the 60 days).
        raise ValidationError({"days": f"调查期限须在 {INVESTIGATION_DAYS} 至 3650 天之间"})
    with transaction.atomic():
        _require_open(case)
        case.set_period_days = days
        case._history_user = by
        case.save(update_fields=["set_period_days"])
    return case


# ---- hand-overs (问题线索移交) and the decisions that come back ------------------------------------------

HANDOVER_DECISION_DAYS = 90


def hand_over(
    *,
    case: Case,
    records: Sequence[AccountabilityRecord],
    handed_on: dt.date,
    receiving_body: str = "",
    authority: str = "",
    decision_due: dt.date | None = None,
    note: str = "",
    by=None,
) -> HandOver:
    """Hand responsible records to the body with authority; its decisions come back as measures."""
    records = list(records)
    if not records:
        raise ValidationError({"records": "须选择移交的责任认定记录"})
    if authority and authority not in CadreAuthority.values:
        raise ValidationError({"authority": f"unknown authority {authority!r}"})
    receiving_body = (receiving_body or "").strip() or AUTHORITY_BODY.get(authority, "")
    if not receiving_body:
        raise ValidationError({"receiving_body": "须写明接收机关"})
    decision_due = decision_due or handed_on + dt.timedelta(days=HANDOVER_DECISION_DAYS)
    if decision_due < handed_on:
        raise ValidationError({"decision_due": "反馈期限不能早于移交日期"})
    with transaction.atomic():
        _require_open(case)
        current = {
            d.record_id: d for d in Decision.objects.current().filter(record__in=[r.pk for r in records])
        }
        for record in records:
            if record.case_id != case.pk:
                raise ValidationError({"records": f"{record} 不属于本案"})
            decision = current.get(record.pk)
            if decision is None or decision.finding != Finding.RESPONSIBLE:
                raise ValidationError({"records": f"{record}：只有认定负有责任的记录才能移交处理"})
        handover = HandOver.objects.create(
            case=case,
            receiving_body=receiving_body,
            authority=authority,
            handed_on=handed_on,
            decision_due=decision_due,
            note=note.strip(),
        )
        handover.records.set(records)
    return handover


def record_handover_decision(
    *,
    handover: HandOver,
    record: AccountabilityRecord,
    measure: dict,
    document_number: str,
    decided_on: dt.date,
    by=None,
) -> Measure:
    """The decision that came back: a measure on the record's standing finding, with its document number."""
    document_number = (document_number or "").strip()
    if not document_number:
        raise ValidationError({"document_number": "须写明决定文号"})
    if decided_on < handover.handed_on:
        raise ValidationError({"decided_on": "决定日期不能早于移交日期"})
    with transaction.atomic():
        _require_open(handover.case)
        if not handover.records.filter(pk=record.pk).exists():
            raise ValidationError({"record": f"{record} 不在该移交中"})
        decision = Decision.objects.current().filter(record=record).first()
        if decision is None or decision.finding != Finding.RESPONSIBLE:
            raise ValidationError({"record": "该记录现行认定不是负有责任，不能登记处理结果"})
        cleaned = _clean_measure(record, 0, measure)
        cleaned.decision = decision
        cleaned.handover = handover
        cleaned.document_number = document_number
        cleaned.decided_on = decided_on
        cleaned.save()
        answered = set(
            Measure.objects.filter(handover=handover, decision__amended_by__isnull=True).values_list(
                "decision__record_id", flat=True
            )
        )
        if set(handover.records.values_list("pk", flat=True)) <= answered:
            handover.completed_on = decided_on
            handover.save(update_fields=["completed_on"])
    return cleaned


# ---- 回头看 ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewEntry:
    """One item of the 回头看: a corrective action or a measure, carried out or not; an undone one
    may name the subject held to account for it (a follow-up record)."""

    carried_out: bool
    corrective_action: CorrectiveAction | None = None
    measure: Measure | None = None
    note: str = ""
    follow_up: dict | None = None  # add_subject's keywords: track, types, unit, position, person


def record_review(
    *, case: Case, reviewed_on: dt.date, entries: Sequence[ReviewEntry], by=None
) -> list[ReviewItem]:
    """安全生产法 Art 86: the evaluation a year on. Anything undone reopens the case, which closes again
    only under 四不放过: an undone 整改措施 is registered again, an undone 处理建议 may name a subject."""
    if not entries:
        raise ValidationError({"entries": "回头看须逐项评估整改措施建议和处理建议"})
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        items = []
        undone = [e for e in entries if not e.carried_out]
        if undone and locked.state == CaseState.CLOSED:
            locked.state, locked.closed_at, locked.closed_by = CaseState.OPEN, None, None
            locked._history_user = by
            locked.save(update_fields=["state", "closed_at", "closed_by"])
        for i, entry in enumerate(entries):
            if (entry.corrective_action is None) == (entry.measure is None):
                raise ValidationError({f"entries[{i}]": "每项须且只能是一条整改措施或一条处理措施"})
            owner = (
                entry.corrective_action.case_id
                if entry.corrective_action
                else entry.measure.decision.record.case_id
            )
            if owner != case.pk:
                raise ValidationError({f"entries[{i}]": "该项不属于本案"})
            follow_up = None
            if not entry.carried_out:
                what = entry.corrective_action.description if entry.corrective_action else str(entry.measure)
                if entry.corrective_action is not None:
                    CorrectiveAction.objects.create(
                        case=case,
                        description=f"（回头看未落实）{entry.corrective_action.description}",
                        responsible=entry.corrective_action.responsible,
                    )
                if entry.follow_up:
                    follow_up = add_subject(
                        case=case,
                        reason=f"回头看（{reviewed_on}）：{what} 未落实。{entry.note}".strip(),
                        origin=RecordOrigin.REVIEW,
                        by=by,
                        **entry.follow_up,
                    )
            items.append(
                ReviewItem.objects.create(
                    case=case,
                    reviewed_on=reviewed_on,
                    corrective_action=entry.corrective_action,
                    measure=entry.measure,
                    carried_out=entry.carried_out,
                    note=entry.note.strip(),
                    follow_up=follow_up,
                )
            )
        locked.review_done_on = reviewed_on
        locked.save(update_fields=["review_done_on"])
    case.state, case.review_done_on = locked.state, reviewed_on
    return items


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
    elif case.nature == CaseNature.LIABILITY and not case.indirect_cause.strip():
        blockers.append((CAUSE, "事故原因未查清：责任事故须写明间接原因"))
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
    parts = []
    if undecided or unpunished:
        if undecided:
            parts.append(f"{len(undecided)} 条记录未认定（{_names(undecided)}）")
        if unpunished:
            parts.append(f"{len(unpunished)} 条负有责任的记录没有处理措施（{_names(unpunished)}）")
    waiting = list(case.handovers.filter(completed_on__isnull=True).values_list("receiving_body", flat=True))
    if waiting:
        parts.append(f"{len(waiting)} 项移交尚未反馈处理结果（{'、'.join(waiting)}）")
    if parts:
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
