"""Round two (issue 23): a person's page showed every post they held, in every enterprise — an e1 user
saw the person's former post at e2 (name, title, position code, dates), an e2 user their current post
at e1, a township posts outside its territory. DESIGN §1: an enterprise sees its own enterprise only.
Now a post shows only where the viewer sees its unit — the rule of the API (`Visibility.units()`)."""

from __future__ import annotations

import datetime as dt

import pytest

from responsibility.models import Person, Position, Tenure, Unit

# The person's posts: two enterprises (e1 in T1, e2 in the park P1), the township T1's government,
# the county's emergency bureau (SD) and a city-level enterprise (e6, outside the county).
POSTS = {
    "px_e1": ("e1", "质量员", dt.date(2015, 3, 1), dt.date(2019, 6, 1)),
    "px_e2": ("e2", "安全主管", dt.date(2019, 6, 1), None),
    "px_t1": ("t1_gov", "安全生产专干", dt.date(2012, 1, 1), dt.date(2015, 3, 1)),
    "px_em": ("d_em", "兼职应急联络员", dt.date(2020, 1, 1), None),
    "px_e6": ("e6", "外聘安全顾问", dt.date(2010, 1, 1), dt.date(2012, 1, 1)),
}
# What each role sees of them (its scope, tests/api/conftest.py): never a post outside it.
SEES = {
    "admin": {"px_e1", "px_e2", "px_t1", "px_em", "px_e6"},
    "inspector": {"px_e1", "px_e2", "px_t1", "px_em"},  # SD and below
    "regulator": {"px_e1", "px_t1", "px_em"},  # housing and gas in SD, and SD's public bodies
    "township": {"px_e1", "px_t1"},  # T1: its enterprises and its own bodies
    "enterprise": {"px_e1"},
    "enterprise2": {"px_e2"},
}


@pytest.fixture
def traveller(world):
    person = Person.objects.create(code="px", name="多处任职者")
    for code, (unit, title, start, end) in POSTS.items():
        position = Position.objects.create(code=code, title=title, unit=Unit.objects.get(code=unit))
        Tenure.objects.create(person=person, position=position, start=start, end=end, document=f"{code}号文")
    return person


@pytest.mark.parametrize("role", list(SEES))
def test_the_person_page_shows_only_posts_in_units_the_viewer_sees(world, client, traveller, role, tried):
    client.force_login(world.users[role])
    response = client.get(f"/people/{traveller.code}/")
    tried["person page: posts checked"] += len(POSTS)
    assert response.status_code == 200
    html = response.content.decode()
    shown = {code for code in POSTS if f'data-position="{code}"' in html}
    assert shown == SEES[role]
    for code in set(POSTS) - SEES[role]:
        unit, title, _start, _end = POSTS[code]
        assert title not in html and f"{code}号文" not in html
        assert Unit.objects.get(code=unit).name not in html


@pytest.mark.parametrize("role", list(SEES))
def test_the_people_list_names_only_current_posts_the_viewer_sees(world, client, traveller, role, tried):
    client.force_login(world.users[role])
    html = client.get("/people/", {"q": "多处任职者"}).content.decode()
    tried["people list: posts checked"] += 2
    for code in ("px_e2", "px_em"):  # the two current posts
        assert (POSTS[code][1] in html) == (code in SEES[role])


@pytest.mark.parametrize("role", [r for r in SEES if r != "admin"])
def test_the_page_and_the_api_agree_on_the_units(world, client, traveller, role):
    """The API lists a unit's posts only for units in scope; the page shows no post of any other."""
    client.force_login(world.users[role])
    html = client.get(f"/people/{traveller.code}/").content.decode()
    api = world.clients[role]
    for code, (unit, *_rest) in POSTS.items():
        in_api = api.get(f"/api/v1/units/{unit}/").status_code == 200
        assert (f'data-position="{code}"' in html) == in_api, (role, code)
