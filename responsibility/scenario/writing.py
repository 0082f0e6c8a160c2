"""Writing helpers shared by the sections: upserts by code, trees level by level, m2m sets with history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.db import models
from simple_history.utils import bulk_create_with_history

from ..models import (
    Unit,
    UnitKind,
)
from .context import CHANGE_REASON, MODEL_OF_SECTION, ImportContext


def _changed(obj: models.Model, values: dict) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


def _upsert_flat(ctx: ImportContext, section: str, model, rows: list[tuple[str, dict]]) -> list:
    """Create new codes in bulk (with history); save existing ones only where a value changed."""
    new, changed = [], 0
    for code, values in rows:
        obj = ctx.objects[section].get(code)
        if obj is None:
            obj = model(code=code, **values)
            new.append(obj)
        elif _changed(obj, values):
            for name, value in values.items():
                setattr(obj, name, value)
            obj._change_reason = CHANGE_REASON
            obj._history_user = ctx.by
            obj.save()
            changed += 1
        ctx.objects[section][code] = obj
    if new:
        bulk_create_with_history(
            new, model, batch_size=500, default_change_reason=CHANGE_REASON, default_user=ctx.by
        )
        # bulk_create_with_history re-reads pks on backends that do not return them; make sure ours are set.
        if any(o.pk is None for o in new):
            pks = dict(model.objects.filter(code__in=[o.code for o in new]).values_list("code", "pk"))
            for o in new:
                o.pk = pks[o.code]
    ctx.counts[section] = (len(new), changed)
    ctx.progress(f"{section}: {len(rows)} ({len(new)} new, {changed} changed)")
    return new


def _sync_m2m(model, relation: str, target_key: str, wanted: dict[int, set[int]], new_ids: set[int]) -> None:
    """Set each object's m2m set; new objects get through rows in bulk, existing ones only when different."""
    through = getattr(model, relation).through
    owner_key = f"{model._meta.model_name}_id"
    current: dict[int, set[int]] = defaultdict(set)
    existing_ids = [pk for pk in wanted if pk not in new_ids]
    for owner, target in through.objects.filter(**{f"{owner_key}__in": existing_ids}).values_list(
        owner_key, target_key
    ):
        current[owner].add(target)
    rows = []
    for owner, targets in wanted.items():
        if owner in new_ids:
            rows.extend(through(**{owner_key: owner, target_key: t}) for t in targets)
        elif current[owner] != targets:
            getattr(model.objects.get(pk=owner), relation).set(targets)
    through.objects.bulk_create(rows, batch_size=1000)
    _record_m2m_history(model, relation, owner_key, target_key, rows)


def _record_m2m_history(model, relation: str, owner_key: str, target_key: str, rows: list) -> None:
    """Bulk-created through rows bypass simple-history's signal: attach them to each owner's latest history row,
    so the history of a new duty (unit, inspection) shows its sectors (inspectors) as created."""
    if not rows:
        return
    historical = model.history.model
    m2m_history = historical._meta.get_field(f"historical{model._meta.model_name}_{relation}").related_model
    owners = {getattr(row, owner_key) for row in rows}
    latest = dict(
        historical.objects.filter(id__in=owners)
        .values("id")
        .annotate(latest=models.Max("history_id"))
        .values_list("id", "latest")
    )
    m2m_history.objects.bulk_create(
        [
            m2m_history(
                **{"id": row.pk, owner_key: getattr(row, owner_key), target_key: getattr(row, target_key)},
                history_id=latest[getattr(row, owner_key)],
            )
            for row in rows
            if getattr(row, owner_key) in latest
        ],
        batch_size=1000,
    )


def _tree_levels(items: list[dict]) -> list[list[dict]]:
    """Items grouped by depth inside the document, parents first (the document is acyclic by now)."""
    by_code = {i["code"]: i for i in items}
    depth: dict[str, int] = {}

    def depth_of(code):
        if code not in depth:
            parent = by_code[code].get("parent")
            depth[code] = 0 if parent not in by_code else depth_of(parent) + 1
        return depth[code]

    for code in by_code:
        depth_of(code)
    levels: dict[int, list[dict]] = defaultdict(list)
    for item in items:
        levels[depth[item["code"]]].append(item)
    return [levels[d] for d in sorted(levels)]


def _refresh_tree_cache(ctx: ImportContext, section: str, model) -> None:
    """Re-read path (and a unit's enterprise) of every cached node, in place, after a move.

    Saving a moved node re-roots its stored descendants in the database; the copies held here would
    otherwise keep the old path, and a new child of one of them would be written under the old place.
    """
    cached = [obj for obj in ctx.objects[section].values() if obj.pk is not None]
    names = ["pk", "path", "enterprise_id"] if model is Unit else ["pk", "path"]
    fresh = {row[0]: row for row in model.objects.filter(pk__in=[o.pk for o in cached]).values_list(*names)}
    for obj in cached:
        row = fresh.get(obj.pk)
        if row is not None:
            for name, value in zip(names[1:], row[1:], strict=True):
                setattr(obj, name, value)


def _write_tree(ctx: ImportContext, section: str, values_of: Callable[[dict], dict]) -> None:
    model = MODEL_OF_SECTION[section]
    total_new = total_changed = 0
    for level in _tree_levels(ctx.items(section)):
        # Stored nodes first: a move re-roots descendants, and the new nodes below take their paths after.
        pending, moved = [], False
        for item in level:
            values = values_of(item)
            values["parent"] = ctx.get(section, item.get("parent"))
            obj = ctx.objects[section].get(item["code"])
            if obj is None:
                pending.append((item, values))
            elif _changed(obj, values):
                for name, value in values.items():
                    setattr(obj, name, value)
                obj._change_reason = CHANGE_REASON
                obj._history_user = ctx.by
                obj.save()
                total_changed += 1
                moved = True
        if moved:
            _refresh_tree_cache(ctx, section, model)
        new = []
        for item, values in pending:
            obj = model(code=item["code"], **values)
            obj.path = obj.compute_path()
            if model is Unit:
                obj.enterprise_id = obj.compute_enterprise_id()
            new.append(obj)
            ctx.objects[section][item["code"]] = obj
        if new:
            bulk_create_with_history(
                new, model, batch_size=500, default_change_reason=CHANGE_REASON, default_user=ctx.by
            )
            if any(o.pk is None for o in new):
                pks = dict(model.objects.filter(code__in=[o.code for o in new]).values_list("code", "pk"))
                for o in new:
                    o.pk = pks[o.code]
            if model is Unit:
                own = [o for o in new if o.kind == UnitKind.ENTERPRISE]
                for o in own:
                    o.enterprise_id = o.pk
                Unit.objects.filter(pk__in=[o.pk for o in own]).update(enterprise_id=models.F("id"))
                # …and in the creation history rows written a moment ago (an enterprise is its own enterprise).
                Unit.history.filter(id__in=[o.pk for o in own], enterprise_id__isnull=True).update(
                    enterprise_id=models.F("id")
                )
            total_new += len(new)
    ctx.counts[section] = (total_new, total_changed)
    ctx.progress(f"{section}: {len(ctx.items(section))} ({total_new} new, {total_changed} changed)")


def _new_pks(ctx: ImportContext, section: str) -> set[int]:
    """The pks this import created in `section`: they have no m2m rows yet."""
    created_codes = set(ctx.doc_codes(section)) - ctx.preexisting.get(section, set())
    return {ctx.objects[section][c].pk for c in created_codes}
