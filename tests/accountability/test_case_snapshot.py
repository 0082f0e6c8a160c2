"""A case freezes the chain of the event day: later edits of the duty matrix change nothing in it."""

import datetime as dt
import json
from io import StringIO

from django.core.management import call_command

from accountability.models import AccountabilityRecord
from accountability.selectors import case_as_codes, case_records
from responsibility.models import Duty, Person, Position, Tenure, Unit


def _reading(case):
    return [
        (r.track, r.unit_code, r.position_code, r.person_code, list(r.types), r.snapshot, r.vacant, str(r))
        for r in case_records(case)
    ]


def _open_case_json(code):
    out = StringIO()
    call_command("open_case", "--accident", code, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_renaming_ending_a_tenure_and_deleting_a_duty_leave_the_case_as_it_was(case):
    before_reading = _reading(case)
    before_json = _open_case_json("A0226")

    chair = Person.objects.get(code="p17")
    chair.name = "改名后的董事长"
    chair.save()
    Unit.objects.filter(code="d_housing").update(name="改名后的住建局")
    Position.objects.filter(code="d_em_dir").update(title="改名后的局长")
    tenure = Tenure.objects.get(person__code="p14", position__code="d_em_dir")
    tenure.end = dt.date(2024, 3, 1)
    tenure.save()
    duty = Duty.objects.filter(type="supervisory", holder_unit__code="d_em").get()
    duty.delete()

    assert _reading(case) == before_reading
    assert _open_case_json("A0226") == before_json == case_as_codes(case)


def test_the_snapshot_keeps_names_titles_and_the_basis_of_the_event_day(case):
    record = AccountabilityRecord.objects.get(case=case, position_code="e1_chair")
    original_name = record.snapshot["person_name"]
    Person.objects.filter(code="p17").update(name="新名字")
    record.refresh_from_db()
    assert record.snapshot["person_name"] == original_name != "新名字"
    assert record.snapshot["position_title"]
    assert record.snapshot["unit_name"]
    assert record.snapshot["event_day"] == "2024-02-26"
    assert record.snapshot["types"] == ["primary"]
    assert all(link["basis"] is not None and link["source"] for link in record.snapshot["links"])


def test_a_vacant_post_stays_in_the_case_marked_vacant(case):
    record = AccountabilityRecord.objects.get(case=case, position_code="t1_head")
    assert record.vacant and record.person_code == ""
    assert str(record).endswith("空缺")


def test_a_unit_holding_two_duty_types_is_one_record(demo_county):
    from accountability.cases import open_case
    from accountability.models import Hazard

    case = open_case(hazard=Hazard.objects.get(code="H1")).case
    record = case.records.get(unit_code="d_em", position_code="")
    assert sorted(record.types) == ["competent", "supervisory"]
    assert [link["type"] for link in record.snapshot["links"]] == list(record.types)
