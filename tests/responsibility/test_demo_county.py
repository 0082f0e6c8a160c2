"""The worked example: every trace and the coverage of demo_county.expected.json, in order."""

import json

import pytest
from django.core.management import call_command

from tests.conftest import DEMO_FILE, EXPECTED_FILE

LINK_KEYS = ("track", "type", "unit", "position", "person", "vacant", "enterprise", "role")
TRACE_KEYS = sorted(json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))["traces"])


def run_json(*args) -> dict:
    from io import StringIO

    out = StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize("key", TRACE_KEYS)
def test_trace_of_each_event_matches_the_worked_example_in_order(demo_county, expected, key):
    kind, code = key.split(":")
    want = expected["traces"][key]
    got = run_json("trace", f"--{kind}", code)
    assert {k: got[k] for k in ("enterprise", "region", "sector", "date", "grade")} == {
        k: want[k] for k in ("enterprise", "region", "sector", "date", "grade")
    }
    assert [[link[k] for k in LINK_KEYS] for link in got["links"]] == [
        [link[k] for k in LINK_KEYS] for link in want["links"]
    ]


def test_trace_by_enterprise_sector_and_date_matches_the_accident_trace(demo_county, expected):
    want = expected["traces"]["accident:A0226"]["links"]
    got = run_json(
        "trace",
        "--enterprise",
        "e1",
        "--sector",
        "housing",
        "--date",
        "2024-02-26",
        "--grade",
        "general",
        "--unit",
        "e1_rebar",
        "--post",
        "e1_crane",
    )
    own = [link for link in want if link["track"] == "supervision" or link["enterprise"] == "e1"]
    own = [
        link for link in own if link["type"] not in ("approval", "inspection") or link["enterprise"] == "e1"
    ]
    assert [[link[k] for k in LINK_KEYS] for link in got["links"]] == [
        [link[k] for k in LINK_KEYS] for link in own
    ]


def test_coverage_on_the_day_of_the_first_accident_matches_the_worked_example(demo_county, expected):
    for day, want in expected["coverage"].items():
        got = run_json("coverage", "--date", day)
        gap_key = lambda g: (g["enterprise"], g["sector"], g["type"], g["reason"])  # noqa: E731
        assert sorted(map(gap_key, got["gaps"])) == sorted(map(gap_key, want["gaps"]))
        assert [(o["region"], o["sector"], sorted(o["units"])) for o in got["overlaps"]] == [
            (o["region"], o["sector"], sorted(o["units"])) for o in want["overlaps"]
        ]


def test_importing_the_same_document_twice_changes_nothing(demo_county):
    from io import StringIO

    out = StringIO()
    call_command("import_scenario", str(DEMO_FILE), stdout=out)
    assert out.getvalue().strip().splitlines()[-1].endswith(": 0 new, 0 changed")
