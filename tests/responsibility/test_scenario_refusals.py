"""import_scenario refuses a bad document whole (DESIGN §4), and accepts what it should.

Each bad document is the worked example with one thing broken. A refusal must name the item (its
code; a tenure by its position) and the field, exit non-zero without a traceback, and write nothing.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from io import StringIO
from urllib.parse import quote

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from responsibility.models import Duty, Region, Unit
from tests.conftest import DEMO_FILE, REPO

DEMO = json.loads(DEMO_FILE.read_text(encoding="utf-8"))


# ---- helpers ---------------------------------------------------------------------------------------


def all_models():
    """The data an import may write; its own log (ImportRun: every run, refused ones too) is not data."""
    return [
        m
        for app in ("responsibility", "accountability")
        for m in apps.get_app_config(app).get_models()
        if m._meta.label != "responsibility.ImportRun"
    ]


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in all_models()}


def snapshot() -> dict[str, list[dict]]:
    return {m._meta.label: list(m._default_manager.order_by("pk").values()) for m in all_models()}


def find(doc: dict, section: str, code: str) -> dict:
    return next(item for item in doc[section] if item.get("code") == code)


def tenure(doc: dict, person: str, position: str) -> dict:
    return next(t for t in doc["tenures"] if t["person"] == person and t["position"] == position)


def broken(mutate) -> dict:
    doc = copy.deepcopy(DEMO)
    mutate(doc)
    return doc


def write(tmp_path, doc, name="scenario.json") -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(path)


def refusal(path: str) -> str:
    """Run the command in-process; it must raise CommandError. Returns its message."""
    with pytest.raises(CommandError) as excinfo:
        call_command("import_scenario", path, quiet=True, stdout=StringIO())
    message = str(excinfo.value)
    assert message.startswith("refused, nothing written")
    return message


def import_ok(path: str) -> str:
    out = StringIO()
    call_command("import_scenario", path, stdout=out)
    return out.getvalue()


def totals(output: str) -> str:
    """'N new, M changed' from the command's closing line (the progress lines above have their own)."""
    last = output.strip().splitlines()[-1]
    assert last.startswith("imported "), output
    return last.rsplit(": ", 1)[1]


def run_manage(*args) -> subprocess.CompletedProcess:
    """manage.py in a child process, on the test database (committed data only: transactional_db)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{settings['NAME']}"
    else:
        auth = quote(settings["USER"] or "")
        if settings["PASSWORD"]:
            auth += ":" + quote(settings["PASSWORD"])
        url = f"postgres://{auth}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings.development")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


# ---- one refusal per rule of §4, on an empty database ------------------------------------------------


def _set(section, code, /, **values):
    def mutate(doc):
        find(doc, section, code).update(values)

    return mutate


def _drop(section, code, field):
    def mutate(doc):
        del find(doc, section, code)[field]

    return mutate


def _set_tenure(person, position, /, **values):
    def mutate(doc):
        tenure(doc, person, position).update(values)

    return mutate


def _duplicate(section, code):
    def mutate(doc):
        doc[section].append(dict(find(doc, section, code)))

    return mutate


def _set_party(code, /, **values):
    def mutate(doc):
        find(doc, "accidents", code)["parties"][0].update(values)

    return mutate


REFUSALS = {
    # a document outside the schema
    "unknown field": (_set("units", "e1", colour="red"), ["units e1", "colour", "unknown field"]),
    "unknown section": (lambda doc: doc.update(cases=[]), ["cases", "unknown section"]),
    "unknown enum value": (_set("units", "e1", kind="factory"), ["units e1", "field kind", "factory"]),
    "unknown enum value, nested": (_set_party("A0226", role="buyer"), ["accidents A0226", "parties.0.role"]),
    "negative count": (_set("accidents", "A0226", deaths=-1), ["accidents A0226", "field deaths", "-1"]),
    "negative loss": (_set("accidents", "A0226", direct_loss_yuan=-5), ["A0226", "direct_loss_yuan"]),
    "impossible date, duty": (_set("duties", "D07", start="2024-02-30"), ["duties D07", "field start"]),
    "impossible date, tenure": (
        _set_tenure("p07", "d_vhead_build", start="2024-02-30"),
        ["d_vhead_build", "field start", "2024-02-30"],
    ),
    "impossible date, hazard": (_set("hazards", "H1", found_on="2024-02-30"), ["hazards H1", "found_on"]),
    "impossible time, accident": (
        _set("accidents", "A0226", occurred_at="2024-02-30T09:30:00+08:00"),
        ["accidents A0226", "occurred_at"],
    ),
    "time without offset": (
        _set("accidents", "A0226", occurred_at="2024-02-26T09:30:00"),
        ["accidents A0226", "occurred_at"],
    ),
    "code outside the pattern": (_set("people", "p05", code="p 05"), ["people", "code"]),
    # codes and references
    "duplicate code": (_duplicate("people", "p05"), ["people p05", "field code", "duplicate"]),
    "duplicate duty code": (_duplicate("duties", "D11"), ["duties D11", "field code", "duplicate"]),
    "reference to nowhere": (
        _set("duties", "D09", holder_unit="nowhere"),
        ["duties D09", "holder_unit", "nowhere"],
    ),
    "reference to nowhere, party": (
        _set_party("A0226", enterprise="nowhere"),
        ["accidents A0226", "parties", "nowhere"],
    ),
    "reference to nowhere, tenure": (
        _set_tenure("p06", "d_vhead_build", person="p99"),
        ["d_vhead_build", "field person", "unknown person code 'p99'"],
    ),
    "enterprise reference to a non-enterprise": (
        _set("permits", "PM1", enterprise="d_housing"),
        ["permits PM1", "field enterprise", "not an enterprise"],
    ),
    # trees
    "cycle in regions": (_set("regions", "SH", parent="SD"), ["regions SH", "field parent", "cycle"]),
    "cycle in sectors": (
        _set("sectors", "construction", parent="housing"),
        ["sectors construction", "field parent", "cycle"],
    ),
    "cycle in units": (_set("units", "e1", parent="e1_rebar"), ["units e1", "field parent", "cycle"]),
    "self parent": (_set("units", "d_em", parent="d_em"), ["units d_em", "field parent", "cycle"]),
    "region level not below its parent's": (
        _set("regions", "T1", level="county"),
        ["regions T1", "field level"],
    ),
    "region level above its parent's": (
        _set("regions", "SC", level="province"),
        ["regions SC", "field level"],
    ),
    # duties
    "duty with two holders": (
        _set("duties", "D01", holder_unit="c_party"),
        ["duties D01", "holder_position", "holder_unit", "two holders"],
    ),
    "duty with no holder": (
        _drop("duties", "D01", "holder_position"),
        ["duties D01", "holder_", "no holder"],
    ),
    "duty end not after its start": (_set("duties", "D26", end="2018-01-01"), ["duties D26", "field end"]),
    "duty end before its start": (_set("duties", "D26", end="2017-12-31"), ["duties D26", "field end"]),
    # tenures
    "overlapping tenures in the document": (
        _set_tenure("p07", "d_vhead_build", start="2024-02-01"),
        ["d_vhead_build", "field start", "overlap"],
    ),
    "two open tenures of one position": (
        lambda doc: tenure(doc, "p06", "d_vhead_build").pop("end"),
        ["d_vhead_build", "field start", "overlap"],
    ),
    "tenure end not after its start": (
        _set_tenure("p06", "d_vhead_build", end="2021-06-01"),
        ["d_vhead_build", "field end"],
    ),
    # events
    "hazard deadline before it was found": (
        _set("hazards", "H1", deadline="2024-04-09"),
        ["hazards H1", "deadline"],
    ),
    "accident reported before it occurred": (
        _set("accidents", "A0226", reported_at="2024-02-26T09:29:59+08:00"),
        ["accidents A0226", "field reported_at"],
    ),
    "accident reported before it occurred, other offset": (
        _set("accidents", "A0226", reported_at="2024-02-26T01:00:00Z"),
        ["accidents A0226", "field reported_at"],
    ),
    "hazard unit outside its enterprise": (
        _set("hazards", "H2", unit="e5_site"),
        ["hazards H2", "field unit", "not part of enterprise"],
    ),
    "accident post without an enterprise": (
        _set("accidents", "A0402", post="e1_crane"),
        ["accidents A0402", "field post", "no enterprise"],
    ),
    # what the database would refuse with a traceback (PostgreSQL) or store silently (SQLite)
    "name longer than the column": (
        _set("regions", "SH", name="省" * 201),
        ["regions SH", "field name", "201"],
    ),
    "count beyond the integer column": (
        _set("accidents", "A0226", deaths=2**31),
        ["accidents A0226", "field deaths", "out of range"],
    ),
    "loss beyond the decimal column": (
        _set("accidents", "A0226", direct_loss_yuan=10**14),
        ["accidents A0226", "field direct_loss_yuan", "too large"],
    ),
    "NUL character": (_set("people", "p01", name="林\x00国栋"), ["people p01", "field name", "NUL"]),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_bad_document_is_refused_naming_item_and_field_and_nothing_is_written(tmp_path, case):
    mutate, fragments = REFUSALS[case]
    path = write(tmp_path, broken(mutate))
    before = row_counts()

    message = refusal(path)

    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert row_counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, fragment",
    [
        (json.dumps(DEMO)[:-20], "line 1 column"),
        ('{"regions": [}', "line 1 column 14"),
        ("", "line 1 column 1"),
        ('{"accidents": [{"direct_loss_yuan": NaN}]}', "NaN"),
        ('{"accidents": [{"direct_loss_yuan": -Infinity}]}', "Infinity"),
        ('{"accidents": [{"direct_loss_yuan": 1e999}]}', "1e999"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
    ids=["truncated", "syntax", "empty", "NaN", "Infinity", "overflow", "deep"],
)
def test_malformed_json_is_refused(tmp_path, text, fragment):
    before = row_counts()
    message = refusal(write(tmp_path, text))
    assert "malformed JSON" in message and fragment in message
    assert row_counts() == before


@pytest.mark.django_db
def test_a_document_that_is_not_an_object_is_refused(tmp_path):
    message = refusal(write(tmp_path, "[]"))
    assert "document" in message and "object" in message


@pytest.mark.django_db
def test_every_problem_is_reported_at_once(tmp_path):
    def mutate(doc):
        find(doc, "duties", "D09")["holder_unit"] = "nowhere"
        find(doc, "hazards", "H1")["deadline"] = "2024-01-01"
        tenure(doc, "p06", "d_vhead_build")["end"] = "2021-06-01"

    message = refusal(write(tmp_path, broken(mutate)))
    assert "duties D09 field holder_unit" in message
    assert "hazards H1 field deadline" in message
    assert "position d_vhead_build) field end" in message


@pytest.mark.django_db
def test_a_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_scenario", "/nonexistent/scenario.json")


# ---- refusals against what the database already holds (full snapshot) --------------------------------


def _against_database(tmp_path, doc2: dict, fragments: list[str]) -> None:
    before = snapshot()
    message = refusal(write(tmp_path, doc2, "second.json"))
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert snapshot() == before


def test_a_tenure_overlapping_one_already_stored_is_refused(demo_county, tmp_path):
    doc2 = {"tenures": [{"person": "p07", "position": "d_vhead_build", "start": "2024-02-15"}]}
    _against_database(tmp_path, doc2, ["position d_vhead_build", "field start", "overlap", "p06"])


def test_an_open_tenure_before_a_stored_one_is_refused(demo_county, tmp_path):
    doc2 = {"tenures": [{"person": "p05", "position": "t1_sec", "start": "2020-01-01"}]}
    _against_database(tmp_path, doc2, ["position t1_sec", "overlap"])


def test_restating_a_stored_tenure_with_a_longer_end_that_overlaps_the_next_is_refused(demo_county, tmp_path):
    doc2 = {
        "tenures": [
            {"person": "p06", "position": "d_vhead_build", "start": "2021-06-01", "end": "2024-03-02"}
        ]
    }
    _against_database(tmp_path, doc2, ["position d_vhead_build", "overlap"])


def test_a_reference_to_a_code_in_neither_document_nor_database_is_refused(demo_county, tmp_path):
    doc2 = {
        "duties": [{"code": "D99", "holder_unit": "d_nowhere", "type": "competent", "start": "2024-01-01"}]
    }
    _against_database(tmp_path, doc2, ["duties D99", "field holder_unit", "d_nowhere"])


def test_a_cycle_through_stored_units_is_refused(demo_county, tmp_path):
    d_gov = find(DEMO, "units", "d_gov")
    doc2 = {"units": [dict(d_gov, parent="d_em")]}  # d_em is d_gov's stored child
    _against_database(tmp_path, doc2, ["units d_gov", "field parent", "cycle"])


def test_a_region_level_below_a_stored_parent_is_checked(demo_county, tmp_path):
    doc2 = {"regions": [{"code": "T9", "name": "新镇", "level": "county", "parent": "SD"}]}
    _against_database(tmp_path, doc2, ["regions T9", "field level"])


def test_relevelling_a_stored_region_to_the_level_of_its_stored_children_is_refused(demo_county, tmp_path):
    doc2 = {"regions": [{"code": "SD", "name": "示范区", "level": "township", "parent": "SC"}]}
    _against_database(tmp_path, doc2, ["regions SD", "field level", "T1"])


def test_a_duty_end_before_its_start_is_refused_when_restating_a_stored_duty(demo_county, tmp_path):
    doc2 = {"duties": [dict(find(DEMO, "duties", "D26"), end="2017-01-01")]}
    _against_database(tmp_path, doc2, ["duties D26", "field end"])


# ---- the same refusals seen from the shell: exit status, no traceback, nothing written ----------------


@pytest.mark.django_db(transaction=True)
def test_from_the_shell_malformed_json_exits_non_zero_without_a_traceback(tmp_path):
    before = row_counts()
    result = run_manage("import_scenario", write(tmp_path, '{"regions": ['))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "malformed JSON" in result.stderr
    assert row_counts() == before


@pytest.mark.django_db(transaction=True)
def test_from_the_shell_a_schema_error_exits_non_zero_without_a_traceback(tmp_path):
    before = row_counts()
    result = run_manage("import_scenario", write(tmp_path, broken(_set("accidents", "A0226", deaths=-1))))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "accidents A0226 field deaths" in result.stderr
    assert row_counts() == before


@pytest.mark.django_db(transaction=True)
def test_from_the_shell_a_tenure_overlapping_the_database_is_refused(tmp_path):
    call_command("import_scenario", str(DEMO_FILE), quiet=True)
    before = snapshot()
    doc2 = {"tenures": [{"person": "p07", "position": "d_vhead_build", "start": "2024-02-15"}]}
    result = run_manage("import_scenario", write(tmp_path, doc2))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "position d_vhead_build" in result.stderr and "field start" in result.stderr
    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_from_the_shell_a_value_postgresql_would_refuse_is_refused_before_writing(tmp_path):
    before = row_counts()
    result = run_manage("import_scenario", write(tmp_path, broken(_set("regions", "SH", name="省" * 201))))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "regions SH field name" in result.stderr
    assert row_counts() == before


@pytest.mark.django_db(transaction=True)
def test_from_the_shell_the_worked_example_imports_with_exit_zero(tmp_path):
    result = run_manage("import_scenario", str(DEMO_FILE))
    assert result.returncode == 0, result.stderr
    assert Duty.objects.count() == len(DEMO["duties"])


# ---- what is accepted ----------------------------------------------------------------------------------


def test_importing_the_worked_example_twice_changes_nothing(demo_county):
    before = snapshot()
    assert totals(import_ok(str(DEMO_FILE))) == "0 new, 0 changed"
    assert snapshot() == before


def test_a_second_document_may_reference_codes_only_in_the_database(demo_county, tmp_path):
    doc2 = {
        "people": [{"code": "p40", "name": "新主任"}],
        "tenures": [{"person": "p40", "position": "t1_head", "start": "2024-03-01"}],
        "duties": [
            {
                "code": "D40",
                "holder_unit": "d_traffic",
                "type": "supervisory",
                "sectors": ["housing"],
                "region": "T1",
                "enterprise": "e1",
                "start": "2024-01-01",
            }
        ],
        "permits": [
            {
                "code": "PM40",
                "enterprise": "e4",
                "sector": "housing",
                "position": "d_housing_permit",
                "approved_on": "2024-01-02",
                "valid_until": "2025-01-01",
            }
        ],
        "inspections": [
            {
                "code": "IN40",
                "enterprise": "e1",
                "sector": "housing",
                "unit": "d_em",
                "inspectors": ["d_em_dir"],
                "date": "2024-03-20",
            }
        ],
        "hazards": [
            {
                "code": "H40",
                "enterprise": "e1",
                "sector": "housing",
                "unit": "e1_rebar",
                "inspection": "IN1",
                "level": "general",
                "source": "inspection",
                "found_on": "2024-03-20",
                "deadline": "2024-03-30",
                "responsible_position": "e1_safety",
            }
        ],
        "accidents": [
            {
                "code": "A40",
                "enterprise": "e1",
                "region": "T1",
                "sector": "housing",
                "unit": "e1_rebar",
                "post": "e1_crane",
                "parties": [{"enterprise": "e4", "role": "owner"}],
                "actors": [{"person": "p30", "role": "landlord"}],
                "occurred_at": "2024-04-01T08:00:00+08:00",
                "deaths": 0,
                "serious_injuries": 1,
                "direct_loss_yuan": 1000,
            }
        ],
    }
    before = row_counts()

    out = import_ok(write(tmp_path, doc2))

    assert totals(out) == "7 new, 0 changed"
    after = row_counts()
    for label in [
        "responsibility.Person",
        "responsibility.Tenure",
        "responsibility.Duty",
        "responsibility.Permit",
        "responsibility.Inspection",
        "accountability.Hazard",
        "accountability.Accident",
    ]:
        assert after[label] == before[label] + 1, label
    trace = json.loads(_trace("--accident", "A40"))
    links = {(link["type"], link["unit"], link["position"], link["person"]) for link in trace["links"]}
    assert ("supervisory", "d_traffic", None, None) in links
    assert ("party_gov_lead", "t1_gov", "t1_head", "p40") in links
    assert ("approval", "d_housing", "d_housing_permit", "p13") in links
    assert ("inspection", "d_em", "d_em_dir", "p14") in links
    assert ("actor", None, None, "p30") in links
    # And once more: nothing changes.
    assert totals(import_ok(write(tmp_path, doc2))) == "0 new, 0 changed"


def _trace(*args) -> str:
    out = StringIO()
    call_command("trace", *args, "--json", stdout=out)
    return out.getvalue()


def test_restating_a_tenure_with_an_end_closes_it(demo_county, tmp_path):
    doc2 = {
        "people": [{"code": "p41", "name": "新书记"}],
        "tenures": [
            {"person": "p15", "position": "t1_sec", "start": "2022-01-01", "end": "2024-06-01"},
            {"person": "p41", "position": "t1_sec", "start": "2024-06-01"},
        ],
    }
    out = import_ok(write(tmp_path, doc2))
    assert "tenures: 2 (1 new, 1 changed)" in out


def test_a_byte_order_mark_is_accepted(db, tmp_path):
    path = tmp_path / "bom.json"
    path.write_text("\ufeff" + json.dumps(DEMO, ensure_ascii=False), encoding="utf-8")
    import_ok(str(path))
    assert Region.objects.count() == len(DEMO["regions"])


def test_lower_case_t_and_z_in_times_are_accepted_as_rfc_3339_allows(db, tmp_path):
    doc = broken(
        _set("accidents", "A0226", occurred_at="2024-02-26t01:30:00z", reported_at="2024-02-26t02:05:00z")
    )
    import_ok(write(tmp_path, doc))
    trace = json.loads(_trace("--accident", "A0226"))
    assert trace["date"] == "2024-02-26"


def test_money_is_kept_to_the_fen_so_a_second_import_changes_nothing(db, tmp_path):
    doc = broken(_set("accidents", "A0226", direct_loss_yuan=3000000.456))
    path = write(tmp_path, doc)
    import_ok(path)
    assert totals(import_ok(path)) == "0 new, 0 changed"


def test_moving_a_stored_unit_puts_new_children_of_its_stored_descendants_under_the_new_place(
    demo_county, tmp_path
):
    e1_pm = find(DEMO, "units", "e1_pm")
    doc2 = {
        "units": [
            dict(e1_pm, parent="e5"),
            {"code": "e1_new_team", "name": "新班组", "kind": "team", "region": "T1", "parent": "e1_rebar"},
        ]
    }
    import_ok(write(tmp_path, doc2))

    units = {u.code: u for u in Unit.objects.filter(code__in=["e1_pm", "e1_rebar", "e1_new_team"])}
    assert units["e1_rebar"].path == "/e5/e1_pm/e1_rebar/"
    assert units["e1_new_team"].path == "/e5/e1_pm/e1_rebar/e1_new_team/"
    assert {u.enterprise.code for u in units.values()} == {"e5"}


def test_moving_a_stored_region_keeps_every_path_true(demo_county, tmp_path):
    doc2 = {
        "regions": [
            {"code": "SC2", "name": "新市", "level": "city", "parent": "SH"},
            {"code": "SD", "name": "示范区", "level": "county", "parent": "SC2"},
            {"code": "V9", "name": "新村", "level": "village", "parent": "T1"},
        ]
    }
    import_ok(write(tmp_path, doc2))

    for region in Region.objects.all():
        expected = (region.parent.path if region.parent else "/") + region.code + "/"
        assert region.path == expected, region.code
    assert Region.objects.get(code="V9").path == "/SH/SC2/SD/T1/V9/"


def test_a_post_is_judged_in_the_enterprise_the_same_document_moves_its_department_to(demo_county, tmp_path):
    e1_pm = find(DEMO, "units", "e1_pm")
    accident = {
        "code": "A41",
        "region": "T1",
        "sector": "housing",
        "unit": "e1_rebar",
        "post": "e1_crane",
        "occurred_at": "2024-05-01T08:00:00+08:00",
        "deaths": 0,
        "serious_injuries": 0,
        "direct_loss_yuan": 0,
    }
    moved = {"units": [dict(e1_pm, parent="e5")]}

    stale = dict(moved, accidents=[dict(accident, enterprise="e1")])
    _against_database(tmp_path, stale, ["accidents A41", "field unit", "field post", "'e1'"])

    import_ok(write(tmp_path, dict(moved, accidents=[dict(accident, enterprise="e5")]), "moved.json"))
    trace = json.loads(_trace("--accident", "A41"))
    assert ("post", "e1_crane", "e5") in {
        (link["type"], link["position"], link["enterprise"]) for link in trace["links"]
    }


@pytest.mark.django_db
def test_a_value_too_long_is_reported_with_the_other_problems(tmp_path):
    def mutate(doc):
        find(doc, "people", "p01")["name"] = "林" * 101
        find(doc, "duties", "D09")["holder_unit"] = "nowhere"

    message = refusal(write(tmp_path, broken(mutate)))
    assert "people p01 field name" in message and "duties D09 field holder_unit" in message
