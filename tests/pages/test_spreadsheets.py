"""Excel import and export of the duty matrix: a round trip keeps every trace; a bad sheet is refused whole."""

import json
import tempfile
from io import StringIO
from pathlib import Path

import pytest
import tablib
from django.core.management import call_command

from accountability.models import Accident, EventActor, EventParty, Hazard, HazardTransition
from responsibility.models import (
    Duty,
    Inspection,
    Permit,
    Person,
    Position,
    Region,
    Sector,
    Tenure,
    Unit,
)
from responsibility.resources import (
    RESOURCES,
    DutyResource,
    PositionResource,
    RegionResource,
    TenureResource,
    describe_errors,
)
from tests.conftest import DEMO_FILE, EXPECTED_FILE

EVENTS = sorted(json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))["traces"])
MATRIX_MODELS = [Region, Sector, Unit, Position, Person, Tenure, Duty]


def traces() -> dict:
    result = {}
    for key in EVENTS:
        kind, code = key.split(":")
        out = StringIO()
        call_command("trace", f"--{kind}", code, "--json", stdout=out)
        result[key] = json.loads(out.getvalue())
    return result


def export_workbooks() -> dict[str, bytes]:
    return {name: resource().export().export("xlsx") for name, resource in RESOURCES}


def load(content: bytes) -> tablib.Dataset:
    return tablib.Dataset().load(content, format="xlsx")


def empty_the_database() -> None:
    """Everything the worked example wrote, children first (trees are unhooked, then deleted)."""
    for model in (
        EventParty,
        EventActor,
        HazardTransition,
        Hazard,
        Accident,
        Inspection,
        Permit,
        Duty,
        Tenure,
    ):
        model.objects.all().delete()
    Position.objects.all().delete()
    Person.objects.all().delete()
    Unit.objects.update(parent=None, enterprise=None)
    Unit.objects.all().delete()
    for tree in (Sector, Region):
        tree.objects.update(parent=None)
        tree.objects.all().delete()


def import_events() -> None:
    """Permits, inspections and the events come from the scenario document, onto the imported matrix."""
    doc = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    events = {k: doc[k] for k in ("permits", "inspections", "hazards", "accidents")}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.json"
        path.write_text(json.dumps(events, ensure_ascii=False), encoding="utf-8")
        call_command("import_scenario", str(path), quiet=True, stdout=StringIO())


def test_an_excel_round_trip_into_an_empty_database_keeps_every_trace(demo_users):
    before = traces()
    workbooks = export_workbooks()
    empty_the_database()
    assert all(not model.objects.exists() for model in MATRIX_MODELS)

    for name, resource in RESOURCES:
        dataset = load(workbooks[name])
        result = resource().import_data(dataset, dry_run=False)
        assert not result.has_errors() and not result.has_validation_errors(), (name, describe_errors(result))
        assert result.totals["new"] == len(dataset), name
    import_events()

    assert traces() == before
    assert Unit.objects.get(code="e1_rebar").enterprise.code == "e1"
    assert Unit.objects.get(code="e1_rebar").path == "/e1/e1_pm/e1_rebar/"
    assert sorted(Duty.objects.get(code="D03").sectors.values_list("code", flat=True)) == ["construction"]


def test_a_dry_run_previews_the_rows_and_writes_nothing(demo_users):
    dataset = tablib.Dataset(headers=["code", "name", "level", "parent"])
    dataset.append(["T3", "南湖街道", "township", "SD"])
    dataset.append(["SD", "示范区（更名）", "county", "SC"])
    result = RegionResource().import_data(dataset, dry_run=True)
    assert [row.import_type for row in result.rows] == ["new", "update"]
    assert not Region.objects.filter(code="T3").exists()
    assert Region.objects.get(code="SD").name == "示范区"


def test_importing_the_export_again_changes_nothing(demo_users):
    dataset = load(DutyResource().export().export("xlsx"))
    result = DutyResource().import_data(dataset, dry_run=False)
    assert result.totals["new"] == 0 and result.totals["update"] == 0
    assert result.totals["skip"] == len(dataset)


def test_a_sheet_with_a_bad_row_is_refused_naming_the_row_and_field_and_nothing_is_written(demo_users):
    dataset = tablib.Dataset(headers=["code", "title", "unit"])
    dataset.append(["n1", "安全员", "e1"])
    dataset.append(["n2", "质检员", "no_such_unit"])
    dataset.append(["n3", "资料员", "e1"])
    result = PositionResource().import_data(dataset, dry_run=False)
    assert result.has_validation_errors()
    assert [(row.number, sorted(row.field_specific_errors)) for row in result.invalid_rows] == [
        (2, ["所在单位编码"])
    ]
    lines = describe_errors(result)
    assert lines == ["第 2 行（表格第 3 行）“所在单位编码”列：找不到编码为“no_such_unit”的单位"]
    assert not Position.objects.filter(code__in=["n1", "n2", "n3"]).exists()


@pytest.mark.parametrize(
    "resource, headers, rows, row, field, message",
    [
        (
            RegionResource,
            ["code", "name", "level", "parent"],
            [["T3", "南湖街道", "township", "SD"], ["SDX", "另一区", "province", "SD"]],
            2,
            "层级",
            "层级必须低于上级区划",
        ),
        (
            TenureResource,
            ["person", "position", "start", "end"],
            [["p07", "t1_head", "2024-01-01", ""], ["p06", "t1_head", "2024-06-01", ""]],
            2,
            "任职起",
            "重叠",
        ),
        (
            DutyResource,
            ["code", "type", "holder_position", "holder_unit", "sectors", "start"],
            [
                ["DN1", "territorial", "", "t1_gov", "", "2024-01-01"],
                ["DN2", "competent", "d_housing_dir", "d_housing", "gas", "2024-01-01"],
            ],
            2,
            "责任岗位编码",
            "二选一",
        ),
        (
            DutyResource,
            ["code", "type", "holder_unit", "sectors", "start"],
            [
                ["DN1", "属地管理责任", "t1_gov", "", "2024-01-01"],
                ["DN2", "competent", "d_housing", "gas,mining", "2024-01-01"],
            ],
            2,
            "行业范围编码（空=全部）",
            "mining",
        ),
        (
            DutyResource,
            ["code", "type", "holder_unit", "start"],
            [["DN1", "territorial", "t1_gov", "2024-01-01"], ["DN2", "approval", "d_housing", "2024-01-01"]],
            2,
            "责任类型",
            "不是可选值",
        ),
    ],
)
def test_each_refusal_names_its_row_and_column(demo_users, resource, headers, rows, row, field, message):
    dataset = tablib.Dataset(*rows, headers=headers)
    counts = {model: model.objects.count() for model in MATRIX_MODELS}
    result = resource().import_data(dataset, dry_run=False)
    assert result.has_validation_errors() or result.has_errors()
    lines = describe_errors(result)
    assert any(
        line.startswith(f"第 {row} 行") and f"“{field}”列" in line and message in line for line in lines
    ), lines
    assert {model: model.objects.count() for model in MATRIX_MODELS} == counts
