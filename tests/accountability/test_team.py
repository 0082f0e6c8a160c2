"""The 调查组 as real teams have it: bodies outside the matrix, one 牵头 changed only explicitly, members
withdrawn with a reason (history kept), and a warning when a member's own people are subjects."""

import pytest
from django.core.exceptions import ValidationError

from accountability import cases
from accountability.closing_record import closing_sections
from accountability.models import Accident, Investigator, InvestigatorRole
from accountability.report import report_sections
from accountability.selectors import case_conclusions, case_export, case_records
from responsibility.models import Unit


@pytest.fixture
def case(demo_county):
    return cases.open_case(accident=Accident.objects.get(code="A0226")).case


def _annex(case) -> dict[str, str]:
    section = report_sections(case)["sections"][-1]
    return {row["cells"][0]: row["cells"][1] for row in section["blocks"][0]["rows"]}


def test_a_body_outside_the_matrix_joins_the_team_with_its_role(case):
    cases.set_investigator(case=case, unit=Unit.objects.get(code="d_em"), role=InvestigatorRole.LEAD)
    cases.set_investigator(case=case, name="区人民检察院", role=InvestigatorRole.PROCURATORATE)
    cases.set_investigator(
        case=case, name="市纪委监委", role=InvestigatorRole.COMMISSION, duty="派员参加，负责追责问责审查调查"
    )
    annex = _annex(case)
    assert annex["邀请的检察机关"] == "区人民检察院"
    assert annex["邀请的纪委监委"] == "市纪委监委（派员参加，负责追责问责审查调查）"
    exported = case_export(case)["investigators"]
    assert {"unit": None, "name": "区人民检察院", "role": "procuratorate"} in exported
    with pytest.raises(ValidationError) as refused:
        cases.set_investigator(case=case, role=InvestigatorRole.EXPERT)
    assert "二者只填其一" in refused.value.message_dict["unit"][0]


def test_registering_the_lead_again_never_demotes_it_and_a_second_lead_is_refused(case):
    em, housing = Unit.objects.get(code="d_em"), Unit.objects.get(code="d_housing")
    cases.set_investigator(case=case, unit=em, role=InvestigatorRole.LEAD)
    cases.set_investigator(case=case, unit=housing, role=InvestigatorRole.MEMBER)
    with pytest.raises(ValidationError) as refused:
        cases.set_investigator(case=case, unit=em, role=InvestigatorRole.MEMBER)
    assert "是牵头单位" in refused.value.message_dict["role"][0]
    with pytest.raises(ValidationError) as second:
        cases.set_investigator(case=case, unit=housing, role=InvestigatorRole.LEAD)
    assert "调查组已有牵头单位（" in second.value.message_dict["role"][0]
    assert Investigator.objects.get(unit=em).role == InvestigatorRole.LEAD
    assert _annex(case)["牵头单位"] == em.name


def test_the_lead_changes_explicitly_with_a_reason_kept_in_history(case):
    em, housing = Unit.objects.get(code="d_em"), Unit.objects.get(code="d_housing")
    cases.set_investigator(case=case, unit=em, role=InvestigatorRole.LEAD)
    member = cases.set_investigator(case=case, unit=housing, role=InvestigatorRole.MEMBER)
    with pytest.raises(ValidationError):
        cases.change_lead(case=case, member=member, reason=" ")
    cases.change_lead(case=case, member=member, reason="区政府决定由住建局牵头")
    roles = dict(Investigator.objects.values_list("unit__code", "role"))
    assert roles == {"d_em": "member", "d_housing": "lead"}
    assert member.history.first().history_change_reason == "区政府决定由住建局牵头"


def test_a_withdrawn_member_stops_counting_and_the_record_keeps_why(case):
    cases.set_investigator(case=case, unit=Unit.objects.get(code="d_em"), role=InvestigatorRole.LEAD)
    expert = cases.set_investigator(case=case, name="事故技术专家组", role=InvestigatorRole.EXPERT)
    with pytest.raises(ValidationError):
        cases.withdraw_investigator(case=case, member=expert, reason="")
    cases.withdraw_investigator(case=case, member=expert, reason="误登记，专家组未组建")
    assert _annex(case)["专家组"] == "—"
    assert [m.unit.code for m in case_conclusions(case, case_records(case))["team"]] == ["d_em"]
    corrections = next(s for s in closing_sections(case)["sections"] if s["code"] == "corrections")
    rows = [row["cells"] for row in corrections["blocks"][0]["rows"]]
    assert any(
        r[1] == "撤销调查组成员" and "事故技术专家组" in r[2] and r[4] == "误登记，专家组未组建" for r in rows
    )
    assert expert.history.count() == 2  # created, then withdrawn: nothing deleted
    # Registered again after the withdrawal: a new standing member.
    cases.set_investigator(case=case, name="事故技术专家组", role=InvestigatorRole.EXPERT)
    assert _annex(case)["专家组"] == "事故技术专家组"


def test_a_member_whose_own_people_are_subjects_is_warned_of_on_the_workbench_data_and_in_the_report(case):
    # A township below the investigating (county) level answers for its own duties: no warning (§5.9).
    township = case.records.filter(unit__code="t1_gov").first()
    cases.set_investigator(case=case, unit=township.unit, role=InvestigatorRole.MEMBER)
    assert case_conclusions(case, case_records(case))["team_conflicts"] == []
    record = case.records.filter(unit__code="d_housing").order_by("order").first()
    member = cases.set_investigator(case=case, unit=record.unit, role=InvestigatorRole.MEMBER)
    conflicts = case_conclusions(case, case_records(case))["team_conflicts"]
    assert [c["member"] for c in conflicts] == [member]
    assert record in conflicts[0]["records"]
    annex = report_sections(case)["sections"][-1]["blocks"]
    assert any(b["kind"] == "para" and f"调查组成员{record.unit.name}的人员" in b["text"] for b in annex)
    cases.withdraw_investigator(case=case, member=member, reason="应当回避")
    assert case_conclusions(case, case_records(case))["team_conflicts"] == []
