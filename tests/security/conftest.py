"""The security probe as a suite: each test reproduces one finding of issue 15 and counts what it tried.

Counts are kept on the test's report (`tried`), so the summary adds them up under pytest-xdist too.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.api.conftest import (  # noqa: F401
    PASSWORD,
    World,
    fresh_throttle_counts,
    shared_world,
    token_client,
)


@pytest.fixture
def world(shared_world, db) -> World:  # noqa: F811
    """The API tests' world, built once per module; each test's writes roll back."""
    return shared_world


@pytest.fixture
def tried(request):
    """A counter of requests or inputs per category, reported with the test."""
    counts: Counter = Counter()
    request.node._tried = counts
    return counts


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item, call):
    """The call's report carries the counts as a plain dict (pytest-xdist sends reports between processes)."""
    if call.when == "call" and hasattr(item, "_tried"):
        item.user_properties.append(("tried", dict(item._tried)))


def pytest_terminal_summary(terminalreporter):
    totals: Counter = Counter()
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
