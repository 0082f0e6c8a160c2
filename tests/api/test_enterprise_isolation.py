"""An enterprise user never sees another enterprise's object: not by list, detail, filter, search or id guessing."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from accountability.models import Hazard, HazardTransition
from responsibility.models import Duty, Person, Position, Unit

PAIRS = [("enterprise", "e1", "e2"), ("enterprise2", "e2", "e1")]


def foreign_codes(own: str, other: str) -> dict[str, set[str]]:
    """What belongs to `other` and not to `own`, by list endpoint."""
    own_region = Unit.objects.get(code=own).region
    other_region = Unit.objects.get(code=other).region
    in_other = {
        "units": set(Unit.objects.filter(enterprise__code=other).values_list("code", flat=True)),
        "positions": set(
            Position.objects.filter(unit__enterprise__code=other).values_list("code", flat=True)
        ),
        "people": set(
            Person.objects.filter(tenures__position__unit__enterprise__code=other)
            .exclude(tenures__position__unit__enterprise__code=own)
            .values_list("code", flat=True)
        ),
        "duties": set(
            Duty.objects.filter(holder_position__unit__enterprise__code=other).values_list("code", flat=True)
        )
        | set(Duty.objects.filter(holder_unit__enterprise__code=other).values_list("code", flat=True)),
        "hazards": set(Hazard.objects.filter(enterprise__code=other).values_list("code", flat=True)),
        "regions": {other_region.code} - set(own_region.ancestor_codes()),
    }
    assert all(in_other.values()), in_other
    return in_other


def listed_codes(client, url) -> set[str]:
    codes, page = set(), url
    while page:
        response = client.get(page)
        assert response.status_code == 200
        body = response.json()
        codes |= {row["code"] for row in body["results"]}
        page = body["next"]
    return codes


@pytest.mark.parametrize("role, own, other", PAIRS)
def test_lists_show_none_of_another_enterprises_objects(shared_world, db, role, own, other):
    client = shared_world.clients[role]
    for endpoint, codes in foreign_codes(own, other).items():
        shown = listed_codes(client, f"/api/v1/{endpoint}/")
        assert shown, endpoint
        assert not shown & codes, endpoint


@pytest.mark.parametrize("role, own, other", PAIRS)
def test_searching_or_filtering_for_another_enterprises_objects_finds_nothing(
    shared_world, db, role, own, other
):
    client = shared_world.clients[role]
    for endpoint, codes in foreign_codes(own, other).items():
        for code in codes:
            assert client.get(f"/api/v1/{endpoint}/", {"search": code}).json()["count"] == 0, (endpoint, code)
    for endpoint in ("units", "positions", "hazards"):
        assert client.get(f"/api/v1/{endpoint}/", {"enterprise": other}).json()["count"] == 0, endpoint
    assert (
        client.get("/api/v1/units/", {"region": Unit.objects.get(code=other).region.code}).json()["count"]
        == 0
    )


@pytest.mark.parametrize("role, own, other", PAIRS)
def test_another_enterprises_objects_are_not_found_by_code(shared_world, db, role, own, other):
    client = shared_world.clients[role]
    for endpoint, codes in foreign_codes(own, other).items():
        for code in codes:
            assert client.get(f"/api/v1/{endpoint}/{code}/").status_code == 404, (endpoint, code)
    assert client.get("/api/v1/my/duties/", {"enterprise": other}).status_code == 404


@pytest.mark.parametrize("role, own, other", PAIRS)
def test_guessing_evidence_ids_of_another_enterprise_finds_nothing(shared_world, db, role, own, other):
    client = shared_world.clients[role]
    theirs = Hazard.objects.filter(enterprise__code=other).first()
    mine = Hazard.objects.filter(enterprise__code=own).first()
    evidence = HazardTransition.objects.create(
        hazard=theirs, to_state="submitted", evidence=ContentFile(b"secret", name="theirs.jpg")
    )
    for hazard in (theirs, mine):
        response = client.get(f"/api/v1/hazards/{hazard.code}/evidence/{evidence.pk}/")
        assert response.status_code == 404
