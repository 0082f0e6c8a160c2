"""Issue 23: no page POST answers 500, whatever a field holds. Every POST page of tests/security/page_calls.py
is found as the form its page shows (parsed from the HTML, so a new field is walked without listing it
here); each field in turn gets a NUL, integers past 2³¹ and 2⁶³, and digits that are not ASCII ("²",
"١٢", "１２"), the other fields keeping the values the page filled in. The answer is a form error (400), a
redirect or a success, never a 500."""

from __future__ import annotations

from urllib.parse import urlsplit

import lxml.html
import pytest
from django import forms
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accountability.models import Notification
from accounts.services import issue_api_key
from tests.api import permission_calls as api
from tests.security.page_calls import PAGES

BAD_VALUES = [
    "a\x00b",
    str(2**31),
    "-" + "9" * 40,
    "²",
    "１２",  # full-width digits
]
POSTS = [spec for spec in PAGES if spec.method == "post"]
# Fields a view reads though no form of its page shows them (the mark-read page's own id list, say).
FIELDLESS = {"accountability:case_close", "accountability:alert_close"}  # a button, no field to spoil
EXTRA_FIELDS = {"accountability:notification_mark_read": ["id"], "responsibility:workbook_import": ["digest"]}


def _url(spec, code: str) -> str:
    kwargs = spec.kwargs(api.path_params(spec.kind, code)) if spec.kwargs else {}
    return reverse(spec.name, kwargs=kwargs)


def _hosts(spec, code: str, url: str) -> list[str]:
    """The pages that may show the form posting to `url`: the URL itself, the object's page."""
    hosts = [url]
    if spec.kind == "hazard":
        hosts.append(reverse("accountability:hazard_detail", args=[code]))
    elif spec.kind == "case":
        hosts.append(reverse("accountability:case_workbench", args=[code]))
    elif spec.kind == "case_source":
        hosts.append(reverse("accountability:accident_detail", args=[code]))
    elif spec.kind in ("alert", "finding"):
        hosts.append(reverse(f"accountability:{spec.kind}_detail", args=[code]))
    else:
        hosts += [reverse("accountability:notification_list"), reverse("accounts:api_keys")]
    return hosts


def _forms(client: Client, hosts: list[str], url: str) -> list[dict[str, str | list[str]]]:
    """The default values of each form posting to `url` on the host pages (as a browser would send them)."""
    found = []
    for host in hosts:
        response = client.get(host)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        doc = lxml.html.fromstring(response.content.decode())
        for form in doc.forms:
            if (form.get("method") or "get").lower() != "post":
                continue
            action = urlsplit(form.get("action") or host).path
            if action != url:
                continue
            values: dict[str, list[str]] = {}
            for name, value in form.form_values():
                values.setdefault(name, []).append(value)
            for element in form.inputs:  # fields left empty or unchecked are walked too
                name = element.get("name")
                if name and element.get("type") != "file":
                    values.setdefault(name, [])
            values.pop("csrfmiddlewaretoken", None)
            found.append(values)
        if found:
            break
    return found


def _bound_forms(client: Client, url: str, body: dict) -> list[forms.BaseForm]:
    """The forms the view bound to a POST of `body` (shown again with their errors)."""
    with transaction.atomic():
        response = client.post(url, body)
        transaction.set_rollback(True)
    contexts = response.context if isinstance(response.context, list) else [response.context]
    values = [v for c in contexts if c is not None for d in c.dicts for v in d.values()]
    return [v for v in values if isinstance(v, forms.BaseForm) and v.is_bound]


def _valid_value(field: forms.Field) -> list[str]:
    """A value the field itself accepts, so that a bad value in another field reaches the view's code."""
    if isinstance(field, forms.BooleanField):
        return ["on"]
    if isinstance(field, forms.DateField):
        return [timezone.localdate().isoformat()]
    if isinstance(field, forms.IntegerField | forms.DecimalField):
        return [str(max(field.min_value or 0, min(field.max_value or 1, 1)))]
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        choices = [str(v) for v, _label in field.choices if str(v)]
        return choices[:1]
    if isinstance(field, forms.FileField):
        return []
    return ["核查"]


def _with_valid_defaults(client: Client, url: str, shown: dict, body: dict) -> dict:
    """The page's own values where it fills them in, else a value each field of the view's form accepts."""
    values = {name: list(v) if isinstance(v, list) else [v] for name, v in body.items()}
    for form in _bound_forms(client, url, {**body, **shown}):
        for name, field in form.fields.items():
            values.setdefault(form.add_prefix(name), _valid_value(field))
    for name, v in shown.items():
        if any(x.strip() for x in v) or name not in values:
            values[name] = v
    return values


@pytest.fixture
def admin_client(world):
    client = Client(raise_request_exception=False)  # a server error is an answer to count, not a crash
    client.force_login(world.users["admin"])
    return client


def _prepare(spec, world):
    if spec.prepare:
        spec.prepare()
    if spec.name == "accountability:notification_mark_read":
        Notification.objects.create(user=world.users["admin"], title="整改期限将至", body="HZ1")
    if spec.name == "accounts:revoke_key":
        issue_api_key(user=world.users["admin"], via="test", name="排班脚本")


@pytest.mark.parametrize("spec", POSTS, ids=[f"{spec.name}" for spec in POSTS])
def test_a_page_post_with_odd_values_in_any_field_is_never_a_server_error(world, admin_client, spec, tried):
    code = api.scope_of(spec.kind, "admin")[0]
    with transaction.atomic():
        _prepare(spec, world)
        url = _url(spec, code)
        shown = _forms(admin_client, _hosts(spec, code, url), url) or [{}]  # {}: not shown in this state
        bodies = [_with_valid_defaults(admin_client, url, f, spec.body("admin", code)) for f in shown]
        failures = []
        for defaults in bodies:
            fields = list(defaults) + EXTRA_FIELDS.get(spec.name, [])
            assert fields or spec.name in FIELDLESS, (spec.name, "no field found")
            for field in fields:
                for bad in BAD_VALUES:
                    body = {**defaults, field: bad}
                    with transaction.atomic():
                        response = admin_client.post(url, body)
                        transaction.set_rollback(True)
                    tried["pages: odd values in form fields"] += 1
                    if response.status_code >= 500:
                        failures.append((field, bad, response.status_code))
        transaction.set_rollback(True)
    assert failures == [], (spec.name, failures)
