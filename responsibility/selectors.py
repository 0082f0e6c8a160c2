"""Reads shared by several surfaces of the duty chain."""

from __future__ import annotations

from collections import defaultdict

from .models import Duty


def attach_sector_codes(duties: list[Duty]) -> list[Duty]:
    """Give each duty `sector_codes` (the codes of the sectors it names; none: every sector), in one query
    of plain values: a prefetch builds a Sector object per pair and costs more than the query."""
    codes: dict[int, set[str]] = defaultdict(set)
    pairs = Duty.sectors.through.objects.filter(duty_id__in=[d.pk for d in duties])
    for duty_id, code in pairs.values_list("duty_id", "sector__code").order_by():
        codes[duty_id].add(code)
    for duty in duties:
        duty.sector_codes = frozenset(codes.get(duty.pk, ()))
    return duties
