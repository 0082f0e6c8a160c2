"""Reminder rules: the defaults (loaded by migration, editable in the admin), and on which days a rule fires."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from ..models import (
    RecipientRole,
    ReminderKind,
    ReminderRule,
)

# Government findings remind up the assigned unit's chain; open alerts remind whom they name.
FINDING_AND_ALERT_RULES = [
    {
        "code": "finding-deadline-approaching",
        "name": "督查问题整改期限临近",
        "kind": ReminderKind.FINDING_DEADLINE,
        "offsets": [-3],
        "recipients": [RecipientRole.RESPONSIBLE, RecipientRole.UNIT_HEAD],
        "digest": True,
        "basis": "督查、巡查、暗访反馈问题须在整改期限内整改到位并报下发单位销号。",
    },
    {
        "code": "finding-overdue",
        "name": "督查问题逾期未整改",
        "kind": ReminderKind.FINDING_DEADLINE,
        "offsets": [1],
        "recipients": [RecipientRole.RESPONSIBLE, RecipientRole.UNIT_HEAD],
        "basis": "整改不力：逾期未整改的问题提醒责任单位主要负责人。",
    },
    {
        "code": "finding-overdue-escalation",
        "name": "督查问题逾期升级至分管领导",
        "kind": ReminderKind.FINDING_DEADLINE,
        "offsets": [30],
        "recipients": [RecipientRole.UNIT_HEAD, RecipientRole.LEADER_IN_CHARGE],
        "basis": "一岗双责：逾期30日仍未整改，提醒分管领导。",
    },
    {
        "code": "alert-open",
        "name": "预警待处置",
        "kind": ReminderKind.ALERT_OPEN,
        "offsets": [7, 30],
        "recipients": [RecipientRole.UNIT_HEAD],
        "basis": "预警生成后应及时约谈、作出决定或说明理由撤销。",
    },
]


DEFAULT_RULES = [
    {
        "code": "hazard-deadline-approaching",
        "name": "隐患整改期限临近",
        "kind": ReminderKind.HAZARD_DEADLINE,
        "offsets": [-7, -3, -1],
        "recipients": [RecipientRole.RESPONSIBLE, RecipientRole.PRIMARY],
        "digest": True,
        "basis": "原安监总局令第16号：治理方案须明确时限；企业主要负责人对本单位事故隐患排查治理工作全面负责（第4条）。",
    },
    {
        "code": "hazard-overdue",
        "name": "隐患逾期未整改",
        "kind": ReminderKind.HAZARD_DEADLINE,
        "offsets": [1],
        "recipients": [
            RecipientRole.RESPONSIBLE,
            RecipientRole.PRIMARY,
            RecipientRole.SUPERVISING,
            RecipientRole.TERRITORIAL,
        ],
        "basis": "逾期未整改：行业主管、监管部门（管行业必须管安全）与属地督促整改。",
    },
    {
        "code": "hazard-overdue-escalation",
        "name": "隐患逾期升级至分管领导",
        "kind": ReminderKind.HAZARD_DEADLINE,
        "offsets": [30],
        "recipients": [
            RecipientRole.RESPONSIBLE,
            RecipientRole.PRIMARY,
            RecipientRole.SUPERVISING,
            RecipientRole.TERRITORIAL,
            RecipientRole.LEADER_IN_CHARGE,
        ],
        "open_case": True,
        "basis": "一岗双责：分管领导对分管行业领域安全生产负领导责任；隐患就是事故，逾期重大隐患按事故一案双查。",
    },
    {
        "code": "listing-due-approaching",
        "name": "挂牌督办期限临近",
        "kind": ReminderKind.LISTING_DUE,
        "offsets": [-7, -3, -1],
        "recipients": [RecipientRole.LISTING_UNIT, RecipientRole.PRIMARY],
        "digest": True,
        "basis": "重大事故隐患挂牌督办：督办单位督促企业在督办期限内完成整改。",
    },
    {
        "code": "listing-overdue",
        "name": "挂牌督办逾期",
        "kind": ReminderKind.LISTING_DUE,
        "offsets": [1],
        "recipients": [RecipientRole.LISTING_UNIT, RecipientRole.PRIMARY],
        "basis": "重大事故隐患挂牌督办：逾期未完成整改。",
    },
    {
        "code": "hazard-review-due",
        "name": "重大隐患销号现场核查",
        "kind": ReminderKind.HAZARD_REVIEW,
        "offsets": [-10, -3, 1],
        "recipients": [RecipientRole.SUPERVISING],
        "basis": "重大事故隐患治理完成、企业申请销号后，监管部门10日内现场审查（原安监总局令第16号）。",
    },
    {
        "code": "case-investigation-due",
        "name": "事故调查报告期限",
        "kind": ReminderKind.CASE_INVESTIGATION,
        "offsets": [-14, -7, -1, 1],
        "recipients": [RecipientRole.CASE_HANDLERS],
        "basis": "国务院令第493号第29条：事故发生之日起60日内提交调查报告，特殊情况可延长一次、最长60日。",
    },
    {
        "code": "case-reply-due",
        "name": "调查报告批复期限",
        "kind": ReminderKind.CASE_REPLY,
        "offsets": [-5, -1, 1],
        "recipients": [RecipientRole.CASE_HANDLERS],
        "basis": "国务院令第493号第32条：收到调查报告之日起15日内批复（特别重大事故30日，可延长30日）。",
    },
    {
        "code": "case-review-due",
        "name": "整改落实“回头看”",
        "kind": ReminderKind.CASE_REVIEW,
        "offsets": [-30, -7, 1],
        "recipients": [RecipientRole.CASE_HANDLERS],
        "basis": "安全生产法第86条：批复后一年内组织评估整改措施落实情况并公开。",
    },
    {
        "code": "handover-decision-due",
        "name": "移交处理结果反馈",
        "kind": ReminderKind.HANDOVER_DECISION,
        "offsets": [-7, 1],
        "recipients": [RecipientRole.CASE_HANDLERS],
        "basis": "问题线索移交后，接收机关的处理结果应在反馈期限内回复案件。",
    },
    *FINDING_AND_ALERT_RULES,
]


def ensure_default_rules() -> int:
    """Create the default rules that are missing (by code); rules edited in the admin are left alone."""
    existing = set(ReminderRule.objects.values_list("code", flat=True))
    created = [ReminderRule(**spec) for spec in DEFAULT_RULES if spec["code"] not in existing]
    for rule in created:
        rule.full_clean()
    ReminderRule.objects.bulk_create(created)
    return len(created)


def _windows(rule: ReminderRule) -> list[tuple[int, int, int]]:
    """(offset, first day, day after the last) relative to the due date, per threshold.

    A threshold fires from its day on, for `catch_up_days` at most (so a reminder missed while
    the system was down still goes out), never once the next threshold is reached, and a
    reminder *before* a deadline never fires after it.
    """
    offsets = rule.sorted_offsets
    windows = []
    for i, offset in enumerate(offsets):
        end = offset + max(rule.catch_up_days, 1)
        if i + 1 < len(offsets):
            end = min(end, offsets[i + 1])
        if offset <= 0:
            end = min(end, 1)
        windows.append((offset, offset, end))
    return windows


def fired_offset(rule: ReminderRule, due: dt.date, today: dt.date) -> int | None:
    """The threshold of `rule` that is due on `today` for a deadline `due`, if any."""
    day = (today - due).days
    for offset, start, end in _windows(rule):
        if start <= day < end:
            return offset
    return None


def due_range(rules: Iterable[ReminderRule], today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The due dates for which one of `rules` may fire on `today` (inclusive bounds)."""
    lows, highs = [], []
    for rule in rules:
        for _offset, start, end in _windows(rule):
            lows.append(today - dt.timedelta(days=end - 1))
            highs.append(today - dt.timedelta(days=start))
    return (min(lows), max(highs)) if lows else None


def when_label(day: int) -> str:
    """Days relative to the due date, as a reader says it."""
    if day < 0:
        return f"距期限还有{-day}天"
    if day == 0:
        return "今日到期"
    return f"已逾期{day}天"


def local_day(now: dt.datetime | dt.date | None) -> dt.date:
    if now is None:
        return timezone.localdate()
    if isinstance(now, dt.datetime):
        return timezone.localtime(now).date() if timezone.is_aware(now) else now.date()
    return now
