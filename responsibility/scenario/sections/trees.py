"""Regions, sectors and units: code trees (cycles, levels, an enterprise's sectors)."""

from __future__ import annotations

from ...models import (
    LEVEL_RANK,
    Region,
    Unit,
)
from ..context import ImportContext
from ..writing import _sync_m2m, _write_tree


def _check_tree(ctx: ImportContext, section: str) -> None:
    for index, item in enumerate(ctx.items(section)):
        ctx.check_ref(section, index, item, "parent", section)
        code, seen = item["code"], set()
        node = ctx.parent_of(section, code)
        while node is not None and node not in seen:
            if node == code:
                ctx.problem(section, index, item, "parent", f"cycle: {code!r} is its own ancestor")
                break
            seen.add(node)
            node = ctx.parent_of(section, node)


def _validate_regions(ctx: ImportContext) -> None:
    _check_tree(ctx, "regions")
    for index, item in enumerate(ctx.items("regions")):
        parent = item.get("parent")
        level = ctx.region_level(parent) if parent is not None else None
        if level is not None and LEVEL_RANK[item["level"]] <= LEVEL_RANK[level]:
            ctx.problem(
                "regions",
                index,
                item,
                "level",
                f"level {item['level']} is not below its parent {parent}'s level {level}",
            )
    # A stored region whose level the document changes must stay above its stored children too.
    doc = ctx.doc_codes("regions")
    ctx.fetch("regions", doc)
    relevelled = [
        code
        for code, (_, level) in doc.items()
        if (ctx.stored["regions"].get(code) or (0, 0, level))[2] != level
    ]
    if relevelled:
        index_of = {item["code"]: index for index, item in enumerate(ctx.items("regions"))}
        children = (
            Region.objects.filter(parent__code__in=relevelled)
            .exclude(code__in=list(doc))
            .select_related("parent")
            .order_by("code")
        )
        for child in children:
            code = child.parent.code
            level = doc[code][1]
            if LEVEL_RANK[child.level] <= LEVEL_RANK[level]:
                ctx.problem(
                    "regions",
                    index_of[code],
                    {"code": code},
                    "level",
                    f"level {level} is not above the level {child.level} of its child {child.code}",
                )


def _validate_sectors(ctx: ImportContext) -> None:
    _check_tree(ctx, "sectors")


def _validate_units(ctx: ImportContext) -> None:
    _check_tree(ctx, "units")
    for index, item in enumerate(ctx.items("units")):
        ctx.check_ref("units", index, item, "region", "regions")
        for code in item.get("sectors") or []:
            ctx.check_ref("units", index, item, "sectors", "sectors", code)
        if Unit.sectors_problem(item["kind"], item.get("sectors")):
            ctx.problem("units", index, item, "sectors", "only an enterprise lists its sectors")


def _write_regions(ctx: ImportContext) -> None:
    _write_tree(ctx, "regions", lambda i: {"name": i["name"], "level": i["level"]})


def _write_sectors(ctx: ImportContext) -> None:
    _write_tree(ctx, "sectors", lambda i: {"name": i["name"]})


def _write_units(ctx: ImportContext) -> None:
    def sectors_of_batch(items, created: set[int]) -> None:
        wanted = {
            ctx.pk("units", i["code"]): {ctx.pk("sectors", c) for c in i.get("sectors") or []} for i in items
        }
        _sync_m2m(Unit, "sectors", "sector_id", wanted, created)

    _write_tree(
        ctx,
        "units",
        lambda i: {"name": i["name"], "kind": i["kind"], "region_id": ctx.pk("regions", i["region"])},
        after_batch=sectors_of_batch,
    )
