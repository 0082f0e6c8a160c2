import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

REPO = Path(__file__).resolve().parent.parent
# The worked example as shared with acceptance; the repo keeps a copy for `make run` on its own.
SHARED_EXAMPLES = REPO.parent / "shared" / "examples"
EXAMPLES = SHARED_EXAMPLES if (SHARED_EXAMPLES / "demo_county.json").exists() else REPO / "demo"
DEMO_FILE = EXAMPLES / "demo_county.json"
EXPECTED_FILE = SHARED_EXAMPLES / "demo_county.expected.json"
if not EXPECTED_FILE.exists():
    EXPECTED_FILE = REPO / "tests" / "data" / "demo_county.expected.json"


@pytest.fixture(scope="session")
def expected():
    return json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def demo_county(db):
    """The worked example county, imported through the real import command."""
    call_command("import_scenario", str(DEMO_FILE), quiet=True)


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
