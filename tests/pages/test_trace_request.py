"""One trace request (accountability/tracing.py) behind the command, the API and the page: the same
answer, and the same refusal naming the same field, on every surface."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accountability.tracing import TraceRefused, TraceRequest, resolve
from responsibility.permissions import visibility_for

TRACE = reverse("accountability:trace")
TRACE_JSON = reverse("accountability:trace_json")
API = "/api/v1/trace/"


def _command(params: dict) -> dict:
    out = StringIO()
    args = [f"--{k.replace('_', '-')}={v}" for k, v in params.items()]
    call_command("trace", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    "params",
    [
        {"accident": "A0226"},
        {"hazard": "H1"},
        {
            "enterprise": "e1",
            "sector": "housing",
            "date": "2024-02-26",
            "unit": "e1_rebar",
            "post": "e1_crane",
        },
    ],
)
def test_the_command_the_api_and_the_page_give_the_same_json(login, params):
    admin = login("admin")
    want = _command(params)
    assert admin.get(API, params).json() == want
    assert admin.get(TRACE_JSON, params).json() == want


@pytest.mark.parametrize(
    "params, field, page_field",
    [
        ({"enterprise": "e1", "sector": "housing"}, "date", "date"),
        ({"enterprise": "e1", "sector": "housing", "date": "2024-02-26", "post": "nope"}, "post", "post"),
        ({"enterprise": "e1", "sector": "housing", "date": "2024-02-26", "unit": "e2_gm"}, "unit", "unit"),
        (
            {"enterprise": "e1", "sector": "housing", "date": "2024-02-26", "since": "2024-03-01"},
            "since",
            "since",
        ),
        ({"accident": "A0226", "post": "e1_crane"}, "unit", "unit"),
        ({"accident": "A0226", "hazard": "H1"}, "accident", "accident"),
    ],
)
def test_a_bad_request_is_refused_on_every_surface_naming_the_same_field(login, params, field, page_field):
    admin = login("admin")
    with pytest.raises(CommandError, match=f"--{field}:"):
        _command(params)
    api = admin.get(API, params)
    assert api.status_code == 400 and field in api.json()
    page = admin.get(TRACE_JSON, params)
    assert page.status_code == 400 and page_field in page.json()["errors"]


def test_a_code_outside_scope_reads_as_unknown_with_one_message(demo_users, django_user_model):
    other = visibility_for(django_user_model.objects.get(username="enterprise2"))
    refusals = []
    for code in ("A0226", "A9999"):
        with pytest.raises(TraceRefused) as refused:
            resolve(TraceRequest(accident=code), other)
        refusals.append(refused.value)
    assert all(r.unknown_subject for r in refusals)
    assert [r.errors for r in refusals] == [
        {"accident": "“A0226”不存在或不在您的查看范围内"},
        {"accident": "“A9999”不存在或不在您的查看范围内"},
    ]
