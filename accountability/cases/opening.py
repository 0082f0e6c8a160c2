"""Opening a case: freeze the chain of the event day into accountability records; add subjects later."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from responsibility.chain import EARLIER, EVENT_DAY, Link, investigating_level
from responsibility.models import LEVEL_RANK, DutyType, Person, Position, Track, Unit

from ..events import accident_event, hazard_event, load_accident, load_hazard
from ..models import (
    Accident,
    AccountabilityRecord,
    Case,
    GovFinding,
    Hazard,
    RecordOrigin,
    SubjectType,
)
from ..unit_chain import unit_chain
from .findings import _require_open


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


def investigated_by_team(
    link: Link, team: Sequence[Unit], grade: str | None, investigation_level: str | None = None
) -> bool:
    """§5.9: nobody examines themselves — a link whose unit is on the 调查组 (or inside a team unit) and
    sits at or above the level that investigates (the grade's, or §5.11's raised level). A lower unit on
    the team keeps its records."""
    if link.unit is None or not team:
        return False
    level = investigating_level(grade, investigation_level)
    at_or_above = LEVEL_RANK[link.unit.region.level] <= LEVEL_RANK[level]
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
    """The team's units of the matrix (bodies outside it have no records to leave out; withdrawn ones none)."""
    return [row.unit for row in accident.investigator_rows.all() if row.unit_id and row.withdrawn_at is None]


def _chain_for_case(traced, accident: Accident | None) -> list[Link]:
    """The traced chain less the investigation team's own part (§5.9), which goes to the body above."""
    links = traced.links()
    team = investigation_team(accident) if accident is not None else []
    return [
        link
        for link in links
        if not investigated_by_team(link, team, traced.grade, traced.investigation_level)
    ]


@dataclass(frozen=True)
class OpenedCase:
    case: Case
    created: bool


def _case_fields(accident: Accident | None, hazard: Hazard | None, finding: GovFinding | None = None) -> dict:
    if finding is not None:
        return {
            "code": f"CASE-F-{finding.code}",
            "title": f"{finding.title or finding.code}（{finding.assigned_unit.name}整改不力）问责",
            "grade": "",
            "event_day": finding.deadline,
        }
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
    finding: GovFinding | None = None,
    by=None,
    today: dt.date | None = None,
    change_reason: str = "",
) -> OpenedCase:
    """Open the case of an accident, an overdue hazard or an overdue government finding (问责 for
    整改不力), or return the one already open.

    At most one case per source, also under concurrent requests: the source columns are unique,
    so a second insert fails and the loser returns the winner's case.
    """
    given = {"accident": accident, "hazard": hazard, "finding": finding}
    source = {name: value for name, value in given.items() if value is not None}
    if len(source) != 1:
        raise ValidationError("open_case needs exactly one of an accident, a hazard and a finding")
    existing = Case.objects.filter(**source).first()
    if existing is not None:
        return OpenedCase(existing, False)
    if finding is not None:
        return _open_finding_case(finding, by=by, today=today, change_reason=change_reason)
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


def _open_finding_case(finding: GovFinding, *, by, today, change_reason: str) -> OpenedCase:
    """DESIGN §3 with the unit as the event's place: the assigned unit's chain on the deadline."""
    if not finding.is_overdue(today):
        raise ValidationError(
            {
                "finding": f"{finding.code}: 问题未逾期（状态 {finding.get_state_display()}，期限 {finding.deadline}），不能立案问责"
            }
        )
    links = unit_chain(finding.assigned_unit, finding.deadline, finding.sector)
    try:
        with transaction.atomic():
            case = Case(**_case_fields(None, None, finding), opened_by=by, finding=finding)
            case._history_user = by
            if change_reason:
                case._change_reason = change_reason
            case.save(force_insert=True)
            AccountabilityRecord.objects.bulk_create(records_from_links(case, links))
    except IntegrityError:
        winner = Case.objects.filter(finding=finding).first()
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
        same = case.records.filter(track=track, unit_code=key[1], position_code=key[2], person_code=key[3])
        # 回头看 may hold a subject of the case to account again: a new record in its own round.
        if origin == RecordOrigin.REVIEW:
            if same.filter(origin=RecordOrigin.REVIEW).exists():
                raise ValidationError({"person": "该责任主体已在回头看中追责"})
        elif same.exclude(origin=RecordOrigin.REVIEW).exists():
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
