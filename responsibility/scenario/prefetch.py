"""What the database holds already of the codes a document mentions but does not define.

One pass over the items collects, a batch at a time, the codes that are not in the document's index
and reads their stored rows (with a tree node's ancestors and a position's unit) in one query per
section and batch. The document's own codes are not read here: a section reads what it needs of its
stored rows as it writes them.
"""

from __future__ import annotations

from collections import defaultdict

from .context import BATCH, ImportContext

# Which fields of each section hold codes of which section.
REFERENCES = {
    "regions": [("parent", "regions")],
    "sectors": [("parent", "sectors")],
    "units": [("parent", "units"), ("region", "regions"), ("sectors", "sectors")],
    "positions": [("unit", "units")],
    "tenures": [("person", "people"), ("position", "positions")],
    "duties": [
        ("holder_position", "positions"),
        ("holder_unit", "units"),
        ("sectors", "sectors"),
        ("region", "regions"),
        ("enterprise", "units"),
    ],
    "permits": [("enterprise", "units"), ("sector", "sectors"), ("position", "positions")],
    "inspections": [
        ("enterprise", "units"),
        ("sector", "sectors"),
        ("unit", "units"),
        ("inspectors", "positions"),
    ],
    "certifications": [
        ("issuer", "units"),
        ("enterprise", "units"),
        ("sector", "sectors"),
        ("signers", "positions"),
    ],
    "hazards": [
        ("enterprise", "units"),
        ("sector", "sectors"),
        ("inspection", "inspections"),
        ("unit", "units"),
        ("responsible_position", "positions"),
        ("also_sectors", "sectors"),
    ],
    "accidents": [
        ("enterprise", "units"),
        ("region", "regions"),
        ("sector", "sectors"),
        ("unit", "units"),
        ("post", "positions"),
        ("also_sectors", "sectors"),
        ("investigators", "units"),
    ],
}


def _prefetch_database(ctx: ImportContext) -> None:
    wanted: dict[str, set[str]] = defaultdict(set)

    def want(target: str, code) -> None:
        if isinstance(code, str) and code not in ctx.index[target] and code not in ctx.stored[target]:
            wanted[target].add(code)
            if len(wanted[target]) >= BATCH:
                ctx.fetch(target, wanted.pop(target))

    for section, pairs in REFERENCES.items():
        for item in ctx.items(section):
            for field_name, target in pairs:
                value = item.get(field_name)
                for code in value if isinstance(value, list) else [value]:
                    want(target, code)
            for party in item.get("parties") or []:
                want("units", party["enterprise"])
                want("units", party.get("unit"))
                want("positions", party.get("post"))
            for actor in item.get("actors") or []:
                want("people", actor["person"])
                want("units", actor.get("of"))
    for target, codes in wanted.items():
        ctx.fetch(target, codes)
