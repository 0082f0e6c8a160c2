"""The workbench shows the report's conclusions (DESIGN §6); a finding's category is chosen on the record page."""

import datetime as dt

from django.urls import reverse

from accountability import cases
from accountability.models import Accident, Decision
from tests.factories import opened_on


def test_the_workbench_shows_nature_causes_appraisal_and_hand_overs(inspector, demo_users):
    case = opened_on(cases.open_case(accident=Accident.objects.get(code="A0226")).case, dt.date(2024, 2, 27))
    cases.record_conclusions(
        case=case,
        nature="liability",
        direct_cause="塔吊附着螺栓松动",
        indirect_cause="总包未落实设备管理",
        lessons="设备管理缺位",
    )
    cases.add_appraisal_period(
        case=case, start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 10), subject="螺栓金相分析"
    )
    official = case.records.get(position_code="d_vhead_build")
    cases.record_finding(record=official, finding="responsible", category="important_leadership")
    cases.hand_over(case=case, records=[official], handed_on=dt.date(2024, 4, 1), authority="county")
    html = inspector.get(reverse("accountability:case_workbench", args=[case.code])).content.decode()
    for text in (
        "生产安全责任事故",
        "总包未落实设备管理",
        "螺栓金相分析",
        "县纪委监委",
        "待反馈",
        "重要领导责任",
        "2024-05-06",
    ):
        assert text in html, text


def test_a_category_is_required_and_recorded_through_the_record_page(inspector, demo_users):
    case = cases.open_case(accident=Accident.objects.get(code="A0226")).case
    record = case.records.get(position_code="e1_chair")
    url = reverse("accountability:record_detail", args=[case.code, record.pk])
    data = {"finding": "deceased", "grounds": "已在事故中死亡", "m-TOTAL_FORMS": "0", "m-INITIAL_FORMS": "0"}
    refused = inspector.post(url, data)
    assert refused.status_code == 400 and "须写明责任类别" in refused.content.decode()
    assert inspector.post(url, {**data, "category": "principal"}).status_code == 302
    decision = Decision.objects.get(record=record)
    assert (decision.finding, decision.category) == ("deceased", "principal")
    assert "负有责任（已死亡，免予追究）</b>（主要责任）" in inspector.get(url).content.decode()
