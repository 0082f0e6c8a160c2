"""The admin of the duty matrix and its "chain on a date" page, on the worked example county."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from responsibility.models import (
    Duty,
    DutyType,
    Inspection,
    Permit,
    Person,
    Position,
    Region,
    Sector,
    Tenure,
    Unit,
)

MODELS = [Region, Sector, Unit, Person, Position, Tenure, Duty, Permit, Inspection]


def admin_url(model, view, *args):
    return reverse(f"admin:responsibility_{model._meta.model_name}_{view}", args=args)


def chain_url(enterprise_code):
    return admin_url(Unit, "chain", Unit.objects.get(code=enterprise_code).pk)


def row_of(html: str, text: str) -> str:
    """The table row (<tr>…</tr>) of the page that contains `text`."""
    rows = [row for row in re.findall(r"<tr\b.*?</tr>", html, flags=re.S) if text in row]
    assert rows, f"no row with {text!r}"
    return rows[0]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_changelist_opens(demo_county, admin_client, model):
    assert model.objects.exists()
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_change_add_and_history_page_opens(demo_county, admin_client, model):
    obj = model.objects.order_by("pk").first()
    for url in (
        admin_url(model, "change", obj.pk),
        admin_url(model, "add"),
        admin_url(model, "history", obj.pk),
    ):
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "model, query, shown",
    [
        (Unit, "e1_pm", "城东安置房项目部"),
        (Region, "T1", "T1"),
        (Sector, "housing", "housing"),
        (Person, "p22", "梁师傅"),
        (Position, "e1_crane", "塔吊司机"),
        (Tenure, "p22", "梁师傅"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_search_by_code_finds_the_object(demo_county, admin_client, model, query, shown):
    response = admin_client.get(admin_url(model, "changelist"), {"q": query})
    assert response.status_code == 200
    result = response.context["cl"].result_list
    assert len(result) >= 1
    assert shown in response.content.decode()


def test_searching_units_by_code_finds_only_matching_units(demo_county, admin_client):
    response = admin_client.get(admin_url(Unit, "changelist"), {"q": "e1_pm"})
    assert [u.code for u in response.context["cl"].result_list] == ["e1_pm"]


def test_unit_changelist_filters_by_kind(demo_county, admin_client):
    response = admin_client.get(admin_url(Unit, "changelist"), {"kind__exact": "enterprise"})
    codes = {u.code for u in response.context["cl"].result_list}
    assert codes == {"e1", "e2", "e3", "e4", "e5", "e6"}


def test_duty_changelist_filters_by_track(demo_county, admin_client):
    response = admin_client.get(admin_url(Duty, "changelist"), {"track": "enterprise"})
    types = {d.type for d in response.context["cl"].result_list}
    assert types
    assert types <= {DutyType.PRIMARY, DutyType.ENTERPRISE_LEADER, DutyType.SAFETY_MANAGER} | {
        DutyType.GUARANTOR,
        DutyType.DEPT_HEAD,
        DutyType.TEAM_LEADER,
        DutyType.POST,
    }


def test_unit_change_page_shows_path_and_enterprise_read_only(demo_county, admin_client):
    unit = Unit.objects.get(code="e1_rebar")
    response = admin_client.get(admin_url(Unit, "change", unit.pk))
    form = response.context["adminform"].form
    assert "path" not in form.fields
    assert "enterprise" not in form.fields
    html = response.content.decode()
    assert "/e1/e1_pm/e1_rebar/" in html
    assert "示范建工集团有限公司" in html


def test_unit_change_page_lists_its_positions_and_duties_inline(demo_county, admin_client):
    unit = Unit.objects.get(code="e1_rebar")
    response = admin_client.get(admin_url(Unit, "change", unit.pk))
    html = response.content.decode()
    assert "塔吊司机" in html
    assert "钢筋班组长" in html


def test_position_change_page_lists_its_tenures_and_duties_inline(demo_county, admin_client):
    position = Position.objects.get(code="e1_crane")
    response = admin_client.get(admin_url(Position, "change", position.pk))
    inline_models = [f.formset.model for f in response.context["inline_admin_formsets"]]
    assert inline_models == [Tenure, Duty]
    html = response.content.decode()
    assert "梁师傅" in html
    duty_codes = list(position.duties.values_list("code", flat=True))
    assert duty_codes
    assert all(code in html for code in duty_codes)


def test_only_an_enterprise_change_page_links_to_its_chain(demo_county, admin_client):
    enterprise = Unit.objects.get(code="e1")
    department = Unit.objects.get(code="d_housing")
    html = admin_client.get(admin_url(Unit, "change", enterprise.pk)).content.decode()
    assert chain_url("e1") in html
    html = admin_client.get(admin_url(Unit, "change", department.pk)).content.decode()
    assert "责任链查询" not in html
    assert admin_client.get(admin_url(Unit, "chain", department.pk)).status_code == 404


def test_adding_two_overlapping_tenures_at_once_is_a_form_error(demo_county, admin_client):
    position = Position.objects.create(code="e1_new_post", title="新岗位", unit=Unit.objects.get(code="e1"))
    person = Person.objects.get(code="p22")
    data = {
        "code": position.code,
        "title": position.title,
        "unit": position.unit_id,
        "tenures-TOTAL_FORMS": "2",
        "tenures-INITIAL_FORMS": "0",
        "duties-TOTAL_FORMS": "0",
        "duties-INITIAL_FORMS": "0",
    }
    for i, (start, end) in enumerate([("2024-01-01", ""), ("2024-06-01", "2024-09-01")]):
        data |= {f"tenures-{i}-person": person.pk, f"tenures-{i}-start": start, f"tenures-{i}-end": end}
    response = admin_client.post(admin_url(Position, "change", position.pk), data)
    assert response.status_code == 200
    assert "任职期间不得重叠" in response.content.decode()
    assert not position.tenures.exists()


# ---- query counts --------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def add_units_and_duties(n: int) -> None:
    e1 = Unit.objects.get(code="e1")
    housing = Sector.objects.get(code="housing")
    for i in range(n):
        unit = Unit.objects.create(
            code=f"e1_extra{i}", name=f"新增项目部{i}", kind="enterprise_dept", region=e1.region, parent=e1
        )
        position = Position.objects.create(code=f"e1_extra{i}_mgr", title="项目经理", unit=unit)
        Tenure.objects.create(
            person=Person.objects.create(code=f"px{i}", name=f"新人{i}"),
            position=position,
            start=dt.date(2024, 1, 1),
        )
        by_position = Duty.objects.create(
            code=f"x{i}_pos",
            type=DutyType.DEPT_HEAD,
            holder_position=position,
            start=dt.date(2024, 1, 1),
            basis="岗位责任清单",
        )
        by_position.sectors.add(housing)
        Duty.objects.create(
            code=f"x{i}_unit",
            type=DutyType.SAFETY_MANAGER,
            holder_unit=unit,
            enterprise=e1,
            start=dt.date(2024, 1, 1),
        )
        Permit.objects.create(
            code=f"x{i}_permit",
            enterprise=e1,
            sector=housing,
            position=position,
            approved_on=dt.date(2024, 1, 1),
            valid_until=dt.date(2025, 1, 1),
        )
        inspection = Inspection.objects.create(
            code=f"x{i}_insp", enterprise=e1, sector=housing, unit=unit, date=dt.date(2024, 1, 1)
        )
        inspection.inspectors.add(position)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_query_count_does_not_grow_with_rows(demo_county, admin_client, model):
    url = admin_url(model, "changelist")
    admin_client.get(url)  # warm the session and the content-type cache
    before = count_queries(admin_client, url)
    add_units_and_duties(8)
    after = count_queries(admin_client, url)
    assert after == before


def test_chain_view_query_count_is_bounded(demo_county, admin_client, django_assert_max_num_queries):
    url = chain_url("e1")
    params = {"sector": "housing", "date": "2024-02-26", "unit": "e1_rebar", "post": "e1_crane"}
    admin_client.get(url, params)
    with django_assert_max_num_queries(25):
        admin_client.get(url, params)


# ---- the chain on a date -------------------------------------------------------------------------


def test_chain_view_shows_who_held_each_duty_on_the_day(demo_county, admin_client):
    response = admin_client.get(
        chain_url("e1"),
        {"sector": "housing", "date": "2024-02-26", "grade": "", "unit": "e1_rebar", "post": "e1_crane"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    crane = row_of(html, "塔吊司机")
    assert "梁师傅" in crane
    assert "岗位责任人" in crane
    assert "主体责任" in crane
    street_head = row_of(html, "街道办事处主任")
    assert "空缺" in street_head
    assert "监管责任" in street_head


def test_chain_view_lists_links_in_the_order_of_resolve_chain(demo_county, admin_client):
    from responsibility.chain import EventScope, resolve_chain

    e1 = Unit.objects.select_related("region").get(code="e1")
    want = resolve_chain(
        EventScope(
            region=e1.region,
            enterprise=e1,
            unit=Unit.objects.get(code="e1_rebar"),
            post=Position.objects.get(code="e1_crane"),
        ),
        Sector.objects.get(code="housing"),
        dt.date(2024, 2, 26),
        "larger",
    )
    response = admin_client.get(
        chain_url("e1"),
        {
            "sector": "housing",
            "date": "2024-02-26",
            "grade": "larger",
            "unit": "e1_rebar",
            "post": "e1_crane",
        },
    )
    got = [row.link for row in response.context["rows"]]
    assert [link.as_codes() for link in got] == [link.as_codes() for link in want]
    assert any(link.unit.region.level == "city" for link in got if link.track == "supervision")


def test_chain_view_defaults_to_the_enterprise_sector_and_today(demo_county, admin_client):
    response = admin_client.get(chain_url("e1"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.is_valid()
    assert form.cleaned_data["sector"].code == "housing"
    assert response.context["rows"] is not None


@pytest.mark.parametrize(
    "params, field",
    [
        ({"sector": "housing", "date": "2024-02-30"}, "date"),
        ({"sector": "housing", "date": "26/02/2024"}, "date"),
        ({"sector": "no_such_sector", "date": "2024-02-26"}, "sector"),
        ({"sector": "housing", "date": "2024-02-26", "grade": "catastrophic"}, "grade"),
        ({"sector": "housing", "date": "2024-02-26", "unit": "d_housing"}, "unit"),
        ({"sector": "housing", "date": "2024-02-26", "post": "e2_gm"}, "post"),
    ],
)
def test_chain_view_shows_a_form_error_for_bad_input(demo_county, admin_client, params, field):
    response = admin_client.get(chain_url("e1"), params)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert response.context["rows"] is None
    assert "errornote" in response.content.decode()


def test_chain_view_of_a_malformed_date_says_so(demo_county, admin_client):
    response = admin_client.get(chain_url("e1"), {"sector": "housing", "date": "2024-13-45"})
    assert response.status_code == 200
    assert "输入一个有效的日期" in response.content.decode()


def test_chain_view_of_an_unknown_unit_is_not_found(demo_county, admin_client):
    assert admin_client.get(admin_url(Unit, "chain", 999999)).status_code == 404
    assert admin_client.get(admin_url(Unit, "chain", "not-a-number")).status_code == 404


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user(username="clerk", password="pw", is_staff=True)
    client.force_login(user)
    client.user = user
    return client


def test_chain_view_refuses_a_staff_user_without_view_unit(demo_county, staff_client):
    response = staff_client.get(chain_url("e1"), {"sector": "housing", "date": "2024-02-26"})
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "login" in response["Location"]


def test_chain_view_admits_a_staff_user_with_view_unit(demo_county, staff_client):
    staff_client.user.user_permissions.add(
        Permission.objects.get(content_type__app_label="responsibility", codename="view_unit")
    )
    response = staff_client.get(chain_url("e1"), {"sector": "housing", "date": "2024-02-26"})
    assert response.status_code == 200
    assert response.context["rows"]


def test_chain_view_sends_an_anonymous_visitor_to_log_in(demo_county, client):
    response = client.get(chain_url("e1"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_extending_a_tenure_into_the_next_holders_is_a_form_error(demo_county, admin_client):
    tenure = Tenure.objects.get(position__code="d_vhead_build", end__isnull=False)
    data = {
        "person": tenure.person_id,
        "position": tenure.position_id,
        "start": tenure.start.isoformat(),
        "end": (tenure.end + dt.timedelta(days=30)).isoformat(),
    }
    response = admin_client.post(admin_url(Tenure, "change", tenure.pk), data)
    assert response.status_code == 200
    assert "重叠" in response.content.decode()
    tenure.refresh_from_db()
    assert tenure.end == dt.date(2024, 3, 1)


def test_a_region_without_a_valid_level_is_a_form_error(demo_county, admin_client):
    parent = Region.objects.get(code="SD")
    for level in ("", "galaxy"):
        response = admin_client.post(
            admin_url(Region, "add"), {"code": "X1", "name": "新区划", "level": level, "parent": parent.pk}
        )
        assert response.status_code == 200
        assert "level" in response.context["adminform"].form.errors
    assert not Region.objects.filter(code="X1").exists()


def test_a_region_at_its_parents_level_is_a_form_error(demo_county, admin_client):
    parent = Region.objects.get(code="SD")
    response = admin_client.post(
        admin_url(Region, "add"), {"code": "X1", "name": "新区划", "level": parent.level, "parent": parent.pk}
    )
    assert response.status_code == 200
    assert "层级必须低于上级区划" in response.content.decode()
