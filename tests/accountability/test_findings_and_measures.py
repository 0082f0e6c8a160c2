"""Findings on a case's records, amendments instead of edits, and measures validated as DOMAIN.md says."""

import pytest
from django.core.exceptions import ValidationError

from accountability.cases import add_subject, amend_finding, record_finding
from accountability.measures import BY_CODE, CATALOGUE, suggested_ranges
from accountability.models import Decision, Measure
from accountability.selectors import case_records
from responsibility.models import Person, Position


@pytest.fixture
def chair(case):
    """The record of the contractor's chairman (企业主要负责人, a person)."""
    return case.records.get(position_code="e1_chair")


@pytest.fixture
def official(case):
    """The record of the county's deputy head in charge of construction (a public official)."""
    return case.records.get(position_code="d_vhead_build")


@pytest.fixture
def housing_bureau(case):
    """The institutional record of the county housing bureau: a unit, no person."""
    return case.records.get(unit_code="d_housing", position_code="")


def test_a_responsible_finding_is_recorded_with_its_measures(chair, investigator):
    decision = record_finding(
        record=chair,
        finding="responsible",
        category="leadership",
        grounds="未落实安全生产主体责任",
        measures=[
            {"kind": "principal_fine", "amount_yuan": "480000", "detail": "上一年年收入 40%"},
            {"kind": "judicial_referral", "article": "134"},
        ],
        by=investigator,
    )
    assert (decision.finding, decision.decided_by, decision.amends) == ("responsible", investigator, None)
    assert [(m.kind, m.amount_yuan, m.article) for m in decision.measures.order_by("id")] == [
        ("principal_fine", 480000, ""),
        ("judicial_referral", None, "134"),
    ]


def test_exempt_without_grounds_is_refused(chair):
    with pytest.raises(ValidationError) as refused:
        record_finding(record=chair, finding="exempt", grounds="   ")
    assert list(refused.value.message_dict) == ["grounds"]
    assert not Decision.objects.exists()


def test_exempt_with_grounds_is_recorded(housing_bureau):
    decision = record_finding(
        record=housing_bureau, finding="exempt", grounds="已按计划检查并依法处罚（附记录）"
    )
    assert decision.finding == "exempt"


def test_an_unknown_finding_is_refused(chair):
    with pytest.raises(ValidationError) as refused:
        record_finding(record=chair, finding="guilty")
    assert "finding" in refused.value.message_dict


def test_a_decided_record_cannot_be_decided_again(chair):
    record_finding(record=chair, finding="not_responsible")
    with pytest.raises(ValidationError, match="已认定") as refused:
        record_finding(
            record=chair, finding="responsible", category="leadership", measures=[{"kind": "acc_admonish"}]
        )
    assert "finding" in refused.value.message_dict
    assert chair.decisions.count() == 1


def test_a_decision_is_never_edited_in_place(chair):
    decision = record_finding(record=chair, finding="not_responsible")
    decision.finding = "responsible"
    with pytest.raises(ValueError, match="amendment"):
        decision.save()
    decision.refresh_from_db()
    assert decision.finding == "not_responsible"


def test_an_amendment_links_to_the_decision_it_corrects_and_becomes_current(official, investigator):
    first = record_finding(record=official, finding="not_responsible", grounds="初查")
    second = amend_finding(
        record=official,
        finding="responsible",
        category="leadership",
        reason="复查发现未组织隐患排查",
        measures=[{"kind": "gov_demerit"}],
        by=investigator,
    )
    assert second.amends == first
    assert second.amendment_reason == "复查发现未组织隐患排查"
    record = next(r for r in case_records(official.case) if r.pk == official.pk)
    assert record.current_decision == second
    assert record.decision_history == [first, second]
    first.refresh_from_db()
    assert (first.finding, first.grounds) == ("not_responsible", "初查")
    assert list(Decision.objects.current().filter(record=official)) == [second]


def test_an_amendment_of_an_amendment_chains_and_keeps_all_three(official):
    first = record_finding(record=official, finding="not_responsible")
    second = amend_finding(record=official, finding="exempt", grounds="履职到位", reason="补充材料")
    third = amend_finding(
        record=official,
        finding="responsible",
        category="leadership",
        reason="复核",
        measures=[{"kind": "acc_admonish"}],
    )
    assert (third.amends, second.amends) == (second, first)
    record = next(r for r in case_records(official.case) if r.pk == official.pk)
    assert record.decision_history == [first, second, third]
    assert record.current_decision == third


def test_an_amendment_needs_a_reason_and_a_decision_to_correct(chair):
    with pytest.raises(ValidationError, match="尚未认定"):
        amend_finding(record=chair, finding="responsible", category="leadership", reason="更正")
    record_finding(record=chair, finding="not_responsible")
    with pytest.raises(ValidationError) as refused:
        amend_finding(record=chair, finding="responsible", category="leadership", reason=" ")
    assert "reason" in refused.value.message_dict


def test_an_unknown_measure_kind_is_refused_with_its_field(official):
    with pytest.raises(ValidationError) as refused:
        record_finding(
            record=official,
            finding="responsible",
            category="leadership",
            measures=[{"kind": "acc_admonish"}, {"kind": "flogging"}],
        )
    assert list(refused.value.message_dict) == ["measures[1].kind"]
    assert not Decision.objects.exists() and not Measure.objects.exists()


def test_a_government_sanction_on_a_unit_only_record_is_refused(housing_bureau):
    with pytest.raises(ValidationError) as refused:
        record_finding(
            record=housing_bureau,
            finding="responsible",
            category="leadership",
            measures=[{"kind": "gov_warning"}],
        )
    assert list(refused.value.message_dict) == ["measures[0].kind"]
    # A 党组织 measure does not fit a department either; a unit may be 约谈 instead.
    with pytest.raises(ValidationError, match="党组织"):
        record_finding(
            record=housing_bureau,
            finding="responsible",
            category="supervision",
            measures=[{"kind": "acc_notice_org"}],
        )
    decision = record_finding(
        record=housing_bureau, finding="responsible", category="supervision", measures=[{"kind": "interview"}]
    )
    assert decision.measures.count() == 1


def test_a_personal_measure_on_a_vacant_post_is_refused(case):
    vacant = case.records.get(position_code="t1_head")
    with pytest.raises(ValidationError) as refused:
        record_finding(
            record=vacant, finding="responsible", category="leadership", measures=[{"kind": "party_warning"}]
        )
    assert "measures[0].kind" in refused.value.message_dict


@pytest.mark.parametrize("article", [None, "", "999", "刑法"])
def test_a_judicial_referral_without_a_valid_article_is_refused(chair, article):
    with pytest.raises(ValidationError) as refused:
        record_finding(
            record=chair,
            finding="responsible",
            category="leadership",
            measures=[{"kind": "judicial_referral", "article": article}],
        )
    assert list(refused.value.message_dict) == ["measures[0].article"]


def test_a_fine_without_an_amount_is_refused(chair, housing_bureau):
    with pytest.raises(ValidationError) as refused:
        record_finding(
            record=chair, finding="responsible", category="leadership", measures=[{"kind": "principal_fine"}]
        )
    assert list(refused.value.message_dict) == ["measures[0].amount_yuan"]
    e1 = chair.case.records.get(unit_code="e1", position_code="e1_safety")
    for amount in ("abc", "0", "-5"):
        with pytest.raises(ValidationError) as refused:
            record_finding(
                record=e1,
                finding="responsible",
                category="leadership",
                measures=[{"kind": "person_fine", "amount_yuan": amount}],
            )
        assert list(refused.value.message_dict) == ["measures[0].amount_yuan"]


def test_measures_on_a_not_responsible_finding_are_refused(chair):
    with pytest.raises(ValidationError) as refused:
        record_finding(record=chair, finding="not_responsible", measures=[{"kind": "acc_admonish"}])
    assert "measures" in refused.value.message_dict


GOV_PERIODS = {
    "gov_warning": 6,
    "gov_demerit": 12,
    "gov_major_demerit": 18,
    "gov_demotion": 24,
    "gov_dismissal": 24,
}


@pytest.mark.parametrize("kind,months", sorted(GOV_PERIODS.items()))
def test_a_government_sanction_carries_its_statutory_period(official, kind, months):
    decision = record_finding(
        record=official, finding="responsible", category="leadership", measures=[{"kind": kind}]
    )
    assert decision.measures.get().period_months == months


def test_a_government_sanction_period_other_than_the_statutory_one_is_refused(official):
    with pytest.raises(ValidationError) as refused:
        record_finding(
            record=official,
            finding="responsible",
            category="leadership",
            measures=[{"kind": "gov_warning", "period_months": 3}],
        )
    assert list(refused.value.message_dict) == ["measures[0].period_months"]
    decision = record_finding(
        record=official,
        finding="responsible",
        category="leadership",
        measures=[{"kind": "gov_warning", "period_months": 6}],
    )
    assert decision.measures.get().period_months == 6


def test_the_catalogue_holds_the_forms_of_domain_md():
    families = {kind.family for kind in CATALOGUE}
    assert families == {
        "accountability",
        "party_discipline",
        "gov_sanction",
        "leadership",
        "enterprise_penalty",
        "judicial",
        "credit",
    }
    assert {k: BY_CODE[k].period_months for k in GOV_PERIODS} == GOV_PERIODS
    assert BY_CODE["gov_expulsion"].permanent and BY_CODE["gov_expulsion"].period_months is None
    assert len(BY_CODE) == len(CATALOGUE)


def test_statutory_ranges_are_suggested_by_grade():
    assert suggested_ranges("general")["enterprise_fine_yuan"] == ["300000", "1000000"]
    assert suggested_ranges("larger")["principal_fine_percent_of_income"] == 60
    assert suggested_ranges("especially_major")["enterprise_fine_especially_serious_yuan"] == [
        "20000000",
        "100000000",
    ]
    assert "终身" in suggested_ranges("major")["industry_ban"]
    assert suggested_ranges(None) == {}


def test_an_investigator_adds_a_subject_the_chain_did_not_name_with_a_reason(case):
    official = Person.objects.get(code="p13")
    permit_post = Position.objects.get(code="d_housing_permit")
    record = add_subject(
        case=case,
        track="supervision",
        reason="调查发现其违规为塔吊安装单位出具验收意见",
        types=["approval"],
        position=permit_post,
        person=official,
    )
    assert (record.origin, record.unit_code, record.position_code, record.person_code) == (
        "added",
        "d_housing",
        "d_housing_permit",
        "p13",
    )
    assert record.order == case.records.exclude(pk=record.pk).count()
    with pytest.raises(ValidationError) as refused:
        add_subject(case=case, track="supervision", reason=" ", types=["approval"], person=official)
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError, match="已在本案中"):
        add_subject(
            case=case,
            track="supervision",
            reason="重复",
            types=["approval"],
            position=permit_post,
            person=official,
        )
    with pytest.raises(ValidationError) as refused:
        add_subject(case=case, track="supervision", reason="理由", types=["bribery"], person=official)
    assert "types" in refused.value.message_dict
