"""Writing helpers shared by the sections: upserts by code in batches, trees level by level, m2m sets
with history. Rows go in batches of `BATCH`: new ones with `bulk_create_with_history`, changed ones with
`bulk_update_with_history` (or `save()` where saving does more: tree paths, m2m history); only the pk of
each written code is kept."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db import models
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ..models import Certification, Permit, Person, Position, Tenure, Unit, UnitKind
from .context import BATCH, CHANGE_REASON, MODEL_OF_SECTION, ImportContext

# Models whose history row is the whole story of a change: updated in bulk. The others save() one by one
# (a tree node re-roots its descendants, a model with m2m history records its sets).
BULK_UPDATED = {Position, Person, Tenure, Permit, Certification}


def batches(iterable: Iterable, size: int = BATCH):
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _changed(obj: models.Model, values: dict) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


def _by_attname(model, values: dict) -> dict:
    """Foreign keys given as model instances become `<name>_id` pks: compared and set without queries."""
    out = {}
    for name, value in values.items():
        if isinstance(value, models.Model) or (value is None and _is_fk(model, name)):
            out[f"{name}_id"] = None if value is None else value.pk
        else:
            out[name] = value
    return out


def _is_fk(model, name: str) -> bool:
    try:
        model_field = model._meta.get_field(name)
        return model_field.many_to_one and model_field.name == name
    except Exception:  # noqa: BLE001 (not a field: left as given)
        return False


def save_changed(ctx: ImportContext, model, objs: list, fields: set[str]) -> None:
    if not objs:
        return
    if model in BULK_UPDATED:
        bulk_update_with_history(
            objs,
            model,
            sorted(fields),
            batch_size=BATCH,
            default_user=ctx.by,
            default_change_reason=CHANGE_REASON,
        )
        return
    for obj in objs:
        obj._change_reason = CHANGE_REASON
        obj._history_user = ctx.by
        obj.save()


def create_new(ctx: ImportContext, model, objs: list) -> None:
    if not objs:
        return
    bulk_create_with_history(
        objs, model, batch_size=BATCH, default_change_reason=CHANGE_REASON, default_user=ctx.by
    )
    # bulk_create_with_history re-reads pks on backends that do not return them; make sure ours are set.
    if any(o.pk is None for o in objs):
        pks = dict(model.objects.filter(code__in=[o.code for o in objs]).values_list("code", "pk"))
        for o in objs:
            o.pk = pks[o.code]


def _upsert_flat(
    ctx: ImportContext,
    section: str,
    model,
    rows: Iterable[tuple],
    after_batch: Callable[[list[tuple], set[int]], None] | None = None,
) -> None:
    """Create new codes in bulk (with history); update existing ones only where a value changed.

    Rows are (code, values, …); `after_batch(rows, created_pks)` runs after each batch (m2m sets from
    what follows the values); without it the created pks are kept in `ctx.created[section]`."""
    total = new_count = changed_count = 0
    for batch in batches(rows):
        stored = model.objects.in_bulk([row[0] for row in batch], field_name="code")
        new, changed, fields = [], [], set()
        for code, values, *_ in batch:
            values = _by_attname(model, values)
            obj = stored.get(code)
            if obj is None:
                new.append(model(code=code, **values))
            elif _changed(obj, values):
                fields.update(name for name, value in values.items() if getattr(obj, name) != value)
                for name, value in values.items():
                    setattr(obj, name, value)
                changed.append(obj)
            else:
                ctx.pks[section][code] = obj.pk
        create_new(ctx, model, new)
        save_changed(ctx, model, changed, fields)
        for obj in itertools.chain(new, changed):
            ctx.pks[section][obj.code] = obj.pk
        created = {o.pk for o in new}
        if after_batch is not None:
            after_batch(batch, created)
        else:
            ctx.created[section] |= created
        total += len(batch)
        new_count += len(new)
        changed_count += len(changed)
    ctx.counts[section] = (new_count, changed_count)
    ctx.progress(f"{section}: {total} ({new_count} new, {changed_count} changed)")


def _new_pks(ctx: ImportContext, section: str) -> set[int]:
    """The pks this import created in `section` (written without `after_batch`): no m2m rows yet."""
    return ctx.created[section]


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


def _depth(ctx: ImportContext, section: str, code: str) -> int:
    """How deep a node lies below the nodes of the document (0: its parent is not in the document)."""
    depth, index = 0, ctx.index[section]
    parent = index[code][0]
    while parent in index:
        depth += 1
        parent = index[parent][0]
    return depth


def _paths(ctx: ImportContext, section: str, model, codes: list[str]) -> dict[str, str]:
    """The path each of `codes` takes once written: its chain of document parents below the (fresh)
    stored path of the first ancestor the document does not hold."""
    index, chains, roots = ctx.index[section], {}, set()
    for code in codes:
        chain = [code]
        parent = index[code][0]
        while parent in index:
            chain.append(parent)
            parent = index[parent][0]
        chains[code] = (parent, chain)
        if parent is not None:
            roots.add(parent)
    fresh = dict(model.objects.filter(code__in=roots).values_list("code", "path"))
    return {
        code: (fresh[root] if root is not None else "/") + "/".join(reversed(chain)) + "/"
        for code, (root, chain) in chains.items()
    }


def _write_tree(
    ctx: ImportContext,
    section: str,
    values_of: Callable[[dict], dict],
    after_batch: Callable[[list[dict], set[int]], None] | None = None,
) -> None:
    """Level by level, parents first; in each batch stored nodes first (a move re-roots descendants,
    and the new nodes below take their paths after)."""
    model = MODEL_OF_SECTION[section]
    total = total_new = total_changed = 0
    deepest = max((_depth(ctx, section, code) for code in ctx.index[section]), default=-1)
    for level in range(deepest + 1):

        def level_items(level=level):
            return (item for item in ctx.items(section) if _depth(ctx, section, item["code"]) == level)

        for batch in batches(level_items()):
            stored = model.objects.in_bulk([item["code"] for item in batch], field_name="code")
            for item in batch:
                obj = stored.get(item["code"])
                if obj is None:
                    continue
                ctx.pks[section][obj.code] = obj.pk
                values = values_of(item)
                values["parent_id"] = ctx.pk(section, item.get("parent"))
                if _changed(obj, values):
                    for name, value in values.items():
                        setattr(obj, name, value)
                    obj._change_reason = CHANGE_REASON
                    obj._history_user = ctx.by
                    obj.save()
                    total_changed += 1
        for batch in batches(level_items()):
            pending = [item for item in batch if item["code"] not in ctx.pks[section]]
            paths = _paths(ctx, section, model, [item["code"] for item in pending])
            new = []
            for item in pending:
                values = values_of(item)
                values["parent_id"] = ctx.pk(section, item.get("parent"))
                obj = model(code=item["code"], path=paths[item["code"]], **values)
                if model is Unit and obj.kind != UnitKind.ENTERPRISE:
                    obj.enterprise_id = ctx.pk("units", ctx.enterprise_of_unit(item.get("parent")))
                new.append(obj)
            create_new(ctx, model, new)
            for obj in new:
                ctx.pks[section][obj.code] = obj.pk
            if model is Unit:
                own = [o for o in new if o.kind == UnitKind.ENTERPRISE]
                for o in own:
                    o.enterprise_id = o.pk
                Unit.objects.filter(pk__in=[o.pk for o in own]).update(enterprise_id=models.F("id"))
                # …and in the creation history rows written a moment ago (an enterprise is its own enterprise).
                Unit.history.filter(id__in=[o.pk for o in own], enterprise_id__isnull=True).update(
                    enterprise_id=models.F("id")
                )
            if after_batch is not None:
                after_batch(batch, {o.pk for o in new})
            total += len(batch)
            total_new += len(new)
    ctx.counts[section] = (total_new, total_changed)
    ctx.progress(f"{section}: {total} ({total_new} new, {total_changed} changed)")
