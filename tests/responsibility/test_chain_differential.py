"""Differential check: resolve_chain / coverage_report against the naive reference of DESIGN §3 and §5.

Hypothesis builds small but schema-valid worlds (region and sector trees, governments, departments,
enterprises with departments and teams, positions — some with `records_from` —, tenures with vacancies,
successions and returns, duties of every stored type with random scopes and periods, permits (some
never expiring) and inspections around the event dates and years before them, certifications with
ordered signers, accidents and hazards with parties, actors (some `of` an enterprise), a responsibility
period (`hazard_since`) and further sectors, parties working in their own unit and post (§5.12: a
contractor's crew) and investigations raised above the grade's level (§5.11)), imports each one into an empty database, and compares the
product with tests/responsibility/reference_chain.py: every link with its term, span, vacant/unknown,
and the order wherever the spec fixes it. Worlds without the §5 fields are drawn too (§3 unchanged).
"""

import datetime as dt
import json
import os

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from responsibility.chain import ChainRequest, EventScope, resolve_chain
from responsibility.coverage import coverage_report
from responsibility.models import Person, Position, Region, Sector, Unit
from responsibility.scenario import import_scenario
from tests.conftest import DEMO_FILE, OLD_HOUSE_FILE, OLD_HOUSE_RAISED_FILE
from tests.responsibility.reference_chain import (
    FULL_KEYS,
    IDENTITY,
    LEVEL_RANK,
    LEVELS,
    REACH,
    World,
    accident_event,
    accident_grade,
    hazard_event,
    reference_coverage,
    reference_trace,
)

BASE = dt.date(2023, 1, 1)
ROLES = [
    "owner",
    "general_contractor",
    "subcontractor",
    "supervising_engineer",
    "installer",
    "landlord",
    "other",
]
SUPERVISION_STORED = ["party_gov_lead", "leader_in_charge", "territorial", "competent", "supervisory"]
ENTERPRISE_STORED = [
    "primary",
    "enterprise_leader",
    "safety_manager",
    "guarantor",
    "dept_head",
    "team_leader",
    "post",
]
# Code prefixes of mixed case and punctuation: "ties by unit code" must hold for any valid code.
PREFIXES = ["a", "B", "a_", "A-", "b.", "c"]


def day(n: int) -> str:
    return (BASE + dt.timedelta(days=n)).isoformat()


@st.composite
def worlds(draw):
    """A scenario document and the events (accidents and hazards) to trace in it."""
    doc = {k: [] for k in ("regions", "sectors", "units", "positions", "people", "tenures", "duties")}
    doc.update(permits=[], inspections=[], certifications=[], hazards=[], accidents=[])
    # §5 fields on or off for the whole world: off, it is a §3 world and must stay exactly §3
    period_world = draw(st.booleans())
    # anchors: the days events happen on; permits and inspections are placed around them
    anchors = draw(st.lists(st.integers(380, 800), min_size=2, max_size=3, unique=True))

    # regions: strictly descending levels, possibly skipping one
    root_level = draw(st.sampled_from(LEVELS[:3]))
    regions = [{"code": "R0", "name": "r0", "level": root_level}]
    for i in range(1, draw(st.integers(3, 6))):
        parents = [r for r in regions if r["level"] != "village"]
        parent = draw(st.sampled_from(parents))
        lower = LEVELS[LEVEL_RANK[parent["level"]] + 1 :]
        level = draw(st.sampled_from(lower[:2]))
        regions.append(
            {
                "code": f"{draw(st.sampled_from(PREFIXES))}R{i}",
                "name": f"r{i}",
                "level": level,
                "parent": parent["code"],
            }
        )
    doc["regions"] = regions
    region_codes = [r["code"] for r in regions]

    # sectors: two trees, 2-3 deep
    sectors = []
    for t in range(2):
        prev = None
        for depth in range(draw(st.integers(1, 3))):
            s = {"code": f"s{t}{depth}", "name": f"s{t}{depth}"}
            if prev and draw(st.booleans()):
                s["parent"] = prev
            elif prev:
                s["parent"] = f"s{t}0"
            sectors.append(s)
            prev = s["code"]
    doc["sectors"] = sectors
    sector_codes = [s["code"] for s in sectors]

    units, positions = [], []
    n_unit = 0

    def new_unit(kind, region, parent=None, **extra):
        nonlocal n_unit
        n_unit += 1
        u = {
            "code": f"{draw(st.sampled_from(PREFIXES))}u{n_unit}",
            "name": f"u{n_unit}",
            "kind": kind,
            "region": region,
        }
        if parent:
            u["parent"] = parent
        u.update(extra)
        units.append(u)
        for j in range(draw(st.integers(0 if kind in ("team", "enterprise_dept") else 1, 2))):
            positions.append(
                {"code": f"{draw(st.sampled_from(PREFIXES))}p{n_unit}_{j}", "title": "t", "unit": u["code"]}
            )
        return u["code"]

    gov_units = []
    for r in draw(st.lists(st.sampled_from(region_codes), min_size=2, max_size=4, unique=True)):
        gov = new_unit("government", r)
        gov_units.append(gov)
        if draw(st.booleans()):
            gov_units.append(new_unit("party_committee", r))
        for _ in range(draw(st.integers(0, 2))):
            gov_units.append(new_unit("department", r, gov))
    enterprises, ent_units = [], {}
    for _ in range(draw(st.integers(2, 4))):
        secs = draw(st.lists(st.sampled_from(sector_codes), min_size=1, max_size=2, unique=True))
        region = draw(st.sampled_from(region_codes))
        e = new_unit("enterprise", region, sectors=secs)
        enterprises.append(e)
        inside = [e]
        for _ in range(draw(st.integers(0, 3))):
            parent = draw(st.sampled_from(inside))
            kind = draw(st.sampled_from(["enterprise_dept", "team"]))
            inside.append(new_unit(kind, draw(st.sampled_from([region, *region_codes])), parent))
        ent_units[e] = inside
    doc["units"], doc["positions"] = units, positions
    unit_of = {p["code"]: p["unit"] for p in positions}
    if period_world:  # §5.7: some posts' tenure history starts late
        for p in positions:
            if draw(st.integers(0, 3)) == 0:
                p["records_from"] = day(draw(st.sampled_from([0, 300, 900, *anchors, anchors[0] + 1])))
    gov_positions = [p["code"] for p in positions if p["unit"] in gov_units]

    people = [{"code": f"{draw(st.sampled_from(PREFIXES))}h{i}", "name": f"h{i}"} for i in range(10)]
    doc["people"] = people
    person_codes = [p["code"] for p in people]

    # tenures: a succession per position, with gaps (vacancies); some positions never filled
    for p in positions:
        t = draw(st.sampled_from([0, 300, *anchors]))
        for _ in range(draw(st.integers(0, 3))):
            # successions: a tenure may end exactly on an event day (end is exclusive)
            length = draw(st.sampled_from([None, 30, 200, 400, *(a - t for a in anchors if a > t)]))
            ten = {"person": draw(st.sampled_from(person_codes)), "position": p["code"], "start": day(t)}
            if length is None:
                doc["tenures"].append(ten)
                break
            ten["end"] = day(t + length)
            doc["tenures"].append(ten)
            t += length + draw(st.sampled_from([0, 0, 20]))

    # duties of every stored type, random scopes and periods
    for i in range(draw(st.integers(8, 22))):
        type_ = draw(st.sampled_from(SUPERVISION_STORED + ENTERPRISE_STORED))
        if type_ in SUPERVISION_STORED:
            holder_units = gov_units
        else:
            holder_units = [u for e in enterprises for u in ent_units[e]]
        holder_unit = draw(st.sampled_from(holder_units))
        own_positions = [p["code"] for p in positions if p["unit"] == holder_unit]
        duty = {"code": f"D{i}", "type": type_}
        if own_positions and (type_ == "post" or draw(st.booleans())):
            duty["holder_position"] = draw(st.sampled_from(own_positions))
        else:
            duty["holder_unit"] = holder_unit
        if draw(st.booleans()):
            duty["sectors"] = draw(
                st.lists(st.sampled_from(sector_codes), min_size=1, max_size=2, unique=True)
            )
        if draw(st.integers(0, 3)) == 0:
            duty["region"] = draw(st.sampled_from(region_codes))
        if draw(st.integers(0, 4)) == 0:
            duty["enterprise"] = draw(st.sampled_from(enterprises))
        start = draw(st.sampled_from([0, 100, 400, *anchors, anchors[0] + 1]))
        duty["start"] = day(start)
        if draw(st.booleans()):
            duty["end"] = day(start + draw(st.sampled_from([1, 50, 400, 900])))
        doc["duties"].append(duty)

    # permits and inspections, often on window edges of an anchor
    def near_anchor(offsets):
        return draw(st.sampled_from(anchors)) - draw(st.sampled_from(offsets))

    if gov_positions:
        for i in range(draw(st.integers(0, 4))):
            approved = near_anchor([0, 1, 100, 365, 366, 700])
            permit = {
                "code": f"PM{i}",
                "enterprise": draw(st.sampled_from(enterprises)),
                "sector": draw(st.sampled_from(sector_codes)),
                "position": draw(st.sampled_from(gov_positions)),
                "approved_on": day(approved),
            }
            # §5: a permit without valid_until does not expire
            if not period_world or draw(st.integers(0, 3)) > 0:
                permit["valid_until"] = day(approved + draw(st.sampled_from([0, 1, 100, 366, 1000])))
            doc["permits"].append(permit)
        inspecting = sorted({unit_of[p] for p in gov_positions})
        used = set()
        for i in range(draw(st.integers(0, 6))):
            unit = draw(st.sampled_from(inspecting))
            ent = draw(st.sampled_from(enterprises))
            when = near_anchor([0, 1, 30, 200, 364, 365, 366, 400, 700])
            if (ent, unit, when) in used:  # same-day inspections of one pair: the spec has no "latest"
                continue
            used.add((ent, unit, when))
            own = sorted(p for p in gov_positions if unit_of[p] == unit)
            doc["inspections"].append(
                {
                    "code": f"IN{i}",
                    "enterprise": ent,
                    "sector": draw(st.sampled_from(sector_codes)),
                    "unit": unit,
                    "inspectors": draw(st.lists(st.sampled_from(own), min_size=1, max_size=2, unique=True)),
                    "date": day(when),
                }
            )

    # §5.5 certifications: issued by an enterprise with posts, signed by posts inside it, in listed order
    enterprise_posts = {e: [p["code"] for p in positions if p["unit"] in ent_units[e]] for e in enterprises}
    issuers = [e for e in enterprises if enterprise_posts[e]]
    if period_world and issuers:
        for i in range(draw(st.integers(0, 4))):
            issuer = draw(st.sampled_from(issuers))
            issued = near_anchor([-1, 0, 1, 30, 200, 400, 700])
            cert = {
                "code": f"{draw(st.sampled_from(PREFIXES))}CF{i}",
                "kind": draw(st.sampled_from(["inspection_report", "testing", "appraisal", "evaluation"])),
                "issuer": issuer,
                "signers": draw(
                    st.lists(st.sampled_from(enterprise_posts[issuer]), min_size=1, max_size=3, unique=True)
                ),
                "enterprise": draw(st.sampled_from(enterprises)),
                "sector": draw(st.sampled_from(sector_codes)),
                "issued_on": day(issued),
            }
            if draw(st.integers(0, 2)) > 0:  # mostly with a validity: expired ones are `earlier`
                cert["valid_until"] = day(issued + draw(st.sampled_from([0, 30, 200, 400])))
            doc["certifications"].append(cert)

    def parties_and_actors(main):
        others = [e for e in enterprises if e != main]
        parties = [
            {"enterprise": e, "role": draw(st.sampled_from(ROLES))}
            for e in draw(st.lists(st.sampled_from(others), max_size=2, unique=True))
        ]
        for party in parties:  # §5.12: where the party's own people were working (a crew), often
            e = party["enterprise"]
            if draw(st.booleans()):
                party["unit"] = draw(st.sampled_from(ent_units[e]))
            if enterprise_posts[e] and draw(st.booleans()):
                party["post"] = draw(st.sampled_from(enterprise_posts[e]))
        actors = [
            {"person": p, "role": draw(st.sampled_from(ROLES))}
            for p in draw(st.lists(st.sampled_from(person_codes), max_size=2, unique=True))
        ]
        for actor in actors:  # §5.6: the enterprise an actor controls or invests in
            if period_world and draw(st.booleans()):
                actor["of"] = draw(st.sampled_from(enterprises))
        return parties, actors

    def period_fields(event, anchor):
        """§5.1/§5.2: a responsibility period and further sectors, on a §5 world."""
        if not period_world:
            return
        if draw(st.integers(0, 3)) > 0:
            event["hazard_since"] = day(anchor - draw(st.sampled_from([0, 1, 100, 380, 700])))
        others = [s for s in sector_codes if s != event["sector"]]
        if others and draw(st.booleans()):
            event["also_sectors"] = draw(
                st.lists(st.sampled_from(others), min_size=1, max_size=2, unique=True)
            )

    grades = {  # deaths, serious injuries, loss
        "general": (1, 2, 100000),
        "larger": (3, 0, 0),
        "larger_loss": (0, 0, 10_000_000),
        "major": (0, 50, 0),
        "especially_major": (30, 0, 0),
    }
    for i, anchor in enumerate(anchors):
        with_enterprise = draw(st.integers(0, 4)) > 0
        main = draw(st.sampled_from(enterprises)) if with_enterprise else None
        parties, actors = parties_and_actors(main)
        deaths, injuries, loss = grades[draw(st.sampled_from(list(grades)))]
        # the event day is the China calendar day: 20:00 UTC the day before is already `anchor` in Beijing
        if draw(st.booleans()):
            occurred = f"{day(anchor)}T09:30:00+08:00"
        else:
            occurred = f"{day(anchor - 1)}T20:00:00+00:00"
        acc = {
            "code": f"A{i}",
            "region": draw(st.sampled_from(region_codes)),
            "sector": draw(st.sampled_from(sector_codes)),
            "occurred_at": occurred,
            "reported_at": f"{day(anchor)}T23:00:00+08:00",
            "deaths": deaths,
            "serious_injuries": injuries,
            "direct_loss_yuan": loss,
        }
        if main:
            acc["enterprise"] = main
            if draw(st.booleans()):
                acc["region"] = next(u["region"] for u in units if u["code"] == main)
            if draw(st.booleans()):
                acc["unit"] = draw(st.sampled_from(ent_units[main]))
            posts = [p["code"] for p in positions if p["unit"] in ent_units[main]]
            if posts and draw(st.booleans()):
                acc["post"] = draw(st.sampled_from(posts))
        if parties:
            acc["parties"] = parties
        if actors:
            acc["actors"] = actors
        # §5.11: an investigation raised to a level at or above the grade's
        grade_level = LEVELS.index(REACH[accident_grade(acc)])
        if draw(st.integers(0, 2)) == 0:
            acc["investigation_level"] = LEVELS[draw(st.integers(0, grade_level))]
        period_fields(acc, anchor)
        doc["accidents"].append(acc)
        # a hazard whose deadline is the anchor
        ent = draw(st.sampled_from(enterprises))
        parties, actors = parties_and_actors(ent)
        hz = {
            "code": f"H{i}",
            "enterprise": ent,
            "sector": draw(st.sampled_from(sector_codes)),
            "level": "general",
            "source": "self_check",
            "found_on": day(anchor - 30),
            "deadline": day(anchor),
        }
        if draw(st.booleans()):
            hz["unit"] = draw(st.sampled_from(ent_units[ent]))
        if parties:
            hz["parties"] = parties
        if actors:
            hz["actors"] = actors
        period_fields(hz, anchor)
        doc["hazards"].append(hz)
    return doc


# ---- comparing -------------------------------------------------------------------------------


def _before(a: tuple, b: tuple) -> bool:
    """Must a link at place `a` come before one at place `b`? Places are (block, sub, rest): blocks are
    ordered; inside a block, links of one sub are ordered by rest (§5.8: event_day, then `from` latest
    first); anything else is left open by the spec."""
    return a[0] < b[0] or (a[0] == b[0] and a[1] == b[1] and a[2] < b[2])


def _show(lk: dict) -> str:
    span = f"[{lk['from']}..{lk['to']}]" if lk["term"] == "earlier" else ""
    flags = ("V" if lk["vacant"] else "") + ("U" if lk["unknown"] else "")
    return (
        f"{lk['track'][:3]}:{lk['type']}:{lk['unit']}/{lk['position']}:{lk['person']}{flags}"
        f":{lk['term']}{span}:{lk['enterprise']}:{lk['role']}"
    )


def chain_request(event: dict) -> ChainRequest:
    """The ChainRequest of an event of a generated world (also test_chain_batch's)."""
    actors = []
    for a in event["actors"]:
        actor = (Person.objects.get(code=a["person"]), a["role"])
        actors.append((*actor, Unit.objects.get(code=a["of"])) if a.get("of") else actor)
    scope = EventScope(
        region=Region.objects.get(code=event["region"]),
        enterprise=Unit.objects.get(code=event["enterprise"]) if event["enterprise"] else None,
        unit=Unit.objects.get(code=event["unit"]) if event["unit"] else None,
        post=Position.objects.get(code=event["post"]) if event["post"] else None,
        parties=[
            (
                Unit.objects.get(code=p["enterprise"]),
                p["role"],
                Unit.objects.get(code=p["unit"]) if p.get("unit") else None,
                Position.objects.get(code=p["post"]) if p.get("post") else None,
            )
            for p in event["parties"]
        ],
        actors=actors,
    )
    return ChainRequest(
        scope,
        Sector.objects.get(code=event["sector"]),
        event["date"],
        event["grade"],
        event["since"],
        tuple(Sector.objects.get(code=c) for c in event["also_sectors"]),
        event.get("investigation_level"),
    )


def product_trace(event: dict) -> list[dict]:
    request = chain_request(event)
    links = resolve_chain(
        request.scope,
        request.sector,
        request.on_date,
        request.grade,
        since=request.since,
        also_sectors=request.also_sectors,
        investigation_level=request.investigation_level,
    )
    out = []
    for link in links:
        codes = link.as_codes()
        # plain values (the product's track and type are str enums)
        row = {k: str(codes[k]) if isinstance(codes.get(k), str) else codes.get(k) for k in FULL_KEYS}
        row["from"] = dt.date.fromisoformat(codes["from"]) if "from" in codes else None
        row["to"] = dt.date.fromisoformat(codes["to"]) if "to" in codes else None
        out.append(row)
    return out


def assert_same_trace(world: World, event: dict, label: str):
    want = reference_trace(world, **event)
    got = product_trace(event)
    detail = (
        f"{label}: event {json.dumps(event, default=str)}\nproduct:\n  "
        + "\n  ".join(map(_show, got))
        + "\nreference:\n  "
        + "\n  ".join(map(_show, want))
    )
    identity = lambda lk: tuple(lk[k] for k in IDENTITY)  # noqa: E731
    assert len({identity(lk) for lk in got}) == len(got), "a link listed twice\n" + detail
    wanted = {identity(lk): lk for lk in want}
    assert sorted(map(identity, got), key=str) == sorted(wanted, key=str), "different links\n" + detail
    for lk in got:
        ref = wanted[identity(lk)]
        for key in FULL_KEYS:
            if key not in ("vacant", "unknown"):
                assert lk[key] == ref[key], f"different {key} of {_show(lk)}\n" + detail
        assert (lk["vacant"], lk["unknown"]) in ref["_flags"], f"vacant/unknown of {_show(lk)}\n" + detail
    places = [wanted[identity(lk)]["_place"] for lk in got]
    for later in range(len(got)):
        for earlier in range(later):
            assert not _before(places[later], places[earlier]), (
                f"different order: {_show(got[later])} must come before {_show(got[earlier])}\n" + detail
            )


def assert_same_coverage(doc: dict, on_date: dt.date):
    want = reference_coverage(doc, on_date)
    got = coverage_report(on_date).as_codes()
    as_gaps = lambda gaps: {tuple(g[k] for k in ("enterprise", "sector", "type", "reason")) for g in gaps}  # noqa: E731
    as_overlaps = lambda ovs: {(o["region"], o["sector"], frozenset(o["units"])) for o in ovs}  # noqa: E731
    assert as_gaps(got["gaps"]) == as_gaps(want["gaps"]), f"gaps on {on_date}"
    assert as_overlaps(got["overlaps"]) == as_overlaps(want["overlaps"]), f"overlaps on {on_date}"


def check_world(doc: dict):
    world = World(doc)
    with transaction.atomic():
        import_scenario(json.dumps(doc))
        for acc in doc["accidents"]:
            assert_same_trace(world, accident_event(world, acc["code"]), acc["code"])
        for hz in doc["hazards"]:
            assert_same_trace(world, hazard_event(world, hz["code"]), hz["code"])
        for acc in doc["accidents"]:
            assert_same_coverage(doc, accident_event(world, acc["code"])["date"])
        transaction.set_rollback(True)


def world_settings(examples_variable: str, default: int):
    """Hypothesis settings of the random-world tests: `examples_variable` sets how many worlds;
    DIFF_SHRINK=0 reports the first failing world as found (shrinking a world can take minutes)."""
    return settings(
        max_examples=int(os.environ.get(examples_variable, str(default))),
        deadline=None,
        phases=[Phase.explicit, Phase.generate] if os.environ.get("DIFF_SHRINK") == "0" else list(Phase),
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


@pytest.mark.django_db
@world_settings("DIFF_EXAMPLES", 40)
@given(doc=worlds())
def test_resolve_chain_and_coverage_agree_with_the_reference(doc):
    check_world(doc)


@pytest.mark.parametrize(
    "path",
    [DEMO_FILE, OLD_HOUSE_FILE, OLD_HOUSE_RAISED_FILE],
    ids=["demo_county", "old_house", "old_house_raised"],
)
def test_the_reference_gives_the_worked_examples(path):
    """The reference itself reads the spec as the worked examples do: every trace link by link, in order,
    with term, span, vacant and unknown; and the coverage on each listed date."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))
    world = World(doc)
    for key, trace in expected["traces"].items():
        kind, code = key.split(":")
        event = (accident_event if kind == "accident" else hazard_event)(world, code)
        got = [
            {
                k: (v.isoformat() if isinstance(v, dt.date) else v)
                for k, v in lk.items()
                if not k.startswith("_")
            }
            for lk in reference_trace(world, **event)
        ]
        defaults = {"unknown": False, "term": "event_day", "from": None, "to": None}
        want = [{k: lk.get(k, defaults.get(k)) for k in FULL_KEYS} for lk in trace["links"]]
        assert got == want, key
    for on_date, coverage in expected["coverage"].items():
        got = reference_coverage(world, on_date)
        as_set = lambda rows: sorted(json.dumps(r, sort_keys=True) for r in rows)  # noqa: E731
        assert as_set(got["gaps"]) == as_set(coverage["gaps"]), on_date
        assert as_set(got["overlaps"]) == as_set(coverage["overlaps"]), on_date
