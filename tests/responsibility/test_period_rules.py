"""resolve_chain beyond the event day (DESIGN §5), rule by rule, on the small world of test_chain_rules.

Each test is written to fail when its rule alone is broken: it sets up the one case the rule decides and
reads the links back as (type, unit, position, person, term, span, vacant, unknown) tuples.
"""

from __future__ import annotations

import datetime as dt

import pytest

from responsibility.chain import EARLIER, EVENT_DAY, resolve_chain
from responsibility.coverage import coverage_report
from responsibility.models import DutyType, PartyRole, UnitKind
from tests.factories import (
    CertificationFactory,
    EnterpriseFactory,
    InspectionFactory,
    PermitFactory,
    PersonFactory,
    PositionFactory,
    TenureFactory,
    UnitFactory,
)
from tests.responsibility.test_chain_rules import DAY, World, duty, held

D = dt.date
SINCE = D(2020, 1, 1)


@pytest.fixture
def w(db):
    return World()


def trace(w, *, since=None, also=(), day=DAY, grade=None, scope=None, sector=None):
    return resolve_chain(scope or w.scope(), sector or w.housing, day, grade, since=since, also_sectors=also)


def entry(link) -> tuple:
    return (
        link.type,
        link.unit.code if link.unit else None,
        link.position.code if link.position else None,
        link.person.code if link.person else None,
        link.term,
        link.span,
        link.vacant,
        link.unknown,
    )


def of_type(links, type_) -> list[tuple]:
    return [entry(link) for link in links if link.type == type_]


def successor(position, person, start):
    """Hand `position` over to a new person `person` on `start` (ending the current open tenure)."""
    position.tenures.filter(end__isnull=True).update(end=start)
    TenureFactory(position=position, person=PersonFactory(code=person), start=start)


# ---- §5.1 the period ------------------------------------------------------------------------------


def test_without_since_the_period_is_the_event_day_alone(w):
    head = held(w.co_gov, "co_head", "old", start=D(2015, 1, 1))
    successor(head, "new", D(2022, 1, 1))
    duty(DutyType.PARTY_GOV_LEAD, head, start=D(2010, 1, 1))

    assert of_type(trace(w), "party_gov_lead") == [
        ("party_gov_lead", "co_gov", "co_head", "new", EVENT_DAY, None, False, False)
    ]


def test_since_opens_the_period_and_a_holder_who_left_before_it_is_not_named(w):
    head = held(w.co_gov, "co_head", "oldest", start=D(2012, 1, 1))
    successor(head, "old", D(2019, 6, 1))
    successor(head, "new", D(2022, 1, 1))
    duty(DutyType.PARTY_GOV_LEAD, head, start=D(2010, 1, 1))

    assert of_type(trace(w, since=SINCE), "party_gov_lead") == [
        ("party_gov_lead", "co_gov", "co_head", "new", EVENT_DAY, None, False, False),
        ("party_gov_lead", "co_gov", "co_head", "old", EARLIER, (SINCE, D(2021, 12, 31)), False, False),
    ]


# ---- §5.2 several sectors -------------------------------------------------------------------------


def test_a_duty_on_a_further_sector_counts_and_a_link_found_twice_is_listed_once(w):
    duty(DutyType.COMPETENT, w.co_housing, sectors=[w.hazchem])
    duty(DutyType.SUPERVISORY, w.co_housing)  # every sector: found through both

    assert of_type(trace(w), "competent") == []
    got = trace(w, also=[w.hazchem])
    assert of_type(got, "competent") == [
        ("competent", "co_housing", None, None, EVENT_DAY, None, False, False)
    ]
    assert len(of_type(got, "supervisory")) == 1


def test_event_day_through_any_sector_wins_over_earlier_through_another(w):
    head = held(w.co_gov, "co_vice", "vice", start=D(2015, 1, 1))
    duty(DutyType.LEADER_IN_CHARGE, head, sectors=[w.hazchem], start=D(2010, 1, 1), end=D(2021, 1, 1))
    duty(DutyType.LEADER_IN_CHARGE, head, sectors=[w.housing], start=D(2010, 1, 1))

    assert of_type(trace(w, since=SINCE, also=[w.hazchem]), "leader_in_charge") == [
        ("leader_in_charge", "co_gov", "co_vice", "vice", EVENT_DAY, None, False, False)
    ]
    # Through the hazchem duty alone the same person is earlier, for that duty's overlap.
    assert of_type(trace(w, since=SINCE, sector=w.hazchem), "leader_in_charge") == [
        ("leader_in_charge", "co_gov", "co_vice", "vice", EARLIER, (SINCE, D(2020, 12, 31)), False, False)
    ]


def test_the_latest_inspection_is_taken_per_sector(w):
    inspector = held(w.co_housing, "co_insp", "first", start=D(2015, 1, 1))
    successor(inspector, "second", D(2023, 9, 1))
    InspectionFactory(
        enterprise=w.E, sector=w.housing, unit=w.co_housing, inspectors=[inspector], date=D(2023, 6, 1)
    )
    InspectionFactory(
        enterprise=w.E, sector=w.hazchem, unit=w.co_housing, inspectors=[inspector], date=D(2023, 12, 1)
    )

    # Per sector, each is its sector's latest: both inspectors answer on the day, once each.
    assert sorted(p for _, _, _, p, term, *_ in of_type(trace(w, also=[w.hazchem]), "inspection")) == [
        "first",
        "second",
    ]


# ---- §5.3 duties over the period ------------------------------------------------------------------


def test_a_duty_that_ended_before_the_event_day_names_its_holders_inside_the_period(w):
    director = held(w.co_housing, "co_dir", "a", start=D(2015, 1, 1))
    successor(director, "b", D(2020, 7, 1))
    successor(director, "c", D(2022, 1, 1))
    duty(DutyType.COMPETENT, director, start=D(2010, 1, 1), end=D(2021, 1, 1))  # competence moved away

    assert of_type(trace(w, since=SINCE), "competent") == [
        ("competent", "co_housing", "co_dir", "b", EARLIER, (D(2020, 7, 1), D(2020, 12, 31)), False, False),
        ("competent", "co_housing", "co_dir", "a", EARLIER, (SINCE, D(2020, 6, 30)), False, False),
    ]


def test_a_unit_holder_is_named_once_earlier_with_the_duty_overlap(w):
    duty(DutyType.SUPERVISORY, w.co_housing, start=D(2018, 1, 1), end=D(2021, 3, 1))

    assert of_type(trace(w, since=SINCE), "supervisory") == [
        ("supervisory", "co_housing", None, None, EARLIER, (SINCE, D(2021, 2, 28)), False, False)
    ]
    assert of_type(trace(w), "supervisory") == []


def test_a_gap_before_the_event_day_is_not_reported_as_a_vacancy(w):
    head = held(w.co_gov, "co_head", "old", start=D(2015, 1, 1), end=D(2020, 6, 1))
    TenureFactory(position=head, person=PersonFactory(code="new"), start=D(2021, 1, 1))  # vacant in between
    duty(DutyType.PARTY_GOV_LEAD, head, start=D(2010, 1, 1))

    got = of_type(trace(w, since=SINCE), "party_gov_lead")
    assert [person for _, _, _, person, *_ in got] == ["new", "old"]
    assert not any(vacant for *_, vacant, _ in got)


def test_held_on_the_event_day_wins_over_an_earlier_term_of_the_same_person(w):
    head = held(w.co_gov, "co_head", "back", start=D(2019, 1, 1), end=D(2020, 6, 1))
    TenureFactory(position=head, person=PersonFactory(code="between"), start=D(2020, 6, 1), end=D(2022, 1, 1))
    TenureFactory(position=head, person=head.tenures.get(start=D(2019, 1, 1)).person, start=D(2022, 1, 1))
    duty(DutyType.PARTY_GOV_LEAD, head, start=D(2010, 1, 1))

    assert of_type(trace(w, since=SINCE), "party_gov_lead") == [
        ("party_gov_lead", "co_gov", "co_head", "back", EVENT_DAY, None, False, False),
        (
            "party_gov_lead",
            "co_gov",
            "co_head",
            "between",
            EARLIER,
            (D(2020, 6, 1), D(2021, 12, 31)),
            False,
            False,
        ),
    ]


# ---- §5.4 permits and inspections -----------------------------------------------------------------


def test_a_permit_that_expired_inside_the_period_is_earlier_with_its_validity_clipped(w):
    approver = held(w.co_housing, "co_app", "approver", start=D(2015, 1, 1))
    PermitFactory(
        enterprise=w.E,
        sector=w.housing,
        position=approver,
        approved_on=D(2019, 3, 1),
        valid_until=D(2022, 2, 28),
    )

    assert of_type(trace(w, since=SINCE), "approval") == [
        ("approval", "co_housing", "co_app", "approver", EARLIER, (SINCE, D(2022, 2, 28)), False, False)
    ]
    assert of_type(trace(w), "approval") == []


def test_a_permit_without_an_end_never_expires(w):
    approver = held(w.co_housing, "co_app", "approver", start=D(2000, 1, 1))
    PermitFactory(
        enterprise=w.E, sector=w.housing, position=approver, approved_on=D(2001, 3, 1), valid_until=None
    )

    assert of_type(trace(w), "approval") == [
        ("approval", "co_housing", "co_app", "approver", EVENT_DAY, None, False, False)
    ]


def test_with_a_period_every_other_inspection_inside_it_is_earlier_on_its_date(w):
    inspector = held(w.co_housing, "co_insp", "old", start=D(2015, 1, 1))
    successor(inspector, "new", D(2023, 1, 1))
    for day in (D(2019, 5, 1), D(2020, 5, 1), D(2023, 6, 1)):
        InspectionFactory(
            enterprise=w.E, sector=w.housing, unit=w.co_housing, inspectors=[inspector], date=day
        )

    assert of_type(trace(w, since=SINCE), "inspection") == [
        ("inspection", "co_housing", "co_insp", "new", EVENT_DAY, None, False, False),
        ("inspection", "co_housing", "co_insp", "old", EARLIER, (D(2020, 5, 1), D(2020, 5, 1)), False, False),
    ]
    assert [person for *_, person, _, _, _, _ in of_type(trace(w), "inspection")] == ["new"]


# ---- §5.5 certifications --------------------------------------------------------------------------


def service_body(w):
    body = EnterpriseFactory(code="B", region=w.C)
    lab = UnitFactory(code="B_lab", kind=UnitKind.ENTERPRISE_DEPT, parent=body)
    return body, held(lab, "B_a1", "old_signer", start=D(2015, 1, 1), end=D(2021, 1, 1)), lab


def test_a_certification_valid_on_the_day_names_its_signer_as_held_on_the_issue_day(w):
    body, signer, _lab = service_body(w)
    TenureFactory(position=signer, person=PersonFactory(code="new_signer"), start=D(2021, 1, 1))
    CertificationFactory(
        issuer=body, enterprise=w.E, sector=w.construction, signers=[signer], issued_on=D(2020, 6, 1)
    )

    links = [link for link in trace(w) if link.type == DutyType.CERTIFICATION]
    assert [entry(link) for link in links] == [
        ("certification", "B_lab", "B_a1", "old_signer", EVENT_DAY, None, False, False)
    ]
    assert (links[0].track, links[0].enterprise.code, links[0].role) == (
        "enterprise",
        "B",
        PartyRole.SERVICE_BODY,
    )


def test_a_certification_counts_only_if_issued_by_the_day_and_valid_in_the_period(w):
    body, signer, _lab = service_body(w)
    CertificationFactory(
        code="CF_IN",
        issuer=body,
        enterprise=w.E,
        sector=w.housing,
        signers=[signer],
        issued_on=D(2019, 1, 1),
        valid_until=D(2020, 3, 31),
    )
    CertificationFactory(
        code="CF_BEFORE",
        issuer=body,
        enterprise=w.E,
        sector=w.housing,
        signers=[signer],
        issued_on=D(2016, 1, 1),
        valid_until=D(2017, 1, 1),
    )
    CertificationFactory(
        code="CF_AFTER",
        issuer=body,
        enterprise=w.E,
        sector=w.housing,
        signers=[signer],
        issued_on=DAY + dt.timedelta(days=1),
    )

    assert [link.source for link in trace(w, since=SINCE) if link.type == DutyType.CERTIFICATION] == ["CF_IN"]
    assert of_type(trace(w, since=SINCE), "certification") == [
        ("certification", "B_lab", "B_a1", "old_signer", EARLIER, (SINCE, D(2020, 3, 31)), False, False)
    ]
    assert of_type(trace(w), "certification") == []  # the day alone: expired


def test_certifications_follow_the_parties_latest_issue_first_signers_as_listed(w):
    body, signer, lab = service_body(w)
    second = held(lab, "A_second", "second", start=D(2015, 1, 1))
    CertificationFactory(
        code="CF_OLD",
        issuer=body,
        enterprise=w.E,
        sector=w.housing,
        signers=[signer],
        issued_on=D(2020, 6, 1),
    )
    CertificationFactory(
        code="CF_NEW",
        issuer=body,
        enterprise=w.E,
        sector=w.housing,
        signers=[second, signer],
        issued_on=D(2023, 6, 1),
    )
    landlord = EnterpriseFactory(code="L", region=w.T1)
    duty(DutyType.PRIMARY, held(landlord, "L_boss", "boss"))

    got = [
        (link.type, link.position.code, link.person.code if link.person else None, link.source)
        for link in trace(w, scope=w.scope(parties=[(landlord, PartyRole.LANDLORD)]))
        if link.track == "enterprise"
    ]
    assert got == [
        ("primary", "L_boss", "boss", got[0][3]),
        ("certification", "A_second", "second", "CF_NEW"),
        ("certification", "B_a1", None, "CF_NEW"),  # nobody held it on the later issue day
        ("certification", "B_a1", "old_signer", "CF_OLD"),
    ]


def test_a_certification_signer_with_no_holder_on_the_issue_day_is_vacant_or_unknown(w):
    body, _signer, lab = service_body(w)
    nobody = PositionFactory(code="B_nobody", unit=lab)
    unrecorded = PositionFactory(code="B_unrecorded", unit=lab, records_from=D(2022, 1, 1))
    CertificationFactory(
        issuer=body, enterprise=w.E, sector=w.housing, signers=[nobody, unrecorded], issued_on=D(2021, 6, 1)
    )

    assert [
        (p, vacant, unknown) for _, _, p, _, _, _, vacant, unknown in of_type(trace(w), "certification")
    ] == [
        ("B_nobody", True, False),
        ("B_unrecorded", False, True),
    ]


# ---- §5.6 actors of an enterprise -----------------------------------------------------------------


def test_an_actor_of_an_enterprise_carries_its_code(w):
    investor = PersonFactory(code="investor")
    loner = PersonFactory(code="loner")
    links = trace(w, scope=w.scope(actors=[(investor, PartyRole.CONTROLLER, w.E), (loner, PartyRole.OTHER)]))

    assert [
        (link.person.code, link.enterprise.code if link.enterprise else None, link.term)
        for link in links
        if link.type == "actor"
    ] == [
        ("investor", "E", EVENT_DAY),
        ("loner", None, EVENT_DAY),
    ]


# ---- §5.7 unknown is not vacant -------------------------------------------------------------------


def test_before_the_records_start_no_holder_is_unknown_and_after_it_vacant(w):
    head = PositionFactory(code="t1_head", unit=w.t1_gov, records_from=D(2024, 1, 1))
    duty(DutyType.PARTY_GOV_LEAD, head, start=D(2010, 1, 1))

    assert of_type(trace(w, day=D(2023, 12, 31)), "party_gov_lead") == [
        ("party_gov_lead", "t1_gov", "t1_head", None, EVENT_DAY, None, False, True)
    ]
    assert of_type(trace(w, day=D(2024, 1, 1)), "party_gov_lead") == [
        ("party_gov_lead", "t1_gov", "t1_head", None, EVENT_DAY, None, True, False)
    ]


def test_an_inspection_before_the_inspectors_records_start_is_unknown(w):
    squad = UnitFactory(code="co_squad", region=w.T1, parent=w.co_housing)
    lead = PositionFactory(code="squad_lead", unit=squad, records_from=D(2021, 1, 1))
    InspectionFactory(enterprise=w.E, sector=w.housing, unit=squad, inspectors=[lead], date=D(2020, 9, 1))

    assert of_type(trace(w, since=SINCE), "inspection") == [
        ("inspection", "co_squad", "squad_lead", None, EARLIER, (D(2020, 9, 1), D(2020, 9, 1)), False, True)
    ]


def test_coverage_reports_unknown_when_every_match_is_vacant_or_unknown_and_one_is_unknown(w):
    unrecorded = PositionFactory(code="e_boss", unit=w.E, records_from=D(2025, 1, 1))
    duty(DutyType.PRIMARY, unrecorded, start=D(2010, 1, 1))
    duty(DutyType.PRIMARY, PositionFactory(code="e_boss2", unit=w.E), start=D(2010, 1, 1))  # vacant

    gaps = {(g.enterprise.code, g.type): g.reason for g in coverage_report(DAY).gaps}
    assert gaps[("E", "primary")] == "unknown"
    unrecorded.records_from = None
    unrecorded.save()
    gaps = {(g.enterprise.code, g.type): g.reason for g in coverage_report(DAY).gaps}
    assert gaps[("E", "primary")] == "vacant"


# ---- §5.8 order and merging -----------------------------------------------------------------------


def test_earlier_links_follow_the_event_day_link_latest_start_first(w):
    head = held(w.co_gov, "co_head", "p1", start=D(2015, 1, 1))
    successor(head, "p2", D(2020, 6, 1))
    successor(head, "p3", D(2021, 6, 1))
    successor(head, "p4", D(2023, 1, 1))
    duty(DutyType.PARTY_GOV_LEAD, head, start=D(2010, 1, 1))

    assert [(p, term) for _, _, _, p, term, *_ in of_type(trace(w, since=SINCE), "party_gov_lead")] == [
        ("p4", EVENT_DAY),
        ("p3", EARLIER),
        ("p2", EARLIER),
        ("p1", EARLIER),
    ]


def test_a_link_found_only_earlier_more_than_once_spans_all_its_occurrences(w):
    inspector = held(w.co_housing, "co_insp", "old", start=D(2015, 1, 1))
    successor(inspector, "new", D(2023, 1, 1))
    for day in (D(2020, 3, 1), D(2021, 3, 1), D(2023, 6, 1)):
        InspectionFactory(
            enterprise=w.E, sector=w.housing, unit=w.co_housing, inspectors=[inspector], date=day
        )

    assert of_type(trace(w, since=SINCE), "inspection") == [
        ("inspection", "co_housing", "co_insp", "new", EVENT_DAY, None, False, False),
        ("inspection", "co_housing", "co_insp", "old", EARLIER, (D(2020, 3, 1), D(2021, 3, 1)), False, False),
    ]


def test_an_earlier_holder_who_left_and_came_back_is_one_link_from_their_first_day(w):
    """§5.3 gives one link per person (first to last day inside the overlap); §5.8 orders by that `from`."""
    head = held(w.co_gov, "co_head", "h1", start=D(2020, 1, 1), end=D(2020, 7, 1))
    h1 = head.tenures.get().person
    TenureFactory(position=head, person=PersonFactory(code="h2"), start=D(2020, 7, 1), end=D(2021, 1, 1))
    TenureFactory(position=head, person=h1, start=D(2021, 1, 1), end=D(2021, 7, 1))
    TenureFactory(position=head, person=PersonFactory(code="h3"), start=D(2021, 7, 1))
    duty(DutyType.PARTY_GOV_LEAD, head, start=D(2019, 1, 1))

    got = of_type(trace(w, since=SINCE, day=D(2022, 1, 1)), "party_gov_lead")
    assert [(person, term, span) for _, _, _, person, term, span, _, _ in got] == [
        ("h3", EVENT_DAY, None),
        ("h2", EARLIER, (D(2020, 7, 1), D(2020, 12, 31))),
        ("h1", EARLIER, (D(2020, 1, 1), D(2021, 6, 30))),
    ]
