"""The load test's users (locust): the plan written by drills/load_setup.py names their accounts and targets.

- EnterpriseUser (API key): its duties, its hazards, and rectifications — start, then submit with a PNG;
- InspectorUser (signed in): traces of its county's accidents, case workbenches, and case work (cause,
  corrective actions) through the API;
- RegulatorUser (signed in): the hazard list page, hazards through the API, and verifying submitted ones;
- AdminUser (安委办, signed in): the matrix of a county, and editing a duty's 依据 in the admin.

A 409/400 answer to a state change that another user made first counts as a success (the product said
no, correctly); every 5xx, timeout or other status is a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from locust import HttpUser, between, events, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo, for its well-formed test files
from tests.evidence_files import png  # noqa: E402

with open(os.environ["LOAD_PLAN"], encoding="utf-8") as _plan:
    PLAN = json.load(_plan)
PNG = png("locust " * 400)  # a well-formed PNG of about 3 KB: uploads are checked by their structure
_counters = {role: itertools.count() for role in ("enterprise", "inspector", "regulator", "admin")}


# The fault drill reads every user's answers, not only its probe's: when each answer came (a request in
# flight when a fault began is answered in that fault's window) and its status (0: none — a refused
# connection or a timeout), one line each.
_STATUS_PATH = os.environ.get("LOAD_STATUS_LOG")
_STATUS_LOG = open(_STATUS_PATH, "a", buffering=1) if _STATUS_PATH else None  # noqa: SIM115


@events.request.add_listener
def _log_status(request_type, name, response, exception, start_time=None, response_time=0, **_kw):
    if _STATUS_LOG is not None:
        status = getattr(response, "status_code", 0) or 0
        answered = (start_time or 0) + (response_time or 0) / 1000
        _STATUS_LOG.write(f"{answered:.3f} {status} {request_type} {name}\n")


def _pick(role: str) -> dict:
    entries = PLAN[role]
    return entries[next(_counters[role]) % len(entries)]


def _ok(response, *statuses: int) -> None:
    if response.status_code in statuses:
        response.success()
    else:
        response.failure(f"{response.status_code}: {response.text[:200]}")


class _Signed(HttpUser):
    abstract = True
    role = ""
    wait_time = between(1, 3)
    # A request unanswered for a minute is a timeout (a failure), not a user stuck for the rest of the run.
    network_timeout = 60.0
    connection_timeout = 10.0

    def on_start(self):
        if not PLAN[self.role]:
            raise StopUser  # the province has no such account (too small to have that role's targets)
        self.me = _pick(self.role)
        self.api = {"Authorization": f"Token {self.me['token']}"}
        if "username" in self.me:
            self.client.get("/accounts/login/", name="login page")
            csrf = self.client.cookies.get("csrftoken", "")
            with self.client.post(
                "/accounts/login/",
                {"username": self.me["username"], "password": PLAN["password"], "csrfmiddlewaretoken": csrf},
                name="login",
                allow_redirects=False,
                catch_response=True,
            ) as response:
                _ok(response, 302)


class EnterpriseUser(_Signed):
    role = "enterprise"
    weight = 5

    @task(3)
    def duties(self):
        self.client.get(
            f"/api/v1/my/duties/?enterprise={self.me['enterprise']}", headers=self.api, name="api: my duties"
        )

    @task(3)
    def hazards(self):
        self.client.get("/api/v1/hazards/", headers=self.api, name="api: hazards list")

    @task(1)
    def rectify(self):
        if not self.me["hazards"]:
            return
        code = random.choice(self.me["hazards"])
        with self.client.get(
            f"/api/v1/hazards/{code}/", headers=self.api, name="api: hazard", catch_response=True
        ) as r:
            _ok(r, 200)
            state = r.json().get("state") if r.status_code == 200 else None
        if state == "reported":
            with self.client.post(
                f"/api/v1/hazards/{code}/start-rectification/",
                json={"note": "开始整改"},
                headers=self.api,
                name="api: start rectification",
                catch_response=True,
            ) as r:
                _ok(r, 200, 409)
        elif state == "rectifying":
            with self.client.post(
                f"/api/v1/hazards/{code}/submit/",
                data={"note": "整改完成"},
                files={"evidence": (f"{code}.png", PNG, "image/png")},
                headers=self.api,
                name="api: submit rectification + evidence",
                catch_response=True,
            ) as r:
                _ok(r, 200, 409)


class InspectorUser(_Signed):
    role = "inspector"
    weight = 2

    @task(3)
    def trace(self):
        if self.me["accidents"]:
            code = random.choice(self.me["accidents"])
            self.client.get(f"/trace/json/?accident={code}", name="page: trace (json)")

    @task(2)
    def workbench(self):
        if self.me["cases"]:
            self.client.get(f"/cases/{random.choice(self.me['cases'])}/", name="page: case workbench")

    @task(1)
    def cases(self):
        self.client.get("/cases/", name="page: case list")

    @task(1)
    def work(self):
        if self.me["cases"]:
            code = random.choice(self.me["cases"])
            with self.client.post(
                f"/api/v1/cases/{code}/corrective-actions/",
                json={"description": "全面排查同类隐患", "responsible": "县应急管理局"},
                headers=self.api,
                name="api: case corrective action",
                catch_response=True,
            ) as r:
                _ok(r, 201, 409)


class RegulatorUser(_Signed):
    role = "regulator"
    weight = 2

    @task(2)
    def hazard_page(self):
        self.client.get("/hazards/", name="page: hazard list")

    @task(2)
    def submitted(self):
        with self.client.get(
            "/api/v1/hazards/?state=submitted",
            headers=self.api,
            name="api: submitted hazards",
            catch_response=True,
        ) as r:
            _ok(r, 200)
            self.waiting = [h["code"] for h in r.json().get("results", [])] if r.status_code == 200 else []

    @task(1)
    def verify(self):
        waiting = getattr(self, "waiting", [])
        if not waiting:
            return
        code = waiting.pop(random.randrange(len(waiting)))
        with self.client.post(
            f"/api/v1/hazards/{code}/verify/",
            json={"note": "现场核查合格"},
            headers=self.api,
            name="api: verify hazard",
            catch_response=True,
        ) as r:
            _ok(r, 200, 400, 404, 409)


class _Form(HTMLParser):
    """The fields of the admin's change form, as a browser would post them back."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.fields and self.fields[-1][0] == self._textarea:
            self.fields[-1] = (self._textarea, self.fields[-1][1] + data)


class AdminUser(_Signed):
    role = "admin"
    weight = 1

    @task(2)
    def matrix(self):
        self.client.get(f"/matrix/?region={random.choice(self.me['regions'])}", name="page: matrix")

    @task(1)
    def edit_duty(self):
        duty = random.choice(self.me["duties"])
        url = f"/admin/responsibility/duty/{duty}/change/"
        page = self.client.get(url, name="admin: duty form")
        if page.status_code != 200:
            return
        form = _Form()
        form.feed(page.text)
        fields = [(k, v) for k, v in form.fields if k != "basis"]
        basis = re.sub(r"（负载测试 \d+）$", "", dict(form.fields).get("basis", "").strip())
        fields.append(("basis", f"{basis}（负载测试 {random.randrange(1000)}）"))
        with self.client.post(
            url, fields, name="admin: edit duty", allow_redirects=False, catch_response=True
        ) as r:
            _ok(r, 302)


if os.environ.get("LOAD_ALONE"):  # each request type alone: one user of each role, nothing else
    for _cls in (EnterpriseUser, InspectorUser, RegulatorUser, AdminUser):
        _cls.fixed_count = 1
    del _cls  # locust takes every user class a module name holds
