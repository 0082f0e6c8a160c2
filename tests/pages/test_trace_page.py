"""The trace page: both tracks from the post up, vacancies in red, the same chain as JSON, scope, queries."""

import json
from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accountability.models import Accident
from responsibility.models import Duty, Person, Position, Tenure

TRACE = reverse("accountability:trace")
TRACE_JSON = reverse("accountability:trace_json")


def _card(html: str, position_code: str) -> str:
    start = html.index(f'data-position="{position_code}"')
    return html[start : html.index("</div>\n</div>", start)]


def test_it_shows_the_vacant_street_director_and_the_deputy_head_of_that_day(inspector):
    response = inspector.get(TRACE, {"accident": "A0226"})
    assert response.status_code == 200
    html = response.content.decode()
    director = _card(html, "t1_head")
    assert "街道办事处主任" in director and 'class="person vacant">空缺' in director
    deputy = _card(html, "d_vhead_build")
    assert "赵志强" in deputy and "孙明" not in deputy
    assert "一岗双责（分管领导责任）" in deputy
    assert "主体责任（企业）" in html and "监管责任" in html


def test_it_orders_each_track_from_the_highest_level_down_to_the_post(inspector):
    html = inspector.get(TRACE, {"accident": "A0226"}).content.decode()
    enterprise = html[html.index('id="track-enterprise"') : html.index('id="track-supervision"')]
    assert enterprise.index('data-position="e1_chair"') < enterprise.index('data-position="e1_crane"')
    supervision = html[html.index('id="track-supervision"') :]
    assert supervision.index('data-level="county"') < supervision.index('data-level="township"')


def test_its_json_is_the_trace_command_output(inspector):
    out = StringIO()
    call_command("trace", "--accident", "A0318", "--json", stdout=out)
    response = inspector.get(TRACE_JSON, {"accident": "A0318"})
    assert response.status_code == 200
    assert response.json() == json.loads(out.getvalue())


def test_it_traces_an_enterprise_by_sector_date_and_grade(inspector):
    params = {"enterprise": "e1", "sector": "housing", "date": "2024-02-26", "grade": "general"}
    params |= {"unit": "e1_rebar", "post": "e1_crane"}
    out = StringIO()
    call_command("trace", *[f"--{k}={v}" for k, v in params.items()], "--json", stdout=out)
    assert inspector.get(TRACE_JSON, params).json() == json.loads(out.getvalue())
    html = inspector.get(TRACE, params).content.decode()
    assert 'data-position="e1_crane"' in html and "空缺" in html


def test_a_bad_request_shows_the_field_error_not_a_crash(inspector):
    response = inspector.get(TRACE, {"enterprise": "e1", "sector": "housing"})
    assert response.status_code == 200
    assert "按企业追溯须选择日期" in response.content.decode()
    response = inspector.get(
        TRACE, {"enterprise": "e1", "sector": "housing", "date": "2024-02-26", "post": "nope"}
    )
    assert response.status_code == 200 and "“nope”不存在或不在您的查看范围内" in response.content.decode()
    assert inspector.get(TRACE_JSON, {"enterprise": "e1"}).status_code == 400


def test_an_event_outside_the_users_scope_is_the_same_form_error_as_an_unknown_one(login):
    # DESIGN §1: a code typed into a form never reveals whether it exists outside one's scope.
    other = login("enterprise2")
    outside = other.get(TRACE, {"accident": "A0226"})
    unknown = other.get(TRACE, {"accident": "A9999"})
    assert outside.status_code == unknown.status_code == 200
    assert "“A0226”不存在或不在您的查看范围内" in outside.content.decode()
    assert "“A9999”不存在或不在您的查看范围内" in unknown.content.decode()
    assert 'id="track-enterprise"' not in outside.content.decode()
    json_outside = other.get(TRACE_JSON, {"hazard": "H2"})
    assert json_outside.status_code == 400
    assert json_outside.json() == {
        "errors": {"hazard": [{"message": "“H2”不存在或不在您的查看范围内", "code": ""}]}
    }
    by_enterprise = other.get(TRACE, {"enterprise": "e1", "sector": "housing", "date": "2024-02-26"})
    assert "“e1”不存在或不在您的查看范围内" in by_enterprise.content.decode()
    assert other.get(TRACE, {"hazard": "H1"}).status_code == 200


def test_it_takes_the_same_number_of_queries_however_long_the_chain(inspector):
    def count(code):
        with CaptureQueriesContext(connection) as ctx:
            assert inspector.get(TRACE, {"accident": code}).status_code == 200
        return len(ctx)

    before = count("A0226")
    # Twenty more posts with duties and holders in the same unit and sector: a longer chain.
    unit = Position.objects.get(code="t1_vhead").unit
    for i in range(20):
        position = Position.objects.create(code=f"extra_{i}", title=f"副主任{i}", unit=unit)
        person = Person.objects.create(code=f"px{i}", name=f"人员{i}")
        Tenure.objects.create(person=person, position=position, start="2020-01-01")
        Duty.objects.create(
            code=f"DX{i}", type="leader_in_charge", holder_position=position, start="2018-01-01"
        )
    after = count("A0226")
    assert Accident.objects.count() == 3
    assert after == before
    # 26: resolve_chain reads certifications too (DESIGN §5.5, one query); the event's parties, actors and
    # further sectors are one query each.
    assert before <= 26, before
