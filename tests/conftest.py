import json
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
