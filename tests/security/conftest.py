"""The security probe as a suite: each test reproduces one finding of issue 15 and counts what it tried.

Counts are kept on the test's report (`tried`); tests/conftest.py adds them up at the end of the run
(there, because under pytest-xdist the controlling process loads only the top conftest).
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
