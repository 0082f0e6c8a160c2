import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

REPO = Path(__file__).resolve().parent.parent
# The worked examples as shared with acceptance. The suite reads them there and nowhere else: a missing
# ../shared fails the run instead of quietly testing a copy (the repo's demo/ copy is for `make run` only).
SHARED_EXAMPLES = REPO.parent / "shared" / "examples"
if not (SHARED_EXAMPLES / "demo_county.json").is_file():
    raise pytest.UsageError(
        f"the shared worked examples are missing: {SHARED_EXAMPLES} (../shared beside the repo)"
    )
DEMO_FILE = SHARED_EXAMPLES / "demo_county.json"
EXPECTED_FILE = SHARED_EXAMPLES / "demo_county.expected.json"
OLD_HOUSE_FILE = SHARED_EXAMPLES / "old_house.json"
OLD_HOUSE_EXPECTED_FILE = SHARED_EXAMPLES / "old_house.expected.json"
# old_house with a raised investigation and a contractor's crew (DESIGN §5.11–12); a superset of old_house.
OLD_HOUSE_RAISED_FILE = SHARED_EXAMPLES / "old_house_raised.json"
OLD_HOUSE_RAISED_EXPECTED_FILE = SHARED_EXAMPLES / "old_house_raised.expected.json"


@pytest.fixture(scope="session")
def expected():
    return json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def demo_county(db):
    """The worked example county, imported through the real import command."""
    call_command("import_scenario", str(DEMO_FILE), quiet=True)


@pytest.fixture(scope="session")
def old_house_expected():
    return json.loads(OLD_HOUSE_EXPECTED_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def old_house(db):
    """The worked example of DESIGN §5 (periods, sectors, certifications, investigators)."""
    call_command("import_scenario", str(OLD_HOUSE_FILE), quiet=True)


@pytest.fixture(scope="session")
def old_house_raised_expected():
    return json.loads(OLD_HOUSE_RAISED_EXPECTED_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def old_house_raised(db):
    """The worked example of DESIGN §5.11–12, read from the shared folder."""
    call_command("import_scenario", str(OLD_HOUSE_RAISED_FILE), quiet=True)


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` ask PostgreSQL itself (its planner on analysed rows): the PostgreSQL pass of
    `make test` runs them; the SQLite pass leaves them out as deselected, never as skipped."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    elsewhere = [item for item in items if item.get_closest_marker("postgres")]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


def pytest_terminal_summary(terminalreporter):
    totals: Counter = Counter()  # the security probe's counts (tests/security)
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", []):
        if report.when != "call":
            continue
        for name, value in getattr(report, "user_properties", ()):
            if name == "tried":
                totals.update(value)
    if totals:
        terminalreporter.write_sep("-", "security probe: requests and inputs tried per category")
        for category, n in sorted(totals.items()):
            terminalreporter.write_line(f"{category:48} {n:>7}")
        terminalreporter.write_line(f"{'total':48} {sum(totals.values()):>7}")
