#!/usr/bin/env python
"""A deterministic synthetic province for the benchmarks (issue 16).

    .venv/bin/python bench/province.py --enterprises 1000 --database bench_h3_1k        # COPY into a migrated db
    .venv/bin/python bench/province.py --enterprises 1000 --emit-json /tmp/p1k.json      # the same as a document
    .venv/bin/python bench/province.py --enterprises 1000 --database bench_h3_1k --check-sample 20

One generator (`generate`) yields scenario items — the dicts of `scenario.schema.json`, section by
section in dependency order — from a seeded random stream; two sinks consume the same stream:

- `DatabaseSink` turns each item into the rows `import_scenario` would write (ids assigned here,
  materialised paths, a unit's enterprise, a hazard's original deadline, an accident's grade by the
  product's `grade_of`) and writes them with PostgreSQL COPY (bulk INSERT on SQLite), in one
  transaction, buffered per table so memory stays flat. History tables are not written (nothing the
  benchmarks measure reads them).
- `JsonSink` writes the items as one scenario document, for `import_scenario`.

`--check-sample N` proves the two equal where it matters: it emits the document, imports it with
the product's `import_scenario` into a second fresh database (a copy of a migrated template), and
compares the traces (`accountability.events`, as `manage.py trace --accident` computes them) of N
sampled accidents between the two databases.

Shape, scaled by `--enterprises` (at 50,000: 14 cities, ~100 counties, ~1,200 townships): a province
with party committee, government, emergency (应急), housing (住建), transport (交通) and economy (经信)
bodies at every level down to the county, party committee and government in every township;
enterprises with 3–8 positions, tenure histories (some vacant, some with `records_from`), every
stored duty type, permits, inspections, certifications by service bodies, ~4 hazards each (most
closed, some open, one in ten due for the sweep day's "approaching" reminder) and an accident for
one in ten enterprises (some with a party enterprise, some with an actor, a few of larger grade).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SEED = 16
# The day the benchmarks take as "today": traces, coverage and the matrix are asked on it.
BENCH_DAY = dt.date(2025, 6, 30)
# The sweep runs on this day; the due hazards' deadline is 7 days later (the "approaching" rule's -7).
SWEEP_DAY = BENCH_DAY
DUE_DEADLINE = SWEEP_DAY + dt.timedelta(days=7)

SECTORS = [
    ("construction", "建筑施工", None),
    ("housing", "房屋建筑工程", "construction"),
    ("municipal", "市政工程", "construction"),
    ("hazchem", "危险化学品", None),
    ("chem_production", "危化品生产", "hazchem"),
    ("chem_storage", "危化品储存经营", "hazchem"),
    ("industry", "工贸", None),
    ("metallurgy", "冶金", "industry"),
    ("dust", "粉尘涉爆", "industry"),
    ("transport", "交通运输", None),
    ("road_freight", "道路货运", "transport"),
    ("service", "安全技术服务", None),
]
LEAF_SECTORS = [
    "housing",
    "municipal",
    "chem_production",
    "chem_storage",
    "metallurgy",
    "dust",
    "road_freight",
]
TOP_OF = {code: parent or code for code, _name, parent in SECTORS}

# Public bodies at province, city and county: (suffix, name, kind, duty type, sectors).
DEPARTMENTS = [
    ("yj", "应急管理局", "supervisory", ["hazchem", "industry"]),
    ("zj", "住房和城乡建设局", "competent", ["construction"]),
    ("jt", "交通运输局", "competent", ["transport"]),
    ("jx", "经济和信息化局", "competent", ["industry"]),
]
# The county department that approves and inspects each top sector.
PERMITTING = {"construction": "zj", "hazchem": "yj", "industry": "yj", "transport": "jt"}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰飞鹏辉红建国志宏海波云峰春梅林斌宇浩凯文博"

SECTION_ORDER = [
    "regions",
    "sectors",
    "units",
    "positions",
    "people",
    "tenures",
    "duties",
    "permits",
    "inspections",
    "certifications",
    "hazards",
    "accidents",
]


def shape(enterprises: int) -> dict:
    """Region counts in the proportions of a real province (50k enterprises: 14 / ~100 / ~1,200)."""
    townships = max(4, round(enterprises / 42))
    counties = max(2, round(townships / 12))
    cities = max(1, round(counties / 7))
    return {"cities": cities, "counties": counties, "townships": townships}


def _d(day: dt.date) -> str:
    return day.isoformat()


class _Names:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def person(self) -> str:
        r = self.rng
        return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2))))


def _tenures(rng: random.Random, position: str, names: _Names, *, vacant_rate: float, unknown_rate: float):
    """People and tenures of one position: 1–3 successive holders; sometimes vacant now, sometimes with
    records starting late (未录入 before). Returns (records_from or None, [(person item, tenure item)])."""
    holders = rng.choice((1, 1, 2, 2, 3))
    start = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(0, 1500))
    records_from = None
    if rng.random() < unknown_rate:
        records_from = dt.date(2019, 1, 1)
        start = max(start, dt.date(2019, 7, 1))
    out = []
    for k in range(holders):
        last = k == holders - 1
        end = None
        if not last:
            end = start + dt.timedelta(days=rng.randrange(400, 1500))
            if end >= BENCH_DAY:
                end = BENCH_DAY - dt.timedelta(days=30)
            if end <= start:
                break
        elif rng.random() < vacant_rate:
            end = BENCH_DAY - dt.timedelta(days=rng.randrange(20, 400))
            if end <= start:
                end = None
        code = f"p.{position}.{k}"
        person = {"code": code, "name": names.person()}
        tenure = {"person": code, "position": position, "start": _d(start)}
        if end:
            tenure["end"] = _d(end)
        out.append((person, tenure))
        if end is None:
            break
        start = end + dt.timedelta(days=rng.randrange(0, 60))
        if start >= BENCH_DAY:
            break
    return records_from, out


def generate(enterprises: int, seed: int = SEED) -> Iterator[tuple[str, dict]]:
    """Every item of the province as (section, item), references always after what they name."""
    rng = random.Random(f"{seed}:{enterprises}")
    names = _Names(rng)
    dims = shape(enterprises)

    # ---- regions ----------------------------------------------------------------------------------
    yield "regions", {"code": "P", "name": "基准省", "level": "province"}
    cities = [f"C{c:02d}" for c in range(1, dims["cities"] + 1)]
    counties: list[tuple[str, str]] = []  # (county, city)
    townships: list[tuple[str, str]] = []  # (township, county)
    for c, city in enumerate(cities):
        yield "regions", {"code": city, "name": f"第{c + 1}市", "level": "city", "parent": "P"}
    for k in range(dims["counties"]):
        city = cities[k * len(cities) // dims["counties"]]
        county = f"{city}K{k + 1:03d}"
        counties.append((county, city))
        yield "regions", {"code": county, "name": f"第{k + 1}县", "level": "county", "parent": city}
    for t in range(dims["townships"]):
        county = counties[t * len(counties) // dims["townships"]][0]
        township = f"{county}T{t + 1:04d}"
        townships.append((township, county))
        yield "regions", {"code": township, "name": f"第{t + 1}镇", "level": "township", "parent": county}

    for code, name, parent in SECTORS:
        item = {"code": code, "name": name}
        if parent:
            item["parent"] = parent
        yield "sectors", item

    # ---- public bodies ----------------------------------------------------------------------------
    def public_position(unit: str, suffix: str, title: str, *, vacant_rate=0.05, unknown_rate=0.1):
        code = f"{unit}.{suffix}"
        records_from, held = _tenures(rng, code, names, vacant_rate=vacant_rate, unknown_rate=unknown_rate)
        position = {"code": code, "title": title, "unit": unit}
        if records_from:
            position["records_from"] = _d(records_from)
        return code, position, held

    def body(region: str, level: str, overlap: bool):
        """Units, positions, people, tenures and duties of one region's public bodies."""
        units, positions, people, tenures, duties = [], [], [], [], []

        def add_position(unit, suffix, title):
            code, position, held = public_position(unit, suffix, title)
            positions.append(position)
            for person, tenure in held:
                people.append(person)
                tenures.append(tenure)
            return code

        def duty(code, holder, kind, type_, start="2018-01-01", sectors=None, basis=""):
            item = {"code": code, kind: holder, "type": type_, "start": start}
            if sectors:
                item["sectors"] = sectors
            item["basis"] = basis or "地方党政领导干部安全生产责任制规定"
            duties.append(item)

        party, gov = f"{region}.party", f"{region}.gov"
        units.append({"code": party, "name": f"{region}党委", "kind": "party_committee", "region": region})
        units.append({"code": gov, "name": f"{region}人民政府", "kind": "government", "region": region})
        sec = add_position(party, "sec", "党委书记")
        head = add_position(gov, "head", "政府主要负责人")
        duty(f"D.{sec}.pgl", sec, "holder_position", "party_gov_lead")
        duty(f"D.{head}.pgl", head, "holder_position", "party_gov_lead")
        if level == "township":
            duty(f"D.{gov}.terr", gov, "holder_unit", "territorial", basis="安全生产法 第九条")
            deputy = add_position(gov, "dep", "分管安全副镇长")
            duty(f"D.{deputy}.lic", deputy, "holder_position", "leader_in_charge")
            return units, positions, people, tenures, duties
        duty(f"D.{gov}.terr", gov, "holder_unit", "territorial", basis="安全生产法 第九条")
        for n, (suffix, dname, type_, sectors) in enumerate(DEPARTMENTS):
            dept = f"{region}.{suffix}"
            units.append(
                {
                    "code": dept,
                    "name": f"{region}{dname}",
                    "kind": "department",
                    "region": region,
                    "parent": gov,
                }
            )
            chief = add_position(dept, "chief", "局长")
            add_position(dept, "permit", "审批科长")
            add_position(dept, "insp1", "执法人员")
            add_position(dept, "insp2", "执法人员")
            # The department answers as a unit; its chief as the post.
            duty(f"D.{dept}.{type_}", dept, "holder_unit", type_, sectors=sectors, basis="安全生产法 第十条")
            duty(f"D.{chief}.{type_}", chief, "holder_position", type_, sectors=sectors)
            deputy = add_position(gov, f"dep{n}", f"分管{dname}副职")
            duty(f"D.{deputy}.lic", deputy, "holder_position", "leader_in_charge", sectors=sectors)
        if overlap:
            # 多头管理: a second competent body for dust-explosion work in this county.
            duty(f"D.{region}.yj.dust", f"{region}.yj", "holder_unit", "competent", sectors=["dust"])
        return units, positions, people, tenures, duties

    bodies = [("P", "province", False)]
    bodies += [(city, "city", False) for city in cities]
    bodies += [(county, "county", n % 5 == 0) for n, (county, _city) in enumerate(counties)]
    bodies += [(township, "township", False) for township, _county in townships]
    parts: dict[str, list] = {s: [] for s in ("units", "positions", "people", "tenures", "duties")}
    for region, level, overlap in bodies:
        for name, items in zip(parts, body(region, level, overlap), strict=True):
            parts[name].extend(items)
    for section in ("units", "positions", "people", "tenures", "duties"):
        for item in parts[section]:
            yield section, item
    del parts

    # ---- enterprises, one at a time ----------------------------------------------------------------
    county_of = dict(townships)
    for i in range(enterprises):
        yield from _enterprise(rng, names, i, enterprises, townships, county_of)


def _enterprise(rng, names, i, total, townships, county_of):
    code = f"E{i:06d}"
    township = townships[i * len(townships) // total][0]
    county = county_of[township]
    service_body = i % 40 == 0
    sectors = ["service"] if service_body else sorted(set(rng.sample(LEAF_SECTORS, rng.choice((1, 1, 1, 2)))))
    main_sector = sectors[0]
    out: dict[str, list] = {s: [] for s in SECTION_ORDER}
    out["units"].append(
        {"code": code, "name": f"基准企业{i}", "kind": "enterprise", "region": township, "sectors": sectors}
    )
    n_positions = rng.randint(3, 8)
    plan = [("gm", "主要负责人", None), ("safety", "安全总监", None), ("deputy", "分管负责人", None)]
    depts, teams = [], []
    n_depts = 0 if n_positions == 3 else min(2, (n_positions - 2) // 2)
    for d in range(n_depts):
        dept = f"{code}.d{d + 1}"
        depts.append(dept)
        out["units"].append(
            {
                "code": dept,
                "name": f"第{d + 1}车间",
                "kind": "enterprise_dept",
                "region": township,
                "parent": code,
            }
        )
        plan.append((f"d{d + 1}.head", "车间主任", dept))
    if n_depts and len(plan) < n_positions:
        team = f"{depts[0]}.t1"
        teams.append(team)
        out["units"].append(
            {"code": team, "name": "一班", "kind": "team", "region": township, "parent": depts[0]}
        )
        plan.append(("d1.t1.lead", "班组长", team))
    k = 0
    while len(plan) < n_positions:
        k += 1
        plan.append(
            (
                f"post{k}",
                "塔吊司机" if main_sector in ("housing", "municipal") else "操作工",
                teams[0] if teams else code,
            )
        )
    posts = []
    for suffix, title, unit in plan:
        pos = f"{code}.{suffix}"
        records_from, held = _tenures(rng, pos, names, vacant_rate=0.06, unknown_rate=0.08)
        item = {"code": pos, "title": title, "unit": unit or code}
        if records_from:
            item["records_from"] = _d(records_from)
        out["positions"].append(item)
        for person, tenure in held:
            out["people"].append(person)
            out["tenures"].append(tenure)
        start = "2016-01-01"
        if suffix == "gm":
            type_ = "primary"
        elif suffix == "safety":
            type_ = "safety_manager"
        elif suffix == "deputy":
            type_ = "enterprise_leader"
        elif suffix.endswith(".head"):
            type_ = "dept_head"
        elif suffix.endswith(".lead"):
            type_ = "team_leader"
        else:
            type_ = "post"
            posts.append(pos)
        duty = {
            "code": f"D.{pos}",
            "holder_position": pos,
            "type": type_,
            "start": start,
            "basis": "安全生产法 第二十一条",
        }
        if type_ == "enterprise_leader":
            duty["sectors"] = [main_sector]
        out["duties"].append(duty)
    if main_sector.startswith("chem"):
        out["duties"].append(
            {
                "code": f"D.{code}.gm.guar",
                "holder_position": f"{code}.gm",
                "type": "guarantor",
                "start": "2020-01-01",
            }
        )
    if rng.random() < 0.1:
        # A duty that ended: not in force on the bench day.
        out["duties"].append(
            {
                "code": f"D.{code}.old",
                "holder_position": f"{code}.safety",
                "type": "safety_manager",
                "start": "2014-01-01",
                "end": "2016-01-01",
            }
        )

    # ---- permits, inspections, certifications ----
    dept = f"{county}.{PERMITTING.get(TOP_OF[main_sector], 'yj')}"
    approved = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(0, 2000))
    permit = {
        "code": f"PM.{code}",
        "enterprise": code,
        "sector": main_sector,
        "position": f"{dept}.permit",
        "name": "安全生产许可证",
        "approved_on": _d(approved),
    }
    if rng.random() < 0.7:
        permit["valid_until"] = _d(approved + dt.timedelta(days=3 * 365))
    out["permits"].append(permit)
    inspections = []
    for n in range(rng.choice((1, 2, 2, 3))):
        day = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(0, 900))
        inspectors = [f"{dept}.insp1"] + ([f"{dept}.insp2"] if rng.random() < 0.5 else [])
        code_i = f"IN.{code}.{n}"
        inspections.append(code_i)
        out["inspections"].append(
            {
                "code": code_i,
                "enterprise": code,
                "sector": main_sector,
                "unit": dept,
                "inspectors": inspectors,
                "date": _d(day),
                "findings": "发现隐患若干",
            }
        )
    if not service_body and rng.random() < 0.3:
        issuer = f"E{(i // 40) * 40:06d}"
        issued = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(0, 1000))
        cert = {
            "code": f"CT.{code}",
            "kind": rng.choice(["inspection_report", "testing", "appraisal", "evaluation", "acceptance"]),
            "issuer": issuer,
            "signers": [f"{issuer}.gm", f"{issuer}.safety"],
            "enterprise": code,
            "sector": main_sector,
            "issued_on": _d(issued),
            "conclusion": "合格",
        }
        if rng.random() < 0.5:
            cert["valid_until"] = _d(issued + dt.timedelta(days=2 * 365))
        out["certifications"].append(cert)

    # ---- hazards: ~4, most closed; one in ten enterprises has one due for the sweep ----
    for n in range(rng.choice((3, 4, 4, 5))):
        found = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(0, 1200))
        deadline = found + dt.timedelta(days=rng.randrange(10, 90))
        hazard = {
            "code": f"H.{code}.{n}",
            "enterprise": code,
            "sector": main_sector,
            "title": "隐患",
            "level": "major" if rng.random() < 0.05 else "general",
            "source": "inspection" if n == 0 else "self_check",
            "found_on": _d(found),
            "deadline": _d(deadline),
            "responsible_position": f"{code}.safety",
            "measures": "整改",
            "funds_yuan": 1000 * rng.randint(1, 50),
            "contingency_plan": "应急预案",
        }
        if n == 0:
            hazard["inspection"] = inspections[0]
        if depts and rng.random() < 0.3:
            hazard["unit"] = depts[0]
        if rng.random() < 0.85:
            hazard["state"] = "closed"
            hazard["closed_on"] = _d(min(deadline, BENCH_DAY - dt.timedelta(days=1)))
            if deadline > BENCH_DAY:
                hazard["deadline"] = hazard["closed_on"]
                deadline = BENCH_DAY - dt.timedelta(days=1)
        else:
            hazard["state"] = rng.choice(["reported", "rectifying"])
            # open: far ahead of the sweep window, or long overdue
            if rng.random() < 0.5:
                hazard["deadline"] = _d(BENCH_DAY + dt.timedelta(days=rng.randrange(60, 400)))
            else:
                hazard["deadline"] = _d(min(deadline, BENCH_DAY - dt.timedelta(days=60)))
                if dt.date.fromisoformat(hazard["deadline"]) < found:
                    hazard["found_on"] = hazard["deadline"]
        out["hazards"].append(hazard)
    if i % 10 == 5:
        out["hazards"].append(
            {
                "code": f"H.{code}.due",
                "enterprise": code,
                "sector": main_sector,
                "title": "到期隐患",
                "level": "general",
                "source": "self_check",
                "found_on": _d(SWEEP_DAY - dt.timedelta(days=30)),
                "deadline": _d(DUE_DEADLINE),
                "state": "rectifying",
                "responsible_position": f"{code}.safety",
                "measures": "整改",
                "contingency_plan": "应急预案",
            }
        )

    # ---- an accident for one in ten ----
    if i % 10 == 3:
        occurred = dt.datetime(2024, 1, 1, 8, 0) + dt.timedelta(
            days=rng.randrange(0, 500), minutes=rng.randrange(0, 600)
        )
        deaths = rng.choice((0, 0, 1, 1, 1, 2, 3))
        accident = {
            "code": f"A.{code}",
            "title": "生产安全事故",
            "enterprise": code,
            "region": township,
            "sector": main_sector,
            "occurred_at": occurred.isoformat() + "+08:00",
            "reported_at": (occurred + dt.timedelta(minutes=rng.randrange(10, 180))).isoformat() + "+08:00",
            "deaths": deaths,
            "serious_injuries": rng.randint(0, 3),
            "direct_loss_yuan": 10000 * rng.randint(5, 400),
        }
        if depts:
            accident["unit"] = depts[0]
        if posts:
            accident["post"] = posts[0]
        if i > 40 and rng.random() < 0.3:
            accident["parties"] = [{"enterprise": f"E{i - 1:06d}", "role": "subcontractor"}]
        if rng.random() < 0.15:
            actor = f"p.{code}.actor"
            out["people"].append({"code": actor, "name": names.person()})
            act = {"person": actor, "role": "controller"}
            if rng.random() < 0.5:
                act["of"] = code
            accident["actors"] = [act]
        out["accidents"].append(accident)

    for section in SECTION_ORDER:
        for item in out[section]:
            yield section, item


# ---- sinks -------------------------------------------------------------------------------------------


class JsonSink:
    """The items as one scenario document, written section by section from spool files."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.dir = tempfile.TemporaryDirectory(prefix="province-json-")
        self.files = {
            s: open(Path(self.dir.name) / f"{s}.jsonl", "w", encoding="utf-8")  # noqa: SIM115
            for s in SECTION_ORDER
        }
        self.count = 0

    def add(self, section: str, item: dict) -> None:
        self.files[section].write(json.dumps(item, ensure_ascii=False) + "\n")
        self.count += 1

    def close(self) -> None:
        with open(self.path, "w", encoding="utf-8") as out:
            out.write("{")
            first_section = True
            for section in SECTION_ORDER:
                self.files[section].close()
                out.write(("" if first_section else ",") + f'\n"{section}": [')
                first_section = False
                with open(self.files[section].name, encoding="utf-8") as spool:
                    for n, line in enumerate(spool):
                        out.write(("\n" if n == 0 else ",\n") + line.rstrip("\n"))
                out.write("]")
            out.write("\n}\n")
        self.dir.cleanup()


TABLE_COLUMNS = {
    "responsibility_region": ("id", "code", "path", "name", "level", "parent_id"),
    "responsibility_sector": ("id", "code", "path", "name", "parent_id"),
    "responsibility_unit": ("id", "code", "path", "name", "kind", "enterprise_id", "parent_id", "region_id"),
    "responsibility_unit_sectors": ("id", "unit_id", "sector_id"),
    "responsibility_position": ("id", "code", "title", "unit_id", "records_from", "authority"),
    "responsibility_person": ("id", "code", "name", "email", "user_id"),
    "responsibility_tenure": ("id", "start", "end", "person_id", "position_id", "document"),
    "responsibility_duty": (
        "id",
        "code",
        "type",
        "start",
        "end",
        "basis",
        "holder_position_id",
        "region_id",
        "enterprise_id",
        "holder_unit_id",
    ),
    "responsibility_duty_sectors": ("id", "duty_id", "sector_id"),
    "responsibility_permit": (
        "id",
        "code",
        "name",
        "approved_on",
        "valid_until",
        "position_id",
        "sector_id",
        "enterprise_id",
    ),
    "responsibility_inspection": ("id", "code", "date", "findings", "sector_id", "enterprise_id", "unit_id"),
    "responsibility_inspection_inspectors": ("id", "inspection_id", "position_id"),
    "responsibility_certification": (
        "id",
        "code",
        "kind",
        "issued_on",
        "valid_until",
        "conclusion",
        "enterprise_id",
        "issuer_id",
        "sector_id",
    ),
    "responsibility_certificationsigner": ("id", "order", "certification_id", "position_id"),
    "accountability_hazard": (
        "id",
        "code",
        "title",
        "level",
        "source",
        "found_on",
        "deadline",
        "state",
        "closed_on",
        "measures",
        "funds_yuan",
        "contingency_plan",
        "enterprise_id",
        "inspection_id",
        "responsible_position_id",
        "sector_id",
        "unit_id",
        "original_deadline",
        "submitted_on",
        "hazard_since",
    ),
    "accountability_accident": (
        "id",
        "code",
        "title",
        "occurred_at",
        "reported_at",
        "deaths",
        "serious_injuries",
        "direct_loss_yuan",
        "grade",
        "enterprise_id",
        "post_id",
        "region_id",
        "sector_id",
        "unit_id",
        "hazard_since",
        "investigation_level",
    ),
    "accountability_eventparty": ("id", "role", "order", "accident_id", "enterprise_id", "hazard_id"),
    "accountability_eventactor": ("id", "role", "order", "accident_id", "person_id", "hazard_id", "of_id"),
}


def _date(value):
    return dt.date.fromisoformat(value) if value else None


class DatabaseSink:
    """The rows `import_scenario` writes for each item, with ids assigned here, buffered per table and
    flushed with COPY (PostgreSQL) or executemany (SQLite) inside the caller's transaction."""

    FLUSH = 20_000

    def __init__(self, connection, progress=None):
        self.connection = connection
        self.vendor = connection.vendor
        self.rows: dict[str, list[tuple]] = {t: [] for t in TABLE_COLUMNS}
        self.next_id = dict.fromkeys(TABLE_COLUMNS, 1)
        self.ids: dict[str, dict[str, int]] = {s: {} for s in SECTION_ORDER}
        self.paths: dict[str, dict[str, str]] = {"regions": {}, "sectors": {}, "units": {}}
        self.enterprise_of: dict[str, int | None] = {}
        self.count = 0
        self.written = 0
        self.progress = progress

    def _row(self, table: str, *values) -> int:
        pk = self.next_id[table]
        self.next_id[table] = pk + 1
        self.rows[table].append((pk, *values))
        if len(self.rows[table]) >= self.FLUSH:
            self.flush(table)
        return pk

    def flush(self, table: str) -> None:
        rows = self.rows[table]
        if not rows:
            return
        columns = TABLE_COLUMNS[table]
        quoted = ", ".join(f'"{c}"' for c in columns)
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({quoted}) VALUES ({marks})", [self._adapt(row) for row in rows]
                )
        self.written += len(rows)
        self.rows[table] = []

    def _adapt(self, row: tuple) -> tuple:
        """Values as Django stores them on backends without COPY (dates as text on SQLite)."""
        ops = self.connection.ops
        out = []
        for value in row:
            if isinstance(value, dt.datetime):
                value = ops.adapt_datetimefield_value(value)
            elif isinstance(value, dt.date):
                value = ops.adapt_datefield_value(value)
            elif isinstance(value, Decimal):
                value = ops.adapt_decimalfield_value(value, 16, 2)
            out.append(value)
        return tuple(out)

    def add(self, section: str, item: dict) -> None:
        self.count += 1
        getattr(self, f"_{section}")(item)
        if self.progress and self.count % 100_000 == 0:
            self.progress(f"{self.count:,} items")

    def close(self) -> None:
        for table in TABLE_COLUMNS:
            self.flush(table)
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                for table in TABLE_COLUMNS:
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                    )

    # ---- one method per section, as responsibility/scenario.py and accountability/scenario_sections.py ----

    def _tree(self, section, item):
        parent = item.get("parent")
        path = f"{self.paths[section][parent] if parent else '/'}{item['code']}/"
        self.paths[section][item["code"]] = path
        return path, self.ids[section][parent] if parent else None

    def _regions(self, item):
        path, parent = self._tree("regions", item)
        pk = self._row("responsibility_region", item["code"], path, item["name"], item["level"], parent)
        self.ids["regions"][item["code"]] = pk

    def _sectors(self, item):
        path, parent = self._tree("sectors", item)
        self.ids["sectors"][item["code"]] = self._row(
            "responsibility_sector", item["code"], path, item["name"], parent
        )

    def _units(self, item):
        path, parent = self._tree("units", item)
        pk = self.next_id["responsibility_unit"]
        if item["kind"] == "enterprise":
            enterprise = pk
        else:
            enterprise = self.enterprise_of[item["parent"]] if item.get("parent") else None
        self.enterprise_of[item["code"]] = enterprise
        region = self.ids["regions"][item["region"]]
        self._row(
            "responsibility_unit", item["code"], path, item["name"], item["kind"], enterprise, parent, region
        )
        self.ids["units"][item["code"]] = pk
        for sector in sorted(set(item.get("sectors") or [])):
            self._row("responsibility_unit_sectors", pk, self.ids["sectors"][sector])

    def _positions(self, item):
        pk = self._row(
            "responsibility_position",
            item["code"],
            item["title"],
            self.ids["units"][item["unit"]],
            _date(item.get("records_from")),
            "",
        )
        self.ids["positions"][item["code"]] = pk

    def _people(self, item):
        self.ids["people"][item["code"]] = self._row(
            "responsibility_person", item["code"], item["name"], "", None
        )

    def _tenures(self, item):
        self._row(
            "responsibility_tenure",
            _date(item["start"]),
            _date(item.get("end")),
            self.ids["people"][item["person"]],
            self.ids["positions"][item["position"]],
            "",
        )

    def _get(self, section, code):
        return self.ids[section][code] if code else None

    def _duties(self, item):
        pk = self._row(
            "responsibility_duty",
            item["code"],
            item["type"],
            _date(item["start"]),
            _date(item.get("end")),
            item.get("basis", ""),
            self._get("positions", item.get("holder_position")),
            self._get("regions", item.get("region")),
            self._get("units", item.get("enterprise")),
            self._get("units", item.get("holder_unit")),
        )
        for sector in sorted(set(item.get("sectors") or [])):
            self._row("responsibility_duty_sectors", pk, self.ids["sectors"][sector])

    def _permits(self, item):
        self.ids["permits"][item["code"]] = self._row(
            "responsibility_permit",
            item["code"],
            item.get("name", ""),
            _date(item["approved_on"]),
            _date(item.get("valid_until")),
            self.ids["positions"][item["position"]],
            self.ids["sectors"][item["sector"]],
            self.ids["units"][item["enterprise"]],
        )

    def _inspections(self, item):
        pk = self._row(
            "responsibility_inspection",
            item["code"],
            _date(item["date"]),
            item.get("findings", ""),
            self.ids["sectors"][item["sector"]],
            self.ids["units"][item["enterprise"]],
            self.ids["units"][item["unit"]],
        )
        self.ids["inspections"][item["code"]] = pk
        for position in item["inspectors"]:
            self._row("responsibility_inspection_inspectors", pk, self.ids["positions"][position])

    def _certifications(self, item):
        pk = self._row(
            "responsibility_certification",
            item["code"],
            item["kind"],
            _date(item["issued_on"]),
            _date(item.get("valid_until")),
            item.get("conclusion", ""),
            self.ids["units"][item["enterprise"]],
            self.ids["units"][item["issuer"]],
            self.ids["sectors"][item["sector"]],
        )
        for order, position in enumerate(item["signers"]):
            self._row("responsibility_certificationsigner", order, pk, self.ids["positions"][position])

    def _involved(self, item, accident, hazard):
        for order, party in enumerate(item.get("parties") or []):
            self._row(
                "accountability_eventparty",
                party["role"],
                order,
                accident,
                self.ids["units"][party["enterprise"]],
                hazard,
            )
        for order, actor in enumerate(item.get("actors") or []):
            self._row(
                "accountability_eventactor",
                actor["role"],
                order,
                accident,
                self.ids["people"][actor["person"]],
                hazard,
                self._get("units", actor.get("of")),
            )

    def _hazards(self, item):
        from responsibility.scenario import money

        deadline = _date(item["deadline"])
        pk = self._row(
            "accountability_hazard",
            item["code"],
            item.get("title", ""),
            item["level"],
            item["source"],
            _date(item["found_on"]),
            deadline,
            item.get("state", "reported"),
            _date(item.get("closed_on")),
            item.get("measures", ""),
            money(item["funds_yuan"]) if item.get("funds_yuan") is not None else None,
            item.get("contingency_plan", ""),
            self.ids["units"][item["enterprise"]],
            self._get("inspections", item.get("inspection")),
            self._get("positions", item.get("responsible_position")),
            self.ids["sectors"][item["sector"]],
            self._get("units", item.get("unit")),
            deadline,
            None,
            _date(item.get("hazard_since")),
        )
        self.ids["hazards"][item["code"]] = pk
        self._involved(item, None, pk)

    def _accidents(self, item):
        from accountability.grading import grade_of
        from responsibility.scenario import money, parse_datetime

        loss = money(item["direct_loss_yuan"])
        pk = self._row(
            "accountability_accident",
            item["code"],
            item.get("title", ""),
            parse_datetime(item["occurred_at"]),
            parse_datetime(item["reported_at"]) if item.get("reported_at") else None,
            item["deaths"],
            item["serious_injuries"],
            loss,
            grade_of(item["deaths"], item["serious_injuries"], loss),
            self._get("units", item.get("enterprise")),
            self._get("positions", item.get("post")),
            self.ids["regions"][item["region"]],
            self.ids["sectors"][item["sector"]],
            self._get("units", item.get("unit")),
            _date(item.get("hazard_since")),
            item.get("investigation_level", ""),
        )
        self.ids["accidents"][item["code"]] = pk
        self._involved(item, pk, None)


# ---- entry points ------------------------------------------------------------------------------------


def load(enterprises: int, seed: int = SEED, progress=None) -> DatabaseSink:
    """Generate straight into the default database (migrated, empty), in one transaction."""
    from django.db import connection, transaction

    sink = DatabaseSink(connection, progress)
    with transaction.atomic():
        for section, item in generate(enterprises, seed):
            sink.add(section, item)
        sink.close()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in TABLE_COLUMNS:
                cursor.execute(f"ANALYZE {table}")
    return sink


def emit_json(enterprises: int, path: Path, seed: int = SEED) -> int:
    sink = JsonSink(path)
    for section, item in generate(enterprises, seed):
        sink.add(section, item)
    sink.close()
    return sink.count


def accident_traces(codes: list[str]) -> dict[str, list[dict]]:
    """The trace of each accident as `manage.py trace --accident CODE --json` lists its links."""
    from accountability.events import accident_event, load_accident

    return {code: [link.as_codes() for link in accident_event(load_accident(code)).links()] for code in codes}


def sample_accidents(n: int, seed: int = SEED) -> list[str]:
    from accountability.models import Accident

    codes = sorted(Accident.objects.values_list("code", flat=True))
    return sorted(random.Random(seed).sample(codes, min(n, len(codes))))


# ---- PostgreSQL databases for the command line and bench/run.py ---------------------------------------


def server_url(name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    if not base.startswith("postgres"):
        base = "postgres://postgres@127.0.0.1:5432/postgres"
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(server_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(server_url("postgres"), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


# Every database the benchmarks create is named with this prefix (and dropped at the end of a run).
PREFIX = os.environ.get("BENCH_DB_PREFIX", "bench_h3")
TEMPLATE = f"{PREFIX}_template"


def ensure_template(progress=print) -> None:
    """A migrated, empty database every bench database is copied from (migrating takes ~30 s). It is
    migrated under another name and renamed when complete, so an interrupted run leaves no half-built
    template behind."""
    import subprocess

    if database_exists(TEMPLATE):
        return
    building = f"{TEMPLATE}_building"
    progress(f"creating {TEMPLATE} (migrate)")
    admin(f'DROP DATABASE IF EXISTS "{building}"')
    admin(f'CREATE DATABASE "{building}"')
    env = {
        **os.environ,
        "DATABASE_URL": server_url(building),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run([sys.executable, str(REPO / "manage.py"), "migrate", "-v0"], env=env, cwd=REPO)
    if done.returncode:
        admin(f'DROP DATABASE IF EXISTS "{building}"')
        sys.exit("migrating the template failed")
    admin(f'ALTER DATABASE "{building}" RENAME TO "{TEMPLATE}"')


def fresh_database(name: str) -> None:
    admin(f'DROP DATABASE IF EXISTS "{name}"')
    admin(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')


def use_database(name: str) -> None:
    """Point Django's default connection at another database on the same server (same migrations)."""
    from django.db import connections

    conn = connections["default"]
    conn.close()
    conn.settings_dict["NAME"] = name


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False


def stderr(message: str) -> None:
    print(f"[province] {message}", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--database", help="PostgreSQL database to (re)create from the migrated template and fill"
    )
    parser.add_argument("--emit-json", type=Path, help="write the same data as a scenario document")
    parser.add_argument(
        "--check-sample", type=int, default=0, help="compare N accidents' traces with an import"
    )
    args = parser.parse_args(argv)
    os.environ.pop("REDIS_URL", None)
    if args.emit_json:
        started = time.perf_counter()
        n = emit_json(args.enterprises, args.emit_json, args.seed)
        stderr(f"{n:,} items written to {args.emit_json} in {time.perf_counter() - started:.1f} s")
    if args.database:
        if not args.database.startswith("bench_"):
            sys.exit("--database: only databases named bench_* are created here")
        ensure_template(stderr)
        fresh_database(args.database)
        os.environ["DATABASE_URL"] = server_url(args.database)
        setup_django()
        started = time.perf_counter()
        sink = load(args.enterprises, args.seed, stderr)
        stderr(f"{sink.count:,} items, {sink.written:,} rows in {time.perf_counter() - started:.1f} s")
        if args.check_sample:
            return check_sample(args.enterprises, args.database, args.check_sample, args.seed)
    return 0


def check_sample(enterprises: int, database: str, n: int, seed: int = SEED) -> int:
    """Import the same province as a document into `<database>_import` and compare N traces."""
    from responsibility.scenario import import_scenario

    other = f"{database}_import"
    use_database(database)
    codes = sample_accidents(n, seed)
    direct = accident_traces(codes)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "province.json"
        emit_json(enterprises, path, seed)
        fresh_database(other)
        use_database(other)
        started = time.perf_counter()
        import_scenario(path.read_text(encoding="utf-8"), source=str(path))
        stderr(f"imported the document into {other} in {time.perf_counter() - started:.1f} s")
    imported = accident_traces(codes)
    use_database(database)
    admin(f'DROP DATABASE IF EXISTS "{other}"')
    differ = [code for code in codes if direct[code] != imported[code]]
    links = sum(len(v) for v in direct.values())
    if differ:
        stderr(f"check: {len(differ)} of {len(codes)} traces differ: {', '.join(differ[:10])}")
        return 1
    stderr(f"check: {len(codes)} accidents, {links} links: identical traces after import_scenario")
    return 0


if __name__ == "__main__":
    sys.exit(main())
