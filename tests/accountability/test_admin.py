"""The admin of accountability over the worked example with cases opened: every page opens, history is
read-only, and the writes it offers go through the services."""

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.urls import reverse

from accountability.accidents import report_casualties
from accountability.alerts import ensure_default_alert_rules, raise_alerts, record_penalty
from accountability.cases import (
    add_corrective_action,
    open_case,
    record_education,
    record_finding,
)
from accountability.govfindings import issue_finding
from accountability.hazards import list_for_supervision, request_extension
from accountability.models import (
    CHINA,
    Accident,
    AccountabilityRecord,
    AlertKind,
    Case,
    CaseState,
    CasualtyRevision,
    Decision,
    ExtensionDecision,
    ExtensionRequest,
    Hazard,
    HazardState,
)
from responsibility.models import Unit

ACCOUNTABILITY_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "accountability"),
    key=lambda model: model.__name__,
)
# The models the accountability admin modules register (reminders aside); the worked example below gives each of them a row.
OWN_MODELS = {
    model
    for model, model_admin in admin.site._registry.items()
    if model_admin.__module__.startswith("accountability.admin.")
    and model_admin.__module__ != "accountability.admin.reminders"
}


def url(model, view, *args):
    return reverse(f"admin:accountability_{model._meta.model_name}_{view}", args=args)


@pytest.fixture(scope="module")
def _worked_example_once(_demo_county_once, django_db_blocker):
    """Built once per module inside the worked example's outer transaction (tests/accountability/
    conftest.py); each test runs in a savepoint of it."""
    with django_db_blocker.unblock():
        _build_worked_example(Accident.objects.get(code="A0226"))


@pytest.fixture
def worked_example(_worked_example_once, demo_county):
    """Cases of the 2·26 accident and the overdue hazard H1, with a finding, a corrective action,
    education, a 补报, an extension request and a listing."""
    return Case.objects.get(code="CASE-A-A0226")


def _build_worked_example(accident):
    case = open_case(accident=accident).case
    open_case(hazard=Hazard.objects.get(code="H1"))
    chair = case.records.get(position_code="e1_chair")
    record_finding(
        record=chair,
        finding="responsible",
        category="leadership",
        grounds="未落实主体责任",
        measures=[
            {"kind": "principal_fine", "amount_yuan": 300000},
            {"kind": "judicial_referral", "article": "134"},
        ],
    )
    add_corrective_action(case=case, description="全县塔吊专项排查")
    record_education(case=case, held_on=dt.date(2024, 5, 10), description="警示教育大会", participants=80)
    report_casualties(
        accident=accident,
        deaths=2,
        serious_injuries=2,
        direct_loss_yuan=3100000,
        at=dt.datetime(2024, 3, 1, 10, tzinfo=CHINA),
    )
    h1 = Hazard.objects.get(code="H1")
    request_extension(hazard=h1, new_deadline=dt.date(2024, 7, 31), reason="设备到货延迟")
    list_for_supervision(
        hazard=h1,
        listing_unit=Unit.objects.get(code="d_em"),
        listed_on=dt.date(2024, 4, 15),
        due_on=dt.date(2024, 6, 30),
    )
    # Issue 28: the alert rules, three penalties on H1 (a closure alert), a government finding.
    ensure_default_alert_rules()
    for day in (12, 20, 28):
        record_penalty(hazard=h1, decided_on=dt.date(2024, 4, day), document=f"罚字〔2024〕{day}号")
    raise_alerts(dt.date(2024, 5, 1), kinds=[AlertKind.CLOSURE])
    issue_finding(
        code="GF1",
        title="区住建局未按要求开展自建房排查",
        source="supervision",
        issuing_unit=Unit.objects.get(code="d_gov"),
        assigned_unit=Unit.objects.get(code="d_housing"),
        found_on=dt.date(2024, 4, 1),
        deadline=dt.date(2024, 5, 1),
    )
    return case


def test_every_accountability_model_of_the_issue_is_in_the_admin():
    names = {model.__name__ for model in ACCOUNTABILITY_MODELS}
    assert {"Hazard", "Accident", "Case", "AccountabilityRecord", "Decision"} <= names


@pytest.mark.parametrize("model", ACCOUNTABILITY_MODELS, ids=lambda m: m.__name__)
def test_every_changelist_and_change_page_opens(worked_example, admin_client, model):
    assert admin_client.get(url(model, "changelist")).status_code == 200
    obj = model.objects.order_by("pk").first()
    if obj is None:
        assert model not in OWN_MODELS, f"the worked example gives no {model.__name__}"
        return
    response = admin_client.get(url(model, "change", obj.pk))
    assert response.status_code == 200
    if hasattr(admin.site._registry[model], "history_view"):
        assert admin_client.get(url(model, "history", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", [Hazard, Accident, ExtensionRequest, CasualtyRevision, Decision])
def test_the_add_forms_open(worked_example, admin_client, model):
    assert admin_client.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", [Case, AccountabilityRecord])
def test_cases_and_records_are_not_added_by_hand(worked_example, admin_client, model):
    assert admin_client.get(url(model, "add")).status_code == 403


@pytest.mark.parametrize(
    "model,query,shown",
    [
        (Hazard, "H1", "储罐区可燃气体报警仪失效"),
        (Accident, "A0318", "模板支撑体系坍塌"),
        (Case, "CASE-A-A0226", "CASE-A-A0226"),
        (AccountabilityRecord, "e1_chair", "CASE-A-A0226"),
        (Decision, "CASE-A-A0226", "负有责任"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_search_by_code_finds_the_object(worked_example, admin_client, model, query, shown):
    response = admin_client.get(url(model, "changelist"), {"q": query})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 1
    assert shown in response.content.decode()


@pytest.mark.parametrize(
    "model,params,expected",
    [
        (Hazard, {"state__exact": "rectifying"}, {"H1"}),
        (Hazard, {"level__exact": "general"}, {"H2"}),
        (Hazard, {"overdue": "yes"}, {"H1"}),
        (Accident, {"grade__exact": "larger"}, {"A0318"}),
        (Accident, {"late": "yes"}, {"A0318"}),
        (Case, {"state__exact": "open"}, {"CASE-A-A0226", "CASE-H-H1"}),
        (Case, {"grade__exact": "general"}, {"CASE-A-A0226"}),
    ],
)
def test_the_filters_by_state_level_and_grade(worked_example, admin_client, model, params, expected):
    response = admin_client.get(url(model, "changelist"), params)
    assert response.status_code == 200
    assert {obj.code for obj in response.context["cl"].result_list} == expected


def test_the_records_filter_by_current_finding(worked_example, admin_client):
    response = admin_client.get(url(AccountabilityRecord, "changelist"), {"finding": "responsible"})
    assert [r.position_code for r in response.context["cl"].result_list] == ["e1_chair"]


def test_autocomplete_serves_units_for_the_listing_and_records_for_a_decision(worked_example, admin_client):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "accountability",
            "model_name": "hazardlisting",
            "field_name": "listing_unit",
            "term": "d_em",
        },
    )
    assert response.status_code == 200 and response.json()["results"]
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "accountability", "model_name": "decision", "field_name": "record", "term": "e1_chair"},
    )
    assert response.status_code == 200 and len(response.json()["results"]) == 1


# ---- read-only history --------------------------------------------------------------------------------


def _inputs(html: str) -> set[str]:
    """The names of the editable fields of a page (hidden ids and management forms left out)."""
    tags = re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
    return {
        re.search(r'name="([^"]+)"', tag).group(1)
        for tag in tags
        if 'name="' in tag and 'type="hidden"' not in tag
    }


def test_a_decisions_change_form_is_read_only(worked_example, admin_client):
    decision = Decision.objects.get()
    response = admin_client.get(url(Decision, "change", decision.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert not {"record", "finding", "grounds", "amends", "amendment_reason"} & _inputs(html)
    assert not any(name.startswith("measures-") for name in _inputs(html))
    assert 'name="_save"' not in html
    assert "更正此认定" in html
    assert "主要负责人罚款" in html  # the measures shown, read-only
    posted = admin_client.post(url(Decision, "change", decision.pk), {"finding": "not_responsible"})
    assert posted.status_code == 403
    decision.refresh_from_db()
    assert decision.finding == "responsible"


def test_decisions_and_records_cannot_be_deleted(worked_example, admin_client):
    decision = Decision.objects.get()
    assert admin_client.get(url(Decision, "delete", decision.pk)).status_code == 403
    record = AccountabilityRecord.objects.first()
    assert admin_client.get(url(AccountabilityRecord, "delete", record.pk)).status_code == 403
    assert admin_client.post(url(AccountabilityRecord, "change", record.pk), {}).status_code == 403


def test_a_records_page_shows_the_snapshot_and_offers_a_finding_or_a_correction(worked_example, admin_client):
    chair = AccountabilityRecord.objects.get(case=worked_example, position_code="e1_chair")
    html = admin_client.get(url(AccountabilityRecord, "change", chair.pk)).content.decode()
    assert "更正认定" in html and f"amends={Decision.objects.get().pk}" in html
    assert chair.snapshot["person_name"] in html
    undecided = AccountabilityRecord.objects.get(case=worked_example, position_code="e1_vp")
    html = admin_client.get(url(AccountabilityRecord, "change", undecided.pk)).content.decode()
    assert "作出认定" in html and "amends=" not in html


def test_the_hazard_page_shows_transitions_read_only_and_keeps_the_deadline_for_extensions(
    worked_example, admin_client
):
    h1 = Hazard.objects.get(code="H1")
    html = admin_client.get(url(Hazard, "change", h1.pk)).content.decode()
    assert "设备到货延迟" in html  # the extension request, inline
    assert 'name="deadline"' not in html
    assert 'name="state"' not in html
    assert not any(name.startswith("transitions-") for name in _inputs(html))
    assert 'name="listing-0-due_on"' in html


def test_the_accident_page_shows_the_grade_and_the_casualties_read_only(worked_example, admin_client):
    a0226 = Accident.objects.get(code="A0226")
    html = admin_client.get(url(Accident, "change", a0226.pk)).content.decode()
    assert not {"grade", "deaths", "serious_injuries", "direct_loss_yuan"} & _inputs(html)
    assert "一般事故" in html
    assert not any(name.startswith("revisions-") for name in _inputs(html))


# ---- writes through the services ----------------------------------------------------------------------


def _management(prefix, total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_an_amendment_is_added_through_the_add_form_and_the_original_is_kept(
    worked_example, admin_client, admin_user
):
    original = Decision.objects.get()
    record = original.record
    form = admin_client.get(url(Decision, "add"), {"record": record.pk, "amends": original.pk})
    assert form.status_code == 200
    assert form.context["adminform"].form.initial["amends"] == str(original.pk)
    data = {
        "record": record.pk,
        "finding": "responsible",
        "category": "principal",
        "grounds": "复查：未组织塔吊验收",
        "amends": original.pk,
        "amendment_reason": "补充认定事实",
        **_management("measures", total=1),
        "measures-0-kind": "dishonest_list",
        "measures-0-detail": "",
        "measures-0-period_months": "",
        "measures-0-amount_yuan": "",
        "measures-0-article": "",
    }
    response = admin_client.post(url(Decision, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    amendment = Decision.objects.get(amends=original)
    assert (amendment.decided_by, amendment.amendment_reason) == (admin_user, "补充认定事实")
    assert [(m.kind, m.period_months) for m in amendment.measures.all()] == [("dishonest_list", 36)]
    original.refresh_from_db()
    assert original.finding == "responsible" and original.measures.count() == 2


def test_the_add_form_shows_the_services_refusals_on_their_fields(worked_example, admin_client):
    unit_record = AccountabilityRecord.objects.get(
        case=worked_example, unit_code="d_housing", position_code=""
    )
    data = {
        "record": unit_record.pk,
        "finding": "responsible",
        "category": "supervision",
        "grounds": "",
        "amends": "",
        "amendment_reason": "",
        **_management("measures", total=1),
        "measures-0-kind": "gov_warning",
    }
    response = admin_client.post(url(Decision, "add"), data)
    assert response.status_code == 200
    measure_errors = response.context["inline_admin_formsets"][0].formset.forms[0].errors
    assert "kind" in measure_errors
    assert not unit_record.decisions.exists()

    response = admin_client.post(
        url(Decision, "add"), {"record": unit_record.pk, "finding": "exempt", **_management("measures")}
    )
    assert dict(response.context["adminform"].form.errors) == {"grounds": ["尽职免责须写明履职事实与依据"]}

    chair = AccountabilityRecord.objects.get(case=worked_example, position_code="e1_chair")
    response = admin_client.post(
        url(Decision, "add"), {"record": chair.pk, "finding": "not_responsible", **_management("measures")}
    )
    # Already decided: a correction names the decision it `amends`; said once, on the finding.
    assert dict(response.context["adminform"].form.errors) == {
        "finding": ["该记录已认定；更正请提交更正认定（amendment）"]
    }
    assert chair.decisions.count() == 1


def test_the_amend_action_opens_the_add_form_for_the_current_decision(worked_example, admin_client):
    decision = Decision.objects.get()
    response = admin_client.post(
        url(Decision, "changelist"), {"action": "amend_action", "_selected_action": [decision.pk]}
    )
    assert response.status_code == 302
    assert response.url == f"{url(Decision, 'add')}?record={decision.record_id}&amends={decision.pk}"


def test_the_open_case_action_opens_or_finds_the_case(demo_county, admin_client):
    a0318 = Accident.objects.get(code="A0318")
    response = admin_client.post(
        url(Accident, "changelist"),
        {"action": "open_case_action", "_selected_action": [a0318.pk]},
        follow=True,
    )
    assert "已立案" in response.content.decode()
    assert Case.objects.get(accident=a0318).records.count() == 27
    h2 = Hazard.objects.get(code="H2")
    response = admin_client.post(
        url(Hazard, "changelist"), {"action": "open_case_action", "_selected_action": [h2.pk]}, follow=True
    )
    assert "未逾期" in response.content.decode()
    assert not Case.objects.filter(hazard=h2).exists()


def test_the_close_action_names_what_is_missing_and_a_closed_case_is_read_only(worked_example, admin_client):
    response = admin_client.post(
        url(Case, "changelist"),
        {"action": "close_action", "_selected_action": [worked_example.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "不能结案" in html and "责任人员未处理" in html and "整改措施未落实" in html
    worked_example.refresh_from_db()
    assert worked_example.state == CaseState.OPEN

    Case.objects.filter(pk=worked_example.pk).update(state=CaseState.CLOSED)
    html = admin_client.get(url(Case, "change", worked_example.pk)).content.decode()
    assert 'name="cause"' not in html and 'name="_save"' not in html
    assert admin_client.post(url(Case, "change", worked_example.pk), {"cause": "改写"}).status_code == 403


def test_the_case_form_records_the_cause_and_extends_the_investigation_only_once(
    worked_example, admin_client
):
    case = worked_example
    data = {
        "title": case.title,
        "cause": "塔吊附着装置螺栓松动",
        "investigation_extension_days": "30",
        "report_submitted_on": "",
        "reply_on": "",
        "review_done_on": "",
        **_management("records", total=case.records.count(), initial=case.records.count()),
        **{f"records-{i}-id": r.pk for i, r in enumerate(case.records.order_by("order", "id"))},
        **{f"records-{i}-case": case.pk for i in range(case.records.count())},
        **_management("corrective_actions", total=1, initial=1),
        "corrective_actions-0-id": case.corrective_actions.get().pk,
        "corrective_actions-0-case": case.pk,
        "corrective_actions-0-description": "全县塔吊专项排查",
        "corrective_actions-0-responsible": "",
        "corrective_actions-0-due_on": "",
        "corrective_actions-0-done_on": "2024-05-01",
        **_management("education", total=1, initial=1),
        "education-0-id": case.education.get().pk,
        "education-0-case": case.pk,
        "education-0-held_on": "2024-05-10",
        "education-0-description": "警示教育大会",
        "education-0-participants": "80",
    }
    response = admin_client.post(url(Case, "change", case.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    case.refresh_from_db()
    assert case.cause == "塔吊附着装置螺栓松动" and case.cause_recorded_at is not None
    assert case.investigation_extension_days == 30
    assert case.corrective_actions.get().verified_by is not None
    data["investigation_extension_days"] = "40"
    response = admin_client.post(url(Case, "change", case.pk), data)
    assert response.status_code == 200
    assert "investigation_extension_days" in response.context["adminform"].form.errors


def test_an_extension_is_requested_by_the_add_form_and_approved_by_the_action(worked_example, admin_client):
    h1 = Hazard.objects.get(code="H1")
    pending = ExtensionRequest.objects.get()
    response = admin_client.post(
        url(ExtensionRequest, "add"), {"hazard": h1.pk, "requested_deadline": "2024-08-31", "reason": "再延"}
    )
    assert response.status_code == 200
    assert "hazard" in response.context["adminform"].form.errors  # one request pends already
    response = admin_client.post(
        url(ExtensionRequest, "changelist"), {"action": "approve_action", "_selected_action": [pending.pk]}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    h1.refresh_from_db()
    assert pending.decision == ExtensionDecision.APPROVED
    assert (h1.deadline, h1.original_deadline) == (dt.date(2024, 7, 31), dt.date(2024, 5, 31))
    response = admin_client.post(
        url(ExtensionRequest, "add"), {"hazard": h1.pk, "requested_deadline": "2024-08-31", "reason": "再延"}
    )
    assert response.status_code == 302
    assert ExtensionRequest.objects.filter(previous_deadline=dt.date(2024, 7, 31)).exists()


def test_a_late_report_of_casualties_goes_through_the_add_form_and_the_window_is_enforced(
    worked_example, admin_client
):
    a0226 = Accident.objects.get(code="A0226")
    data = {
        "accident": a0226.pk,
        "at_0": "2024-04-30",
        "at_1": "10:00:00",
        "deaths_after": "3",
        "serious_injuries_after": "2",
        "loss_after": "3100000",
        "note": "",
    }
    response = admin_client.post(url(CasualtyRevision, "add"), data)
    assert response.status_code == 200
    assert "at" in response.context["adminform"].form.errors
    data.update({"at_0": "2024-03-20"})
    response = admin_client.post(url(CasualtyRevision, "add"), data)
    assert response.status_code == 302
    a0226.refresh_from_db()
    assert a0226.grade == "larger"
    assert worked_example.records.filter(unit_code="c_party").exists()


def test_the_hazard_actions_move_the_state_through_the_services(worked_example, admin_client):
    h1 = Hazard.objects.get(code="H1")
    response = admin_client.post(
        url(Hazard, "changelist"), {"action": "submit_action", "_selected_action": [h1.pk]}, follow=True
    )
    assert "已申请销号" in response.content.decode()
    h1.refresh_from_db()
    assert h1.state == HazardState.SUBMITTED and h1.transitions.count() == 1
    response = admin_client.post(
        url(Hazard, "changelist"),
        {"action": "start_rectification_action", "_selected_action": [h1.pk]},
        follow=True,
    )
    assert "不能转为" in response.content.decode()


@pytest.mark.parametrize("model", [Hazard, Accident, Case, AccountabilityRecord, Decision])
def test_a_changelist_takes_the_same_queries_with_more_rows(worked_example, admin_client, model):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url(model, "changelist")).status_code == 200
        return len(captured.captured_queries)

    before = count()
    case = open_case(accident=Accident.objects.get(code="A0318")).case
    for record in case.records.all()[:5]:
        record_finding(record=record, finding="not_responsible")
    assert count() == before
