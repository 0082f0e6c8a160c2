"""What the database holds already of the codes a document mentions, and duplicate codes."""

from __future__ import annotations

from collections import defaultdict

from ..models import (
    Position,
)
from .context import MODEL_OF_SECTION, ImportContext
from .document import SCHEMA


def _referenced_codes(ctx: ImportContext) -> dict[str, set[str]]:
    """Every code the document mentions, by the section it must come from."""
    refs: dict[str, set[str]] = defaultdict(set)
    fields = {
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
    for section, pairs in fields.items():
        for item in ctx.items(section):
            for field_name, target in pairs:
                value = item.get(field_name)
                if isinstance(value, list):
                    refs[target].update(value)
                elif value is not None:
                    refs[target].add(value)
            for party in item.get("parties") or []:
                refs["units"].add(party["enterprise"])
            for actor in item.get("actors") or []:
                refs["people"].add(actor["person"])
                if actor.get("of"):
                    refs["units"].add(actor["of"])
    for section in MODEL_OF_SECTION:
        refs[section].update(ctx.doc_codes(section))
    return refs


def _prefetch_database(ctx: ImportContext) -> None:
    refs = _referenced_codes(ctx)
    for section, model in MODEL_OF_SECTION.items():
        codes = refs.get(section, set())
        if not codes:
            continue
        qs = model.objects.filter(code__in=codes)
        if model is Position:
            qs = qs.select_related("unit")
        ctx.objects[section].update({obj.code: obj for obj in qs})
        if model is Position:
            # A stored position's unit, with its ancestors below: the enterprise a post belongs to is
            # read through the tree as this document leaves it (it may move the post's department).
            for position in ctx.objects[section].values():
                ctx.objects["units"].setdefault(position.unit.code, position.unit)
    # Tree ancestors of what we touch, for cycle and level checks across document and database.
    for section in ("regions", "sectors", "units"):
        model = MODEL_OF_SECTION[section]
        ancestors = {c for obj in ctx.objects[section].values() for c in obj.ancestor_codes()}
        missing = ancestors - set(ctx.objects[section])
        if missing:
            ctx.objects[section].update({o.code: o for o in model.objects.filter(code__in=missing)})


def _check_duplicates(ctx: ImportContext) -> None:
    for section in SCHEMA["properties"]:
        seen: dict[str, int] = {}
        for index, item in enumerate(ctx.items(section)):
            code = item.get("code")
            if code is None:
                continue
            if code in seen:
                ctx.problem(section, index, item, "code", f"duplicate code {code!r} (also item {seen[code]})")
            seen.setdefault(code, index)
    seen_tenures: set[tuple] = set()
    for index, item in enumerate(ctx.items("tenures")):
        key = (item["person"], item["position"], item["start"])
        if key in seen_tenures:
            ctx.problem("tenures", index, item, "start", "duplicate tenure")
        seen_tenures.add(key)
