"""The 调查报告 as data, in the structure of published reports (DOMAIN.md, "How investigations conclude"):
one selector for the print page and the Word document (report_docx.py), so they cannot drift apart.
处理建议 are grouped by channel and, for public officials, by cadre authority; the annex lists the 调查组.
"""

from __future__ import annotations

from django.utils import timezone

from responsibility.models import DutyType, PartyRole

from .measures import label_of
from .models import Case, CaseNature, InvestigatorRole
from .money import yuan_text
from .proposals import proposals_by_channel
from .selectors import _team, case_records
from .team_checks import team_conflicts

# The report's sections, in DOMAIN.md's order (the annex follows them).
HEADINGS = [
    "一、基本情况",
    "二、事故发生经过和应急救援情况",
    "三、人员伤亡和直接经济损失情况",
    "四、事故原因",
    "五、事故性质",
    "六、有关责任单位和人员存在的主要问题及责任认定",
    "七、处理建议",
    "八、主要教训",
    "九、防范和整改措施建议",
]
ANNEX = "附件：事故调查组组成"

CHINESE_NUMBERS = "一二三四五六七八九十"


def _who(record) -> str:
    snap = record.snapshot
    name = snap.get("person_name") or ("（空缺）" if record.vacant else "")
    if record.subject_type == "entity":
        return snap.get("unit_name", "")
    parts = [snap.get("unit_name", ""), snap.get("position_title", "")]
    head = "".join(p for p in parts if p)
    return f"{name}，{head}" if name and head else name or head


def _term(record) -> str:
    return f"（{record.term_note}）" if record.term_note else ""


def _measure_text(measure) -> str:
    """A proposed measure as reports write it (money in 万元); a decision that came back is not a proposal."""
    text = label_of(measure.kind).split("：", 1)[-1]
    extra = [
        f"刑法第{measure.article}条" if measure.article else "",
        yuan_text(measure.amount_yuan),
        measure.detail,
    ]
    extra = [e for e in extra if e]
    return text + (f"（{'，'.join(extra)}）" if extra else "")


# ---- the sections: one selector for the Word document and the print page ----------------------------
#
# A section is {"code", "heading", "blocks"}; a block is one of
#   {"kind": "sub", "text"}                         a numbered sub-heading （一）…
#   {"kind": "para", "text", "indent"}              a paragraph
#   {"kind": "lead", "text"}                        a bold run-in line (a group's head)
#   {"kind": "table", "code", "headers", "rows"}    rows are {"cells": [...], "id": "" or an anchor}
#   {"kind": "group", "channel", "authority", "head", "items"}   处理建议 of one channel and authority


def _sub(text: str) -> dict:
    return {"kind": "sub", "text": text}


def _p(text: str, indent: bool = True) -> dict:
    return {"kind": "para", "text": text, "indent": indent}


def _lines(text: str, pending: str) -> list[dict]:
    return [_p(line.strip()) for line in (text or "").splitlines() if line.strip()] or [_p(pending)]


def _grid(code: str, headers: list[str], rows: list[list[str]], ids: list[str] | None = None) -> dict:
    ids = ids or [""] * len(rows)
    return {
        "kind": "table",
        "code": code,
        "headers": headers,
        "rows": [{"cells": cells, "id": anchor} for cells, anchor in zip(rows, ids, strict=True)],
    }


def _basic_facts(case: Case, records) -> list[dict]:
    accident = case.accident
    if case.finding_id:
        finding = case.finding
        return [
            _p(
                f"{finding.assigned_unit.name}，{finding.get_source_display()}反馈问题：{finding.title}"
                f"（整改期限 {finding.deadline}，{finding.get_state_display()}）"
            )
        ]
    if accident is None:
        hazard = case.hazard
        return [
            _p(
                f"{hazard.enterprise.name}，{hazard.sector.name}，{hazard.get_level_display()}：{hazard.title}"
            )
        ]
    where = accident.enterprise.name if accident.enterprise else accident.region.name
    blocks = [
        _p(
            f"{timezone.localtime(accident.occurred_at):%Y年%m月%d日%H时%M分}，{where}发生{accident.title or accident.code}"
            f"（{accident.region.name}，{accident.sector.name}）。"
        ),
    ]
    if accident.is_raised:
        # §5.11: a higher body took the investigation over; the report says so where it opens.
        blocks.append(_p(f"提级调查：{accident.investigating_body}（{accident.get_grade_display()}）。"))
    blocks.append(_sub("（一）事发单位及有关单位情况"))
    rows = []
    if accident.enterprise:
        rows.append([accident.enterprise.name, "事发单位", accident.enterprise.region.name])
    for party in accident.parties.select_related("enterprise__region", "unit", "post"):
        # §5.12: where the party's own people were working (its crew), beside where it sits
        site = "，".join(
            part
            for part in (
                f"作业班组：{party.unit.name}" if party.unit else "",
                f"岗位：{party.post.title}" if party.post else "",
            )
            if part
        )
        where = party.enterprise.region.name + (f"（{site}）" if site else "")
        rows.append([party.enterprise.name, party.get_role_display(), where])
    for actor in accident.actors.select_related("person", "of"):
        rows.append([actor.person.name, actor.get_role_display(), actor.of.name if actor.of else ""])
    blocks.append(_grid("parties", ["单位或人员", "身份", "所在地或关联企业"], rows))
    blocks.append(_sub("（二）有关监管部门、属地及其职责"))
    duties: dict[str, list[str]] = {}
    # From the records already read (chain order), not another query.
    for record in (r for r in records if r.track == "supervision"):
        unit = record.snapshot.get("unit_name", "")
        for link in record.snapshot.get("links", []):
            label = (
                DutyType(link["type"]).label.split("（")[0]
                if link["type"] in DutyType.values
                else link["type"]
            )
            if label not in duties.setdefault(unit, []):
                duties[unit].append(label)
    blocks.append(
        _grid("duties", ["单位", "职责"], [[unit, "、".join(labels)] for unit, labels in duties.items()])
    )
    return blocks


def _casualties(case: Case) -> list[dict]:
    accident = case.accident
    if accident is None:
        return [_p("逾期未整改的重大事故隐患，未造成人员伤亡。")]
    return [
        _p(
            f"事故造成{accident.deaths}人死亡、{accident.serious_injuries}人重伤（含急性工业中毒），"
            f"直接经济损失{yuan_text(accident.direct_loss_yuan)}；事故等级为{case.get_grade_display() or '—'}。"
        )
    ]


def _causes(case: Case) -> list[dict]:
    return [
        _sub("（一）直接原因"),
        *_lines(case.cause, "（尚未认定）"),
        _sub("（二）间接原因"),
        *_lines(case.indirect_cause, "（尚未认定）"),
    ]


def _nature(case: Case, source) -> list[dict]:
    if not case.nature:
        return [_p("（尚未认定）")]
    return [_p(f"经调查认定，{source.title or source.code}是一起{CaseNature(case.nature).label}。")]


def _finding_text(decision) -> str:
    if decision is None:
        return "尚未认定"
    finding = decision.get_finding_display()
    if decision.category:
        finding = f"负有{decision.get_category_display()}" + (
            "，鉴于其已在事故中死亡，免予追究" if decision.finding == "deceased" else ""
        )
    return finding


def _track_text(record) -> str:
    """The record's track; on the enterprise track, whose block it is in when not the event's own enterprise
    (a party's leadership, or §5.12 its crew: 主体责任（施工总承包：某公司）)."""
    if record.track != "enterprise":
        return "监管责任"
    for link in record.snapshot.get("links", []):
        role, name = link.get("role", ""), link.get("enterprise_name", "")
        if role and role != PartyRole.MAIN and name and role in PartyRole.values:
            return f"主体责任（{PartyRole(role).label}：{name}）"
    return "主体责任"


def _findings(case: Case, records) -> list[dict]:
    problems = list(case.unit_problems.select_related("unit"))
    blocks = [_sub("（一）有关责任单位存在的主要问题")]
    blocks += [_p(f"{n}. {row.unit.name}：{row.problems}") for n, row in enumerate(problems, start=1)] or [
        _p("（尚未登记）")
    ]
    blocks.append(_sub("（二）责任认定"))
    rows = [
        [
            _who(record) + _term(record),
            _track_text(record),
            _finding_text(record.current_decision),
        ]
        for record in records
    ]
    blocks.append(
        _grid("findings", ["责任单位或人员", "轨道", "认定"], rows, [f"record-{r.pk}" for r in records])
    )
    return blocks


def _proposals(records) -> list[dict]:
    blocks = []
    for n, section in enumerate(proposals_by_channel(records)):
        blocks.append(_sub(f"（{CHINESE_NUMBERS[n]}）{section['label']}"))
        if not section["groups"]:
            blocks.append(_p("无。"))
            continue
        count = 0
        for group in section["groups"]:
            head = ""
            if group["authority"]:
                body = f"，移交{group['body']}" if group["body"] else ""
                head = f"{group['label']}干部{body}："
            elif group["label"]:
                head = f"{group['label']}的人员："
            items = []
            for proposal in group["proposals"]:
                count += 1
                category = proposal.decision.get_category_display()
                measures = "；".join(
                    _measure_text(m) for m in proposal.measures
                ) or "移交{}依规依纪依法处理".format(
                    "、".join(dict.fromkeys(h.receiving_body for h in proposal.record.handovers.all()))
                )
                items.append(
                    f"{count}. {_who(proposal.record)}{_term(proposal.record)}，负有{category}。建议：{measures}。"
                )
            blocks.append(
                {
                    "kind": "group",
                    "channel": section["code"],
                    "authority": group["authority"],
                    "head": head,
                    "items": items,
                }
            )
    deceased = [r for r in records if r.current_decision and r.current_decision.finding == "deceased"]
    if deceased:
        blocks.append({"kind": "lead", "text": "对在事故中死亡的责任人员，鉴于其已死亡，免予追究："})
        blocks += [
            _p(f"{_who(record)}（负有{record.current_decision.get_category_display()}）。")
            for record in deceased
        ]
    return blocks


def _corrective(case: Case) -> list[dict]:
    actions = list(case.corrective_actions.order_by("id"))
    blocks = []
    for n, action in enumerate(actions, start=1):
        who = f"（{action.responsible}）" if action.responsible else ""
        blocks.append(
            _p(
                f"{CHINESE_NUMBERS[n - 1]}是{action.description}{who}。"
                if n <= 10
                else f"{n}. {action.description}{who}。"
            )
        )
    return blocks or [_p("（尚未登记）")]


def _annex(case: Case, records) -> list[dict]:
    team = _team(case)
    labels = {
        InvestigatorRole.LEAD: "牵头单位",
        InvestigatorRole.MEMBER: "成员单位",
        InvestigatorRole.PROCURATORATE: "邀请的检察机关",
        InvestigatorRole.EXPERT: "专家组",
        InvestigatorRole.COMMISSION: "邀请的纪委监委",
    }

    def named(row) -> str:
        return row.display_name + (f"（{row.duty}）" if row.duty else "")

    by_role = {role: [named(r) for r in team if r.role == role] for role in InvestigatorRole.values}
    blocks = [
        _grid(
            "team",
            ["组成", "单位"],
            # The four roles of DOMAIN.md always; an invited 纪委监委 when the team has one.
            [
                [labels[r], "、".join(by_role[r]) or "—"]
                for r in InvestigatorRole.values
                if r != InvestigatorRole.COMMISSION or by_role[r]
            ],
        )
    ]
    for conflict in team_conflicts(case, team, records):
        names = "、".join(_who(r) for r in conflict["records"][:5]) + (
            "等" if len(conflict["records"]) > 5 else ""
        )
        blocks.append(
            _p(
                f"注意：调查组成员{conflict['member'].display_name}的人员（{names}）是本案调查层级及以上的责任主体，"
                "应当回避，其责任由上级另行处理。"
            )
        )
    return blocks


def report_sections(case: Case) -> dict:
    """The 调查报告 of a case as data: title and the sections in DOMAIN.md's order, the annex last.

    Both the Word document and the print page render this, so they cannot drift apart. A fixed number
    of queries, whatever the number of records, measures, problems or corrective actions.
    """
    records = case_records(case, handovers=True)
    source = case.source
    bodies = [
        ("basic", _basic_facts(case, records)),
        ("course", _lines(case.course_and_rescue, "（尚未记录事故经过和应急救援情况）")),
        ("casualties", _casualties(case)),
        ("causes", _causes(case)),
        ("nature", _nature(case, source)),
        ("findings", _findings(case, records)),
        ("proposals", _proposals(records)),
        ("lessons", _lines(case.lessons, "（尚未记录）")),
        ("corrective", _corrective(case)),
        ("annex", _annex(case, records)),
    ]
    return {
        "title": f"{source.title or source.code}调查报告",
        "code": case.code,
        "sections": [
            {"code": code, "heading": heading, "blocks": blocks}
            for (code, blocks), heading in zip(bodies, [*HEADINGS, ANNEX], strict=True)
        ],
    }
