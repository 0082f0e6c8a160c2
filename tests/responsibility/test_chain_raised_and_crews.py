"""resolve_chain, DESIGN §5.11 (an investigation raised above the grade widens the reach) and §5.12 (a party's
own unit and post add its post, team_leader and dept_head links, in its block), on small worlds."""

from __future__ import annotations

import pytest

from responsibility.chain import resolve_chain
from responsibility.models import DutyType, PartyRole, UnitKind
from tests.factories import EnterpriseFactory, PersonFactory, TenureFactory, UnitFactory
from tests.responsibility.test_chain_rules import DAY, LONG_AGO, D, World, duty, held, rows


@pytest.fixture
def w(db):
    return World()


def supervision_units(links) -> set[str]:
    return {link.unit.code for link in links if link.track == "supervision"}


@pytest.fixture
def governments(w):
    """A government with a party_gov_lead holder at every level from the county up."""
    for region in (w.N, w.PR, w.C, w.CO):
        gov = UnitFactory(code=f"gov_{region.code}", kind=UnitKind.GOVERNMENT, region=region)
        duty(DutyType.PARTY_GOV_LEAD, held(gov, f"head_{region.code}", f"p_{region.code}"))
    return w


@pytest.mark.parametrize(
    ("grade", "raised", "reached"),
    [
        ("general", None, {"gov_CO"}),
        ("general", "province", {"gov_CO", "gov_C", "gov_PR"}),
        ("larger", "national", {"gov_CO", "gov_C", "gov_PR", "gov_N"}),
        ("major", "province", {"gov_CO", "gov_C", "gov_PR"}),
    ],
)
def test_a_raised_investigation_level_replaces_the_grades_level_for_reach(
    governments, grade, raised, reached
):
    w = governments
    links = resolve_chain(w.scope(), w.housing, DAY, grade, investigation_level=raised)
    assert supervision_units(links) == reached


def test_a_level_below_the_grades_never_narrows_the_reach(governments):
    """Refused on entry; should a 补报 lift the grade past it later, the higher level still decides."""
    w = governments
    links = resolve_chain(w.scope(), w.housing, DAY, "major", investigation_level="county")
    assert supervision_units(links) == {"gov_CO", "gov_C", "gov_PR"}


class Crew:
    """Contractor K (a party) with project department K_pm > crews K_crew and K_crew2; its people."""

    def __init__(self, w: World, lead_since=LONG_AGO):
        self.K = EnterpriseFactory(code="K", region=w.T1)
        self.K_pm = UnitFactory(code="K_pm", kind=UnitKind.ENTERPRISE_DEPT, parent=self.K)
        self.K_crew = UnitFactory(code="K_crew", kind=UnitKind.TEAM, parent=self.K_pm)
        self.K_crew2 = UnitFactory(code="K_crew2", kind=UnitKind.TEAM, parent=self.K_pm)
        duty(DutyType.PRIMARY, held(self.K, "K_rep", "k_rep"))
        duty(DutyType.DEPT_HEAD, held(self.K_pm, "K_pm_mgr", "k_mgr"))
        self.lead = held(self.K_crew, "K_crew_lead", "k_lead", start=lead_since)
        duty(DutyType.TEAM_LEADER, self.lead)
        duty(DutyType.TEAM_LEADER, held(self.K_crew2, "K_crew2_lead", "k_lead2"))
        self.cutter = held(self.K_crew, "K_cutter", "k_cutter")
        duty(DutyType.POST, self.cutter)
        duty(DutyType.POST, held(self.K_crew, "K_rigger", "k_rigger"))
        # the event's own enterprise, with its own site
        duty(DutyType.PRIMARY, held(w.E, "E_gm", "e_gm"))
        duty(DutyType.TEAM_LEADER, held(w.E_team, "E_team_lead", "e_lead"))


def enterprise_rows(links, enterprise: str) -> list[tuple]:
    return [(r[1], r[3], r[4]) for r in rows(links) if r[0] == "enterprise" and r[6] == enterprise]


def test_a_party_without_a_site_contributes_only_its_leadership(w):
    crew = Crew(w)
    links = w.trace(w.scope(parties=[(crew.K, PartyRole.GENERAL_CONTRACTOR)]))
    assert enterprise_rows(links, "K") == [("primary", "K_rep", "k_rep")]


def test_a_partys_unit_and_post_add_its_post_team_leader_and_dept_head_in_its_block(w):
    crew = Crew(w)
    scope = w.scope(unit=w.E_team, parties=[(crew.K, PartyRole.GENERAL_CONTRACTOR, crew.K_crew, crew.cutter)])
    links = w.trace(scope)

    assert enterprise_rows(links, "K") == [
        ("post", "K_cutter", "k_cutter"),
        ("team_leader", "K_crew_lead", "k_lead"),
        ("dept_head", "K_pm_mgr", "k_mgr"),
        ("primary", "K_rep", "k_rep"),
    ]
    # the event's own block is unchanged: its own site, before the party's block
    assert enterprise_rows(links, "E") == [
        ("team_leader", "E_team_lead", "e_lead"),
        ("primary", "E_gm", "e_gm"),
    ]
    assert [r[6] for r in rows(links) if r[0] == "enterprise"] == ["E", "E", "K", "K", "K", "K"]
    assert all(r[7] == "general_contractor" for r in rows(links) if r[6] == "K")


def test_a_partys_unit_alone_adds_its_holders_and_no_post(w):
    crew = Crew(w)
    links = w.trace(w.scope(parties=[(crew.K, PartyRole.SUBCONTRACTOR, crew.K_crew2, None)]))
    assert enterprise_rows(links, "K") == [
        ("team_leader", "K_crew2_lead", "k_lead2"),
        ("dept_head", "K_pm_mgr", "k_mgr"),
        ("primary", "K_rep", "k_rep"),
    ]


def test_a_partys_post_alone_adds_only_that_post(w):
    crew = Crew(w)
    links = w.trace(w.scope(parties=[(crew.K, PartyRole.SUBCONTRACTOR, None, crew.cutter)]))
    assert enterprise_rows(links, "K") == [("post", "K_cutter", "k_cutter"), ("primary", "K_rep", "k_rep")]


def test_the_event_units_site_does_not_reach_into_a_party_and_a_partys_site_not_into_the_event(w):
    crew = Crew(w)
    duty(DutyType.POST, held(w.E_team, "E_worker", "e_worker"))
    scope = w.scope(post=crew.cutter, parties=[(crew.K, PartyRole.GENERAL_CONTRACTOR, None, None)])
    assert enterprise_rows(w.trace(scope), "K") == [("primary", "K_rep", "k_rep")]
    scope = w.scope(parties=[(crew.K, PartyRole.GENERAL_CONTRACTOR, w.E_team, None)])
    links = w.trace(scope)
    assert enterprise_rows(links, "E") == [("primary", "E_gm", "e_gm")]
    assert enterprise_rows(links, "K") == [("primary", "K_rep", "k_rep")]


def test_a_crews_earlier_team_leader_inside_the_period_is_named_with_the_span(w):
    crew = Crew(w, lead_since=D(2023, 6, 1))
    TenureFactory(
        position=crew.lead, person=PersonFactory(code="k_old"), start=D(2023, 1, 1), end=D(2023, 6, 1)
    )
    scope = w.scope(parties=[(crew.K, PartyRole.GENERAL_CONTRACTOR, crew.K_crew, None)])
    links = resolve_chain(scope, w.housing, DAY, since=D(2023, 3, 1))
    leaders = [(link.person.code, link.term, link.span) for link in links if link.type == "team_leader"]
    assert leaders == [("k_lead", "event_day", None), ("k_old", "earlier", (D(2023, 3, 1), D(2023, 5, 31)))]
