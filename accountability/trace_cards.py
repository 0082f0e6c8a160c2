"""What the trace page adds to the chain for its reader: the links a role may see, and on each card
the holder's tenure (dates, appointment document) and where a click leads.

An enterprise user sees its own links and the supervision track (DESIGN §1): other enterprises'
links — parties and actors — are left out, and a supervision link does not name another enterprise.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.urls import reverse

from responsibility.chain import Link
from responsibility.models import PartyRole, Tenure, Track
from responsibility.permissions import Role, Visibility


def links_for(vis: Visibility, links: list[Link]) -> list[Link]:
    if vis.role != Role.ENTERPRISE:
        return links
    own = vis.enterprise_ids
    kept = []
    for link in links:
        if link.track == Track.ENTERPRISE:
            if link.role == PartyRole.MAIN and link.enterprise is not None and link.enterprise.pk in own:
                kept.append(link)
        elif link.enterprise is not None and link.enterprise.pk not in own:
            kept.append(dataclasses.replace(link, enterprise=None))
        else:
            kept.append(link)
    return kept


def _tenures(links: list[Link], on_date: dt.date) -> dict[tuple[str, str], Tenure]:
    """The tenure behind each (position, person) of the links: the one covering the day, else the latest before it."""
    pairs = {(link.position.pk, link.person.pk) for link in links if link.position and link.person}
    if not pairs:
        return {}
    rows = Tenure.objects.filter(
        position_id__in={p for p, _ in pairs}, person_id__in={q for _, q in pairs}
    ).select_related("position", "person")
    by_pair: dict[tuple[str, str], list[Tenure]] = {}
    for tenure in sorted(rows, key=lambda t: t.start):
        if (tenure.position_id, tenure.person_id) in pairs:
            by_pair.setdefault((tenure.position.code, tenure.person.code), []).append(tenure)
    best = {}
    for key, held in by_pair.items():
        before = [t for t in held if t.start <= on_date]
        best[key] = (
            next((t for t in held if t.covers(on_date)), None) or (before or held)[-1 if before else 0]
        )
    return best


def annotate(diagram: dict, links: list[Link], on_date: dt.date, vis: Visibility) -> None:
    """Add `tenure` and the unit and person URLs (only where the reader may go) to every card."""
    tenures = _tenures(links, on_date)
    unit_codes = {link.unit.code for link in links if link.unit}
    person_codes = {link.person.code for link in links if link.person}
    units = set(vis.units().filter(code__in=unit_codes).values_list("code", flat=True))
    people = set(vis.people().filter(code__in=person_codes).values_list("code", flat=True))
    groups = [*diagram["enterprise_groups"], *diagram["supervision_bands"]]
    for card in (card for group in groups for card in group["links"]):
        tenure = tenures.get((card["position_code"], card["person_code"]))
        if tenure is not None:
            # Tenure ends are exclusive; the page says the last day held.
            last = tenure.end - dt.timedelta(days=1) if tenure.end else None
            card["tenure"] = {"start": tenure.start, "last": last, "document": tenure.document}
        if card["unit_code"] in units:
            card["unit_url"] = reverse("accountability:unit_detail", args=[card["unit_code"]])
        if card["person_code"] in people:
            card["person_url"] = reverse("accountability:person_detail", args=[card["person_code"]])
