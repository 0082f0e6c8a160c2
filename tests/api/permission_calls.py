"""Every API endpoint as a call: its path, the object kind it acts on, the roles DESIGN §1 grants it, a body.

Walked by tests/security/test_access_policy.py (every role × inside/outside scope, compared with the pages).
Design: anonymous → 401; a role lacking the action → 403; an object outside the caller's scope → 404
(a reference outside scope in a request body reads as unknown → 400); inside → 200/201 (`ok`; None: any
answer of the endpoint itself, e.g. 400 for the harmless body sent). A list answers 200 for everyone
allowed and shows the object inside scope, never the one outside (searched by its code).
Each request runs in a savepoint that is rolled back, so every cell starts from the same state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from accountability import cases as case_services
from accountability.models import (
    Accident,
    AccountabilityRecord,
    AppraisalPeriod,
    Case,
    CaseState,
    ExtensionRequest,
    HandOver,
    Hazard,
    HazardState,
    HazardTransition,
    Investigator,
)
from tests import evidence_files

ADMIN = {"admin"}
INSPECTOR = {"admin", "inspector"}
REGULATOR = {"admin", "regulator", "township"}
ENTERPRISE = {"admin", "enterprise", "enterprise2"}
OVERSIGHT = INSPECTOR | REGULATOR
EVERYONE = OVERSIGHT | ENTERPRISE

# kind → role → (code inside the role's scope, code outside it or None when nothing is outside).
_E1_E2 = {"enterprise": ("e1", "e2"), "enterprise2": ("e2", "e1")}
SCOPES: dict[str, dict[str, tuple[str, str | None]]] = {
    "hazard": {
        "admin": ("HZ1", None),
        "inspector": ("HZ1", "HZ6"),
        "regulator": ("HZ1", "HZ2"),
        "township": ("HZ1", "HZ2"),
        "enterprise": ("HZ1", "HZ2"),
        "enterprise2": ("HZ2", "HZ1"),
    },
    # e2 has no accident of its own: only the outside one to read
    "accident": {
        "admin": ("A0226", None),
        "inspector": ("A0226", "AC6"),
        "enterprise2": (None, "A0226"),
        "*": ("A0226", "A0402"),
    },
    # e2 has no accident of its own: only the outside one to trace
    "traced_accident": {
        "admin": ("A0226", None),
        "inspector": ("A0226", "AC6"),
        "enterprise2": (None, "A0226"),
        "*": ("A0226", "A0402"),
    },
    "case": {
        "admin": ("CASE-A-A0226", None),
        "inspector": ("CASE-A-A0226", "CASE-A-AC6"),
        "*": ("CASE-A-A0226", "CASE-A-A0402"),
    },
    "case_source": {"admin": ("A0318", None), "inspector": ("A0318", "AC6"), "*": ("A0318", "A0402")},
    "region": {
        "admin": ("T1", None),
        "enterprise": ("T1", "P1"),
        "enterprise2": ("P1", "T1"),
        "*": ("T1", "SX"),
    },
    "sector": {"*": ("housing", None)},
    "unit": {"admin": ("e1", None), "inspector": ("e1", "e6"), **_E1_E2, "*": ("e1", "e2")},
    "position": {
        "admin": ("e1_chair", None),
        "inspector": ("e1_chair", "c_sec"),
        "enterprise2": ("e2_gm", "e1_chair"),
        "*": ("e1_chair", "e2_gm"),
    },
    "person": {
        "admin": ("p17", None),
        "inspector": ("p17", "p01"),
        "enterprise2": ("p23", "p17"),
        "*": ("p17", "p23"),
    },
    "duty": {
        "admin": ("D18", None),
        "inspector": ("D18", "D01"),
        "enterprise2": ("D25", "D18"),
        "*": ("D18", "D25"),
    },
    "mine": {**_E1_E2, "*": ("e1", "e2")},
    # Issue 28: findings against government units, and alerts (conftest.add_findings_and_alerts).
    "finding": {
        "admin": ("GF1", None),
        "inspector": ("GF1", "GF6"),
        "township": ("GF2", "GF1"),
        "*": ("GF1", "GF2"),
    },
    "alert": {
        "admin": ("AL-E1", None),
        "inspector": ("AL-E1", "AL-SX"),
        "enterprise2": ("AL-E2", "AL-E1"),
        "*": ("AL-E1", "AL-E2"),
    },
    "none": {"*": ("", None)},
}


def scope_of(kind: str, role: str) -> tuple[str, str | None]:
    table = SCOPES[kind]
    return table.get(role) or table["*"]


# ---- how each call finds its object ------------------------------------------------------------------


def first_record(case_code: str) -> AccountabilityRecord:
    return AccountabilityRecord.objects.filter(case__code=case_code).order_by("order").first()


def path_params(kind: str, code: str) -> dict:
    if kind == "hazard":
        transition = HazardTransition.objects.filter(hazard__code=code).exclude(evidence="").first()
        return {"code": code, "transition_id": transition.pk if transition else 0}
    if kind == "case":
        case = Case.objects.get(code=code)
        action = case.corrective_actions.first()
        period = case.appraisal_periods.first()
        handover = case.handovers.first()
        member = (
            case.accident.investigator_rows.filter(withdrawn_at__isnull=True).first()
            if case.accident_id
            else None
        )
        return {
            "member_id": member.pk if member else 0,
            "code": code,
            "action_id": action.pk if action else 0,
            "id": first_record(code).pk,
            "period_id": period.pk if period else 0,
            "handover_id": handover.pk if handover else 0,
        }
    return {"code": code}


# ---- state each call needs, set on every object of the kind before the requests ------------------------


def hazards_in(state: str):
    def prepare():
        for hazard in Hazard.objects.filter(code__in=["HZ1", "HZ2", "HZ6"]):
            hazard.state = state
            hazard.submitted_on = hazard.found_on if state == HazardState.SUBMITTED else None
            hazard.save()

    return prepare


def hazards_with_pending_extension():
    hazards_in(HazardState.RECTIFYING)()
    for hazard in Hazard.objects.filter(code__in=["HZ1", "HZ2", "HZ6"]):
        ExtensionRequest.objects.create(
            hazard=hazard,
            previous_deadline=hazard.deadline,
            requested_deadline=hazard.deadline + dt.timedelta(days=30),
            reason="设备到货延迟",
        )


def hazards_with_evidence():
    for hazard in Hazard.objects.filter(code__in=["HZ1", "HZ2", "HZ6"]):
        HazardTransition.objects.create(
            hazard=hazard,
            from_state=HazardState.RECTIFYING,
            to_state=HazardState.SUBMITTED,
            evidence=ContentFile(b"photo", name="evidence.jpg"),
        )


def cases_with_an_action():
    for case in Case.objects.all():
        case_services.add_corrective_action(case=case, description="更换附着装置")


def cases_with_a_period_and_a_handover():
    for case in Case.objects.select_related("accident"):
        AppraisalPeriod.objects.create(case=case, start=case.event_day, subject="塔吊结构鉴定")
        HandOver.objects.create(
            case=case,
            receiving_body="区纪委监委",
            handed_on=case.event_day,
            decision_due=case.event_day + dt.timedelta(days=90),
        )


def cases_with_a_team_member():
    for case in Case.objects.filter(accident__isnull=False):
        Investigator.objects.create(
            accident_id=case.accident_id, name="事故技术专家组", role="expert", order=99
        )


def cases_decided():
    for record in AccountabilityRecord.objects.select_related("case"):
        case_services.record_finding(record=record, finding="not_responsible")


def cases_closable():
    cases_decided()
    for case in Case.objects.all():
        case_services.record_cause(case=case, cause="附着装置螺栓松动未整改")
        action = case_services.add_corrective_action(case=case, description="全面排查塔吊附着")
        case_services.complete_corrective_action(action=action, done_on=case.event_day)
        case_services.record_education(
            case=case, held_on=case.event_day, description="警示教育大会", participants=60
        )


def cases_closed():
    if not Case.objects.exclude(state=CaseState.CLOSED).exists():
        return  # closed by an earlier call of the same walk (a page and its API twin)
    cases_closable()
    for case in Case.objects.all():
        case_services.close_case(case=case)


# ---- request bodies (role, code of the object or reference) ----------------------------------------------


def hazard_report(role, code):
    hazard = Hazard.objects.get(code=code)
    today = dt.date.today()
    return {
        "enterprise": hazard.enterprise.code,
        "sector": hazard.sector.code,
        "level": "general",
        "title": "脚手架连墙件缺失",
        "found_on": today.isoformat(),
        "deadline": (today + dt.timedelta(days=15)).isoformat(),
    }


def accident_report(role, code):
    accident = Accident.objects.get(code=code)
    body = {
        "sector": accident.sector.code,
        "occurred_at": "2024-06-01T08:00:00+08:00",
        "reported_at": "2024-06-01T08:30:00+08:00",
        "deaths": 1,
    }
    if accident.enterprise_id:
        body["enterprise"] = accident.enterprise.code
    else:
        body["region"] = accident.region.code
    return body


def casualties(role, code):
    accident = Accident.objects.get(code=code)
    return {
        "deaths": accident.deaths + 1,
        "serious_injuries": accident.serious_injuries,
        "direct_loss_yuan": str(accident.direct_loss_yuan),
        "at": (accident.occurred_at + dt.timedelta(days=2)).isoformat(),
    }


def listing(role, code):
    body = {"due_on": (dt.date.today() + dt.timedelta(days=30)).isoformat()}
    if role == "admin":
        body["listing_unit"] = "d_em"
    return body


def evidence_upload(role, code):
    return {
        "evidence": SimpleUploadedFile("after.jpg", evidence_files.jpeg(b"after"), content_type="image/jpeg"),
        "note": "已整改",
    }


def const(body: dict) -> Callable:
    return lambda role, code: body


MEASURES = [{"kind": "party_warning", "detail": "党内警告"}]


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    path: str
    kind: str
    roles: set[str]
    ok: int | None = 200
    outside: int = 404
    body: Callable | None = None
    prepare: Callable | None = None
    multipart: bool = False
    probe: str | None = None  # a list: the query parameter that looks for the object by its code
    notes: dict = field(default_factory=dict)


CALLS = [
    Call("me", "get", "/api/v1/me/", "none", EVERYONE),
    Call("my-duties", "get", "/api/v1/my/duties/?enterprise={code}", "mine", {"enterprise", "enterprise2"}),
    Call("coverage", "get", "/api/v1/coverage/?date=2024-02-26", "none", OVERSIGHT),
    Call("trace", "get", "/api/v1/trace/?accident={code}", "traced_accident", EVERYONE),
    # reference lists
    Call("regions-list", "get", "/api/v1/regions/", "region", EVERYONE, probe="search"),
    Call("regions-detail", "get", "/api/v1/regions/{code}/", "region", EVERYONE),
    Call("sectors-list", "get", "/api/v1/sectors/", "sector", EVERYONE, probe="search"),
    Call("sectors-detail", "get", "/api/v1/sectors/{code}/", "sector", EVERYONE),
    Call("units-list", "get", "/api/v1/units/", "unit", EVERYONE, probe="search"),
    Call("units-detail", "get", "/api/v1/units/{code}/", "unit", EVERYONE),
    Call("positions-list", "get", "/api/v1/positions/", "position", EVERYONE, probe="search"),
    Call("positions-detail", "get", "/api/v1/positions/{code}/", "position", EVERYONE),
    Call("people-list", "get", "/api/v1/people/", "person", EVERYONE, probe="search"),
    Call("people-detail", "get", "/api/v1/people/{code}/", "person", EVERYONE),
    Call("duties-list", "get", "/api/v1/duties/", "duty", EVERYONE, probe="search"),
    Call("duties-detail", "get", "/api/v1/duties/{code}/", "duty", EVERYONE),
    # hazards
    Call("hazards-list", "get", "/api/v1/hazards/", "hazard", EVERYONE, probe="search"),
    Call("hazards-detail", "get", "/api/v1/hazards/{code}/", "hazard", EVERYONE),
    Call(
        "hazards-create",
        "post",
        "/api/v1/hazards/",
        "hazard",
        EVERYONE - {"inspector"},
        201,
        400,
        hazard_report,
    ),
    Call(
        "hazards-start-rectification",
        "post",
        "/api/v1/hazards/{code}/start-rectification/",
        "hazard",
        ENTERPRISE,
        body=const({"note": "开始整改"}),
        prepare=hazards_in(HazardState.REPORTED),
    ),
    Call(
        "hazards-submit",
        "post",
        "/api/v1/hazards/{code}/submit/",
        "hazard",
        ENTERPRISE,
        body=evidence_upload,
        prepare=hazards_in(HazardState.RECTIFYING),
        multipart=True,
    ),
    Call(
        "hazards-request-extension",
        "post",
        "/api/v1/hazards/{code}/request-extension/",
        "hazard",
        ENTERPRISE,
        body=lambda role, code: {
            "requested_deadline": (
                Hazard.objects.get(code=code).deadline + dt.timedelta(days=10)
            ).isoformat(),
            "reason": "设备到货延迟",
        },
        prepare=hazards_in(HazardState.RECTIFYING),
    ),
    Call(
        "hazards-verify",
        "post",
        "/api/v1/hazards/{code}/verify/",
        "hazard",
        REGULATOR,
        body=const({"note": "现场核查合格"}),
        prepare=hazards_in(HazardState.SUBMITTED),
    ),
    Call(
        "hazards-reject",
        "post",
        "/api/v1/hazards/{code}/reject/",
        "hazard",
        REGULATOR,
        body=const({"reason": "证明材料不全"}),
        prepare=hazards_in(HazardState.SUBMITTED),
    ),
    Call(
        "hazards-list-for-supervision",
        "post",
        "/api/v1/hazards/{code}/list-for-supervision/",
        "hazard",
        REGULATOR,
        body=listing,
    ),
    Call(
        "hazards-decide-extension",
        "post",
        "/api/v1/hazards/{code}/decide-extension/",
        "hazard",
        REGULATOR,
        body=const({"approve": True, "note": "同意"}),
        prepare=hazards_with_pending_extension,
    ),
    Call(
        "hazards-penalties",
        "post",
        "/api/v1/hazards/{code}/penalties/",
        "hazard",
        REGULATOR,
        201,
        body=lambda role, code: {"decided_on": dt.date.today().isoformat(), "document": "罚字〔2026〕1号"},
    ),
    Call(
        "hazards-evidence",
        "get",
        "/api/v1/hazards/{code}/evidence/{transition_id}/",
        "hazard",
        EVERYONE,
        prepare=hazards_with_evidence,
    ),
    # accidents
    # DESIGN §1: an enterprise reads its own accidents (its own enterprise's; others' are not in its scope).
    Call("accidents-list", "get", "/api/v1/accidents/", "accident", EVERYONE, probe="search"),
    Call("accidents-detail", "get", "/api/v1/accidents/{code}/", "accident", EVERYONE),
    Call("accidents-create", "post", "/api/v1/accidents/", "accident", REGULATOR, 201, 400, accident_report),
    Call(
        "accidents-casualties",
        "post",
        "/api/v1/accidents/{code}/casualties/",
        "accident",
        REGULATOR,
        body=casualties,
    ),
    # cases
    Call("cases-list", "get", "/api/v1/cases/", "case", INSPECTOR, probe="search"),
    Call("cases-detail", "get", "/api/v1/cases/{code}/", "case", INSPECTOR),
    Call(
        "cases-open",
        "post",
        "/api/v1/cases/open/",
        "case_source",
        INSPECTOR,
        201,
        body=lambda r, c: {"accident": c},
    ),
    Call(
        "cases-subjects",
        "post",
        "/api/v1/cases/{code}/subjects/",
        "case",
        INSPECTOR,
        201,
        body=const(
            {"track": "supervision", "reason": "参与违规审批", "types": ["approval"], "person": "p30"}
        ),
    ),
    Call(
        "cases-cause",
        "post",
        "/api/v1/cases/{code}/cause/",
        "case",
        INSPECTOR,
        body=const({"cause": "违章作业"}),
    ),
    Call(
        "cases-corrective-actions",
        "post",
        "/api/v1/cases/{code}/corrective-actions/",
        "case",
        INSPECTOR,
        201,
        body=const({"description": "全面排查塔吊", "responsible": "区住建局"}),
    ),
    Call(
        "cases-complete-action",
        "post",
        "/api/v1/cases/{code}/corrective-actions/{action_id}/complete/",
        "case",
        INSPECTOR,
        body=const({"done_on": "2024-04-01"}),
        prepare=cases_with_an_action,
    ),
    Call(
        "cases-education",
        "post",
        "/api/v1/cases/{code}/education/",
        "case",
        INSPECTOR,
        201,
        body=const({"held_on": "2024-04-02", "description": "警示教育大会", "participants": 120}),
    ),
    Call("cases-close", "post", "/api/v1/cases/{code}/close/", "case", INSPECTOR, prepare=cases_closable),
    Call(
        "cases-reopen",
        "post",
        "/api/v1/cases/{code}/reopen/",
        "case",
        INSPECTOR,
        body=const({"reason": "更正移交日期"}),
        prepare=cases_closed,
    ),
    Call("cases-export", "get", "/api/v1/cases/{code}/export/", "case", INSPECTOR),
    Call(
        "cases-conclusions",
        "post",
        "/api/v1/cases/{code}/conclusions/",
        "case",
        INSPECTOR,
        body=const({"lessons": "落实塔吊附着检查"}),
    ),
    Call(
        "cases-unit-problems",
        "post",
        "/api/v1/cases/{code}/unit-problems/",
        "case",
        INSPECTOR,
        None,
        body=const({}),
    ),
    Call(
        "cases-investigators",
        "post",
        "/api/v1/cases/{code}/investigators/",
        "case",
        INSPECTOR,
        None,
        body=const({}),
    ),
    Call(
        "cases-appraisal-periods",
        "post",
        "/api/v1/cases/{code}/appraisal-periods/",
        "case",
        INSPECTOR,
        None,
        body=const({}),
    ),
    Call(
        "cases-end-appraisal-period",
        "post",
        "/api/v1/cases/{code}/appraisal-periods/{period_id}/end/",
        "case",
        INSPECTOR,
        None,
        body=const({}),
        prepare=cases_with_a_period_and_a_handover,
    ),
    Call(
        "cases-investigation-period",
        "post",
        "/api/v1/cases/{code}/investigation-period/",
        "case",
        INSPECTOR,
        None,
        body=const({}),
    ),
    Call(
        "cases-handovers", "post", "/api/v1/cases/{code}/handovers/", "case", INSPECTOR, None, body=const({})
    ),
    Call(
        "cases-handover-decision",
        "post",
        "/api/v1/cases/{code}/handovers/{handover_id}/decisions/",
        "case",
        INSPECTOR,
        None,
        body=const({}),
        prepare=cases_with_a_period_and_a_handover,
    ),
    Call(
        "cases-withdraw-entry",
        "post",
        "/api/v1/cases/{code}/entries/handover/{handover_id}/withdraw/",
        "case",
        INSPECTOR,
        None,
        body=const({}),
        prepare=cases_with_a_period_and_a_handover,
    ),
    # records
    Call("records-list", "get", "/api/v1/records/", "case", INSPECTOR, probe="case"),
    Call("records-detail", "get", "/api/v1/records/{id}/", "case", INSPECTOR),
    Call(
        "records-finding",
        "post",
        "/api/v1/records/{id}/finding/",
        "case",
        INSPECTOR,
        201,
        body=const(
            {
                "finding": "responsible",
                "category": "leadership",
                "grounds": "未履行检查职责",
                "measures": MEASURES,
            }
        ),
    ),
    Call(
        "records-amend",
        "post",
        "/api/v1/records/{id}/amend/",
        "case",
        INSPECTOR,
        201,
        body=const({"finding": "exempt", "grounds": "已按规定履职", "reason": "复核后更正"}),
        prepare=cases_decided,
    ),
    Call("person-accountability", "get", "/api/v1/persons/{code}/accountability/", "person", INSPECTOR),
    # alerts: 安委办 and 纪检, and an enterprise its own Art 113 alerts
    Call("alerts-list", "get", "/api/v1/alerts/", "alert", INSPECTOR | ENTERPRISE, probe="search"),
    Call("alerts-detail", "get", "/api/v1/alerts/{code}/", "alert", INSPECTOR | ENTERPRISE),
    Call("alerts-handle", "post", "/api/v1/alerts/{code}/handle/", "alert", INSPECTOR, None, body=const({})),
    Call("alerts-close", "post", "/api/v1/alerts/{code}/close/", "alert", INSPECTOR, None, body=const({})),
    Call(
        "alerts-dismiss", "post", "/api/v1/alerts/{code}/dismiss/", "alert", INSPECTOR, None, body=const({})
    ),
    # findings against government units: the assigned unit rectifies, the issuer verifies
    Call("findings-list", "get", "/api/v1/findings/", "finding", OVERSIGHT, probe="search"),
    Call("findings-detail", "get", "/api/v1/findings/{code}/", "finding", OVERSIGHT),
    Call("findings-create", "post", "/api/v1/findings/", "none", REGULATOR, None, body=const({})),
    Call(
        "findings-rectify",
        "post",
        "/api/v1/findings/{code}/rectify/",
        "finding",
        REGULATOR,
        None,
        body=const({"step": "start"}),
    ),
    Call(
        "findings-verify",
        "post",
        "/api/v1/findings/{code}/verify/",
        "finding",
        REGULATOR,
        None,
        body=const({"decision": "close"}),
    ),
    # one's own reminders: every signed-in account, nothing of anyone else's to find
    Call("notifications-list", "get", "/api/v1/notifications/", "none", EVERYONE),
    Call("notifications-detail", "get", "/api/v1/notifications/0/", "none", EVERYONE, 404),
    Call("notifications-read", "post", "/api/v1/notifications/0/read/", "none", EVERYONE, 404),
    Call("notifications-read-all", "post", "/api/v1/notifications/read-all/", "none", EVERYONE),
    Call("notifications-unread-count", "get", "/api/v1/notifications/unread-count/", "none", EVERYONE),
]


def call(client, spec: Call, role: str, code: str) -> str:
    """One request inside a rolled-back savepoint; a list's 200 says whether the object showed."""
    params = path_params(spec.kind, code) if code else {}
    path = spec.path.format(**params)
    if spec.probe and code:
        path += f"?{spec.probe}={code}"
    kwargs = {}
    if spec.body is not None:
        kwargs = {"data": spec.body(role, code), "format": "multipart" if spec.multipart else "json"}
    with transaction.atomic():
        response = getattr(client, spec.method)(path, **kwargs)
        transaction.set_rollback(True)
    assert response.status_code < 500, (spec.name, role, response.content[:500])
    if spec.probe and response.status_code == 200:
        shown = response.json()["count"] > 0
        return f"200 {'shown' if shown else 'hidden'}"
    return str(response.status_code)
