"""resolve_chain, rule by rule (DESIGN §3), on small worlds built by factories.

Every test builds the few rows it needs and reads the links back as code tuples
(track, type, unit, position, person, vacant, enterprise, role).
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from responsibility.chain import EventScope, resolve_chain
from responsibility.models import LEVEL_RANK, DutyType, PartyRole, RegionLevel, UnitKind
from tests.factories import (
    DutyFactory,
    EnterpriseFactory,
    InspectionFactory,
    PermitFactory,
    PersonFactory,
    PositionFactory,
    RegionFactory,
    SectorFactory,
    TenureFactory,
    UnitFactory,
)

D = dt.date
DAY = D(2024, 2, 26)
LONG_AGO = D(2000, 1, 1)


def row(link) -> tuple:
    return (
        link.track,
        link.type,
        link.unit.code if link.unit else None,
        link.position.code if link.position else None,
        link.person.code if link.person else None,
        link.vacant,
        link.enterprise.code if link.enterprise else None,
        link.role,
    )


def rows(links) -> list[tuple]:
    return [row(link) for link in links]


def held(unit, code, person=None, start=LONG_AGO, end=None):
    """A position in `unit`, held by a new person `person` (a code) from `start`, or vacant."""
    position = PositionFactory(code=code, unit=unit)
    if person is not None:
        TenureFactory(position=position, person=PersonFactory(code=person), start=start, end=end)
    return position


def duty(type_, holder, **kwargs):
    """A duty of `type_` held by a unit or a position."""
    if hasattr(holder, "kind"):
        return DutyFactory(type=type_, holder_unit=holder, **kwargs)
    return DutyFactory(type=type_, holder_position=holder, holder_unit=None, **kwargs)


class World:
    """national N > province PR > city C > county CO > townships T1, T2; village V1 under T1.

    Sectors construction > housing, and hazchem. Enterprise E in T1 (housing) with a project
    department E_pm and its team E_team, and a second department E_pm2 with team E_team2.
    """

    def __init__(self):
        self.N = RegionFactory(code="N", level=RegionLevel.NATIONAL)
        self.PR = RegionFactory(code="PR", parent=self.N)
        self.C = RegionFactory(code="C", parent=self.PR)
        self.CO = RegionFactory(code="CO", parent=self.C)
        self.T1 = RegionFactory(code="T1", parent=self.CO)
        self.T2 = RegionFactory(code="T2", parent=self.CO)
        self.V1 = RegionFactory(code="V1", parent=self.T1)
        self.construction = SectorFactory(code="construction")
        self.housing = SectorFactory(code="housing", parent=self.construction)
        self.hazchem = SectorFactory(code="hazchem")
        self.E = EnterpriseFactory(code="E", region=self.T1, sectors=[self.housing])
        self.E_pm = UnitFactory(code="E_pm", kind=UnitKind.ENTERPRISE_DEPT, parent=self.E)
        self.E_team = UnitFactory(code="E_team", kind=UnitKind.TEAM, parent=self.E_pm)
        self.E_pm2 = UnitFactory(code="E_pm2", kind=UnitKind.ENTERPRISE_DEPT, parent=self.E)
        self.E_team2 = UnitFactory(code="E_team2", kind=UnitKind.TEAM, parent=self.E_pm2)
        self.co_gov = UnitFactory(code="co_gov", kind=UnitKind.GOVERNMENT, region=self.CO)
        self.co_housing = UnitFactory(code="co_housing", region=self.CO, parent=self.co_gov)
        self.t1_gov = UnitFactory(code="t1_gov", kind=UnitKind.GOVERNMENT, region=self.T1)
        self.t2_gov = UnitFactory(code="t2_gov", kind=UnitKind.GOVERNMENT, region=self.T2)

    def scope(self, enterprise="E", region=None, unit=None, post=None, parties=(), actors=()):
        enterprise = getattr(self, enterprise) if isinstance(enterprise, str) else enterprise
        return EventScope(
            region=region or (enterprise.region if enterprise else self.T1),
            enterprise=enterprise,
            unit=unit,
            post=post,
            parties=list(parties),
            actors=list(actors),
        )

    def trace(self, scope=None, sector=None, day=DAY, grade=None):
        return resolve_chain(scope or self.scope(), sector or self.housing, day, grade)


@pytest.fixture
def w(db):
    return World()


def people_of(links, type_):
    return [(link.person.code if link.person else None, link.vacant) for link in links if link.type == type_]


# ---- §3.3 tenures: start inclusive, end exclusive; a vacancy is kept -------------------------------


def test_tenure_start_is_inclusive_and_end_exclusive(w):
    head = held(w.co_gov, "co_head", "old", start=D(2021, 6, 1), end=D(2024, 3, 1))
    TenureFactory(position=head, person=PersonFactory(code="new"), start=D(2024, 3, 1))
    duty(DutyType.PARTY_GOV_LEAD, head)

    assert people_of(w.trace(day=D(2021, 5, 31)), "party_gov_lead") == [(None, True)]
    assert people_of(w.trace(day=D(2021, 6, 1)), "party_gov_lead") == [("old", False)]
    assert people_of(w.trace(day=D(2024, 2, 29)), "party_gov_lead") == [("old", False)]
    assert people_of(w.trace(day=D(2024, 3, 1)), "party_gov_lead") == [("new", False)]


def test_a_vacant_position_is_kept_as_a_vacant_link_and_a_unit_holder_is_never_vacant(w):
    duty(DutyType.PARTY_GOV_LEAD, held(w.t1_gov, "t1_head"))  # nobody holds it
    duty(DutyType.TERRITORIAL, w.t1_gov)

    got = rows(w.trace())

    assert ("supervision", "party_gov_lead", "t1_gov", "t1_head", None, True, None, None) in got
    assert ("supervision", "territorial", "t1_gov", None, None, False, None, None) in got


def test_a_vacancy_between_two_tenures_is_a_vacant_link(w):
    head = held(w.co_gov, "co_head", "old", start=D(2020, 1, 1), end=D(2024, 1, 1))
    TenureFactory(position=head, person=PersonFactory(code="new"), start=D(2024, 3, 1))
    duty(DutyType.PARTY_GOV_LEAD, head)

    assert people_of(w.trace(day=D(2024, 1, 1)), "party_gov_lead") == [(None, True)]
    assert people_of(w.trace(day=D(2024, 2, 29)), "party_gov_lead") == [(None, True)]


# ---- §3.1 sectors, regions, enterprise scope, period -------------------------------------------------


def test_a_duty_on_a_parent_sector_covers_a_sub_sector_but_not_the_reverse(w):
    duty(DutyType.COMPETENT, w.co_housing, sectors=[w.construction], code="on_parent")
    duty(DutyType.SUPERVISORY, w.co_housing, sectors=[w.housing], code="on_child")
    duty(DutyType.LEADER_IN_CHARGE, w.co_gov, sectors=[w.hazchem], code="other_sector")
    duty(DutyType.TERRITORIAL, w.t1_gov, code="all_sectors")

    on_housing = {link.source for link in w.trace(sector=w.housing)}
    on_construction = {link.source for link in w.trace(sector=w.construction)}

    assert on_housing == {"on_parent", "on_child", "all_sectors"}
    assert on_construction == {"on_parent", "all_sectors"}


def test_a_county_duty_covers_a_township_event_and_a_township_duty_not_its_sibling(w):
    duty(DutyType.COMPETENT, w.co_housing, code="county")
    duty(DutyType.TERRITORIAL, w.t1_gov, code="t1")
    duty(DutyType.TERRITORIAL, w.t2_gov, code="t2")
    # A county unit whose duty is scoped to one township only.
    duty(DutyType.SUPERVISORY, w.co_housing, region=w.T2, code="county_for_t2")

    in_t1 = {link.source for link in w.trace(w.scope(region=w.T1))}
    in_t2 = {link.source for link in w.trace(w.scope(region=w.T2))}
    in_village = {link.source for link in w.trace(w.scope(region=w.V1))}

    assert in_t1 == {"county", "t1"}
    assert in_t2 == {"county", "t2", "county_for_t2"}
    assert in_village == {"county", "t1"}


def test_a_duty_naming_another_enterprise_is_left_out(w):
    other = EnterpriseFactory(code="F", region=w.T1, sectors=[w.housing])
    duty(DutyType.COMPETENT, w.co_housing, enterprise=w.E, code="for_E")
    duty(DutyType.COMPETENT, w.co_housing, enterprise=other, code="for_F")
    duty(DutyType.SUPERVISORY, w.co_housing, code="for_all")

    assert {link.source for link in w.trace(w.scope("E"))} == {"for_E", "for_all"}
    assert {link.source for link in w.trace(w.scope(other))} == {"for_F", "for_all"}
    assert {link.source for link in w.trace(w.scope(None, region=w.T1))} == {"for_all"}


def test_a_duty_counts_from_its_start_day_until_the_day_before_its_end(w):
    duty(DutyType.COMPETENT, w.co_housing, start=D(2020, 1, 1), end=DAY, code="ended_on_the_day")
    duty(DutyType.COMPETENT, w.co_housing, start=D(2020, 1, 1), end=DAY + dt.timedelta(1), code="ends_next")
    duty(DutyType.SUPERVISORY, w.co_housing, start=DAY, code="starts_on_the_day")
    duty(DutyType.SUPERVISORY, w.co_housing, start=DAY + dt.timedelta(1), code="starts_next")

    assert {link.source for link in w.trace()} == {"ends_next", "starts_on_the_day"}


# ---- §3.4 approval and inspection -------------------------------------------------------------------


def test_a_permit_counts_from_its_approval_day_to_its_last_valid_day_both_inclusive(w):
    def permit(code, sector=None, approved_on=None, valid_until=None):
        PermitFactory(
            code=code,
            enterprise=w.E,
            sector=sector or w.housing,
            position=held(w.co_housing, f"clerk_{code}", f"p_{code}"),
            approved_on=approved_on or D(2020, 1, 1),
            valid_until=valid_until or D(2030, 12, 31),
        )

    permit("approved_today", approved_on=DAY)
    permit("last_day", sector=w.construction, valid_until=DAY)
    permit("expired", valid_until=DAY - dt.timedelta(1))
    permit("future", approved_on=DAY + dt.timedelta(1))
    permit("other_sector", sector=w.hazchem)

    def approvals(day):
        return {link.source for link in w.trace(day=day) if link.type == DutyType.APPROVAL}

    assert approvals(DAY) == {"approved_today", "last_day"}
    assert approvals(DAY - dt.timedelta(1)) == {"expired", "last_day"}
    assert approvals(DAY + dt.timedelta(1)) == {"approved_today", "future"}


def test_the_approver_is_whoever_held_the_post_on_the_approval_day(w):
    clerk = held(w.co_housing, "clerk", "then", start=D(2019, 1, 1), end=D(2023, 6, 30))
    TenureFactory(position=clerk, person=PersonFactory(code="now"), start=D(2023, 6, 30))
    PermitFactory(enterprise=w.E, sector=w.housing, position=clerk, approved_on=D(2023, 6, 29))
    other = EnterpriseFactory(code="F", region=w.T1, sectors=[w.housing])
    PermitFactory(enterprise=other, sector=w.housing, position=clerk, approved_on=D(2023, 6, 30))
    nobody = held(w.co_housing, "nobody", "later", start=D(2023, 1, 1))
    PermitFactory(enterprise=w.E, sector=w.housing, position=nobody, approved_on=D(2022, 12, 31))

    got = [r for r in rows(w.trace(w.scope(parties=[(other, PartyRole.OWNER)]))) if r[1] == "approval"]

    assert got == [
        ("supervision", "approval", "co_housing", "clerk", "then", False, "E", None),
        ("supervision", "approval", "co_housing", "clerk", "now", False, "F", None),
        ("supervision", "approval", "co_housing", "nobody", None, True, "E", None),
    ]


def test_the_inspection_window_includes_day_minus_365_and_excludes_day_minus_366(w):
    inspector = held(w.co_housing, "insp", "p_insp")
    InspectionFactory(
        enterprise=w.E,
        sector=w.housing,
        unit=w.co_housing,
        inspectors=[inspector],
        date=DAY - dt.timedelta(366),
    )
    assert not any(link.type == DutyType.INSPECTION for link in w.trace())

    InspectionFactory(
        code="edge",
        enterprise=w.E,
        sector=w.construction,
        unit=w.co_housing,
        inspectors=[inspector],
        date=DAY - dt.timedelta(365),
    )
    assert [link.source for link in w.trace() if link.type == DutyType.INSPECTION] == ["edge"]
    # An inspection on the event day counts; one after it does not.
    InspectionFactory(
        code="today", enterprise=w.E, sector=w.housing, unit=w.co_housing, inspectors=[inspector], date=DAY
    )
    InspectionFactory(
        code="tomorrow",
        enterprise=w.E,
        sector=w.housing,
        unit=w.co_housing,
        inspectors=[inspector],
        date=DAY + dt.timedelta(1),
    )
    assert [link.source for link in w.trace() if link.type == DutyType.INSPECTION] == ["today"]


@override_settings(DUTYCHAIN={"INSPECTION_WINDOW_DAYS": 30})
def test_the_inspection_window_is_a_setting(w):
    inspector = held(w.co_housing, "insp", "p_insp")
    InspectionFactory(
        code="in",
        enterprise=w.E,
        sector=w.housing,
        unit=w.co_housing,
        inspectors=[inspector],
        date=DAY - dt.timedelta(30),
    )
    InspectionFactory(
        code="out",
        enterprise=w.E,
        sector=w.housing,
        unit=w.co_housing,
        inspectors=[inspector],
        date=DAY - dt.timedelta(31),
    )
    assert [link.source for link in w.trace() if link.type == DutyType.INSPECTION] == ["in"]


def test_only_the_latest_inspection_per_enterprise_and_inspecting_unit_counts(w):
    co_em = UnitFactory(code="co_em", region=w.CO)
    old_insp = held(w.co_housing, "housing_a", "pa", start=D(2020, 1, 1), end=D(2024, 1, 1))
    TenureFactory(position=old_insp, person=PersonFactory(code="pa2"), start=D(2024, 1, 1))
    new_insp = held(w.co_housing, "housing_b", "pb")
    em_insp = held(co_em, "em_a", "pc")
    other = EnterpriseFactory(code="F", region=w.T1, sectors=[w.housing])
    InspectionFactory(
        code="older",
        enterprise=w.E,
        sector=w.housing,
        unit=w.co_housing,
        inspectors=[old_insp],
        date=D(2023, 5, 1),
    )
    InspectionFactory(
        code="latest",
        enterprise=w.E,
        sector=w.housing,
        unit=w.co_housing,
        inspectors=[new_insp, old_insp],
        date=D(2023, 12, 1),
    )
    InspectionFactory(
        code="em", enterprise=w.E, sector=w.housing, unit=co_em, inspectors=[em_insp], date=D(2023, 3, 1)
    )
    InspectionFactory(
        code="of_party",
        enterprise=other,
        sector=w.housing,
        unit=w.co_housing,
        inspectors=[old_insp],
        date=D(2023, 6, 1),
    )

    got = [r for r in rows(w.trace(w.scope(parties=[(other, PartyRole.OWNER)]))) if r[1] == "inspection"]

    assert got == [
        # same unit and position: by enterprise code; the inspector is who held the post that day.
        ("supervision", "inspection", "co_em", "em_a", "pc", False, "E", None),
        ("supervision", "inspection", "co_housing", "housing_a", "pa", False, "E", None),
        ("supervision", "inspection", "co_housing", "housing_a", "pa", False, "F", None),
        ("supervision", "inspection", "co_housing", "housing_b", "pb", False, "E", None),
    ]


# ---- §3.5 reach by grade ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "grade, highest",
    [
        (None, "county"),
        ("general", "county"),
        ("larger", "city"),
        ("major", "province"),
        ("especially_major", "national"),
    ],
)
def test_supervision_links_reach_up_to_the_level_that_investigates_the_grade(w, grade, highest):
    for region in (w.N, w.PR, w.C, w.CO, w.T1, w.V1):
        gov = UnitFactory(code=f"gov_{region.code}", kind=UnitKind.GOVERNMENT, region=region)
        duty(DutyType.PARTY_GOV_LEAD, gov)
        clerk = held(gov, f"clerk_{region.code}", f"p_{region.code}")
        PermitFactory(enterprise=w.E, sector=w.housing, position=clerk)
        InspectionFactory(enterprise=w.E, sector=w.housing, unit=gov, inspectors=[clerk], date=DAY)

    links = w.trace(w.scope(region=w.V1), grade=grade)
    reached = [level for level in RegionLevel.values if LEVEL_RANK[level] >= LEVEL_RANK[highest]]

    for type_ in (DutyType.PARTY_GOV_LEAD, DutyType.APPROVAL, DutyType.INSPECTION):
        levels = {link.unit.region.level for link in links if link.type == type_}
        assert levels == set(reached), type_


def test_reach_does_not_cut_the_enterprise_track(w):
    city_firm_unit = EnterpriseFactory(code="F", region=w.C)
    duty(DutyType.PRIMARY, held(city_firm_unit, "F_gm", "f_gm"))
    links = w.trace(w.scope(parties=[(city_firm_unit, PartyRole.INSTALLER)]), grade="general")
    assert ("enterprise", "primary", "F", "F_gm", "f_gm", False, "F", "installer") in rows(links)


# ---- §3.2 the enterprise track ----------------------------------------------------------------------


def test_dept_head_and_team_leader_only_in_the_event_unit_and_its_ancestors_inside_the_enterprise(w):
    group = EnterpriseFactory(code="GRP", region=w.T1)
    w.E.parent = group
    w.E.save()
    w.E_team.refresh_from_db()
    w.E_pm.refresh_from_db()
    duty(DutyType.DEPT_HEAD, held(group, "grp_dept", "g1"))  # above the enterprise: another enterprise
    duty(DutyType.DEPT_HEAD, held(w.E, "E_dept", "e0"))  # the enterprise unit itself is an ancestor
    duty(DutyType.DEPT_HEAD, held(w.E_pm, "pm_mgr", "e1"))
    duty(DutyType.TEAM_LEADER, held(w.E_team, "team_lead", "e2"))
    duty(DutyType.DEPT_HEAD, held(w.E_pm2, "pm2_mgr", "e3"))  # a sibling department
    duty(DutyType.TEAM_LEADER, held(w.E_team2, "team2_lead", "e4"))  # a sibling team
    duty(DutyType.TEAM_LEADER, w.E_team)  # a unit holder

    def site(unit):
        return [
            (r[1], r[2], r[3])
            for r in rows(w.trace(w.scope(unit=unit)))
            if r[1] in (DutyType.DEPT_HEAD, DutyType.TEAM_LEADER)
        ]

    assert site(w.E_team) == [
        ("team_leader", "E_team", None),
        ("team_leader", "E_team", "team_lead"),
        ("dept_head", "E", "E_dept"),
        ("dept_head", "E_pm", "pm_mgr"),
    ]
    assert site(w.E_pm) == [("dept_head", "E", "E_dept"), ("dept_head", "E_pm", "pm_mgr")]
    assert site(None) == []


def test_a_unit_of_a_government_above_the_enterprise_gives_no_site_links(w):
    firm = EnterpriseFactory(code="SOE", region=w.CO, parent=w.co_gov)
    shop = UnitFactory(code="SOE_shop", kind=UnitKind.ENTERPRISE_DEPT, parent=firm)
    duty(DutyType.DEPT_HEAD, held(w.co_gov, "gov_dept", "g"))
    duty(DutyType.DEPT_HEAD, held(shop, "shop_head", "s"))

    got = [r for r in rows(w.trace(w.scope(firm, unit=shop))) if r[1] == "dept_head"]

    assert got == [("enterprise", "dept_head", "SOE_shop", "shop_head", "s", False, "SOE", "main")]


def test_post_links_only_the_event_post(w):
    crane = held(w.E_team, "crane", "driver")
    rigger = held(w.E_team, "rigger", "rig")
    duty(DutyType.POST, crane)
    duty(DutyType.POST, rigger)

    assert people_of(w.trace(w.scope(unit=w.E_team, post=crane)), "post") == [("driver", False)]
    assert people_of(w.trace(w.scope(unit=w.E_team)), "post") == []


def test_enterprise_wide_duties_apply_wherever_the_event_is_and_follow_period_and_sector(w):
    duty(DutyType.PRIMARY, held(w.E, "chair", "c"))
    duty(DutyType.ENTERPRISE_LEADER, held(w.E_pm2, "vp_far", "v"), sectors=[w.construction])
    duty(DutyType.ENTERPRISE_LEADER, held(w.E, "vp_chem", "vc"), sectors=[w.hazchem])
    duty(DutyType.SAFETY_MANAGER, held(w.E, "safety_old", "so"), end=DAY)
    duty(DutyType.GUARANTOR, held(w.E, "guard", None))

    got = rows(w.trace(w.scope(unit=w.E_team)))

    assert got == [
        ("enterprise", "enterprise_leader", "E_pm2", "vp_far", "v", False, "E", "main"),
        ("enterprise", "primary", "E", "chair", "c", False, "E", "main"),
        ("enterprise", "guarantor", "E", "guard", None, True, "E", "main"),
    ]


def test_party_enterprises_contribute_only_their_leadership(w):
    party = EnterpriseFactory(code="F", region=w.T2, sectors=[w.housing])
    site = UnitFactory(code="F_site", kind=UnitKind.ENTERPRISE_DEPT, parent=party)
    for type_, holder in [
        (DutyType.PRIMARY, held(party, "F_gm", "f1")),
        (DutyType.ENTERPRISE_LEADER, held(party, "F_vp", "f2")),
        (DutyType.SAFETY_MANAGER, held(party, "F_safe", None)),
        (DutyType.GUARANTOR, held(party, "F_guard", "f4")),
        (DutyType.DEPT_HEAD, held(site, "F_site_mgr", "f5")),
        (DutyType.TEAM_LEADER, held(site, "F_lead", "f6")),
        (DutyType.POST, held(site, "F_post", "f7")),
    ]:
        duty(type_, holder)
    duty(DutyType.PRIMARY, held(party, "F_chem", "f8"), sectors=[w.hazchem])

    got = [
        r for r in rows(w.trace(w.scope(parties=[(party, PartyRole.SUPERVISING_ENGINEER)]))) if r[6] == "F"
    ]

    assert got == [
        ("enterprise", "safety_manager", "F", "F_safe", None, True, "F", "supervising_engineer"),
        ("enterprise", "enterprise_leader", "F", "F_vp", "f2", False, "F", "supervising_engineer"),
        ("enterprise", "primary", "F", "F_gm", "f1", False, "F", "supervising_engineer"),
        ("enterprise", "guarantor", "F", "F_guard", "f4", False, "F", "supervising_engineer"),
    ]


def test_an_actor_adds_one_actor_link_with_no_unit(w):
    landlord = PersonFactory(code="landlord")
    got = rows(w.trace(w.scope(actors=[(landlord, PartyRole.LANDLORD)])))
    assert got == [("enterprise", "actor", None, None, "landlord", False, None, "landlord")]


def test_no_enterprise_and_no_party_means_no_enterprise_track(w):
    duty(DutyType.PRIMARY, held(w.E, "chair", "c"))
    duty(DutyType.TERRITORIAL, w.t1_gov)

    assert {link.track for link in w.trace(w.scope(None, region=w.T1))} == {"supervision"}
    with_party = rows(w.trace(w.scope(None, region=w.T1, parties=[(w.E, PartyRole.OWNER)])))
    assert ("enterprise", "primary", "E", "chair", "c", False, "E", "owner") in with_party


def test_actors_alone_make_no_enterprise_track(w):
    landlord = PersonFactory(code="landlord")
    duty(DutyType.TERRITORIAL, w.t1_gov)

    alone = w.trace(w.scope(None, region=w.T1, actors=[(landlord, PartyRole.LANDLORD)]))
    with_party = rows(
        w.trace(
            w.scope(
                None, region=w.T1, parties=[(w.E, PartyRole.OWNER)], actors=[(landlord, PartyRole.LANDLORD)]
            )
        )
    )

    assert {link.track for link in alone} == {"supervision"}
    assert ("enterprise", "actor", None, None, "landlord", False, None, "landlord") in with_party


def test_one_person_under_two_types_appears_once_per_type(w):
    head = held(w.co_gov, "co_head", "h")
    duty(DutyType.PARTY_GOV_LEAD, head)
    duty(DutyType.LEADER_IN_CHARGE, head)
    duty(DutyType.LEADER_IN_CHARGE, head, sectors=[w.construction])  # the same subject again

    got = [(r[1], r[4]) for r in rows(w.trace())]

    assert got == [("leader_in_charge", "h"), ("party_gov_lead", "h")]


# ---- §3.6 order ------------------------------------------------------------------------------------


def test_links_follow_the_order_of_design_3_6(w):
    crane = held(w.E_team, "E_crane", "crane")
    duty(DutyType.GUARANTOR, held(w.E, "E_guard", "guard"))
    duty(DutyType.PRIMARY, held(w.E, "E_chair", "chair"))
    duty(DutyType.ENTERPRISE_LEADER, held(w.E, "E_vp_b", "vpb"))
    duty(DutyType.ENTERPRISE_LEADER, held(w.E, "E_vp_a", "vpa"))
    duty(DutyType.SAFETY_MANAGER, held(w.E, "E_safety", "safety"))
    duty(DutyType.SAFETY_MANAGER, w.E)
    duty(DutyType.DEPT_HEAD, held(w.E_pm, "E_pm_mgr", "pm"))
    duty(DutyType.TEAM_LEADER, held(w.E_team, "E_team_lead", "lead"))
    duty(DutyType.POST, crane)
    # Parties listed F then A (A's code sorts first: the event's order wins), then actors.
    f = EnterpriseFactory(code="F", region=w.T1)
    a = EnterpriseFactory(code="A", region=w.T1)
    duty(DutyType.PRIMARY, held(f, "F_gm", "fgm"))
    duty(DutyType.SAFETY_MANAGER, held(f, "F_safe", "fsafe"))
    duty(DutyType.PRIMARY, held(a, "A_gm", "agm"))
    zed, abe = PersonFactory(code="zed"), PersonFactory(code="abe")
    # Supervision at village, township, county and city.
    v_committee = UnitFactory(code="v1_committee", kind=UnitKind.OTHER, region=w.V1)
    duty(DutyType.TERRITORIAL, v_committee)
    t1_party = UnitFactory(code="t1_party", kind=UnitKind.PARTY_COMMITTEE, region=w.T1)
    duty(DutyType.PARTY_GOV_LEAD, held(t1_party, "t1_sec", "t1sec"))
    duty(DutyType.PARTY_GOV_LEAD, held(w.t1_gov, "t1_head", None))
    duty(DutyType.LEADER_IN_CHARGE, held(w.t1_gov, "t1_vhead", "t1v"))
    duty(DutyType.TERRITORIAL, w.t1_gov)
    co_em = UnitFactory(code="co_em", region=w.CO, parent=w.co_gov)
    duty(DutyType.PARTY_GOV_LEAD, held(w.co_gov, "co_head", "cohead"))
    duty(DutyType.LEADER_IN_CHARGE, held(w.co_gov, "co_vhead", "covh"))
    duty(DutyType.COMPETENT, held(w.co_housing, "co_housing_dir", "codir"))
    duty(DutyType.COMPETENT, w.co_housing)
    duty(DutyType.SUPERVISORY, held(co_em, "co_em_dir", "coem"))
    duty(DutyType.SUPERVISORY, co_em)
    permit_clerk = held(w.co_housing, "co_permit", "clerk")
    PermitFactory(enterprise=a, sector=w.housing, position=permit_clerk)
    PermitFactory(enterprise=w.E, sector=w.housing, position=permit_clerk)
    inspector = held(w.co_housing, "co_insp", "insp")
    InspectionFactory(enterprise=f, sector=w.housing, unit=w.co_housing, inspectors=[inspector], date=DAY)
    InspectionFactory(enterprise=w.E, sector=w.housing, unit=w.co_housing, inspectors=[inspector], date=DAY)
    c_gov = UnitFactory(code="c_gov", kind=UnitKind.GOVERNMENT, region=w.C)
    duty(DutyType.PARTY_GOV_LEAD, held(c_gov, "c_mayor", "mayor"))

    scope = w.scope(
        region=w.V1,
        unit=w.E_team,
        post=crane,
        parties=[(f, PartyRole.OWNER), (a, PartyRole.INSTALLER)],
        actors=[(zed, PartyRole.LANDLORD), (abe, PartyRole.CONTROLLER)],
    )
    got = rows(w.trace(scope, grade="larger"))

    assert got == [
        ("enterprise", "post", "E_team", "E_crane", "crane", False, "E", "main"),
        ("enterprise", "team_leader", "E_team", "E_team_lead", "lead", False, "E", "main"),
        ("enterprise", "dept_head", "E_pm", "E_pm_mgr", "pm", False, "E", "main"),
        ("enterprise", "safety_manager", "E", None, None, False, "E", "main"),
        ("enterprise", "safety_manager", "E", "E_safety", "safety", False, "E", "main"),
        ("enterprise", "enterprise_leader", "E", "E_vp_a", "vpa", False, "E", "main"),
        ("enterprise", "enterprise_leader", "E", "E_vp_b", "vpb", False, "E", "main"),
        ("enterprise", "primary", "E", "E_chair", "chair", False, "E", "main"),
        ("enterprise", "guarantor", "E", "E_guard", "guard", False, "E", "main"),
        ("enterprise", "safety_manager", "F", "F_safe", "fsafe", False, "F", "owner"),
        ("enterprise", "primary", "F", "F_gm", "fgm", False, "F", "owner"),
        ("enterprise", "primary", "A", "A_gm", "agm", False, "A", "installer"),
        ("enterprise", "actor", None, None, "zed", False, None, "landlord"),
        ("enterprise", "actor", None, None, "abe", False, None, "controller"),
        ("supervision", "territorial", "v1_committee", None, None, False, None, None),
        ("supervision", "territorial", "t1_gov", None, None, False, None, None),
        ("supervision", "leader_in_charge", "t1_gov", "t1_vhead", "t1v", False, None, None),
        ("supervision", "party_gov_lead", "t1_gov", "t1_head", None, True, None, None),
        ("supervision", "party_gov_lead", "t1_party", "t1_sec", "t1sec", False, None, None),
        ("supervision", "inspection", "co_housing", "co_insp", "insp", False, "E", None),
        ("supervision", "inspection", "co_housing", "co_insp", "insp", False, "F", None),
        ("supervision", "approval", "co_housing", "co_permit", "clerk", False, "A", None),
        ("supervision", "approval", "co_housing", "co_permit", "clerk", False, "E", None),
        ("supervision", "supervisory", "co_em", None, None, False, None, None),
        ("supervision", "supervisory", "co_em", "co_em_dir", "coem", False, None, None),
        ("supervision", "competent", "co_housing", None, None, False, None, None),
        ("supervision", "competent", "co_housing", "co_housing_dir", "codir", False, None, None),
        ("supervision", "leader_in_charge", "co_gov", "co_vhead", "covh", False, None, None),
        ("supervision", "party_gov_lead", "co_gov", "co_head", "cohead", False, None, None),
        ("supervision", "party_gov_lead", "c_gov", "c_mayor", "mayor", False, None, None),
    ]


# ---- properties ------------------------------------------------------------------------------------

ENTERPRISE_ORDER = [
    "post",
    "team_leader",
    "dept_head",
    "safety_manager",
    "enterprise_leader",
    "primary",
    "guarantor",
]
SUPERVISION_ORDER = [
    "territorial",
    "inspection",
    "approval",
    "supervisory",
    "competent",
    "leader_in_charge",
    "party_gov_lead",
]


def design_key(link, parties, actors):
    """§3.6 written out again, independently of chain.py."""
    if link.track == "enterprise":
        if link.type == "actor":
            group = len(parties) + 1 + [p.pk for p, _ in actors].index(link.person.pk)
            return (0, group, len(ENTERPRISE_ORDER), "", "")
        group = 0 if link.role == "main" else 1 + [e.pk for e, _ in parties].index(link.enterprise.pk)
        return (
            0,
            group,
            ENTERPRISE_ORDER.index(link.type),
            link.unit.code,
            link.position.code if link.position else "",
        )
    return (
        1,
        -LEVEL_RANK[link.unit.region.level],
        SUPERVISION_ORDER.index(link.type),
        link.unit.code,
        link.position.code if link.position else "",
        link.enterprise.code if link.enterprise else "",
    )


@contextmanager
def rolled_back():
    """Each hypothesis example builds its own world inside the test's transaction and undoes it."""
    with transaction.atomic():
        savepoint = transaction.savepoint()
        try:
            yield
        finally:
            transaction.savepoint_rollback(savepoint)


segments = st.lists(
    st.tuples(st.integers(min_value=1, max_value=120), st.sampled_from(["a", "b", "c", None])),
    min_size=1,
    max_size=6,
)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(segments=segments, open_ended=st.booleans(), probes=st.lists(st.integers(-5, 800), max_size=5))
def test_on_any_day_a_split_position_has_exactly_one_holder_or_is_vacant(segments, open_ended, probes):
    """Consecutive tenures (some gaps) of one post: each day resolves to the tenure covering it, else vacant."""
    start = D(2020, 1, 1)
    with rolled_back():
        unit = UnitFactory(kind=UnitKind.GOVERNMENT)
        sector = SectorFactory()
        position = PositionFactory(unit=unit)
        duty(DutyType.PARTY_GOV_LEAD, position)
        people = {name: PersonFactory() for name in "abc"}
        expected = {}  # day offset -> person code or None
        cursor = 0
        for index, (length, who) in enumerate(segments):
            last = index == len(segments) - 1
            end = None if last and open_ended else cursor + length
            if who is not None:
                TenureFactory(
                    position=position,
                    person=people[who],
                    start=start + dt.timedelta(cursor),
                    end=None if end is None else start + dt.timedelta(end),
                )
            for offset in range(cursor, cursor + length):
                expected[offset] = people[who].code if who else None
            cursor += length
        days = set(probes) | {0, -1, cursor - 1, cursor}
        days |= {sum(length for length, _ in segments[:i]) + d for i in range(len(segments)) for d in (-1, 0)}
        for offset in sorted(days):
            if offset >= cursor:
                want = expected[cursor - 1] if open_ended and segments[-1][1] else None
            else:
                want = expected.get(offset)
            links = [
                link
                for link in resolve_chain(
                    EventScope(region=unit.region), sector, start + dt.timedelta(offset)
                )
                if link.position == position
            ]
            assert len(links) == 1, offset
            assert (links[0].person.code if links[0].person else None, links[0].vacant) == (
                want,
                want is None,
            )


subjects = st.lists(
    st.tuples(
        st.sampled_from(["village", "township", "county", "city", "province"]),
        st.sampled_from(SUPERVISION_ORDER[:1] + SUPERVISION_ORDER[3:]),
        st.sampled_from(["u1", "u2", "u3"]),
        st.sampled_from([None, "p1", "p2"]),
    ),
    max_size=12,
)
enterprise_subjects = st.lists(
    st.tuples(
        st.sampled_from([0, 1, 2]),  # 0 = the event's enterprise, 1 and 2 = parties
        st.sampled_from(ENTERPRISE_ORDER),
        st.sampled_from([None, "p1", "p2"]),
        st.booleans(),
    ),
    max_size=12,
)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    supervision=subjects,
    enterprise=enterprise_subjects,
    party_order=st.permutations([1, 2]),
    actors=st.integers(0, 2),
    grade=st.sampled_from([None, "general", "larger", "major"]),
)
def test_the_link_order_is_always_the_design_order(supervision, enterprise, party_order, actors, grade):
    with rolled_back():
        regions = {"province": RegionFactory(level="province")}
        for parent, level in zip(
            ["province", "city", "county", "township"], ["city", "county", "township", "village"], strict=True
        ):
            regions[level] = RegionFactory(parent=regions[parent], level=level)
        sector = SectorFactory()
        firms = [EnterpriseFactory(region=regions["township"]) for _ in range(3)]
        shop = UnitFactory(kind=UnitKind.TEAM, parent=firms[0])
        units: dict[tuple, object] = {}
        positions: dict[tuple, object] = {}

        def position_in(unit, name, occupied):
            key = (unit.pk, name)
            if key not in positions:
                positions[key] = PositionFactory(unit=unit, code=f"{unit.code}_{name}")
                if occupied:
                    TenureFactory(position=positions[key], start=LONG_AGO)
            return positions[key]

        for level, type_, unit_name, position_name in supervision:
            key = (level, unit_name)
            if key not in units:
                units[key] = UnitFactory(region=regions[level], code=f"{level[:3]}_{unit_name}_{len(units)}")
            holder = units[key] if position_name is None else position_in(units[key], position_name, True)
            duty(type_, holder)
        post = None
        for firm_index, type_, position_name, occupied in enterprise:
            unit = shop if firm_index == 0 and type_ in ("team_leader", "post") else firms[firm_index]
            holder = unit if position_name is None else position_in(unit, position_name, occupied)
            if type_ == "post":
                if position_name is None:
                    continue  # a post is a position
                if firm_index == 0 and post is None:
                    post = holder
            duty(type_, holder)
        parties = [(firms[i], PartyRole.OWNER) for i in party_order]
        actor_list = [(PersonFactory(), PartyRole.LANDLORD) for _ in range(actors)]
        scope = EventScope(
            region=regions["village"],
            enterprise=firms[0],
            unit=shop,
            post=post,
            parties=parties,
            actors=actor_list,
        )

        links = resolve_chain(scope, sector, DAY, grade)

        assert links == sorted(links, key=lambda link: design_key(link, parties, actor_list))
        identities = [row(link) for link in links]
        assert len(identities) == len(set(identities))


def test_a_day_near_the_calendar_start_resolves_without_overflow(w):
    """The inspection window must not step before 0001-01-01 (a typo in --date used to crash trace)."""
    duty(DutyType.TERRITORIAL, w.t1_gov, start=dt.date.min)
    assert [link.type for link in w.trace(day=dt.date.min)] == ["territorial"]
