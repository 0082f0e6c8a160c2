"""A naive, independent reading of DESIGN.md §3 (resolve_chain) and the coverage report.

Works on a scenario document (plain dicts in scenario.schema.json form): no Django, no ORM,
no cleverness. It exists only to be compared with responsibility.chain / responsibility.coverage
in test_chain_differential.py, so it favours the plain words of the spec over speed.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LEVELS = ["national", "province", "city", "county", "township", "village"]  # highest first
LEVEL_RANK = {lvl: i for i, lvl in enumerate(LEVELS)}

# §3.5: the highest level a grade reaches; no grade (a hazard) → county.
REACH = {
    None: "county",
    "general": "county",
    "larger": "city",
    "major": "province",
    "especially_major": "national",
}

SUPERVISION_TYPES = [
    "territorial",
    "inspection",
    "approval",
    "supervisory",
    "competent",
    "leader_in_charge",
    "party_gov_lead",
]
STORED_SUPERVISION_TYPES = {"party_gov_lead", "leader_in_charge", "territorial", "competent", "supervisory"}
MAIN_ENTERPRISE_TYPES = [
    "post",
    "team_leader",
    "dept_head",
    "safety_manager",
    "enterprise_leader",
    "primary",
    "guarantor",
]
LEADERSHIP_TYPES = {"primary", "enterprise_leader", "safety_manager", "guarantor"}
REQUIRED_TYPES = ["primary", "territorial", "competent", "supervisory", "leader_in_charge", "party_gov_lead"]

CHINA = ZoneInfo("Asia/Shanghai")
KEYS = ("track", "type", "unit", "position", "person", "vacant", "enterprise", "role")


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def accident_grade(acc: dict) -> str:
    """DOMAIN.md, 493号令 Art 3: any one measure sets the grade, the highest wins."""
    d, s, loss = acc["deaths"], acc["serious_injuries"], acc["direct_loss_yuan"]
    if d >= 30 or s >= 100 or loss >= 100_000_000:
        return "especially_major"
    if d >= 10 or s >= 50 or loss >= 50_000_000:
        return "major"
    if d >= 3 or s >= 10 or loss >= 10_000_000:
        return "larger"
    return "general"


def event_day(occurred_at: str) -> dt.date:
    return dt.datetime.fromisoformat(occurred_at).astimezone(CHINA).date()


class World:
    """Indexes of one scenario document."""

    def __init__(self, doc: dict):
        self.regions = {r["code"]: r for r in doc.get("regions", [])}
        self.sectors = {s["code"]: s for s in doc.get("sectors", [])}
        self.units = {u["code"]: u for u in doc.get("units", [])}
        self.positions = {p["code"]: p for p in doc.get("positions", [])}
        self.tenures = doc.get("tenures", [])
        self.duties = doc.get("duties", [])
        self.permits = doc.get("permits", [])
        self.inspections = doc.get("inspections", [])
        self.hazards = {h["code"]: h for h in doc.get("hazards", [])}
        self.accidents = {a["code"]: a for a in doc.get("accidents", [])}

    # trees -------------------------------------------------------------
    def region_ancestors(self, code):  # self first
        out = []
        while code:
            out.append(code)
            code = self.regions[code].get("parent")
        return out

    def sector_ancestors(self, code):  # self first
        out = []
        while code:
            out.append(code)
            code = self.sectors[code].get("parent")
        return out

    def unit_ancestors(self, code):  # self first
        out = []
        while code:
            out.append(code)
            code = self.units[code].get("parent")
        return out

    def enterprise_of(self, unit_code):
        """The enterprise a unit belongs to: itself if it is one, else its nearest enterprise ancestor."""
        for code in self.unit_ancestors(unit_code):
            if self.units[code]["kind"] == "enterprise":
                return code
        return None

    def level(self, unit_code):
        return self.regions[self.units[unit_code]["region"]]["level"]

    # holders -----------------------------------------------------------
    def holder_unit(self, duty):
        if duty.get("holder_position"):
            return self.positions[duty["holder_position"]]["unit"]
        return duty["holder_unit"]

    def holder_on(self, position, day):
        for t in self.tenures:
            if t["position"] != position:
                continue
            if _date(t["start"]) <= day and ("end" not in t or day < _date(t["end"])):
                return t["person"]
        return None

    # tests of §3.1/§3.2 -----------------------------------------------
    @staticmethod
    def in_period(duty, day):
        return _date(duty["start"]) <= day and ("end" not in duty or day < _date(duty["end"]))

    def sector_ok(self, duty, sector):
        wanted = duty.get("sectors") or []
        return not wanted or bool(set(wanted) & set(self.sector_ancestors(sector)))

    def region_ok(self, duty, region):
        scope = duty.get("region") or self.units[self.holder_unit(duty)]["region"]
        return scope in self.region_ancestors(region)

    def duty_link(self, duty, day, **extra):
        unit = self.holder_unit(duty)
        position = duty.get("holder_position")
        person = self.holder_on(position, day) if position else None
        link = {
            "track": None,
            "type": duty["type"],
            "unit": unit,
            "position": position,
            "person": person,
            "vacant": bool(position) and person is None,
            "enterprise": None,
            "role": None,
        }
        link.update(extra)
        return link


def _leadership_links(w: World, enterprise, sector, day, role, types):
    out = []
    for duty in w.duties:
        if duty["type"] not in types:
            continue
        if not (w.in_period(duty, day) and w.sector_ok(duty, sector)):
            continue
        if w.enterprise_of(w.holder_unit(duty)) != enterprise:
            continue
        out.append(w.duty_link(duty, day, track="enterprise", enterprise=enterprise, role=role))
    return out


def _enterprise_track(w: World, enterprise, sector, day, unit, post, parties, actors):
    links = []
    if enterprise:
        main = _leadership_links(w, enterprise, sector, day, "main", LEADERSHIP_TYPES)
        chain_units = set()
        if unit:
            chain_units = {u for u in w.unit_ancestors(unit) if w.enterprise_of(u) == enterprise}
        for duty in w.duties:
            t = duty["type"]
            if t not in ("dept_head", "team_leader", "post"):
                continue
            if not (w.in_period(duty, day) and w.sector_ok(duty, sector)):
                continue
            if t == "post":
                if not post or duty.get("holder_position") != post:
                    continue
            elif w.holder_unit(duty) not in chain_units:
                continue
            main.append(w.duty_link(duty, day, track="enterprise", enterprise=enterprise, role="main"))
        links += _sorted_group(main, MAIN_ENTERPRISE_TYPES)
    for party in parties:
        got = _leadership_links(w, party["enterprise"], sector, day, party["role"], LEADERSHIP_TYPES)
        links += _sorted_group(got, MAIN_ENTERPRISE_TYPES)
    # "With no enterprise and no party there is no enterprise track."
    for actor in actors if (enterprise or parties) else ():
        links.append(
            {
                "track": "enterprise",
                "type": "actor",
                "unit": None,
                "position": None,
                "person": actor["person"],
                "vacant": False,
                "enterprise": None,
                "role": actor["role"],
            }
        )
    return links


def _tie_key(link):
    # ties: unit code, then position code (a unit's own link first), then enterprise code; person last
    # only to make the reference deterministic (the spec leaves it open).
    return (
        link["unit"] or "",
        link["position"] is not None,
        link["position"] or "",
        link["enterprise"] or "",
        link["person"] or "",
    )


def _sorted_group(links, type_order):
    rank = {t: i for i, t in enumerate(type_order)}
    return _dedupe(sorted(links, key=lambda lk: (rank[lk["type"]], _tie_key(lk))))


def _dedupe(links):
    seen, out = set(), []
    for lk in links:
        key = tuple(lk[k] for k in KEYS)
        if key not in seen:
            seen.add(key)
            out.append(lk)
    return out


def _supervision_track(w: World, enterprise, region, sector, day, grade, parties):
    out = []
    for duty in w.duties:
        if duty["type"] not in STORED_SUPERVISION_TYPES:
            continue
        if not (w.in_period(duty, day) and w.sector_ok(duty, sector) and w.region_ok(duty, region)):
            continue
        if duty.get("enterprise") and duty["enterprise"] != enterprise:
            continue
        out.append(w.duty_link(duty, day, track="supervision"))
    involved = ([enterprise] if enterprise else []) + [p["enterprise"] for p in parties]
    sector_line = set(w.sector_ancestors(sector))
    for permit in w.permits:
        if permit["enterprise"] not in involved or permit["sector"] not in sector_line:
            continue
        if not (_date(permit["approved_on"]) <= day <= _date(permit["valid_until"])):
            continue
        pos = permit["position"]
        person = w.holder_on(pos, _date(permit["approved_on"]))
        out.append(
            {
                "track": "supervision",
                "type": "approval",
                "unit": w.positions[pos]["unit"],
                "position": pos,
                "person": person,
                "vacant": person is None,
                "enterprise": permit["enterprise"],
                "role": None,
            }
        )
    latest = {}
    for insp in w.inspections:
        if insp["enterprise"] not in involved or insp["sector"] not in sector_line:
            continue
        when = _date(insp["date"])
        if not (day - dt.timedelta(days=365) <= when <= day):
            continue
        key = (insp["enterprise"], insp["unit"])
        if key not in latest or _date(latest[key]["date"]) < when:
            latest[key] = insp
    for insp in latest.values():
        when = _date(insp["date"])
        for pos in insp["inspectors"]:
            person = w.holder_on(pos, when)
            out.append(
                {
                    "track": "supervision",
                    "type": "inspection",
                    "unit": w.positions[pos]["unit"],
                    "position": pos,
                    "person": person,
                    "vacant": person is None,
                    "enterprise": insp["enterprise"],
                    "role": None,
                }
            )
    reach = LEVEL_RANK[REACH[grade]]
    out = [lk for lk in out if LEVEL_RANK[w.level(lk["unit"])] >= reach]
    trank = {t: i for i, t in enumerate(SUPERVISION_TYPES)}
    out.sort(key=lambda lk: (-LEVEL_RANK[w.level(lk["unit"])], trank[lk["type"]], _tie_key(lk)))
    return _dedupe(out)


def reference_trace(
    doc,
    enterprise=None,
    region=None,
    *,
    sector,
    date,
    grade=None,
    unit=None,
    post=None,
    parties=(),
    actors=(),
):
    """The links of DESIGN §3 for one event, as dicts with the 8 keys of KEYS, in §3.6 order."""
    w = doc if isinstance(doc, World) else World(doc)
    day = _date(date)
    if region is None:
        region = w.units[enterprise]["region"]
    links = _enterprise_track(w, enterprise, sector, day, unit, post, list(parties), list(actors))
    links += _supervision_track(w, enterprise, region, sector, day, grade, list(parties))
    return links


def accident_event(doc, code):
    """The arguments of reference_trace for an accident of the document."""
    acc = World(doc).accidents[code] if not isinstance(doc, World) else doc.accidents[code]
    return {
        "enterprise": acc.get("enterprise"),
        "region": acc["region"],
        "sector": acc["sector"],
        "date": event_day(acc["occurred_at"]),
        "grade": accident_grade(acc),
        "unit": acc.get("unit"),
        "post": acc.get("post"),
        "parties": acc.get("parties", []),
        "actors": acc.get("actors", []),
    }


def hazard_event(doc, code):
    w = doc if isinstance(doc, World) else World(doc)
    hz = w.hazards[code]
    return {
        "enterprise": hz["enterprise"],
        "region": w.units[hz["enterprise"]]["region"],
        "sector": hz["sector"],
        "date": _date(hz["deadline"]),
        "grade": None,
        "unit": hz.get("unit"),
        "post": None,
        "parties": hz.get("parties", []),
        "actors": hz.get("actors", []),
    }


def reference_coverage(doc, date):
    """{gaps: [{enterprise, sector, type, reason}], overlaps: [{region, sector, units}]} on a date (DESIGN §3 end)."""
    w = doc if isinstance(doc, World) else World(doc)
    day = _date(date)
    gaps = []
    overlap_units: dict[tuple[str, str], set[str]] = {}
    for ent in sorted(c for c, u in w.units.items() if u["kind"] == "enterprise"):
        region = w.units[ent]["region"]
        for sector in w.units[ent].get("sectors", []):
            found = {t: [] for t in REQUIRED_TYPES}
            for lk in _leadership_links(w, ent, sector, day, "main", {"primary"}):
                found["primary"].append(lk)
            competent_by_region: dict[str, set[str]] = {}
            for duty in w.duties:
                if duty["type"] not in STORED_SUPERVISION_TYPES:
                    continue
                if not (w.in_period(duty, day) and w.sector_ok(duty, sector) and w.region_ok(duty, region)):
                    continue
                if duty.get("enterprise") and duty["enterprise"] != ent:
                    continue
                found[duty["type"]].append(w.duty_link(duty, day))
                if duty["type"] == "competent":
                    unit = w.holder_unit(duty)
                    competent_by_region.setdefault(w.units[unit]["region"], set()).add(unit)
            for t in REQUIRED_TYPES:
                if not found[t]:
                    gaps.append({"enterprise": ent, "sector": sector, "type": t, "reason": "missing"})
                elif all(lk["vacant"] for lk in found[t]):
                    gaps.append({"enterprise": ent, "sector": sector, "type": t, "reason": "vacant"})
            for reg, units in competent_by_region.items():
                if len(units) >= 2:
                    overlap_units.setdefault((reg, sector), set()).update(units)
    overlaps = [
        {"region": reg, "sector": sec, "units": sorted(units)}
        for (reg, sec), units in sorted(overlap_units.items())
    ]
    return {"gaps": gaps, "overlaps": overlaps}
