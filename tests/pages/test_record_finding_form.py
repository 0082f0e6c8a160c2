"""The finding form: 更正认定 starts from the standing finding and its measures; 负有责任 needs a measure or
a 免予处理 reason (page and API); an added subject's basis reads as words, not codes."""

from django.urls import reverse
from rest_framework.test import APIClient

from accountability import cases
from accountability.models import Accident
from responsibility.models import Unit
from tests.pages.test_case_workbench import finding_post, record_url


def _official():
    case = cases.open_case(accident=Accident.objects.get(code="A0226")).case
    return case.records.get(position_code="d_vhead_build")


def test_the_amendment_form_starts_from_the_current_finding_and_its_measures(inspector):
    official = _official()
    cases.record_finding(
        record=official,
        finding="responsible",
        category="important_leadership",
        grounds="未督促整改塔吊隐患",
        measures=[{"kind": "party_warning"}, {"kind": "gov_demerit"}],
    )
    form = inspector.get(record_url(official)).context
    assert form["amending"]
    assert form["form"].initial == {
        "finding": "responsible",
        "category": "important_leadership",
        "grounds": "未督促整改塔吊隐患",
        "no_measure_reason": "",
    }
    assert [row.initial["kind"] for row in form["formset"].forms if row.initial] == [
        "party_warning",
        "gov_demerit",
    ]
    html = inspector.get(record_url(official)).content.decode()
    assert 'value="party_warning" selected' in html and "未督促整改塔吊隐患</textarea>" in html


def test_responsible_with_no_measure_is_refused_unless_a_reason_for_none_is_given(inspector):
    official = _official()
    refused = inspector.post(record_url(official), finding_post("responsible"))
    assert refused.status_code == 400
    assert "认定负有责任须至少给予一项处理措施，或写明免予处理的理由" in refused.content.decode()
    assert not official.decisions.exists()
    data = finding_post("responsible")
    data["no_measure_reason"] = "情节轻微，已作深刻检查"
    assert inspector.post(record_url(official), data).status_code == 302
    assert official.decisions.get().no_measure_reason == "情节轻微，已作深刻检查"


def test_the_api_keeps_the_reason_for_no_measure_and_refuses_it_beside_a_measure(demo_users):
    from django.contrib.auth.models import User

    official = _official()
    client = APIClient()
    client.force_authenticate(User.objects.get(username="inspector"))
    path = f"/api/v1/records/{official.pk}/finding/"
    both = {"finding": "responsible", "category": "leadership", "no_measure_reason": "情节轻微"}
    refused = client.post(path, both | {"measures": [{"kind": "party_warning"}]}, format="json")
    assert refused.status_code == 400 and "no_measure_reason" in refused.json()
    ok = client.post(path, both, format="json")
    assert ok.status_code == 201 and ok.json()["no_measure_reason"] == "情节轻微"


def test_an_added_subjects_basis_shows_neither_codes_nor_the_reason_twice(inspector):
    case = cases.open_case(accident=Accident.objects.get(code="A0226")).case
    record = cases.add_subject(
        case=case,
        track="supervision",
        reason="调查发现其违规审批塔吊备案，须复查。",
        types=["supervisory"],
        unit=Unit.objects.filter(kind="department")
        .exclude(code__in=case.records.values("unit_code"))
        .first(),
    )
    html = inspector.get(reverse("accountability:case_workbench", args=[case.code])).content.decode()
    row = html[html.index(f'id="record-{record.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "investigation" not in row
    assert row.count("调查发现其违规审批塔吊备案") == 1
    # The record's own page names the duty type of the basis (not "•：" with no type).
    detail = inspector.get(
        reverse("accountability:record_detail", args=[case.code, record.pk])
    ).content.decode()
    assert "<b>监管责任</b>：调查发现其违规审批塔吊备案" in detail and "investigation" not in detail
