"""The worked examples through the real commands: every trace in order with its §5 fields, every case,
every coverage date — on whichever database the run uses (both passes of `make test`). demo_county and
old_house share one database (their codes are distinct); old_house_raised, a superset of old_house
(§5.11–12), shares one with demo_county."""

import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from tests.conftest import (
    DEMO_FILE,
    EXPECTED_FILE,
    OLD_HOUSE_EXPECTED_FILE,
    OLD_HOUSE_FILE,
    OLD_HOUSE_RAISED_EXPECTED_FILE,
    OLD_HOUSE_RAISED_FILE,
)

SCENARIOS = {"demo_county": DEMO_FILE, "old_house": OLD_HOUSE_FILE, "old_house_raised": OLD_HOUSE_RAISED_FILE}
EXAMPLES = {
    "demo_county": json.loads(EXPECTED_FILE.read_text(encoding="utf-8")),
    "old_house": json.loads(OLD_HOUSE_EXPECTED_FILE.read_text(encoding="utf-8")),
    "old_house_raised": json.loads(OLD_HOUSE_RAISED_EXPECTED_FILE.read_text(encoding="utf-8")),
}
# The database each example is checked in: demo_county beside the other example.
DATABASES = {"demo_county": "old_house", "old_house": "old_house", "old_house_raised": "old_house_raised"}
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


def load(second: str) -> None:
    call_command("import_scenario", str(DEMO_FILE), quiet=True)
    call_command("import_scenario", str(SCENARIOS[second]), quiet=True)


@pytest.fixture
def both_examples(db):
    load("old_house")


@pytest.fixture
def examples_of(db):
    """The database an example is checked in (DATABASES)."""
    return lambda example: load(DATABASES[example])


@pytest.mark.parametrize(("example", "key"), TRACES)
def test_each_trace_of_the_examples_matches_in_order_with_terms_and_spans(examples_of, example, key):
    examples_of(example)
    want = EXAMPLES[example]["traces"][key]
    kind, code = key.split(":")
    got = run_json("trace", f"--{kind}", code)
    for field in ("enterprise", "region", "sector", "date", "grade", "since", "also_sectors"):
        assert got.get(field) == want.get(field), field
    assert [link_key(link) for link in got["links"]] == [link_key(link) for link in want["links"]]


@pytest.mark.parametrize(("example", "key"), CASES)
def test_each_case_of_the_examples_has_the_expected_records_once(examples_of, example, key):
    examples_of(example)
    kind, code = key.split(":")
    first = run_json("open_case", f"--{kind}", code)
    again = run_json("open_case", f"--{kind}", code)
    assert Counter(map(record_key, first["records"])) == Counter(
        map(record_key, EXAMPLES[example]["cases"][key])
    )
    assert (again["case"], len(again["records"])) == (first["case"], len(first["records"]))


@pytest.mark.parametrize("second", ["old_house", "old_house_raised"])
def test_the_coverage_of_the_examples_gives_each_example_its_expected_gaps(db, second):
    """Coverage reads the whole database; on each expected date, the gaps of each example's own enterprises
    are exactly the expected ones, and so are the overlaps of its regions."""
    load(second)
    for example in ("demo_county", second):
        expected = EXAMPLES[example]
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


def test_the_raised_case_keeps_the_team_members_below_the_investigating_level(examples_of):
    """§5.9 with §5.11: the province took A0816 over, so 省住建厅 (on the team, at that level) has no record,
    while the city government and its 住建局 — on the team but below the province — keep theirs."""
    examples_of("old_house_raised")
    got = run_json("open_case", "--accident", "A0816")
    units = {r["unit"] for r in got["records"]}
    assert got["investigators"] == ["wp_em", "wp_housing", "wc_gov"]
    assert "wp_housing" not in units
    assert {"wc_gov", "wc_housing", "wp_gov"} <= units


def test_the_raised_trace_reaches_the_province_and_names_the_crew_in_the_contractors_block(examples_of):
    examples_of("old_house_raised")
    links = run_json("trace", "--accident", "A0816")["links"]
    assert {"wp_gov", "wp_housing"} <= {link["unit"] for link in links if link["track"] == "supervision"}
    crew = [(link["type"], link["person"]) for link in links if link["enterprise"] == "wbuild"]
    assert crew[:4] == [("post", "wb6"), ("team_leader", "wb5"), ("team_leader", "wb4"), ("dept_head", "wb2")]
    assert "wb7" not in {link["person"] for link in links}  # the leader of the contractor's other crew
