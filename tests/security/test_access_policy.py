"""One access policy on both surfaces: every page and every API endpoint × every role × (inside, outside
scope), the status each gets as responsibility/access.py says, and the page and the API agreeing.

For a page and its API twin (the same area, action and object) the answers must fall in the same class:
- "login": the page redirects to the login page, the API answers 401 (anonymous);
- "403": the role lacks the action (`POLICY`);
- "404": the object is outside the role's scope (`visible`);
- "reached": the view itself answered (200/201/302, or 400/409 for the harmless body sent) — a list
  also says whether the object searched by its code showed ("shown"/"hidden").
Every request runs in a savepoint rolled back at once, so each cell starts from the same state. The
number of (surface, role, object, action) cases walked is printed at the end of the run (tests/conftest.py).
Every named URL pattern is walked or listed in EXCLUDED with its reason: a new page or endpoint fails here
until it is added.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse
from openpyxl import load_workbook

from accountability.models import Accident
from responsibility import access
from responsibility.models import Unit
from responsibility.permissions import Role
from tests.api import permission_calls as api
from tests.api.conftest import ROLES
from tests.security.page_calls import EXCLUDED, EXCLUDED_NAMESPACES, PAGES, Page

TALLY = "access policy: (surface, role, object, action) cases"

ROLE_OF = {
    "admin": Role.ADMIN,
    "inspector": Role.INSPECTOR,
    "regulator": Role.REGULATOR,
    "township": Role.REGULATOR,
    "enterprise": Role.ENTERPRISE,
    "enterprise2": Role.ENTERPRISE,
}

# The policy entry of each API call (its view's `action_roles` is filled from the same entry).
API_ACCESS: dict[str, tuple[str, str]] = {
    "me": ("me", "read"),
    "my-duties": ("own_duties", "read"),
    "coverage": ("coverage", "read"),
    "trace": ("trace", "read"),
    **{
        f"{kind}-{what}": ("reference", "read")
        for kind in ("regions", "sectors", "units", "positions", "people", "duties")
        for what in ("list", "detail")
    },
    "hazards-list": ("hazard", "read"),
    "hazards-detail": ("hazard", "read"),
    "hazards-evidence": ("hazard", "read"),
    "hazards-create": ("hazard", "report"),
    "hazards-start-rectification": ("hazard", "rectify"),
    "hazards-submit": ("hazard", "rectify"),
    "hazards-request-extension": ("hazard", "rectify"),
    "hazards-verify": ("hazard", "supervise"),
    "hazards-reject": ("hazard", "supervise"),
    "hazards-list-for-supervision": ("hazard", "supervise"),
    "hazards-decide-extension": ("hazard", "supervise"),
    "hazards-penalties": ("hazard", "supervise"),
    "accidents-list": ("accident", "read"),
    "accidents-detail": ("accident", "read"),
    "accidents-create": ("accident", "report"),
    "accidents-casualties": ("accident", "revise"),
    "cases-list": ("case", "read"),
    "cases-detail": ("case", "read"),
    "cases-export": ("case", "read"),
    "records-list": ("case", "read"),
    "records-detail": ("case", "read"),
    "person-accountability": ("case", "read"),
    **{
        call.name: ("case", "write")
        for call in api.CALLS
        if call.name.startswith(("cases-", "records-")) and call.method == "post"
    },
    **{call.name: ("account", "use") for call in api.CALLS if call.name.startswith("notifications-")},
    "alerts-list": ("alert", "read"),
    "alerts-detail": ("alert", "read"),
    "alerts-handle": ("alert", "handle"),
    "alerts-close": ("alert", "handle"),
    "alerts-dismiss": ("alert", "handle"),
    "findings-list": ("finding", "read"),
    "findings-detail": ("finding", "read"),
    "findings-create": ("finding", "issue"),
    "findings-rectify": ("finding", "rectify"),
    "findings-verify": ("finding", "verify"),
}
API_CALLS = {call.name: call for call in api.CALLS}


# ---- the requests ------------------------------------------------------------------------------------


def page_client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def page_url(spec: Page, code: str) -> str:
    kwargs = spec.kwargs(api.path_params(spec.kind, code)) if spec.kwargs else {}
    return reverse(spec.name, kwargs=kwargs)


def page_answer(client: Client, spec: Page, role: str, code: str) -> str:
    """The class of one page's answer (see the module docstring), inside a rolled-back savepoint."""
    url = page_url(spec, code)
    query = dict(spec.query(code)) if spec.query and code else {}
    if spec.probe and code:
        query["q"] = code
    with transaction.atomic():
        if spec.method == "get":
            response = client.get(url, query)
        else:
            response = client.post(url + (f"?{_urlencode(query)}" if query else ""), spec.body(role, code))
        transaction.set_rollback(True)
    status = response.status_code
    assert status < 500, (spec.name, role, code, response.content[:300])
    if status == 302 and response["Location"].startswith("/accounts/login/"):
        return "login"
    if status in (403, 404):
        return str(status)
    if spec.probe and status == 200:
        return "reached " + ("shown" if _page_shows(response, code) else "hidden")
    return "reached"


def _urlencode(query: dict) -> str:
    return urlencode(query)


def _page_shows(response, code: str) -> bool:
    context = response.context
    if context is None:  # a spreadsheet or JSON: the code is in the body or not
        if response.get("Content-Type", "").startswith("application/json"):
            return code in response.content.decode()
        return _sheet_has(response.content, code)
    return any(getattr(row, "code", None) == code for row in context["page"])


def _sheet_has(content: bytes, code: str) -> bool:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return any(code == cell for row in sheet.iter_rows(values_only=True) for cell in row)


def api_answer(client, spec: api.Call, role: str, code: str) -> str:
    return answer_class(api.call(client, spec, role, code))


def answer_class(got: str) -> str:
    """An API status ("200 shown" for a list) as the class compared with the pages."""
    if got == "401":
        return "login"
    if got in ("403", "404"):
        return got
    return "reached " + got.split()[1] if got.startswith("200 ") else "reached"


def _wanted(access_entry, role: str, scope: str, outside: str, probe: bool) -> str:
    if role == "anonymous":
        return "login"
    if ROLE_OF[role] not in access.roles(*access_entry):
        return "403"
    if probe:
        return "reached " + ("shown" if scope == "inside" else "hidden")
    return "reached" if scope == "inside" else outside


def want_page(spec: Page, role: str, scope: str) -> str:
    outside = "reached" if spec.form_search else spec.outside
    return _wanted(spec.access, role, scope, outside, spec.probe)


def want_api(spec: api.Call, role: str, scope: str) -> str:
    outside = "404" if spec.outside == 404 else "reached"
    if spec.ok == 404 and scope == "inside":  # nothing of the kind exists: one's own notification 0
        return "login" if role == "anonymous" else "404"
    return _wanted(API_ACCESS[spec.name], role, scope, outside, bool(spec.probe))


def cells(kind: str):
    """(role, scope, code) for each role and its object inside and outside scope (anonymous: e1's)."""
    for role in ROLES:
        inside, outside = api.scope_of(kind, role if role != "anonymous" else "enterprise")
        for scope, code in (("inside", inside), ("outside", outside)):
            if code is not None:
                yield role, scope, code


@pytest.fixture(scope="module")
def page_clients(shared_world):
    return {role: page_client(shared_world.users.get(role)) for role in ROLES}


# ---- the walk ----------------------------------------------------------------------------------------


def _page_id(spec: Page) -> str:
    return f"{spec.name.split(':')[-1]}-{spec.method}"


@pytest.mark.parametrize("spec", PAGES, ids=_page_id)
def test_each_page_answers_as_the_policy_says_and_as_its_api_twin(
    shared_world, page_clients, db, tried, spec
):
    if spec.prepare is not None:
        spec.prepare()
    twin = API_CALLS.get(spec.api) if spec.api else None
    if twin is not None and twin.prepare is not None:
        twin.prepare()
    got, want, differ = {}, {}, {}
    for role, scope, code in cells(spec.kind):
        got[("page", role, scope)] = page_answer(page_clients[role], spec, role, code)
        want[("page", role, scope)] = want_page(spec, role, scope)
        tried[TALLY] += 1
        twin_code = _twin_code(spec, twin, role, scope, code)
        if twin_code is None:
            continue
        twin_got = _api_cell(shared_world, twin, role, scope, twin_code, got, want)
        tried[TALLY] += 1
        if not _same_class(got[("page", role, scope)], twin_got, spec.probe and bool(twin.probe)):
            differ[(role, scope)] = (got[("page", role, scope)], twin_got)
    assert got == want
    assert differ == {}, "the page and the API disagree"


def _twin_code(spec: Page, twin, role: str, scope: str, code: str) -> str | None:
    """The twin's object for this cell: the same object (or none for an endpoint without one), else None."""
    if twin is None or (spec.form_search and scope == "outside"):
        return None
    twin_code = api.scope_of(twin.kind, role if role != "anonymous" else "enterprise")[scope == "outside"]
    if twin_code is None or (twin.kind != "none" and twin_code != code):
        return None
    return twin_code


def _api_cell(world, spec: api.Call, role: str, scope: str, code: str, got: dict, want: dict) -> str:
    """One API request: its class as the policy wants it, and inside scope the endpoint's own success status."""
    raw = api.call(world.clients[role], spec, role, code)
    got[("api", role, scope)] = answer_class(raw)
    want[("api", role, scope)] = want_api(spec, role, scope)
    if want[("api", role, scope)] == "reached" and scope == "inside" and spec.ok is not None:
        got[("api status", role, scope)], want[("api status", role, scope)] = raw, str(spec.ok)
    return got[("api", role, scope)]


def _same_class(page: str, api_: str, both_lists: bool) -> bool:
    if both_lists:
        return page == api_
    return page.split()[0] == api_.split()[0]


def _walked_with_a_page(call: api.Call) -> bool:
    """Every cell of this endpoint is requested by a page's test as its twin."""
    return any(
        spec.api == call.name and not spec.form_search and call.kind in (spec.kind, "none") for spec in PAGES
    )


API_ONLY = [call for call in api.CALLS if not _walked_with_a_page(call)]


@pytest.mark.parametrize("spec", API_ONLY, ids=lambda spec: spec.name)
def test_each_endpoint_answers_as_the_policy_says(shared_world, db, tried, spec):
    if spec.prepare is not None:
        spec.prepare()
    got, want = {}, {}
    for role, scope, code in cells(spec.kind):
        _api_cell(shared_world, spec, role, scope, code, got, want)
        tried[TALLY] += 1
    assert got == want


# ---- the table itself, and nothing left out -----------------------------------------------------------


def test_the_policy_grants_each_endpoint_the_roles_design_section_1_lists():
    """The policy against DESIGN §1 written out independently (each call's `roles`, by demo account)."""
    for spec in api.CALLS:
        allowed = {name for name, role in ROLE_OF.items() if role in access.roles(*API_ACCESS[spec.name])}
        assert allowed == spec.roles, spec.name


def test_the_api_views_take_their_roles_from_the_policy():
    for spec in api.CALLS:
        view = resolve(spec.path.format(code="X", id=1, **dict.fromkeys(_PATH_IDS, 1)).split("?")[0]).func
        action = (getattr(view, "actions", None) or {}).get(spec.method, spec.method)
        assert view.cls.action_roles[action] == access.roles(*API_ACCESS[spec.name]), spec.name


_PATH_IDS = ("transition_id", "action_id", "period_id", "handover_id", "member_id")


def _named_patterns(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in EXCLUDED_NAMESPACES:
                continue
            inner = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _named_patterns(pattern.url_patterns, inner)
        elif pattern.name:
            yield prefix + pattern.name


def test_every_page_and_endpoint_is_walked_or_excluded_with_a_reason():
    walked = {spec.name for spec in PAGES}
    for spec in api.CALLS:
        path = spec.path.format(code="X", id=1, **dict.fromkeys(_PATH_IDS, 1)).split("?")[0]
        walked.add(resolve(path).view_name)
    every = set(_named_patterns(get_resolver().url_patterns))
    excluded = {name for name in every if name.split(":")[-1] in EXCLUDED}
    assert every - walked - excluded == set()
    assert walked - every == set()


def test_every_page_view_asks_the_policy():
    for spec in PAGES:
        view = resolve(reverse(spec.name, kwargs=_sample_kwargs(spec))).func
        checked = getattr(view, "access", None) or getattr(getattr(view, "__wrapped__", None), "access", None)
        assert checked in (spec.access, ("case", "read")), spec.name  # record_detail: read, POST writes


def _sample_kwargs(spec: Page) -> dict:
    if spec.kwargs is None:
        return {}
    return spec.kwargs({"code": "X", "id": 1, **dict.fromkeys(_PATH_IDS, 1)})


# ---- the admin: 安委办 staff only ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "staff", "admitted"),
    [
        ("admin", True, True),
        ("inspector", True, False),  # a scoped role never reaches the unscoped admin, even as staff
        ("regulator", True, False),
        ("enterprise", True, False),
        ("inspector", False, False),
    ],
)
def test_only_staff_without_a_scoped_role_reach_the_admin(shared_world, db, username, staff, admitted):
    user = shared_world.users[username]
    User.objects.filter(pk=user.pk).update(is_staff=staff)
    client = page_client(User.objects.get(pk=user.pk))
    response = client.get("/admin/responsibility/unit/")
    assert (response.status_code == 200) is admitted
    assert access.may_use_admin(User.objects.get(pk=user.pk)) is admitted


def test_an_enterprise_reads_its_own_accidents_and_their_trace_on_both_surfaces(
    shared_world, page_clients, db
):
    """DESIGN §1: its accidents, and the trace of its own events with its own links and the supervision track."""
    client = shared_world.clients["enterprise"]
    assert client.get("/api/v1/accidents/A0226/").status_code == 200
    assert page_clients["enterprise"].get("/accidents/A0226/").status_code == 200
    e1 = Unit.objects.get(code="e1")
    trace = client.get("/api/v1/trace/", {"accident": "A0226"}).json()
    page = page_clients["enterprise"].get("/trace/json/", {"accident": "A0226"}).json()
    for body in (trace, page):
        assert body["links"]
        assert all(
            link["track"] == "supervision" or link.get("enterprise") in (None, e1.code)
            for link in body["links"]
        ), body["links"]
    assert Accident.objects.get(code="A0226").enterprise_id == e1.pk
    # Cases: 403 on both surfaces.
    assert client.get("/api/v1/cases/").status_code == 403
    assert page_clients["enterprise"].get("/cases/").status_code == 403
