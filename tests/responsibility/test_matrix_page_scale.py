"""The matrix page costs what it shows: coverage of the region shown only, cached until the matrix changes,
rows a page at a time (issue 16)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from responsibility import views
from responsibility.management.commands.load_demo import create_demo_users
from responsibility.models import Duty, DutyType, Region, Sector, Unit, UnitKind
from tests.factories import (
    DutyFactory,
    EnterpriseFactory,
    PositionFactory,
    RegionFactory,
    TenureFactory,
    UnitFactory,
)

MATRIX = reverse("responsibility:matrix")
DAY = "2024-02-26"
PASSWORD = "matrix-scale-pw-1"


@pytest.fixture
def inspector(demo_county):
    """The worked example's inspector: region SD (a county of city SC)."""
    create_demo_users(PASSWORD)
    cache.clear()
    client = Client()
    assert client.login(username="inspector", password=PASSWORD)
    return client


def page(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(MATRIX, {"region": "SD", "date": DAY, "track": "all", **params})
    assert response.status_code == 200
    return response, len(queries)


def gaps_of(response) -> set[tuple]:
    return {
        (g["enterprise"].code, g["sector"].code, g["type_label"], g["reason"])
        for g in response.context["gaps"]
    }


def add_enterprises_elsewhere(count: int) -> None:
    """`count` enterprises with posts, holders and duties in another county of the city, with its own
    competent departments (an overlap there)."""
    elsewhere = RegionFactory(parent=Region.objects.get(code="SC"), level="county")
    town = RegionFactory(parent=elsewhere)
    sectors = list(Sector.objects.order_by("code"))
    gov = UnitFactory(kind=UnitKind.GOVERNMENT, region=elsewhere)
    for sector in sectors[:2]:
        for _ in range(2):
            DutyFactory(
                type=DutyType.COMPETENT,
                holder_unit=UnitFactory(region=elsewhere, parent=gov),
                sectors=[sector],
            )
    for n in range(count):
        firm = EnterpriseFactory(region=town, sectors=[sectors[n % len(sectors)]])
        post = PositionFactory(unit=firm)
        TenureFactory(position=post, start=dt.date(2020, 1, 1))
        DutyFactory(type=DutyType.PRIMARY, holder_position=post, holder_unit=None)
        DutyFactory(
            type=DutyType.SAFETY_MANAGER, holder_position=PositionFactory(unit=firm), holder_unit=None
        )


def test_the_page_asks_the_same_queries_however_many_enterprises_lie_outside_the_region(inspector):
    cache.clear()
    before, queries_before = page(inspector)

    add_enterprises_elsewhere(30)
    cache.clear()
    after, queries_after = page(inspector)

    assert queries_after == queries_before
    assert gaps_of(after) == gaps_of(before)
    assert not [o for o in after.context["overlaps"] if o.region_code != "SD"]


def test_the_coverage_is_read_from_the_cache_until_the_matrix_changes(inspector):
    first, cold = page(inspector)
    again, warm = page(inspector)
    assert gaps_of(again) == gaps_of(first)
    assert warm < cold  # the coverage queries are not asked again

    gap = next(g for g in first.context["gaps"] if g["reason"] == "missing")
    enterprise = gap["enterprise"]
    missing = next(t for t in DutyType if t.label == gap["type_label"])
    holder = (
        enterprise
        if missing == DutyType.PRIMARY
        else UnitFactory(kind=UnitKind.GOVERNMENT, region=enterprise.region)
    )
    Duty.objects.create(code="FILL1", type=missing, holder_unit=holder, start=dt.date(2000, 1, 1))

    edited, _ = page(inspector)
    assert (enterprise.code, gap["sector"].code, gap["type_label"], "missing") not in gaps_of(edited)
    assert gaps_of(edited) < gaps_of(first)


def test_a_change_of_an_enterprises_sectors_shows_at_once(inspector):
    first, _ = page(inspector)
    page(inspector)  # cached
    code = sorted(gaps_of(first))[0][0]
    Unit.objects.get(code=code).sectors.clear()  # m2m_changed, no save of the unit

    edited, _ = page(inspector)
    assert [g for g in gaps_of(first) if g[0] == code]
    assert not [g for g in gaps_of(edited) if g[0] == code]
    assert gaps_of(edited) == {g for g in gaps_of(first) if g[0] != code}


def test_rows_come_a_page_at_a_time(inspector, monkeypatch):
    everything, _ = page(inspector)
    total = everything.context["n_rows"]
    monkeypatch.setattr(views, "ROWS_PER_PAGE", 3)

    first, _ = page(inspector)
    second, _ = page(inspector, page=2)

    assert total > 6
    assert len(first.context["rows"]) == len(second.context["rows"]) == 3
    assert first.context["page_obj"].paginator.count == total
    assert {id(r) for r in first.context["rows"]}.isdisjoint(id(r) for r in second.context["rows"])
    keys = lambda rows: [(r["unit"].code, r["position"].code if r["position"] else "") for r in rows]  # noqa: E731
    assert keys(first.context["rows"]) + keys(second.context["rows"]) == keys(everything.context["rows"])[:6]
    # The pager links to the next page with the form's choices kept, and says how many rows there are.
    html = first.content.decode()
    pager = re.search(r'<p class="no-print">.*?</p>', html, flags=re.DOTALL)
    assert pager, "no pager on the page"
    assert 'href="?region=SD&amp;date=2024-02-26&amp;track=all&page=2"' in pager.group(0), pager.group(0)
    assert f"共 {total} 条" in html and f"{total} 个责任岗位/单位" in html
