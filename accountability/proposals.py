"""七、处理建议 of the 调查报告 as reports group it (report.py renders it): by channel, officials by the
cadre authority recorded, units never among the officials, proposals apart from the decisions that came back."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from responsibility.models import CadreAuthority

from .measures import SECTION_OF, SECTIONS
from .models import AccountabilityRecord, Decision, Measure
from .selectors import AUTHORITY_BODY


def recorded_authority(record: AccountabilityRecord) -> str:
    """干部管理权限 as recorded: the post's (as of the case), else the one a hand-over of the record named."""
    if record.authority:
        return record.authority
    return next((h.authority for h in record.handovers.all() if h.authority), "")


def is_unit_subject(record: AccountabilityRecord) -> bool:
    """A unit or an enterprise as such (no post, no person): never one of the 有关公职人员."""
    return not record.position_code and not record.person_code


@dataclass
class Proposal:
    """One subject's handling in the report: the record, its standing finding and measures of one section."""

    record: AccountabilityRecord
    decision: Decision
    measures: list[Measure]


AUTHORITY_ORDER = [*CadreAuthority.values, ""]


def _section_of(record: AccountabilityRecord, measure: Measure) -> str:
    """The report section of a measure: its channel's, but a unit's 组织处理 or 问责 is not an official's."""
    section = SECTION_OF[measure.channel]
    return "others" if section == "officials" and is_unit_subject(record) else section


def proposals_by_channel(records: list[AccountabilityRecord]) -> list[dict]:
    """七、处理建议 as reports group it: 司法; 公职人员 by cadre authority (the 纪检监察 body that decides);
    单位和其他人员. A subject appears in every section one of its measures belongs to.

    Proposals are the investigation's measures; a decision that came back from a hand-over is not one.
    A person handed over with no proposal of that section's channels still appears among the officials
    (建议移交处理). The authority is the one recorded (`recorded_authority`); a unit is never an official.
    """
    sections = []
    for code, label, _channels in SECTIONS:
        proposals = []
        for record in records:
            decision = getattr(record, "current_decision", None)
            if decision is None or decision.finding != "responsible":
                continue
            chosen = [
                m for m in decision.measures.all() if m.handover_id is None and _section_of(record, m) == code
            ]
            handed = (
                code == "officials" and not chosen and not is_unit_subject(record) and record.handovers.all()
            )
            if chosen or handed:
                proposals.append(Proposal(record, decision, chosen))
        groups = []
        if code == "officials":
            by_authority: dict[str, list[Proposal]] = defaultdict(list)
            for proposal in proposals:
                by_authority[recorded_authority(proposal.record)].append(proposal)
            for authority in AUTHORITY_ORDER:
                if by_authority.get(authority):
                    groups.append(
                        {
                            "authority": authority,
                            "label": CadreAuthority(authority).label if authority else "干部管理权限未登记",
                            "body": AUTHORITY_BODY.get(authority, ""),
                            "proposals": by_authority[authority],
                        }
                    )
        elif proposals:
            groups.append({"authority": "", "label": "", "body": "", "proposals": proposals})
        sections.append({"code": code, "label": label, "groups": groups})
    return sections
