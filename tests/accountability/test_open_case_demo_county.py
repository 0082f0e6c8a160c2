"""open_case over the worked example: the records of every case, idempotence, and refused sources."""

import datetime
import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from accountability.cases import open_case
from accountability.models import Accident, AccountabilityRecord, Case, Hazard
from accountability.selectors import case_as_codes
from tests.conftest import EXPECTED_FILE

CASE_KEYS = sorted(json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))["cases"])
REFUSED_KEYS = sorted(json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))["refused_cases"])


def _source(key):
    kind, code = key.split(":")
    model = Accident if kind == "accident" else Hazard
    return kind, code, {kind: model.objects.get(code=code)}


def _comparable(records):
    return [(r["track"], r["unit"], r["position"], r["person"], sorted(r["types"])) for r in records]


def _open_case_json(kind, code) -> dict:
    out = StringIO()
    call_command("open_case", f"--{kind}", code, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize("key", CASE_KEYS)
def test_it_freezes_the_records_of_the_worked_example(demo_county, expected, key):
    kind, code, source = _source(key)
    opened = open_case(**source)
    assert opened.created
    got = case_as_codes(opened.case)
    assert got["source"] == key
    assert _comparable(got["records"]) == _comparable(expected["cases"][key])


@pytest.mark.parametrize("key", CASE_KEYS)
def test_it_returns_the_same_case_and_records_when_opened_again(demo_county, expected, key):
    kind, code, source = _source(key)
    first = _open_case_json(kind, code)
    second = _open_case_json(kind, code)
    assert second == first
    assert _comparable(second["records"]) == _comparable(expected["cases"][key])
    again = open_case(**source)
    assert not again.created
    assert Case.objects.filter(**source).count() == 1
    assert AccountabilityRecord.objects.filter(case=again.case).count() == len(expected["cases"][key])


def test_the_open_case_json_has_the_contract_shape(demo_county):
    got = _open_case_json("accident", "A0318")
    assert set(got) == {"case", "source", "grade", "investigators", "records"}
    assert got["source"] == "accident:A0318"
    assert got["grade"] == "larger"
    assert all(set(r) == {"track", "unit", "position", "person", "types"} for r in got["records"])
    hazard = _open_case_json("hazard", "H1")
    assert hazard["source"] == "hazard:H1" and hazard["grade"] is None


@pytest.mark.parametrize("key", REFUSED_KEYS)
def test_it_refuses_a_source_that_must_not_open_a_case(demo_county, key):
    kind, code, source = _source(key)
    with pytest.raises(ValidationError) as refused:
        open_case(**source)
    assert "未逾期" in str(refused.value)
    with pytest.raises(CommandError, match="未逾期"):
        call_command("open_case", f"--{kind}", code, "--json", stdout=StringIO())
    assert not Case.objects.exists()


def test_it_names_an_unknown_source_in_the_command_error(demo_county):
    with pytest.raises(CommandError, match="no accident with code 'NOPE'"):
        call_command("open_case", "--accident", "NOPE", stdout=StringIO())


def test_an_overdue_hazard_opens_a_case_only_after_its_deadline_day(demo_county):
    h1 = Hazard.objects.get(code="H1")  # deadline 2024-05-31, still rectifying
    with pytest.raises(ValidationError, match="未逾期"):
        open_case(hazard=h1, today=datetime.date(2024, 5, 31))
    opened = open_case(hazard=h1, today=datetime.date(2024, 6, 1))
    assert opened.created
    assert opened.case.event_day == datetime.date(2024, 5, 31)  # 隐患就是事故: judged on its deadline
    assert opened.case.grade == ""
