"""A naive, independent reading of DESIGN.md §3 and §5 (resolve_chain) and the coverage report.

Works on a scenario document (plain dicts in scenario.schema.json form): no Django, no ORM,
no cleverness. It exists only to be compared with responsibility.chain / responsibility.coverage
in test_chain_differential.py, so it favours the plain words of the spec over speed: every rule is a
loop over every row of the document, and nothing is shared with the product's code.

§5 in one paragraph, as read here: the period P is [hazard_since, event day] (the day alone without
it); every sector of the event (the main one, then `also_sectors`) is resolved on its own and each
finding is an *occurrence* of a link with its place in the §3.6/§5.8 order; occurrences of one link
(same track, type, unit, position, person, enterprise) are merged by §5.8.
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
# Everything a link says under §5 (from/to are None for an event_day link).
FULL_KEYS = (*KEYS, "unknown", "term", "from", "to")
# §5.8: "same track, type, unit, position, person, enterprise" is one link.
IDENTITY = ("track", "type", "unit", "position", "person", "enterprise")
EVENT_DAY, EARLIER = "event_day", "earlier"
ONE_DAY = dt.timedelta(days=1)


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


def _clip(first, last, lo, hi):
    """[first, last] ∩ [lo, hi], all inclusive, last None = open; None when empty."""
    a = max(first, lo)
    b = hi if last is None else min(last, hi)
    return (a, b) if a <= b else None


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
        self.certifications = doc.get("certifications", [])
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

    def held_on(self, position, day):
        """§3.3/§5.7: (person, vacant, unknown) of a position on one day."""
        person = self.holder_on(position, day)
        if person is not None:
            return person, False, False
        records_from = self.positions[position].get("records_from")
        unknown = records_from is not None and day < _date(records_from)
        return None, not unknown, unknown

    # tests of §3.1/§3.2 -----------------------------------------------
    @staticmethod
    def in_period(duty, day):
        return _date(duty["start"]) <= day and ("end" not in duty or day < _date(duty["end"]))

    @staticmethod
    def duty_days(duty):
        """The duty's [start, end) as inclusive (first, last); last None = open."""
        return _date(duty["start"]), (_date(duty["end"]) - ONE_DAY if "end" in duty else None)

    def overlaps(self, duty, start, day):
        """§5.3: the duty's own period overlaps P = [start, day]."""
        return _clip(*self.duty_days(duty), start, day) is not None

    def sector_ok(self, duty, sector):
        wanted = duty.get("sectors") or []
        return not wanted or bool(set(wanted) & set(self.sector_ancestors(sector)))

    def region_ok(self, duty, region):
        scope = duty.get("region") or self.units[self.holder_unit(duty)]["region"]
        return scope in self.region_ancestors(region)

    def duty_link(self, duty, day, **extra):
        """The §3.3 link of a duty on one day (used by coverage)."""
        unit = self.holder_unit(duty)
        position = duty.get("holder_position")
        person, vacant, unknown = self.held_on(position, day) if position else (None, False, False)
        link = {
            "track": None,
            "type": duty["type"],
            "unit": unit,
            "position": position,
            "person": person,
            "vacant": vacant,
            "unknown": unknown,
            "enterprise": None,
            "role": None,
        }
        link.update(extra)
        return link


def _link(track, type_, unit, position, person, vacant, unknown, enterprise, role, span=None):
    return {
        "track": track,
        "type": type_,
        "unit": unit,
        "position": position,
        "person": person,
        "vacant": vacant,
        "unknown": unknown,
        "enterprise": enterprise,
        "role": role,
        "term": EVENT_DAY if span is None else EARLIER,
        "from": None if span is None else span[0],
        "to": None if span is None else span[1],
    }


def _duty_links(w: World, duty, start, day, track, enterprise, role):
    """§5.3 for one duty over P = [start, day]."""
    window = _clip(*w.duty_days(duty), start, day)
    if window is None:
        return []
    unit = w.holder_unit(duty)
    position = duty.get("holder_position")
    in_force = w.in_period(duty, day)
    if position is None:  # a unit holder: one link
        span = None if in_force else window
        return [_link(track, duty["type"], unit, None, None, False, False, enterprise, role, span)]
    out = []
    today = None
    if in_force:
        today, vacant, unknown = w.held_on(position, day)
        out.append(_link(track, duty["type"], unit, position, today, vacant, unknown, enterprise, role))
    # every other person whose tenure overlaps P ∩ the duty's period: first and last day inside it
    spans = {}
    for t in w.tenures:
        if t["position"] != position:
            continue
        if in_force and today is not None and t["person"] == today:
            continue  # held on the event day wins
        last = _date(t["end"]) - ONE_DAY if "end" in t else None
        got = _clip(_date(t["start"]), last, *window)
        if got is None:
            continue
        if t["person"] in spans:
            a, b = spans[t["person"]]
            got = (min(a, got[0]), max(b, got[1]))
        spans[t["person"]] = got
    for person, span in spans.items():
        out.append(_link(track, duty["type"], unit, position, person, False, False, enterprise, role, span))
    return out


def _rest(link):
    """§5.8: among links that tie on every §3.6 key, event_day first, then earlier by `from`, latest first."""
    if link["term"] == EVENT_DAY:
        return (0, 0)
    return (1, -link["from"].toordinal())


# A place is (block, sub, rest): blocks are ordered; inside one block, links with the same sub are ordered by
# rest, and links with different subs are not ordered by the spec (the enterprise track names no tie
# breaker below the type: §3.6 gives unit and position codes only for supervision).


def _enterprise_occurrences(w: World, ev, sector, start, day):
    """§3.2 and §5.3 for one sector: (place, link) of the event's enterprise and its parties."""
    out = []
    enterprise = ev["enterprise"]
    # group 0 is the event's enterprise, 1.. its parties in the order listed
    owners = [(0, enterprise, "main")] if enterprise else []
    owners += [(i, p["enterprise"], p["role"]) for i, p in enumerate(ev["parties"], start=1)]
    chain_units = set()
    if enterprise and ev["unit"]:
        chain_units = {u for u in w.unit_ancestors(ev["unit"]) if w.enterprise_of(u) == enterprise}
    for group, owner, role in owners:
        for duty in w.duties:
            t = duty["type"]
            if t not in MAIN_ENTERPRISE_TYPES:
                continue
            if not (w.overlaps(duty, start, day) and w.sector_ok(duty, sector)):
                continue
            if w.enterprise_of(w.holder_unit(duty)) != owner:
                continue
            if t not in LEADERSHIP_TYPES:
                # §3.2 the event's own unit and post; §5.12 a party's own unit and post, inside it
                site = ev if role == "main" else ev["parties"][group - 1]
                site_unit, site_post = site.get("unit"), site.get("post")
                units = chain_units
                if role != "main":
                    units = set()
                    if site_unit:
                        units = {u for u in w.unit_ancestors(site_unit) if w.enterprise_of(u) == owner}
                if t == "post" and (not site_post or duty.get("holder_position") != site_post):
                    continue
                if t != "post" and w.holder_unit(duty) not in units:
                    continue
            for lk in _duty_links(w, duty, start, day, "enterprise", owner, role):
                block = (0, group, MAIN_ENTERPRISE_TYPES.index(t))
                out.append(((block, (lk["unit"], lk["position"] or ""), _rest(lk)), lk))
    return out


def _certification_occurrences(w: World, ev, sector, start, day):
    """§5.5 for one sector."""
    involved = ([ev["enterprise"]] if ev["enterprise"] else []) + [p["enterprise"] for p in ev["parties"]]
    group = 1 + len(ev["parties"])
    out = []
    for cert in w.certifications:
        if cert["enterprise"] not in involved or cert["sector"] not in w.sector_ancestors(sector):
            continue
        issued = _date(cert["issued_on"])
        until = _date(cert["valid_until"]) if cert.get("valid_until") else None
        if issued > day:
            continue
        validity = _clip(issued, until, start, day)
        if validity is None:
            continue
        span = None if until is None or until >= day else validity
        for index, pos in enumerate(cert["signers"]):
            person, vacant, unknown = w.held_on(pos, issued)
            lk = _link(
                "enterprise",
                "certification",
                w.positions[pos]["unit"],
                pos,
                person,
                vacant,
                unknown,
                cert["issuer"],
                "service_body",
                span,
            )
            block = (0, group, -issued.toordinal(), cert["code"], index)
            out.append(((block, (), _rest(lk)), lk))
    return out


def _actor_occurrences(ev):
    """§3.2/§5.6: one event_day link per actor, in the order listed; only with an enterprise track."""
    if not (ev["enterprise"] or ev["parties"]):
        return []
    out = []
    for index, actor in enumerate(ev["actors"]):
        lk = _link(
            "enterprise", "actor", None, None, actor["person"], False, False, actor.get("of"), actor["role"]
        )
        out.append((((0, 2 + len(ev["parties"]) + index), (), _rest(lk)), lk))
    return out


def _supervision_occurrences(w: World, ev, sector, start, day, since_given):
    """§3.1, §3.4, §3.5, §5.3, §5.4 for one sector."""
    enterprise = ev["enterprise"]
    found = []
    for duty in w.duties:
        if duty["type"] not in STORED_SUPERVISION_TYPES:
            continue
        if not (
            w.overlaps(duty, start, day) and w.sector_ok(duty, sector) and w.region_ok(duty, ev["region"])
        ):
            continue
        if duty.get("enterprise") and duty["enterprise"] != enterprise:
            continue
        found += _duty_links(w, duty, start, day, "supervision", None, None)
    involved = ([enterprise] if enterprise else []) + [p["enterprise"] for p in ev["parties"]]
    sector_line = w.sector_ancestors(sector)
    for permit in w.permits:
        if permit["enterprise"] not in involved or permit["sector"] not in sector_line:
            continue
        approved = _date(permit["approved_on"])
        until = _date(permit["valid_until"]) if permit.get("valid_until") else None
        validity = _clip(approved, until, start, day)
        if validity is None:
            continue
        valid_today = approved <= day and (until is None or day <= until)
        pos = permit["position"]
        person, vacant, unknown = w.held_on(pos, approved)
        unit = w.positions[pos]["unit"]
        span = None if valid_today else validity
        found.append(
            _link(
                "supervision",
                "approval",
                unit,
                pos,
                person,
                vacant,
                unknown,
                permit["enterprise"],
                None,
                span,
            )
        )
    candidates = [i for i in w.inspections if i["enterprise"] in involved and i["sector"] in sector_line]
    latest = {}
    for insp in candidates:
        when = _date(insp["date"])
        if not (day - dt.timedelta(days=365) <= when <= day):
            continue
        key = (insp["enterprise"], insp["unit"])
        if key not in latest or _date(latest[key]["date"]) < when:
            latest[key] = insp
    chosen = [i["code"] for i in latest.values()]
    for insp in candidates:
        when = _date(insp["date"])
        if insp["code"] in chosen:
            span = None
        elif since_given and start <= when <= day:
            span = (when, when)
        else:
            continue
        for pos in insp["inspectors"]:
            person, vacant, unknown = w.held_on(pos, when)
            unit = w.positions[pos]["unit"]
            found.append(
                _link(
                    "supervision",
                    "inspection",
                    unit,
                    pos,
                    person,
                    vacant,
                    unknown,
                    insp["enterprise"],
                    None,
                    span,
                )
            )
    # §5.11: a raised investigation replaces the grade's level when it is higher
    reach = min(LEVEL_RANK[REACH[ev["grade"]]], LEVEL_RANK.get(ev.get("investigation_level"), 99))
    out = []
    for lk in found:
        level = LEVEL_RANK[w.level(lk["unit"])]
        if level < reach:
            continue
        block = (
            1,
            -level,
            SUPERVISION_TYPES.index(lk["type"]),
            lk["unit"],
            lk["position"] is not None,
            lk["position"] or "",
            lk["enterprise"] or "",
        )
        out.append(((block, (), _rest(lk)), lk))
    return out


def _merge(occurrences):
    """§5.8: a link found more than once is kept once — as event_day at the place of that occurrence if any
    occurrence is event_day, otherwise at its first place with from/to spanning all its occurrences.

    Each kept link carries `_place` (for the order check) and `_flags`: the (vacant, unknown) pairs the spec
    allows, when occurrences tie for the kept place with different flags (two holderless occurrences of
    one post, one before its records start and one after)."""
    by_identity = {}
    for place, lk in occurrences:
        by_identity.setdefault(tuple(lk[k] for k in IDENTITY), []).append((place, lk))
    kept = []
    for found in by_identity.values():
        event_days = [(p, lk) for p, lk in found if lk["term"] == EVENT_DAY]
        candidates = event_days or found
        first = min(p for p, _ in candidates)
        at_first = [lk for p, lk in candidates if p == first]
        link = dict(at_first[0])
        if not event_days:
            link["from"] = min(lk["from"] for _, lk in found)
            link["to"] = max(lk["to"] for _, lk in found)
        link["_place"] = first
        link["_flags"] = {(lk["vacant"], lk["unknown"]) for lk in at_first}
        kept.append(link)
    kept.sort(key=lambda lk: (lk["_place"], lk["person"] or ""))
    return kept


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
    since=None,
    also_sectors=(),
    investigation_level=None,
):
    """The links of DESIGN §3/§5 for one event, as dicts with FULL_KEYS (+ `_place`, `_flags`), in order."""
    w = doc if isinstance(doc, World) else World(doc)
    day = _date(date)
    start = _date(since) if since else day
    ev = {
        "enterprise": enterprise,
        "region": region if region is not None else w.units[enterprise]["region"],
        "grade": grade,
        "investigation_level": investigation_level,
        "unit": unit,
        "post": post,
        "parties": list(parties),
        "actors": list(actors),
    }
    occurrences = []
    for s in [sector, *(s for s in also_sectors if s != sector)]:
        occurrences += _enterprise_occurrences(w, ev, s, start, day)
        occurrences += _certification_occurrences(w, ev, s, start, day)
        occurrences += _supervision_occurrences(w, ev, s, start, day, since is not None)
    occurrences += _actor_occurrences(ev)
    return _merge(occurrences)


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
        "since": _date(acc["hazard_since"]) if acc.get("hazard_since") else None,
        "also_sectors": acc.get("also_sectors", []),
        "investigation_level": acc.get("investigation_level"),
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
        "since": _date(hz["hazard_since"]) if hz.get("hazard_since") else None,
        "also_sectors": hz.get("also_sectors", []),
    }


def reference_coverage(doc, date):
    """{gaps: [{enterprise, sector, type, reason}], overlaps: [{region, sector, units}]} on a date (DESIGN §3
    end; §5.7: reason `unknown` when every match is vacant or unknown and at least one is unknown)."""
    w = doc if isinstance(doc, World) else World(doc)
    day = _date(date)
    gaps = []
    overlap_units: dict[tuple[str, str], set[str]] = {}
    for ent in sorted(c for c, u in w.units.items() if u["kind"] == "enterprise"):
        region = w.units[ent]["region"]
        for sector in w.units[ent].get("sectors", []):
            found = {t: [] for t in REQUIRED_TYPES}
            competent_by_region: dict[str, set[str]] = {}
            for duty in w.duties:
                if duty["type"] not in REQUIRED_TYPES:
                    continue
                if not (w.in_period(duty, day) and w.sector_ok(duty, sector)):
                    continue
                if duty["type"] == "primary":
                    if w.enterprise_of(w.holder_unit(duty)) != ent:
                        continue
                else:
                    if not w.region_ok(duty, region):
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
                elif all(lk["vacant"] or lk["unknown"] for lk in found[t]):
                    reason = "unknown" if any(lk["unknown"] for lk in found[t]) else "vacant"
                    gaps.append({"enterprise": ent, "sector": sector, "type": t, "reason": reason})
            for reg, units in competent_by_region.items():
                if len(units) >= 2:
                    overlap_units.setdefault((reg, sector), set()).update(units)
    overlaps = [
        {"region": reg, "sector": sec, "units": sorted(units)}
        for (reg, sec), units in sorted(overlap_units.items())
    ]
    return {"gaps": gaps, "overlaps": overlaps}
