"""The default alert rules (DOMAIN.md "Patterns that escalate"), at every level: a province's 约谈 rules
for its cities, a city's for its counties, a county's for its townships; the others once, everywhere."""

from __future__ import annotations

from responsibility.models import Region, RegionLevel

from ..grading import Grade
from ..models import AlertKind, AlertRule

SUMMONS_BASIS = "安委〔2018〕2号：区域内30日内发生2起或6个月内发生3起重大事故的，由上一级政府约谈该地区党政主要负责人和分管负责人。"

SUMMONS_RULES = [
    {"suffix": "major-2-in-30", "name": "30日内2起重大事故", "window_days": 30, "threshold": 2},
    {"suffix": "major-3-in-180", "name": "6个月内3起重大事故", "window_days": 180, "threshold": 3},
]

OTHER_RULES = [
    {
        "code": "closure-3-in-180",
        "name": "重大隐患180日内受罚3次",
        "kind": AlertKind.CLOSURE,
        "window_days": 180,
        "threshold": 3,
        "basis": "安全生产法第113条：存在重大事故隐患，180日内三次或者一年内四次受到处罚的，提请关闭。",
    },
    {
        "code": "closure-4-in-365",
        "name": "重大隐患一年内受罚4次",
        "kind": AlertKind.CLOSURE,
        "window_days": 365,
        "threshold": 4,
        "basis": "安全生产法第113条：存在重大事故隐患，180日内三次或者一年内四次受到处罚的，提请关闭。",
    },
    {
        "code": "listing-overdue",
        "name": "挂牌督办逾期",
        "kind": AlertKind.LISTING_OVERDUE,
        "window_days": 365,
        "threshold": 1,
        "basis": "重大事故隐患挂牌督办：逾期未完成整改，督办单位负责人须督促并报告。",
    },
    {
        "code": "findings-overdue-2",
        "name": "同一单位2项督查问题逾期",
        "kind": AlertKind.FINDINGS_OVERDUE,
        "window_days": 365,
        "threshold": 2,
        "basis": "整改不力：同一单位多项督查、巡查、暗访问题逾期未整改，约谈单位负责人。",
    },
    {
        "code": "review-undone",
        "name": "回头看发现未落实",
        "kind": AlertKind.REVIEW_UNDONE,
        "window_days": 365,
        "threshold": 1,
        "basis": "安全生产法第86条：回头看发现整改措施或处理建议未落实的，对负责落实的人员问责。",
    },
]


def ensure_default_alert_rules() -> int:
    """Create the default rules that are missing (by code); rules edited in the admin are left alone.
    约谈 rules go to every region with lower regions (its 下一级)."""
    existing = set(AlertRule.objects.values_list("code", flat=True))
    wanted = [AlertRule(**spec) for spec in OTHER_RULES]
    parents = Region.objects.filter(children__isnull=False).exclude(level=RegionLevel.VILLAGE).distinct()
    for region in parents.order_by("path"):
        for spec in SUMMONS_RULES:
            wanted.append(
                AlertRule(
                    code=f"summons-{region.code}-{spec['suffix']}".lower()[:64],
                    name=f"{region.name}：下一级区域{spec['name']}",
                    kind=AlertKind.SUMMONS,
                    region=region,
                    grade=Grade.MAJOR,
                    window_days=spec["window_days"],
                    threshold=spec["threshold"],
                    basis=SUMMONS_BASIS,
                )
            )
    created = [rule for rule in wanted if rule.code not in existing]
    for rule in created:
        rule.full_clean()
    AlertRule.objects.bulk_create(created)
    return len(created)
