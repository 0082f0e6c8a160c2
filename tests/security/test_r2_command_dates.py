"""Issue 23: no management command prints a traceback for a date at the calendar's edge. `send_reminders
--now 9999-12-28` computed reminder days past date.max; a date outside the product's calendar (the one the
API and the import use) is now refused by name, a date inside it is swept."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from responsibility.validators import DAY_MESSAGE, EARLIEST_DAY, LATEST_DAY

EDGES = ["9999-12-28", "9999-12-31", "9999-12-31T23:59", "0001-01-01", "0001-01-01T00:00"]
CALLS = [
    ("send_reminders", ["--dry-run", "--now"]),
    ("send_reminders", ["--now"]),
    ("trace", ["--enterprise", "e1", "--sector", "housing", "--date"]),
    ("trace", ["--enterprise", "e1", "--sector", "housing", "--date", "2024-02-26", "--since"]),
    ("coverage", ["--date"]),
]


@pytest.mark.parametrize("command,args", CALLS, ids=[" ".join([c, *a]) for c, a in CALLS])
@pytest.mark.parametrize("day", EDGES)
def test_a_command_given_a_day_at_the_calendars_edge_refuses_it_by_name(world, command, args, day, tried):
    tried["commands: edge dates"] += 1
    try:
        call_command(command, *args, day, stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError as refused:
        assert "Traceback" not in str(refused)
        assert DAY_MESSAGE in str(refused) or "YYYY-MM-DD" in str(refused), str(refused)
    # else: the day lies inside the calendar and the command answered


@pytest.mark.parametrize("day", [EARLIEST_DAY.isoformat(), LATEST_DAY.isoformat()])
def test_send_reminders_sweeps_on_the_calendars_last_and_first_day(world, day):
    out = io.StringIO()
    call_command("send_reminders", "--dry-run", "--now", day, stdout=out)
    assert f"提醒扫描 {day}" in out.getvalue()
