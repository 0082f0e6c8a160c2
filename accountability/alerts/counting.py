"""What each rule finds on a day: one Candidate per (rule, subject, window) that reaches the threshold.

A window starts at the earliest event inside it, so the sweep of the next day finds the same window
(the same alert) until that event drops out; the evidence is the events counted."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from responsibility.models import LEVEL_RANK, Region, RegionLevel, Unit, UnitKind

from ..grading import GRADE_ORDER
from ..models import (
    CHINA,
    Accident,
    AlertKind,
    AlertRule,
    GovFinding,
    HazardLevel,
    HazardListing,
    HazardPenalty,
    HazardState,
    ReviewItem,
    finding_overdue_q,
)


@dataclass
class Candidate:
    rule: AlertRule
    subject_key: str
    subject_label: str
    region: Region
    window_start: dt.date
    count: int
    enterprise: Unit | None = None
    unit: Unit | None = None
    summoned_by: Unit | None = None
    evidence: dict[str, list] = field(default_factory=dict)  # m2m name → rows

    @property
    def window_end(self) -> dt.date:
        return self.window_start + dt.timedelta(days=self.rule.window_days - 1)


def _window(rule: AlertRule, day: dt.date) -> tuple[dt.date, dt.date]:
    return day - dt.timedelta(days=rule.window_days - 1), day


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=CHINA)


def _in_subtree(rule: AlertRule, field_path: str) -> Q:
    return Q(**{f"{field_path}__path__startswith": rule.region.path}) if rule.region_id else Q()


def government_of(region: Region) -> Unit | None:
    """The people's government of a region (the body that summons, or decides a closure)."""
    return Unit.objects.filter(region=region, kind=UnitKind.GOVERNMENT).order_by("code").first()


def county_government_of(region: Region) -> Unit | None:
    """Art 113 closure is decided by the government at county level or above: the nearest one."""
    codes = [c for c in region.path.split("/") if c]
    regions = sorted(Region.objects.filter(code__in=codes), key=lambda r: LEVEL_RANK[r.level], reverse=True)
    for candidate in regions:
        if LEVEL_RANK[candidate.level] <= LEVEL_RANK[RegionLevel.COUNTY]:
            found = government_of(candidate)
            if found is not None:
                return found
    return None


def _accidents(rule: AlertRule, day: dt.date, region: Region) -> list[Accident]:
    first, last = _window(rule, day)
    grades = GRADE_ORDER[GRADE_ORDER.index(rule.grade) :]
    return list(
        Accident.objects.filter(
            grade__in=grades,
            occurred_at__gte=_moment(first),
            occurred_at__lt=_moment(last + dt.timedelta(days=1)),
            region__path__startswith=region.path,
        )
        .exclude(region=region)
        .select_related("region", "sector")
        .order_by("occurred_at", "code")
    )


def _summons(rule: AlertRule, day: dt.date) -> list[Candidate]:
    """Regions one level below the rule's with `threshold` accidents of the grade or above in the window.
    A region whose events all lie in one lower region that reaches the threshold by itself, under a rule
    of its own, is left to that rule: the 约谈 goes to the region where the events happened."""
    owner = rule.region
    accidents = _accidents(rule, day, owner)
    if len(accidents) < rule.threshold:
        return []
    deeper = {
        r.region_id: r
        for r in AlertRule.objects.filter(
            kind=AlertKind.SUMMONS,
            active=True,
            region__parent=owner,
            grade=rule.grade,
            window_days=rule.window_days,
            threshold=rule.threshold,
        )
    }
    found = []
    for child in Region.objects.filter(parent=owner).order_by("path"):
        inside = [a for a in accidents if a.region.path.startswith(child.path)]
        if len(inside) < rule.threshold:
            continue
        if child.pk in deeper and _a_lower_region_reaches(inside, child, rule.threshold):
            continue
        found.append(
            Candidate(
                rule,
                f"region:{child.code}",
                child.name,
                child,
                min(a.event_day for a in inside),
                len(inside),
                summoned_by=government_of(owner),
                evidence={"accidents": inside},
            )
        )
    return found


def _a_lower_region_reaches(accidents: list[Accident], region: Region, threshold: int) -> bool:
    by_child: dict[str, int] = defaultdict(int)
    depth = len([c for c in region.path.split("/") if c])
    for accident in accidents:
        codes = [c for c in accident.region.path.split("/") if c]
        if len(codes) > depth:
            by_child[codes[depth]] += 1
    return any(n >= threshold for n in by_child.values())


def _closures(rule: AlertRule, day: dt.date) -> list[Candidate]:
    """A 重大隐患 penalised `threshold` times in the window (安全生产法 Art 113)."""
    penalties = (
        HazardPenalty.objects.filter(
            decided_on__range=_window(rule, day),
            hazard__level=HazardLevel.MAJOR,
        )
        .filter(_in_subtree(rule, "hazard__enterprise__region"))
        .select_related("hazard__enterprise__region")
        .order_by("decided_on", "pk")
    )
    by_hazard = defaultdict(list)
    for penalty in penalties:
        by_hazard[penalty.hazard].append(penalty)
    found = []
    for hazard, rows in by_hazard.items():
        if len(rows) < rule.threshold:
            continue
        enterprise = hazard.enterprise
        found.append(
            Candidate(
                rule,
                f"hazard:{hazard.code}",
                f"{enterprise.name}：{hazard.title or hazard.code}",
                enterprise.region,
                rows[0].decided_on,
                len(rows),
                enterprise=enterprise,
                summoned_by=county_government_of(enterprise.region),
                evidence={"penalties": rows, "hazards": [hazard]},
            )
        )
    return found


def _listings(rule: AlertRule, day: dt.date) -> list[Candidate]:
    """A 挂牌督办 hazard past its 督办期限 (one alert per due date: an extension starts a new one)."""
    first, _last = _window(rule, day)
    listings = (
        HazardListing.objects.filter(
            lifted_on__isnull=True,
            due_on__lt=day,
            due_on__gte=first,
            hazard__state__in=[HazardState.REPORTED, HazardState.RECTIFYING, HazardState.SUBMITTED],
        )
        .filter(_in_subtree(rule, "hazard__enterprise__region"))
        .select_related("hazard__enterprise__region", "listing_unit")
    )
    return [
        Candidate(
            rule,
            f"listing:{li.hazard.code}",
            f"{li.hazard.enterprise.name}：{li.hazard.title or li.hazard.code}（挂牌督办）",
            li.hazard.enterprise.region,
            li.due_on,
            1,
            enterprise=li.hazard.enterprise,
            unit=li.listing_unit,
            summoned_by=li.listing_unit,
            evidence={"hazards": [li.hazard]},
        )
        for li in listings
    ]


def _findings(rule: AlertRule, day: dt.date) -> list[Candidate]:
    """A government unit with `threshold` findings overdue whose deadline lies in the window."""
    first, _last = _window(rule, day)
    overdue = (
        GovFinding.objects.filter(finding_overdue_q(day), deadline__gte=first)
        .filter(_in_subtree(rule, "assigned_unit__region"))
        .select_related("assigned_unit__region", "issuing_unit")
        .order_by("deadline", "code")
    )
    by_unit = defaultdict(list)
    for finding in overdue:
        by_unit[finding.assigned_unit].append(finding)
    return [
        Candidate(
            rule,
            f"unit:{unit.code}",
            unit.name,
            unit.region,
            rows[0].deadline,
            len(rows),
            unit=unit,
            summoned_by=rows[0].issuing_unit,
            evidence={"findings": rows},
        )
        for unit, rows in by_unit.items()
        if len(rows) >= rule.threshold
    ]


def _reviews(rule: AlertRule, day: dt.date) -> list[Candidate]:
    """A case whose 回头看 found `threshold` items undone (安全生产法 Art 86)."""
    items = (
        ReviewItem.objects.filter(carried_out=False, reviewed_on__range=_window(rule, day))
        .select_related(
            "case__accident__region",
            "case__hazard__enterprise__region",
            "case__finding__assigned_unit__region",
        )
        .order_by("reviewed_on", "pk")
    )
    by_case = defaultdict(list)
    for item in items:
        by_case[item.case].append(item)
    found = []
    for case, rows in by_case.items():
        region = case_region(case)
        if len(rows) < rule.threshold or (rule.region_id and not region.path.startswith(rule.region.path)):
            continue
        found.append(
            Candidate(
                rule,
                f"case:{case.code}",
                f"{case.title}（回头看）",
                region,
                rows[0].reviewed_on,
                len(rows),
                enterprise=case.hazard.enterprise if case.hazard_id else None,
                evidence={"review_items": rows},
            )
        )
    return found


def case_region(case) -> Region:
    if case.accident_id:
        return case.accident.region
    if case.hazard_id:
        return case.hazard.enterprise.region
    return case.finding.assigned_unit.region


COUNTERS = {
    AlertKind.SUMMONS: _summons,
    AlertKind.CLOSURE: _closures,
    AlertKind.LISTING_OVERDUE: _listings,
    AlertKind.FINDINGS_OVERDUE: _findings,
    AlertKind.REVIEW_UNDONE: _reviews,
}


def candidates(rules, day: dt.date) -> list[Candidate]:
    found = []
    for rule in rules:
        found.extend(COUNTERS[rule.kind](rule, day))
    return found
