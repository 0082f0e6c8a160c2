"""Positions, people and their tenures (no two holders of a post at once)."""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict

from simple_history.utils import bulk_create_with_history

from ...models import (
    Person,
    Position,
    Tenure,
)
from ..context import BATCH, CHANGE_REASON, ImportContext, _check_period, parse_date
from ..writing import _upsert_flat, batches, save_changed


def _validate_positions(ctx: ImportContext) -> None:
    for index, item in enumerate(ctx.items("positions")):
        ctx.check_ref("positions", index, item, "unit", "units")


def _validate_people(ctx: ImportContext) -> None:
    return None


def _validate_tenures(ctx: ImportContext) -> None:
    """No two tenures of one position at once, in the document or against what is stored.

    Kept per position: (start, end as day ordinals, person, item index); the stored tenures of the
    positions are read a batch at a time."""
    by_position: dict[str, list[tuple[int, int | None, str, int]]] = defaultdict(list)
    for index, item in enumerate(ctx.items("tenures")):
        ok = ctx.check_ref("tenures", index, item, "person", "people")
        ok = ctx.check_ref("tenures", index, item, "position", "positions") and ok
        _check_period(ctx, "tenures", index, item, "start", "end")
        if ok:
            end = parse_date(item["end"]).toordinal() if item.get("end") else None
            by_position[sys.intern(item["position"])].append(
                (parse_date(item["start"]).toordinal(), end, sys.intern(item["person"]), index)
            )
    # Tenures already stored for these positions take part too (except the ones this document restates).
    for codes in batches(list(by_position)):
        stored = Tenure.objects.filter(position__code__in=codes).values_list(
            "position__code", "start", "end", "person__code"
        )
        restated = {(code, p[0]) for code in codes for p in by_position[code]}
        for position, start, end, person in stored:
            if (position, start.toordinal()) not in restated:
                by_position[position].append((start.toordinal(), end and end.toordinal(), person, -1))
    day = dt.date.fromordinal
    for position, periods in by_position.items():
        periods.sort(key=lambda p: p[0])
        for (s1, e1, p1, i1), (s2, e2, p2, i2) in zip(periods, periods[1:], strict=False):
            if Tenure.periods_overlap(s1, e1, s2, e2):  # ordinals compare as the dates do
                index, person = (i2, p2) if i2 >= 0 else (i1, p1)
                item = {"person": person, "position": position} if index >= 0 else None
                ctx.problem(
                    "tenures",
                    index,
                    item,
                    "start",
                    f"tenures of position {position} overlap: {p1} [{day(s1)}, {day(e1) if e1 else '…'})"
                    f" and {p2} [{day(s2)}, {day(e2) if e2 else '…'})",
                )


def _write_positions(ctx: ImportContext) -> None:
    rows = (
        (
            i["code"],
            {
                "title": i["title"],
                "unit_id": ctx.pk("units", i["unit"]),
                "records_from": parse_date(i["records_from"]) if i.get("records_from") else None,
            },
        )
        for i in ctx.items("positions")
    )
    _upsert_flat(ctx, "positions", Position, rows, after_batch=lambda codes, created: None)


def _write_people(ctx: ImportContext) -> None:
    rows = ((i["code"], {"name": i["name"]}) for i in ctx.items("people"))
    _upsert_flat(ctx, "people", Person, rows, after_batch=lambda codes, created: None)


def _write_tenures(ctx: ImportContext) -> None:
    # Two passes, so that no intermediate state overlaps (PostgreSQL's exclusion constraint checks each
    # row as it is written): first every restated tenure that ends earlier than stored (a handover closes
    # the predecessor), then the new tenures and the restatements that end later.
    total = new_count = changed_count = 0
    for closing in (True, False):
        for batch in batches(ctx.items("tenures")):
            rows = [
                (
                    ctx.pk("positions", item["position"]),
                    ctx.pk("people", item["person"]),
                    parse_date(item["start"]),
                    parse_date(item["end"]) if item.get("end") else None,
                )
                for item in batch
            ]
            stored = {
                (t.position_id, t.start): t
                for t in Tenure.objects.filter(position_id__in={r[0] for r in rows})
            }
            new, changed = [], []
            for position, person, start, end in rows:
                tenure = stored.get((position, start))
                if tenure is None:
                    if not closing:
                        new.append(Tenure(person_id=person, position_id=position, start=start, end=end))
                elif (tenure.person_id != person or tenure.end != end) and closing == _ends_sooner(
                    end, tenure.end
                ):
                    tenure.person_id, tenure.end = person, end
                    changed.append(tenure)
            save_changed(ctx, Tenure, changed, {"person", "end"})
            if new:
                bulk_create_with_history(
                    new, Tenure, batch_size=BATCH, default_change_reason=CHANGE_REASON, default_user=ctx.by
                )
            total += 0 if closing else len(batch)
            new_count += len(new)
            changed_count += len(changed)
    ctx.counts["tenures"] = (new_count, changed_count)
    ctx.progress(f"tenures: {total} ({new_count} new, {changed_count} changed)")


def _ends_sooner(end: dt.date | None, stored_end: dt.date | None) -> bool:
    """A restated end no later than the stored one (None = still open, the latest of all)."""
    return end is not None and (stored_end is None or end <= stored_end)
