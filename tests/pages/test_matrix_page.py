"""The responsibility matrix: positions × sectors on a day, vacancies and gaps highlighted, scope, queries."""

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from responsibility.models import Duty, Position

MATRIX = reverse("responsibility:matrix")


def _row(html, position):
    start = html.index(f'data-position="{position}"')
    return html[start : html.index("</tr>", start)]


def test_it_shows_duty_types_by_sector_with_the_vacant_director_in_red(inspector):
    response = inspector.get(MATRIX, {"region": "SD", "date": "2024-02-26"})
    assert response.status_code == 200
    html = response.content.decode()
    director = _row(html, "t1_head")
    assert 'class="is-vacant"' in html[html.rindex("<tr", 0, html.index('data-position="t1_head"')) :][:60]
    assert "空缺" in director and director.count("党政同责") == len(response.context["columns"])
    deputy = _row(html, "d_vhead_build")
    assert "赵志强" in deputy
    # D07 names 建筑施工: direct there, inherited by its sub-sector 房屋市政工程, absent from 危险化学品.
    cells = deputy.split('<td class="cell">')[1:]
    sectors = [c["sector"].code for c in response.context["columns"]]
    assert "tag direct" in cells[sectors.index("construction")]
    assert "tag inherited" in cells[sectors.index("housing")]
    assert "一岗双责" not in cells[sectors.index("hazchem")]


def test_it_names_the_gaps_and_overlaps_of_the_coverage_report(inspector, expected):
    response = inspector.get(MATRIX, {"region": "SD", "date": "2024-02-26"})
    # Every gap of the worked example but e6's: the crane installer sits in the city, above the county.
    want = {(g["enterprise"], g["sector"]) for g in expected["coverage"]["2024-02-26"]["gaps"]} - {
        ("e6", "special_eq")
    }
    got = {(g["enterprise"].code, g["sector"].code) for g in response.context["gaps"]}
    assert got == want
    assert [(o.region_code, o.sector.code) for o in response.context["overlaps"]] == [("SD", "gas")]
    assert 'class="sector gap"' in response.content.decode()


def test_the_day_decides_who_holds_a_post(inspector):
    html = inspector.get(MATRIX, {"region": "SD", "date": "2024-03-01"}).content.decode()
    assert "孙明" in _row(html, "d_vhead_build")


def test_a_region_outside_the_users_scope_is_not_found(login):
    township = login("township")
    assert township.get(MATRIX, {"region": "T2", "date": "2024-02-26"}).status_code == 404
    assert login("inspector").get(MATRIX, {"region": "SC"}).status_code == 404
    assert login("enterprise").get(MATRIX).status_code == 403  # a role without the matrix


def test_it_takes_the_same_number_of_queries_however_many_duties(inspector):
    def count():
        cache.clear()  # both counts with the coverage computed, not read from the cache
        with CaptureQueriesContext(connection) as ctx:
            assert (
                inspector.get(MATRIX, {"region": "SD", "date": "2024-02-26", "track": "all"}).status_code
                == 200
            )
        return len(ctx)

    before = count()
    unit = Position.objects.get(code="t1_head").unit
    for i in range(15):
        position = Position.objects.create(code=f"mx{i}", title=f"干部{i}", unit=unit)
        Duty.objects.create(
            code=f"MX{i}", type="leader_in_charge", holder_position=position, start="2018-01-01"
        )
    assert count() == before
    assert before <= 25, before


def test_the_region_field_offers_the_way_up_the_region_and_its_subdivisions_not_the_province(login):
    """The form lists what one can move to from the region shown, so the page costs what it shows: a
    province's 1,300 regions in every page made it grow with the province (issue 16)."""
    admin = login("admin")

    def offered(params):
        return [code for code, _label in admin.get(MATRIX, params).context["form"].fields["region"].choices]

    assert offered({"region": "SD", "date": "2024-02-26"}) == ["SH", "SC", "SD", "P1", "T1", "T2"]
    assert offered({"region": "T1", "date": "2024-02-26"}) == ["SH", "SC", "SD", "T1"]
    assert offered({}) == ["SH", "SC"]  # the first region this user may read, and below it
    assert admin.get(MATRIX, {"region": "T1\x01"}).status_code == 404
