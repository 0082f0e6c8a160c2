"""The hazards and accidents sections of the scenario import, registered into responsibility.scenario."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import F
from simple_history.utils import bulk_create_with_history

from responsibility.scenario import (
    CHANGE_REASON,
    ImportContext,
    Section,
    _check_period,
    _upsert_flat,
    money,
    parse_date,
    parse_datetime,
    register_section,
)

from .grading import grade_of
from .models import Accident, EventActor, EventParty, Hazard


def _validate_involved(ctx: ImportContext, section: str, index: int, item: dict) -> None:
    for party in item.get("parties") or []:
        ctx.check_enterprise_ref(section, index, item, "parties", party["enterprise"])
    for actor in item.get("actors") or []:
        ctx.check_ref(section, index, item, "actors", "people", actor["person"])


def _validate_site(ctx: ImportContext, section: str, index: int, item: dict, post_field: str | None) -> None:
    """The unit (and post) where it happened must lie inside the event's enterprise."""
    enterprise = item.get("enterprise")
    unit = item.get("unit")
    if unit and ctx.check_ref(section, index, item, "unit", "units") and enterprise:
        if ctx.enterprise_of_unit(unit) != enterprise:
            ctx.problem(
                section, index, item, "unit", f"unit {unit!r} is not part of enterprise {enterprise!r}"
            )
    if post_field and item.get(post_field) and ctx.check_ref(section, index, item, post_field, "positions"):
        if enterprise and ctx.enterprise_of_position(item[post_field]) != enterprise:
            ctx.problem(
                section,
                index,
                item,
                post_field,
                f"position {item[post_field]!r} is not in enterprise {enterprise!r}",
            )


def _validate_hazards(ctx: ImportContext) -> None:
    for index, item in enumerate(ctx.items("hazards")):
        ctx.check_enterprise_ref("hazards", index, item, "enterprise")
        ctx.check_ref("hazards", index, item, "sector", "sectors")
        ctx.check_ref("hazards", index, item, "inspection", "inspections")
        _validate_site(ctx, "hazards", index, item, None)
        ctx.check_ref("hazards", index, item, "responsible_position", "positions")
        _check_period(ctx, "hazards", index, item, "found_on", "deadline", strict=False)
        _check_period(ctx, "hazards", index, item, "found_on", "closed_on", strict=False)
        if item.get("closed_on") and item.get("state", "reported") != "closed":
            ctx.problem("hazards", index, item, "closed_on", "only a closed hazard has a closing date")
        _validate_involved(ctx, "hazards", index, item)


def _parse_time(ctx: ImportContext, index: int, item: dict, field_name: str):
    """The accident time in `field_name`, or None after recording why it is refused."""
    value = item.get(field_name)
    if value is None:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError as exc:
        ctx.problem("accidents", index, item, field_name, f"{value!r} is not a time: {exc}")
        return None
    if parsed.tzinfo is None:
        ctx.problem("accidents", index, item, field_name, "times need a UTC offset, e.g. +08:00")
        return None
    return parsed


def _validate_accidents(ctx: ImportContext) -> None:
    for index, item in enumerate(ctx.items("accidents")):
        ctx.check_enterprise_ref("accidents", index, item, "enterprise")
        ctx.check_ref("accidents", index, item, "region", "regions")
        ctx.check_ref("accidents", index, item, "sector", "sectors")
        for site_field in ("unit", "post"):
            if item.get(site_field) and not item.get("enterprise"):
                ctx.problem(
                    "accidents", index, item, site_field, f"a {site_field} is given but no enterprise"
                )
        _validate_site(ctx, "accidents", index, item, "post")
        occurred = _parse_time(ctx, index, item, "occurred_at")
        reported = _parse_time(ctx, index, item, "reported_at")
        if occurred is not None and reported is not None and reported < occurred:
            ctx.problem(
                "accidents",
                index,
                item,
                "reported_at",
                f"reported_at {item['reported_at']} is before occurred_at {item['occurred_at']}",
            )
        _validate_involved(ctx, "accidents", index, item)


def _sync_involved(ctx: ImportContext, section: str, event_field: str) -> None:
    """Parties and actors of each event, in document order; replaced only when they differ."""
    events = {ctx.objects[section][i["code"]].pk: i for i in ctx.items(section)}
    current_parties = defaultdict(list)
    for row in EventParty.objects.filter(**{f"{event_field}_id__in": list(events)}).order_by("order", "id"):
        current_parties[getattr(row, f"{event_field}_id")].append((row.enterprise_id, row.role))
    current_actors = defaultdict(list)
    for row in EventActor.objects.filter(**{f"{event_field}_id__in": list(events)}).order_by("order", "id"):
        current_actors[getattr(row, f"{event_field}_id")].append((row.person_id, row.role))
    new_parties, new_actors = [], []
    for pk, item in events.items():
        parties = [(ctx.objects["units"][p["enterprise"]].pk, p["role"]) for p in item.get("parties") or []]
        actors = [(ctx.objects["people"][a["person"]].pk, a["role"]) for a in item.get("actors") or []]
        if parties != current_parties[pk]:
            EventParty.objects.filter(**{f"{event_field}_id": pk}).delete()
            new_parties += [
                EventParty(**{f"{event_field}_id": pk}, enterprise_id=e, role=r, order=n)
                for n, (e, r) in enumerate(parties)
            ]
        if actors != current_actors[pk]:
            EventActor.objects.filter(**{f"{event_field}_id": pk}).delete()
            new_actors += [
                EventActor(**{f"{event_field}_id": pk}, person_id=p, role=r, order=n)
                for n, (p, r) in enumerate(actors)
            ]
    for model, rows in ((EventParty, new_parties), (EventActor, new_actors)):
        bulk_create_with_history(rows, model, default_change_reason=CHANGE_REASON, default_user=ctx.by)


def _write_hazards(ctx: ImportContext) -> None:
    rows = []
    for i in ctx.items("hazards"):
        rows.append(
            (
                i["code"],
                {
                    "title": i.get("title", ""),
                    "enterprise": ctx.get("units", i["enterprise"]),
                    "sector": ctx.get("sectors", i["sector"]),
                    "unit": ctx.get("units", i.get("unit")),
                    "level": i["level"],
                    "source": i["source"],
                    "inspection": ctx.get("inspections", i.get("inspection")),
                    "found_on": parse_date(i["found_on"]),
                    "deadline": parse_date(i["deadline"]),
                    "state": i.get("state", "reported"),
                    "closed_on": parse_date(i["closed_on"]) if i.get("closed_on") else None,
                    "measures": i.get("measures", ""),
                    "responsible_position": ctx.get("positions", i.get("responsible_position")),
                    "funds_yuan": money(i["funds_yuan"]) if i.get("funds_yuan") is not None else None,
                    "contingency_plan": i.get("contingency_plan", ""),
                },
            )
        )
    _upsert_flat(ctx, "hazards", Hazard, rows)
    # bulk creation skips save(): the first deadline is the original one.
    Hazard.objects.filter(original_deadline__isnull=True).update(original_deadline=F("deadline"))
    _sync_involved(ctx, "hazards", "hazard")


def _write_accidents(ctx: ImportContext) -> None:
    rows = []
    for i in ctx.items("accidents"):
        loss = money(i["direct_loss_yuan"])
        rows.append(
            (
                i["code"],
                {
                    "title": i.get("title", ""),
                    "enterprise": ctx.get("units", i.get("enterprise")),
                    "region": ctx.get("regions", i["region"]),
                    "sector": ctx.get("sectors", i["sector"]),
                    "unit": ctx.get("units", i.get("unit")),
                    "post": ctx.get("positions", i.get("post")),
                    "occurred_at": parse_datetime(i["occurred_at"]),
                    "reported_at": parse_datetime(i["reported_at"]) if i.get("reported_at") else None,
                    "deaths": i["deaths"],
                    "serious_injuries": i["serious_injuries"],
                    "direct_loss_yuan": loss,
                    # bulk creation skips save(): the grade is computed here from the same rule.
                    "grade": grade_of(i["deaths"], i["serious_injuries"], loss),
                },
            )
        )
    _upsert_flat(ctx, "accidents", Accident, rows)
    _sync_involved(ctx, "accidents", "accident")


def register() -> None:
    register_section(Section("hazards", _validate_hazards, _write_hazards, model=Hazard))
    register_section(Section("accidents", _validate_accidents, _write_accidents, model=Accident))
