"""Positions, people and their tenures (no two holders of a post at once)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from simple_history.utils import bulk_create_with_history

from ...models import (
    Person,
    Position,
    Tenure,
)
from ..context import CHANGE_REASON, ImportContext, _check_period, parse_date
from ..writing import _upsert_flat


def _validate_positions(ctx: ImportContext) -> None:
    for index, item in enumerate(ctx.items("positions")):
        ctx.check_ref("positions", index, item, "unit", "units")


def _validate_people(ctx: ImportContext) -> None:
    return None


def _validate_tenures(ctx: ImportContext) -> None:
    by_position: dict[str, list[tuple[dt.date, dt.date | None, str, int, dict]]] = defaultdict(list)
    for index, item in enumerate(ctx.items("tenures")):
        ok = ctx.check_ref("tenures", index, item, "person", "people")
        ok = ctx.check_ref("tenures", index, item, "position", "positions") and ok
        _check_period(ctx, "tenures", index, item, "start", "end")
        if ok:
            end = parse_date(item["end"]) if item.get("end") else None
            by_position[item["position"]].append(
                (parse_date(item["start"]), end, item["person"], index, item)
            )
    # Tenures already stored for these positions take part too (except the ones this document restates).
    stored = Tenure.objects.filter(position__code__in=list(by_position)).select_related("person", "position")
    restated = {(i["position"], i["start"]) for i in ctx.items("tenures")}
    for tenure in stored:
        if (tenure.position.code, tenure.start.isoformat()) not in restated:
            by_position[tenure.position.code].append((tenure.start, tenure.end, tenure.person.code, -1, None))
    for position, periods in by_position.items():
        periods.sort(key=lambda p: p[0])
        for (s1, e1, p1, i1, item1), (s2, e2, p2, i2, item2) in zip(periods, periods[1:], strict=False):
            if e1 is None or s2 < e1:
                index, item = (i2, item2) if item2 is not None else (i1, item1)
                ctx.problem(
                    "tenures",
                    index,
                    item,
                    "start",
                    f"tenures of position {position} overlap: {p1} [{s1}, {e1 or '…'}) and {p2} [{s2}, {e2 or '…'})",
                )


def _write_positions(ctx: ImportContext) -> None:
    rows = [
        (
            i["code"],
            {
                "title": i["title"],
                "unit": ctx.get("units", i["unit"]),
                "records_from": parse_date(i["records_from"]) if i.get("records_from") else None,
            },
        )
        for i in ctx.items("positions")
    ]
    _upsert_flat(ctx, "positions", Position, rows)


def _write_people(ctx: ImportContext) -> None:
    _upsert_flat(ctx, "people", Person, [(i["code"], {"name": i["name"]}) for i in ctx.items("people")])


def _write_tenures(ctx: ImportContext) -> None:
    items = ctx.items("tenures")
    positions = {ctx.objects["positions"][i["position"]].pk for i in items}
    stored = {
        (t.position_id, t.start): t
        for t in Tenure.objects.filter(position_id__in=positions).select_related("person")
    }
    new, changed = [], 0
    for item in items:
        position = ctx.objects["positions"][item["position"]]
        person = ctx.objects["people"][item["person"]]
        start = parse_date(item["start"])
        end = parse_date(item["end"]) if item.get("end") else None
        tenure = stored.get((position.pk, start))
        if tenure is None:
            new.append(Tenure(person=person, position=position, start=start, end=end))
        elif tenure.person_id != person.pk or tenure.end != end:
            tenure.person, tenure.end = person, end
            tenure._change_reason = CHANGE_REASON
            tenure._history_user = ctx.by
            tenure.save()
            changed += 1
    if new:
        bulk_create_with_history(
            new, Tenure, batch_size=500, default_change_reason=CHANGE_REASON, default_user=ctx.by
        )
    ctx.counts["tenures"] = (len(new), changed)
    ctx.progress(f"tenures: {len(items)} ({len(new)} new, {changed} changed)")
