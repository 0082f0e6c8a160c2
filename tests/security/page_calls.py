"""Every page as a call: its URL name, the object kind it acts on, its (area, action) in the access policy,
and its API twin (the endpoint answering the same area, action and object). Walked by test_access_policy.py.

Also the named URL patterns left out of the walk, each with its reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from accountability.models import Hazard
from tests.api import permission_calls as api

# ---- the pages ---------------------------------------------------------------------------------------


def _code(params):
    return {"code": params["code"]}


def _hazard_evidence(params):
    return {"code": params["code"], "pk": params["transition_id"]}


def _case_action(params):
    return {"code": params["code"], "pk": params["action_id"]}


def _case_period(params):
    return {"code": params["code"], "pk": params["period_id"]}


def _case_handover(params):
    return {"code": params["code"], "pk": params["handover_id"]}


def _case_member(params):
    return {"code": params["code"], "pk": params["member_id"]}


def _case_handover_entry(params):
    return {"code": params["code"], "kind": "handover", "pk": params["handover_id"]}


def _record(params):
    return {"code": params["code"], "pk": params["id"]}


def _hazard_report(role, code):
    hazard = Hazard.objects.get(code=code)
    today = dt.date.today()
    return {
        "enterprise": hazard.enterprise.code,
        "sector": hazard.sector.code,
        "level": "general",
        "source": "self_check",
        "title": "脚手架连墙件缺失",
        "found_on": today.isoformat(),
        "deadline": (today + dt.timedelta(days=15)).isoformat(),
    }


def _empty(role, code):
    return {}


@dataclass(frozen=True)
class Page:
    name: str  # the URL pattern's name
    method: str
    kind: str  # the object kind (tests/api/permission_calls.py SCOPES)
    access: tuple[str, str]
    api: str | None = None  # the API call answering the same (area, action, object)
    kwargs: Callable | None = None  # path parameters from `path_params`
    query: Callable | None = None  # GET parameters from the code
    body: Callable | None = _empty  # a POST's body (role, code)
    prepare: Callable | None = None
    probe: bool = False  # a list: searched by the code (?q=), the object shown or hidden
    outside: str = "404"  # what the page answers for an object outside scope
    form_search: bool = False  # DESIGN §1: a code typed into a search form outside scope is a form error


P = Page
CASE_WRITE = ("case", "write")
PAGES = [
    P("accountability:home", "get", "none", ("account", "use")),
    P("accountability:dashboard", "get", "none", ("dashboard", "read")),
    P(
        "accountability:trace",
        "get",
        "traced_accident",
        ("trace", "read"),
        "trace",
        query=lambda c: {"accident": c},
        form_search=True,
    ),
    P(
        "accountability:trace_json",
        "get",
        "traced_accident",
        ("trace", "read"),
        "trace",
        query=lambda c: {"accident": c},
        form_search=True,
    ),
    P("accountability:accident_list", "get", "accident", ("accident", "read"), "accidents-list", probe=True),
    P(
        "accountability:accident_ledger",
        "get",
        "accident",
        ("accident", "read"),
        "accidents-list",
        probe=True,
    ),
    P("accountability:accident_detail", "get", "accident", ("accident", "read"), "accidents-detail", _code),
    P("accountability:hazard_list", "get", "hazard", ("hazard", "read"), "hazards-list", probe=True),
    P("accountability:hazard_ledger", "get", "hazard", ("hazard", "read"), "hazards-list", probe=True),
    P(
        "accountability:hazard_report",
        "post",
        "hazard",
        ("hazard", "report"),
        "hazards-create",
        body=_hazard_report,
        outside="reached",  # another enterprise's code is the form's error, as on the API (400)
    ),
    P("accountability:hazard_detail", "get", "hazard", ("hazard", "read"), "hazards-detail", _code),
    *(
        P(f"accountability:{name}", "post", "hazard", ("hazard", action), call, _code, prepare=prepare)
        for name, action, call, prepare in [
            ("hazard_plan", "rectify", "hazards-start-rectification", api.hazards_in("reported")),
            ("hazard_submit", "rectify", "hazards-submit", api.hazards_in("rectifying")),
            (
                "hazard_request_extension",
                "rectify",
                "hazards-request-extension",
                api.hazards_in("rectifying"),
            ),
            ("hazard_verify", "supervise", "hazards-verify", api.hazards_in("submitted")),
            ("hazard_reject", "supervise", "hazards-reject", api.hazards_in("submitted")),
            ("hazard_listing", "supervise", "hazards-list-for-supervision", None),
            (
                "hazard_decide_extension",
                "supervise",
                "hazards-decide-extension",
                api.hazards_with_pending_extension,
            ),
        ]
    ),
    P(
        "accountability:hazard_evidence",
        "get",
        "hazard",
        ("hazard", "read"),
        "hazards-evidence",
        _hazard_evidence,
        prepare=api.hazards_with_evidence,
    ),
    P("accountability:enterprise_list", "get", "unit", ("reference", "read"), "units-list", probe=True),
    P("accountability:enterprise_detail", "get", "unit", ("reference", "read"), "units-detail", _code),
    P("accountability:unit_list", "get", "unit", ("reference", "read"), "units-list", probe=True),
    P("accountability:unit_detail", "get", "unit", ("reference", "read"), "units-detail", _code),
    P("accountability:person_list", "get", "person", ("reference", "read"), "people-list", probe=True),
    P("accountability:person_detail", "get", "person", ("reference", "read"), "people-detail", _code),
    P("lookup", "get", "unit", ("reference", "read"), "units-list", lambda p: {"kind": "units"}, probe=True),
    P("accountability:case_list", "get", "case", ("case", "read"), "cases-list", probe=True),
    P(
        "accountability:case_open",
        "post",
        "case_source",
        CASE_WRITE,
        "cases-open",
        body=lambda role, code: {"accident": code},
    ),
    P("accountability:case_workbench", "get", "case", ("case", "read"), "cases-detail", _code),
    P("accountability:case_cause", "post", "case", CASE_WRITE, "cases-cause", _code),
    P("accountability:case_action_add", "post", "case", CASE_WRITE, "cases-corrective-actions", _code),
    P(
        "accountability:case_action_done",
        "post",
        "case",
        CASE_WRITE,
        "cases-complete-action",
        _case_action,
        prepare=api.cases_with_an_action,
    ),
    P("accountability:case_education", "post", "case", CASE_WRITE, "cases-education", _code),
    P("accountability:case_add_subject", "post", "case", CASE_WRITE, "cases-subjects", _code),
    P("accountability:case_close", "post", "case", CASE_WRITE, "cases-close", _code),
    P(
        "accountability:case_reopen",
        "post",
        "case",
        CASE_WRITE,
        "cases-reopen",
        _code,
        body=lambda role, code: {"reason": "更正移交日期"},
        prepare=api.cases_closed,
    ),
    P("accountability:case_nature_causes", "post", "case", CASE_WRITE, "cases-conclusions", _code),
    P("accountability:case_course", "post", "case", CASE_WRITE, "cases-conclusions", _code),
    P("accountability:case_lessons", "post", "case", CASE_WRITE, "cases-conclusions", _code),
    P("accountability:case_unit_problems", "post", "case", CASE_WRITE, "cases-unit-problems", _code),
    P("accountability:case_appraisal_add", "post", "case", CASE_WRITE, "cases-appraisal-periods", _code),
    P(
        "accountability:case_appraisal_end",
        "post",
        "case",
        CASE_WRITE,
        "cases-end-appraisal-period",
        _case_period,
        prepare=api.cases_with_a_period_and_a_handover,
    ),
    P("accountability:case_handover", "post", "case", CASE_WRITE, "cases-handovers", _code),
    P(
        "accountability:case_handover_decision",
        "post",
        "case",
        CASE_WRITE,
        "cases-handover-decision",
        _case_handover,
        prepare=api.cases_with_a_period_and_a_handover,
    ),
    P(
        "accountability:case_entry_withdraw",
        "post",
        "case",
        CASE_WRITE,
        "cases-withdraw-entry",
        _case_handover_entry,
        prepare=api.cases_with_a_period_and_a_handover,
    ),
    P("accountability:case_review", "post", "case", CASE_WRITE, None, _code),
    P("accountability:case_report_dates", "post", "case", CASE_WRITE, None, _code),
    P("accountability:case_team_lead", "post", "case", CASE_WRITE, None, _code),
    P(
        "accountability:case_team_withdraw",
        "post",
        "case",
        CASE_WRITE,
        None,
        _case_member,
        prepare=api.cases_with_a_team_member,
    ),
    P("accountability:case_investigator", "post", "case", CASE_WRITE, "cases-investigators", _code),
    P(
        "accountability:case_investigation_period",
        "post",
        "case",
        CASE_WRITE,
        "cases-investigation-period",
        _code,
    ),
    P("accountability:record_detail", "get", "case", ("case", "read"), "records-detail", _record),
    P("accountability:record_detail", "post", "case", CASE_WRITE, "records-finding", _record),
    P("accountability:case_report", "get", "case", ("case", "read"), "cases-export", _code),
    P("accountability:case_report_docx", "get", "case", ("case", "read"), "cases-export", _code),
    # issue 28: alerts and government findings
    P("accountability:alert_list", "get", "alert", ("alert", "read"), "alerts-list", probe=True),
    P("accountability:alert_export", "get", "none", ("alert", "read")),
    P("accountability:alert_detail", "get", "alert", ("alert", "read"), "alerts-detail", _code),
    P("accountability:alert_handle", "post", "alert", ("alert", "handle"), "alerts-handle", _code),
    P("accountability:alert_close", "post", "alert", ("alert", "handle"), "alerts-close", _code),
    P("accountability:alert_dismiss", "post", "alert", ("alert", "handle"), "alerts-dismiss", _code),
    P("accountability:finding_list", "get", "finding", ("finding", "read"), "findings-list", probe=True),
    P("accountability:finding_issue", "post", "none", ("finding", "issue"), "findings-create"),
    P("accountability:finding_detail", "get", "finding", ("finding", "read"), "findings-detail", _code),
    P(
        "accountability:finding_rectify",
        "post",
        "finding",
        ("finding", "rectify"),
        "findings-rectify",
        _code,
        body=lambda role, code: {"step": "start"},
    ),
    P(
        "accountability:finding_verify",
        "post",
        "finding",
        ("finding", "verify"),
        "findings-verify",
        _code,
        body=lambda role, code: {"decision": "close"},
    ),
    P("accountability:case_closing", "get", "case", ("case", "read"), "cases-export", _code),
    P("accountability:case_closing_docx", "get", "case", ("case", "read"), "cases-export", _code),
    P("accountability:notification_list", "get", "none", ("account", "use"), "notifications-list"),
    P("accountability:notification_mark_read", "post", "none", ("account", "use"), "notifications-read-all"),
    P("accounts:api_keys", "get", "none", ("account", "use")),
    P("accounts:revoke_key", "post", "none", ("account", "use")),
    P(
        "responsibility:matrix",
        "get",
        "region",
        ("matrix", "read"),
        "coverage",
        query=lambda c: {"region": c, "date": "2024-02-26", "track": "supervision"},
    ),
    P("responsibility:workbook_export", "get", "none", ("matrix", "edit")),
    P("responsibility:workbook_import", "post", "none", ("matrix", "edit")),
]

# Named patterns not walked here, each with its reason.
EXCLUDED = {
    "login": "sign-in itself: open to everyone",
    "logout": "sign-out: no object, no role",
    "password_change": "Django's own view: one's own password, login required",
    "password_change_done": "Django's own view: one's own password, login required",
    "auth-token": "the API's sign-in (username and password for a key): open to everyone",
    "schema": "the OpenAPI schema: DocsAccess (public while developing, login in production), no data",
    "swagger-ui": "the API docs: DocsAccess, no data",
    "redoc": "the API docs: DocsAccess, no data",
    "healthz": "the load balancer's liveness check: no login, no data (config/health.py)",
    "favicon": "the site's icon: a redirect to a public static file, no data",
    "readyz": "the load balancer's readiness check: no login, names only the failed check",
}
EXCLUDED_NAMESPACES = {
    "admin": "the admin site: `access.may_use_admin` (tested below), Django model permissions"
}
