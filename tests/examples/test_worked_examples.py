"""Both worked examples in one database (their codes are distinct), through the real commands: every trace
in order with its §5 fields, every case, every coverage date — on whichever database the run uses."""

import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from tests.conftest import DEMO_FILE, EXPECTED_FILE, OLD_HOUSE_EXPECTED_FILE, OLD_HOUSE_FILE

SCENARIOS = {"demo_county": DEMO_FILE, "old_house": OLD_HOUSE_FILE}
EXAMPLES = {
    "demo_county": json.loads(EXPECTED_FILE.read_text(encoding="utf-8")),
    "old_house": json.loads(OLD_HOUSE_EXPECTED_FILE.read_text(encoding="utf-8")),
}
TRACES = [(name, key) for name, expected in EXAMPLES.items() for key in expected["traces"]]
CASES = [(name, key) for name, expected in EXAMPLES.items() for key in expected["cases"]]


def link_key(link: dict) -> tuple:
    """What the contract compares, §3 and §5 (a §3 link is event_day, known, with no span)."""
    return (
        link["track"],
        link["type"],
        link.get("unit"),
        link.get("position"),
        link.get("person"),
        bool(link.get("vacant")),
        link.get("enterprise"),
        link.get("role") if link["track"] == "enterprise" else None,
        link.get("term", "event_day"),
        bool(link.get("unknown")),
        link.get("from"),
        link.get("to"),
    )


def record_key(record: dict) -> tuple:
    return (
        record["track"],
        record["unit"],
        record["position"],
        record["person"],
        tuple(sorted(record["types"])),
    )


def run_json(*args) -> dict:
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def both_examples(db):
    call_command("import_scenario", str(DEMO_FILE), quiet=True)
    call_command("import_scenario", str(OLD_HOUSE_FILE), quiet=True)


@pytest.mark.parametrize(("example", "key"), TRACES)
def test_each_trace_of_both_examples_matches_in_order_with_terms_and_spans(both_examples, example, key):
    want = EXAMPLES[example]["traces"][key]
    kind, code = key.split(":")
    got = run_json("trace", f"--{kind}", code)
    for field in ("enterprise", "region", "sector", "date", "grade", "since", "also_sectors"):
        assert got.get(field) == want.get(field), field
    assert [link_key(link) for link in got["links"]] == [link_key(link) for link in want["links"]]


@pytest.mark.parametrize(("example", "key"), CASES)
def test_each_case_of_both_examples_has_the_expected_records_once(both_examples, example, key):
    kind, code = key.split(":")
    first = run_json("open_case", f"--{kind}", code)
    again = run_json("open_case", f"--{kind}", code)
    assert Counter(map(record_key, first["records"])) == Counter(
        map(record_key, EXAMPLES[example]["cases"][key])
    )
    assert (again["case"], len(again["records"])) == (first["case"], len(first["records"]))


def test_the_coverage_of_both_examples_gives_each_example_its_expected_gaps(both_examples):
    """Coverage reads the whole database; on each expected date, the gaps of each example's own enterprises
    are exactly the expected ones, and so are the overlaps of its regions."""
    for example, expected in EXAMPLES.items():
        scenario = json.loads(SCENARIOS[example].read_text(encoding="utf-8"))
        enterprises = {u["code"] for u in scenario["units"] if u["kind"] == "enterprise"}
        regions = {r["code"] for r in scenario["regions"]}
        for day, want in expected["coverage"].items():
            got = run_json("coverage", "--date", day)
            gap = lambda g: (g["enterprise"], g["sector"], g["type"], g["reason"])  # noqa: E731
            overlap = lambda o: (o["region"], o["sector"], tuple(sorted(o["units"])))  # noqa: E731
            assert {gap(g) for g in got["gaps"] if g["enterprise"] in enterprises} == set(
                map(gap, want["gaps"])
            )
            assert {overlap(o) for o in got["overlaps"] if o["region"] in regions} == set(
                map(overlap, want["overlaps"])
            )


def test_the_old_house_case_names_its_investigation_team_and_leaves_it_out(both_examples):
    got = run_json("open_case", "--accident", "A0429")
    assert got["investigators"] == ["cn_mem", "cn_housing"]
    assert not {r["unit"] for r in got["records"]} & {"cn_mem", "cn_housing"}
