"""The 结案 record (处理情况报告 / 结案报告) as data: how the case was dealt with, for the print page and
Word (report_docx.py), in report.py's shape of sections and blocks so both render it alike.

Per subject the finding, the proposal (处理建议, the investigation's measures) and — apart from it —
each decision that came back from a hand-over with its body, date and 文号; the hand-overs with their
干部管理权限 and feedback; the 四不放过 check item by item with dates; corrections and withdrawals;
警示教育; 整改措施; 回头看. An open case's record says what is still missing.

Entries are read through the models' managers, so an entry a manager leaves out (withdrawn) counts
nowhere here either; entries that carry a withdrawal are listed under 更正和撤销 only.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .cases.closing import CAUSE, EDUCATION, MEASURES, PEOPLE, REOPENED, case_reopenings, closing_blockers
from .measures import label_of
from .models import Case, Finding
from .money import yuan_text
from .report import _finding_text, _grid, _p, _term, _who
from .selectors import case_handovers, case_records
from .withdrawals import case_withdrawals

HEADINGS = [
    ("basic", "一、案件基本情况"),
    ("subjects", "二、责任认定和处理情况"),
    ("handovers", "三、问题线索移交和处理结果反馈"),
    ("four_nots", "四、“四不放过”落实情况"),
    ("actions", "五、整改措施落实情况"),
    ("education", "六、警示教育"),
    ("corrections", "七、更正和撤销"),
    ("review", "八、回头看"),
    ("closing", "九、结案情况"),
]

FOUR_NOTS = [
    (CAUSE, "事故原因未查清不放过"),
    (PEOPLE, "事故责任者未受到处理不放过"),
    (MEASURES, "整改措施未落实不放过"),
    (EDUCATION, "有关人员未受到教育不放过"),
]


def _day(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localdate(value)
    return value.isoformat()


def _user(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _withdrawn_row(entry, what: str, text: str) -> list[str] | None:
    """An entry's withdrawal (撤销) as a row of 更正和撤销: date, what, which, who, why; None while it stands
    (and for entries that cannot be withdrawn)."""
    on = getattr(entry, "withdrawn_at", None) or getattr(entry, "withdrawn_on", None)
    if not on:
        return None
    reason = getattr(entry, "withdrawn_reason", "") or getattr(entry, "withdrawal_reason", "")
    return [_day(on), what, text, _user(getattr(entry, "withdrawn_by", None)), reason]


def measure_text(measure) -> str:
    """A measure as the reports write it: the form, then article, amount (万元), period and detail."""
    text = label_of(measure.kind).split("：", 1)[-1]
    extra = [
        f"刑法第{measure.article}条" if measure.article else "",
        yuan_text(measure.amount_yuan),
        f"影响期{measure.period_months}个月" if measure.period_months else "",
        measure.detail,
    ]
    extra = [e for e in extra if e]
    return text + (f"（{'，'.join(extra)}）" if extra else "")


def _decision_text(measure, bodies: dict[int, str]) -> str:
    """One decision that came back: body, date and 文号, then the measure."""
    body = bodies.get(measure.handover_id, "")
    head = "，".join(x for x in (body, _day(measure.decided_on), measure.document_number) if x)
    return f"{head}：{measure_text(measure)}"


def _status_lines(case: Case, blockers) -> list[str]:
    if case.is_closed:
        return [f"已结案（{_day(case.closed_at)}{('，' + _user(case.closed_by)) if case.closed_by else ''}）"]
    if not blockers:
        return ["调查处理中：“四不放过”均已落实，尚未办理结案"]
    return ["调查处理中，尚未结案"]


def _basic(case: Case) -> list[dict]:
    source = case.source
    kind = "事故" if case.accident_id else ("督查反馈问题" if case.finding_id else "逾期未整改的重大事故隐患")
    what = f"{source.title or source.code}（{kind}）"
    blocks = [
        _p(
            f"{what}，事发（责任认定）日期{case.event_day:%Y年%m月%d日}，等级{case.get_grade_display() or '—'}。"
        )
    ]
    rows = [["立案", _day(case.opened_at), _user(case.opened_by)]]
    if case.accident_id:
        due = case.investigation_due
        rows.append(
            [
                "调查期限",
                _day(due),
                f"含延长{case.investigation_extension_days}天" if case.investigation_extension_days else "",
            ]
        )
    rows.append(["调查报告提交", _day(case.report_submitted_on) or "尚未提交", ""])
    rows.append(
        [
            "批复",
            _day(case.reply_on) or "尚未批复",
            f"批复期限 {_day(case.reply_due)}" if case.reply_due else "",
        ]
    )
    rows.append(
        [
            "回头看",
            _day(case.review_done_on) or "尚未开展",
            f"应于 {_day(case.review_due)} 前" if case.review_due else "",
        ]
    )
    rows.append(["结案", _day(case.closed_at) or "尚未结案", _user(case.closed_by)])
    blocks.append(_grid("timeline", ["事项", "日期", "说明"], rows))
    return blocks


def _subjects(records, bodies: dict[int, str]) -> list[dict]:
    """Each subject with a finding or a hand-over: the proposal and the decisions in separate columns."""
    rows, ids = [], []
    undecided = []
    for record in records:
        decision = record.current_decision
        if decision is None:
            undecided.append(record)
            continue
        measures = list(decision.measures.all())
        proposals = [m for m in measures if m.handover_id is None]
        decisions = [m for m in measures if m.handover_id is not None]
        finding = _finding_text(decision)
        if decision.grounds:
            finding += f"（{decision.grounds}）"
        if decision.finding == Finding.RESPONSIBLE:
            proposal = "；".join(measure_text(m) for m in proposals) or (
                f"免予处理（{decision.no_measure_reason}）" if decision.no_measure_reason else "无"
            )
            came_back = "；".join(_decision_text(m, bodies) for m in decisions) or "尚无处理结果"
        else:
            proposal, came_back = "—", "—"
        rows.append([_who(record) + _term(record), finding, proposal, came_back])
        ids.append(f"closing-record-{record.pk}")
    blocks = [
        _grid(
            "subjects",
            ["责任单位或人员", "责任认定", "处理建议", "处理结果（机关、日期、文号）"],
            rows,
            ids,
        )
    ]
    if undecided:
        names = "、".join(_who(r) for r in undecided[:10]) + ("等" if len(undecided) > 10 else "")
        blocks.append(_p(f"尚未认定 {len(undecided)} 条：{names}。"))
    return blocks


def _feedback(handover, today: dt.date) -> str:
    if handover.completed_on:
        return f"已于 {_day(handover.completed_on)} 全部反馈"
    if handover.decision_due < today:
        return f"逾期未反馈（期限 {_day(handover.decision_due)}）"
    return f"待反馈（期限 {_day(handover.decision_due)}）"


def _handovers(handovers, today: dt.date) -> list[dict]:
    rows = []
    for handover in handovers:
        people = {r.pk: _who(r) for r in handover.records.all()}
        results = [
            f"{people.get(m.decision.record_id, '')}：{measure_text(m)}（{m.document_number}，{_day(m.decided_on)}）"
            for m in handover.measures.all()
        ]
        rows.append(
            [
                _day(handover.handed_on),
                handover.receiving_body,
                handover.get_authority_display() or "—",
                "、".join(people.values()),
                _feedback(handover, today),
                "；".join(results) or "—",
            ]
        )
    if not rows:
        return [_p("本案未移交问题线索。")]
    return [
        _grid("handovers", ["移交日期", "接收机关", "干部管理权限", "移交人员", "反馈情况", "处理结果"], rows)
    ]


def _four_nots(case: Case, blockers, records, handovers, actions, education) -> list[dict]:
    missing = dict(blockers)
    decided = [r.current_decision for r in records if r.current_decision]
    last_decision = max((d.decided_at for d in decided), default=None)
    last_feedback = max((h.completed_on for h in handovers if h.completed_on), default=None)
    done = [a.done_on for a in actions if a.done_on]
    evidence = {
        CAUSE: (
            "已记录直接原因" + ("和间接原因" if case.indirect_cause else ""),
            _day(case.cause_recorded_at),
        ),
        PEOPLE: (
            f"{len(decided)} 条记录已认定；{sum(1 for h in handovers if h.completed_on)} 项移交已反馈",
            "，".join(
                x
                for x in (
                    f"认定 {_day(last_decision)}" if last_decision else "",
                    f"反馈 {_day(last_feedback)}" if last_feedback else "",
                )
                if x
            ),
        ),
        MEASURES: (
            f"{len(done)} / {len(actions)} 项整改措施已完成",
            f"最后完成 {_day(max(done))}" if done else "",
        ),
        EDUCATION: (
            f"警示教育 {len(education)} 次，共 {sum(e.participants for e in education)} 人次",
            "、".join(_day(e.held_on) for e in education),
        ),
    }
    rows = []
    for code, label in FOUR_NOTS:
        said, dates = evidence[code]
        ok = code not in missing
        rows.append([label, "已落实" if ok else "未落实", missing.get(code) or said, dates])
    return [
        _grid(
            "four_nots", ["条件", "结论", "情况", "日期"], rows, [f"closing-{code}" for code, _ in FOUR_NOTS]
        )
    ]


def _actions(actions, today: dt.date) -> list[dict]:
    rows = []
    for action in actions:
        if action.done_on:
            status = f"已完成（{_day(action.done_on)}）"
        elif action.due_on and action.due_on < today:
            status = "逾期未完成"
        else:
            status = "未完成"
        rows.append([action.description, action.responsible, _day(action.due_on) or "—", status])
    if not rows:
        return [_p("尚未登记整改措施。")]
    return [_grid("actions", ["整改措施", "责任单位/人", "完成期限", "落实情况"], rows)]


def _education(education) -> list[dict]:
    rows = [[_day(e.held_on), e.description, str(e.participants)] for e in education]
    if not rows:
        return [_p("尚未记录警示教育。")]
    return [_grid("education", ["日期", "警示教育内容", "参加人数"], rows)]


def _corrections(case, records, team) -> list[dict]:
    """Amended findings (the earlier finding kept) and every withdrawn or corrected entry (read through the
    managers that include them: `withdrawals.case_withdrawals`), with who, when and why."""
    rows = []
    for record in records:
        for decision in record.decision_history:
            if decision.amends_id is None:
                continue
            rows.append(
                [
                    _day(decision.decided_at),
                    "更正认定",
                    f"{_who(record)}：{_finding_text(decision.amends)} → {_finding_text(decision)}",
                    _user(decision.decided_by),
                    decision.amendment_reason,
                ]
            )
    for entry in case_withdrawals(case):
        what = ("更正" if entry["corrected"] else "撤销") + entry["kind"]
        rows.append([_day(entry["at"]), what, entry["text"], _user(entry["by"]), entry["reason"]])
    for member in team:
        rows.append(_withdrawn_row(member, "撤销调查组成员", str(member)))
    for reopening in case_reopenings(case):
        reason = reopening.history_change_reason.removeprefix(REOPENED)
        rows.append(
            [_day(reopening.history_date), "重新开启案件", case.code, _user(reopening.history_user), reason]
        )
    rows = [row for row in rows if row]
    if not rows:
        return [_p("无更正或撤销。")]
    rows.sort(key=lambda row: row[0])
    return [_grid("corrections", ["日期", "事项", "内容", "经办人", "理由"], rows)]


def _review(case: Case, items) -> list[dict]:
    if not items:
        due = f"，应于 {_day(case.review_due)} 前开展" if case.review_due else ""
        return [_p(f"尚未开展回头看{due}。")]
    rows = []
    for item in items:
        if item.corrective_action_id:
            what = f"整改措施：{item.corrective_action.description}"
        else:
            what = f"处理建议：{_who(item.measure.decision.record)}，{measure_text(item.measure)}"
        rows.append(
            [
                _day(item.reviewed_on),
                what,
                "已落实" if item.carried_out else "未落实",
                item.note,
                _who(item.follow_up) if item.follow_up_id else "",
            ]
        )
    return [_grid("review", ["评估日期", "事项", "是否落实", "评估说明", "追责记录"], rows)]


def _closing(case: Case, blockers) -> list[dict]:
    if case.is_closed:
        return [_p(f"“四不放过”均已落实，本案于{_day(case.closed_at)}结案。")]
    if not blockers:
        return [_p("“四不放过”均已落实，尚未办理结案。")]
    return [
        _p("本案尚未结案，仍缺：", indent=False),
        *[_p(f"{n}. {message}") for n, (_, message) in enumerate(blockers, start=1)],
    ]


def closing_sections(case: Case, today: dt.date | None = None) -> dict:
    """The 结案 record of a case as data (title, status lines, sections): the print page and Word render it.

    A fixed number of queries, whatever the number of records, hand-overs or entries.
    """
    today = today or timezone.localdate()
    source = case.source
    records = case_records(case)
    handovers = case_handovers(case)
    bodies = {h.pk: h.receiving_body for h in handovers}
    actions = list(case.corrective_actions.order_by("id"))
    education = list(case.education.all())
    team = list(case.accident.investigator_rows.all()) if case.accident_id else []
    items = list(
        case.review_items.select_related("corrective_action", "measure__decision__record", "follow_up")
    )
    blockers = closing_blockers(case)
    bodies_by_section = {
        "basic": _basic(case),
        "subjects": _subjects(records, bodies),
        "handovers": _handovers(handovers, today),
        "four_nots": _four_nots(case, blockers, records, handovers, actions, education),
        "actions": _actions(actions, today),
        "education": _education(education),
        "corrections": _corrections(case, records, team),
        "review": _review(case, items),
        "closing": _closing(case, blockers),
    }
    return {
        "title": f"{source.title or source.code}处理情况报告",
        "code": case.code,
        "status": _status_lines(case, blockers),
        "closed": case.is_closed,
        "missing": [message for _, message in blockers] if not case.is_closed else [],
        "sections": [
            {"code": code, "heading": heading, "blocks": bodies_by_section[code]}
            for code, heading in HEADINGS
        ],
    }
