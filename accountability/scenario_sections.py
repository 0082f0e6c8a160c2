"""The hazards and accidents sections of the scenario import, registered into responsibility.scenario."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import F
from simple_history.utils import bulk_create_with_history

from responsibility.models import RegionLevel
from responsibility.scenario import (
    CHANGE_REASON,
    ImportContext,
    Section,
    _check_period,
    _new_pks,
    _sync_m2m,
    _upsert_flat,
    batches,
    money,
    parse_date,
    parse_datetime,
    register_section,
)

from .grading import grade_of, level_of_grade
from .models import CHINA, Accident, EventActor, EventParty, Hazard, Investigator, InvestigatorRole


def _validate_involved(ctx: ImportContext, section: str, index: int, item: dict) -> None:
    for party in item.get("parties") or []:
        ctx.check_enterprise_ref(section, index, item, "parties", party["enterprise"])
        _validate_party_site(ctx, section, index, item, party)
    for actor in item.get("actors") or []:
        ctx.check_ref(section, index, item, "actors", "people", actor["person"])
        if actor.get("of"):
            ctx.check_enterprise_ref(section, index, item, "actors.of", actor["of"])
    for code in item.get("also_sectors") or []:
        ctx.check_ref(section, index, item, "also_sectors", "sectors", code)


def _validate_party_site(ctx: ImportContext, section: str, index: int, item: dict, party: dict) -> None:
    """§5.12: a party's unit and post are inside that party's own enterprise (as the event's own are)."""
    enterprise = party["enterprise"]
    for name, target, enterprise_of in (
        ("unit", "units", ctx.enterprise_of_unit),
        ("post", "positions", ctx.enterprise_of_position),
    ):
        code = party.get(name)
        if code is None:
            continue
        field_name = f"parties.{name}"
        if (
            ctx.check_ref(section, index, item, field_name, target, code)
            and enterprise_of(code) != enterprise
        ):
            what = "unit" if name == "unit" else "position"
            ctx.problem(
                section,
                index,
                item,
                field_name,
                f"{what} {code!r} of party {enterprise!r} is not part of enterprise {enterprise!r}",
            )


def _check_investigation_level(ctx: ImportContext, index: int, item: dict) -> None:
    """§5.11: an investigation is raised above the grade's level, never lowered below it."""
    level = item.get("investigation_level")
    if level is None:
        return
    grade = grade_of(item["deaths"], item["serious_injuries"], money(item["direct_loss_yuan"]))
    by_grade = level_of_grade(grade)
    if RegionLevel.values.index(level) > RegionLevel.values.index(by_grade):
        ctx.problem(
            "accidents",
            index,
            item,
            "investigation_level",
            f"{level!r} is below {by_grade!r}, the level that investigates a {grade!r} accident",
        )


def _check_since(ctx: ImportContext, section: str, index: int, item: dict, event_day, day_name: str) -> None:
    """§5.1: the hazard may have arisen long before it was found, but not after the event's day."""
    since = item.get("hazard_since")
    if since and event_day is not None and parse_date(since) > event_day:
        ctx.problem(
            section, index, item, "hazard_since", f"hazard_since {since} is after the {day_name} {event_day}"
        )


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
        _check_since(ctx, "hazards", index, item, parse_date(item["deadline"]), "deadline")


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
        _check_investigation_level(ctx, index, item)
        if occurred is not None:
            _check_since(ctx, "accidents", index, item, occurred.astimezone(CHINA).date(), "accident's day")
        seen = set()
        for code in item.get("investigators") or []:
            if code in seen:
                ctx.problem("accidents", index, item, "investigators", f"unit {code!r} is listed twice")
            seen.add(code)
            ctx.check_ref("accidents", index, item, "investigators", "units", code)


def _sync_involved(ctx: ImportContext, section: str, event_field: str) -> None:
    """Parties and actors of each event, in document order; replaced only when they differ. A batch of
    events at a time: memory holds one batch of items, not the section."""
    for batch in batches(ctx.items(section)):
        _sync_involved_batch(ctx, section, event_field, batch)


def _sync_involved_batch(ctx: ImportContext, section: str, event_field: str, batch: list[dict]) -> None:
    events = {ctx.objects[section][i["code"]].pk: i for i in batch}
    current_parties = defaultdict(list)
    for row in EventParty.objects.filter(**{f"{event_field}_id__in": list(events)}).order_by("order", "id"):
        current_parties[getattr(row, f"{event_field}_id")].append(
            (row.enterprise_id, row.role, row.unit_id, row.post_id)
        )
    current_actors = defaultdict(list)
    for row in EventActor.objects.filter(**{f"{event_field}_id__in": list(events)}).order_by("order", "id"):
        current_actors[getattr(row, f"{event_field}_id")].append((row.person_id, row.role, row.of_id))
    new_parties, new_actors = [], []
    for pk, item in events.items():
        parties = [
            (
                ctx.objects["units"][p["enterprise"]].pk,
                p["role"],
                ctx.pk("units", p.get("unit")),
                ctx.pk("positions", p.get("post")),
            )
            for p in item.get("parties") or []
        ]
        actors = [
            (
                ctx.objects["people"][a["person"]].pk,
                a["role"],
                ctx.objects["units"][a["of"]].pk if a.get("of") else None,
            )
            for a in item.get("actors") or []
        ]
        if parties != current_parties[pk]:
            EventParty.objects.filter(**{f"{event_field}_id": pk}).delete()
            new_parties += [
                EventParty(
                    **{f"{event_field}_id": pk}, enterprise_id=e, role=r, unit_id=u, post_id=p, order=n
                )
                for n, (e, r, u, p) in enumerate(parties)
            ]
        if actors != current_actors[pk]:
            EventActor.objects.filter(**{f"{event_field}_id": pk}).delete()
            new_actors += [
                EventActor(**{f"{event_field}_id": pk}, person_id=p, role=r, of_id=o, order=n)
                for n, (p, r, o) in enumerate(actors)
            ]
    for model, rows in ((EventParty, new_parties), (EventActor, new_actors)):
        bulk_create_with_history(rows, model, default_change_reason=CHANGE_REASON, default_user=ctx.by)


def _sync_sets(ctx: ImportContext, section: str, model) -> None:
    """An event's further sectors (§5.2) as the document lists them."""
    for batch in batches(ctx.items(section)):
        wanted = {
            ctx.objects[section][i["code"]].pk: {
                ctx.objects["sectors"][c].pk for c in i.get("also_sectors") or []
            }
            for i in batch
        }
        _sync_m2m(model, "also_sectors", "sector_id", wanted, _new_pks(ctx, section))


def _sync_investigators(ctx: ImportContext) -> None:
    """The 调查组 in document order, leading unit first (§5.9); replaced only when it differs."""
    for batch in batches(ctx.items("accidents")):
        _sync_investigators_batch(ctx, batch)


def _sync_investigators_batch(ctx: ImportContext, batch: list[dict]) -> None:
    wanted = {
        ctx.objects["accidents"][i["code"]].pk: [
            ctx.objects["units"][c].pk for c in i.get("investigators") or []
        ]
        for i in batch
    }
    current: dict[int, list[int]] = defaultdict(list)
    stored = Investigator.objects.filter(
        accident_id__in=list(wanted), unit__isnull=False, withdrawn_at__isnull=True
    ).order_by("order", "id")
    for accident_id, unit_id in stored.values_list("accident_id", "unit_id"):
        current[accident_id].append(unit_id)
    stale = [pk for pk, units in wanted.items() if current.get(pk, []) != units]
    if not stale:
        return
    for row in Investigator.objects.filter(accident_id__in=stale):
        row._change_reason = CHANGE_REASON
        row.delete()
    bulk_create_with_history(
        [
            Investigator(
                accident_id=pk,
                unit_id=unit,
                order=n,
                role=InvestigatorRole.LEAD if n == 0 else InvestigatorRole.MEMBER,
            )
            for pk in stale
            for n, unit in enumerate(wanted[pk])
        ],
        Investigator,
        batch_size=500,
        default_change_reason=CHANGE_REASON,
    )


def _write_hazards(ctx: ImportContext) -> None:
    _upsert_flat(ctx, "hazards", Hazard, _hazard_rows(ctx))  # a generator: one batch in memory at a time
    # bulk creation skips save(): the first deadline is the original one.
    Hazard.objects.filter(original_deadline__isnull=True).update(original_deadline=F("deadline"))
    _sync_involved(ctx, "hazards", "hazard")
    _sync_sets(ctx, "hazards", Hazard)


def _hazard_rows(ctx: ImportContext):
    for i in ctx.items("hazards"):
        yield (
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
                "hazard_since": parse_date(i["hazard_since"]) if i.get("hazard_since") else None,
            },
        )


def _write_accidents(ctx: ImportContext) -> None:
    _upsert_flat(ctx, "accidents", Accident, _accident_rows(ctx))
    _sync_involved(ctx, "accidents", "accident")
    _sync_sets(ctx, "accidents", Accident)
    _sync_investigators(ctx)


def _accident_rows(ctx: ImportContext):
    for i in ctx.items("accidents"):
        loss = money(i["direct_loss_yuan"])
        yield (
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
                "hazard_since": parse_date(i["hazard_since"]) if i.get("hazard_since") else None,
                "investigation_level": i.get("investigation_level", ""),
            },
        )


def register() -> None:
    register_section(Section("hazards", _validate_hazards, _write_hazards, model=Hazard))
    register_section(Section("accidents", _validate_accidents, _write_accidents, model=Accident))
