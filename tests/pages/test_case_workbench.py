"""The 一案双查 workbench: open, find, amend, the 四不放过 gate, roles, and a bounded number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accountability.models import AccountabilityRecord, Case, CaseState, Decision, Measure

OPEN = reverse("accountability:case_open")


def workbench(code="CASE-A-A0226"):
    return reverse("accountability:case_workbench", args=[code])


def record_url(record):
    return reverse("accountability:record_detail", args=[record.case.code, record.pk])


def finding_post(finding, grounds="", measures=(), reason=None):
    data = {
        "finding": finding,
        "grounds": grounds,
        "m-TOTAL_FORMS": "3",
        "m-INITIAL_FORMS": "0",
        "m-MIN_NUM_FORMS": "0",
        "m-MAX_NUM_FORMS": "10",
    }
    if finding in ("responsible", "deceased"):
        data["category"] = "management"
    if reason is not None:
        data["reason"] = reason
    for i, measure in enumerate(measures):
        data.update({f"m-{i}-{k}": v for k, v in measure.items()})
    return data


@pytest.fixture
def opened(inspector):
    response = inspector.post(OPEN, {"accident": "A0226"})
    assert response.status_code == 302 and response["Location"] == workbench()
    return Case.objects.get(code="CASE-A-A0226")


def test_it_opens_the_case_once_and_shows_the_records_by_track(inspector, opened):
    again = inspector.post(OPEN, {"accident": "A0226"})
    assert again["Location"] == workbench()
    assert Case.objects.count() == 1
    html = inspector.get(workbench()).content.decode()
    enterprise = html[html.index('id="records-enterprise"') : html.index('id="records-supervision"')]
    supervision = html[html.index('id="records-supervision"') :]
    assert "塔吊司机" in enterprise and "梁师傅" in enterprise
    assert "街道办事处主任" in supervision and "空缺" in supervision
    assert "赵志强" in supervision and "孙明" not in html
    assert "主要负责人罚款：上一年年收入的 40%" in html


def test_a_hazard_that_is_not_overdue_is_refused_with_the_reason(inspector, demo_users):
    response = inspector.post(OPEN, {"hazard": "H2"}, follow=True)
    assert "隐患未逾期" in response.content.decode()
    assert not Case.objects.exists()


def test_a_finding_with_measures_is_recorded_through_the_service(inspector, opened):
    record = opened.records.get(position_code="e1_chair")
    data = finding_post(
        "responsible",
        "未落实塔吊安全管理责任",
        [
            {"kind": "principal_fine", "amount_yuan": "120000"},
            {"kind": "judicial_referral", "article": "134"},
        ],
    )
    response = inspector.post(record_url(record), data)
    assert response.status_code == 302
    decision = Decision.objects.get(record=record)
    assert decision.finding == "responsible" and decision.decided_by.username == "inspector"
    assert sorted(Measure.objects.filter(decision=decision).values_list("kind", flat=True)) == [
        "judicial_referral",
        "principal_fine",
    ]
    html = inspector.get(workbench()).content.decode()
    row = html[html.index(f'id="record-{record.pk}"') :]
    assert "负有责任" in row[:3000] and "移送司法机关" in row[:3000]


@pytest.mark.parametrize(
    "data, field, message",
    [
        (finding_post("exempt"), "grounds", "尽职免责须写明履职事实与依据"),
        (
            finding_post("responsible", measures=[{"kind": "judicial_referral"}]),
            "article",
            "移送司法须写明刑法条款",
        ),
        (finding_post("responsible", measures=[{"kind": "principal_fine"}]), "amount_yuan", "须写明金额"),
        (
            finding_post("not_responsible", measures=[{"kind": "interview"}]),
            None,
            "只有认定负有责任的才能给予处理措施",
        ),
        (finding_post("maybe"), "finding", "选择一个有效的选项"),
    ],
)
def test_a_refused_finding_shows_the_error_on_its_field(inspector, opened, data, field, message):
    record = opened.records.get(position_code="e1_chair")
    response = inspector.post(record_url(record), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    if field:
        assert 'class="field has-error"' in html or "has-error" in html
    assert not Decision.objects.exists()


def test_a_decided_record_is_amended_and_both_decisions_are_kept(inspector, opened):
    record = opened.records.get(position_code="e1_safety")
    inspector.post(record_url(record), finding_post("not_responsible", "已履职"))
    page = inspector.get(record_url(record)).content.decode()
    assert "更正认定" in page and "更正理由" in page
    missing_reason = inspector.post(record_url(record), finding_post("responsible", reason=""))
    assert missing_reason.status_code == 400
    response = inspector.post(
        record_url(record),
        finding_post("responsible", "复核发现未检查塔吊附着", [{"kind": "party_warning"}], reason="复核"),
    )
    assert response.status_code == 302
    first, second = Decision.objects.filter(record=record).order_by("id")
    assert second.amends == first and second.amendment_reason == "复核"
    page = inspector.get(record_url(record)).content.decode()
    assert "已被更正" in page and "现行" in page


def test_the_gate_refuses_to_close_and_names_each_missing_condition(inspector, opened):
    response = inspector.post(reverse("accountability:case_close", args=[opened.code]))
    # Post/redirect/get: a refused close leaves /close/, and says why once.
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("accountability:case_workbench", args=[opened.code]) + "#close-refused"
    )
    html = inspector.get(response["Location"]).content.decode()
    assert 'id="close-refused"' in html
    for code in (
        "cause_not_found",
        "people_not_dealt_with",
        "measures_not_carried_out",
        "people_not_educated",
    ):
        assert f'data-blocker="{code}"' in html
    assert Case.objects.get(pk=opened.pk).state == CaseState.OPEN
    again = inspector.get(response["Location"]).content.decode()
    assert 'id="close-refused"' not in again


def test_the_case_closes_once_all_four_are_met(inspector, opened):
    code = opened.code
    assert (
        inspector.post(
            reverse("accountability:case_cause", args=[code]), {"cause": "塔吊附着装置松动未整改"}
        ).status_code
        == 302
    )
    assert (
        inspector.post(reverse("accountability:case_cause", args=[code]), {"cause": " "}).status_code == 400
    )
    inspector.post(
        reverse("accountability:case_action_add", args=[code]),
        {"description": "全面排查塔吊附着", "responsible": "示范建工"},
    )
    action = opened.corrective_actions.get()
    inspector.post(
        reverse("accountability:case_action_done", args=[code, action.pk]), {"done_on": "2024-05-01"}
    )
    inspector.post(
        reverse("accountability:case_education", args=[code]),
        {"held_on": "2024-05-02", "description": "警示教育大会", "participants": "120"},
    )
    for record in opened.records.all():
        inspector.post(record_url(record), finding_post("not_responsible", "经查已履职"))
    response = inspector.post(reverse("accountability:case_close", args=[code]))
    assert response.status_code == 302
    assert Case.objects.get(pk=opened.pk).state == CaseState.CLOSED
    html = inspector.get(workbench()).content.decode()
    assert "已结案" in html and 'id="close-case"' not in html


def test_an_investigator_adds_a_subject_the_chain_did_not_name_with_the_reason(inspector, opened):
    url = reverse("accountability:case_add_subject", args=[opened.code])
    refused = inspector.post(
        url, {"track": "supervision", "types": ["supervisory"], "person": "p99", "reason": "x"}
    )
    assert refused.status_code == 400 and "“p99”不存在或不在您的查看范围内" in refused.content.decode()
    response = inspector.post(
        url,
        {"track": "supervision", "types": ["supervisory"], "person": "p07", "reason": "收受好处、默许违规"},
    )
    assert response.status_code == 302
    added = AccountabilityRecord.objects.get(case=opened, person_code="p07")
    assert added.origin == "added" and added.added_reason == "收受好处、默许违规"


def test_a_regulator_neither_reads_nor_writes_a_case_as_in_the_api(login, opened):
    # The departments are themselves subjects of the supervision track: the case is the inspectors' work.
    regulator = login("regulator")
    # DESIGN §1: a role lacking cases gets 403, as in the API.
    assert regulator.get(workbench()).status_code == 403
    assert regulator.get(reverse("accountability:case_list")).status_code == 403
    record = opened.records.first()
    # The role is asked before the scope: a role lacking the action is a 403 whatever the object.
    assert regulator.post(record_url(record), finding_post("not_responsible", "x")).status_code == 403
    assert regulator.post(reverse("accountability:case_close", args=[opened.code])).status_code == 403
    assert regulator.post(OPEN, {"accident": "A0318"}).status_code == 403
    assert not Decision.objects.exists()


def test_an_enterprise_user_never_reaches_a_case(login, opened):
    enterprise = login("enterprise")
    assert enterprise.get(workbench()).status_code == 403
    assert enterprise.get(reverse("accountability:case_list")).status_code == 403
    assert enterprise.get(reverse("accountability:case_report", args=[opened.code])).status_code == 403


def test_the_workbench_takes_the_same_number_of_queries_however_many_records_and_decisions(inspector, opened):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert inspector.get(workbench()).status_code == 200
        return len(ctx)

    records = list(opened.records.exclude(person_code=""))
    # A first decision with a measure, so that every prefetch of the page runs from the start.
    first = inspector.post(
        record_url(records[0]), finding_post("responsible", "x", [{"kind": "party_warning"}])
    )
    assert first.status_code == 302
    before = count()
    for record in records[1:9]:
        inspector.post(
            record_url(record),
            finding_post(
                "responsible",
                "x",
                [{"kind": "party_warning"}, {"kind": "judicial_referral", "article": "134"}],
            ),
        )
    for i in range(5):
        inspector.post(
            reverse("accountability:case_action_add", args=[opened.code]), {"description": f"措施{i}"}
        )
        inspector.post(
            reverse("accountability:case_education", args=[opened.code]),
            {"held_on": dt.date(2024, 5, i + 1), "description": f"教育{i}", "participants": 3},
        )
    after = count()
    assert after == before
    # The conclusions panel reads four lists of its own (problems, appraisal, hand-overs, team), and
    # the 更正与撤销记录 one per kind of entry that may be withdrawn (six) and one for corrected
    # conclusions; one more for the case's reopenings.
    assert before <= 32, before


def test_an_overdue_hazard_opens_its_case_from_the_hazard_page(inspector):
    page = inspector.get(reverse("accountability:hazard_detail", args=["H1"])).content.decode()
    assert "按事故立案（隐患就是事故）" in page
    response = inspector.post(OPEN, {"hazard": "H1"})
    assert response["Location"] == workbench("CASE-H-H1")
    html = inspector.get(workbench("CASE-H-H1")).content.decode()
    assert "逾期隐患" in html and "高新化工有限公司" in html
    assert "法定处罚区间" not in html  # a hazard case has no grade, hence no statutory fine range
