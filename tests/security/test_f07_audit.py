"""Finding 7: who added a subject, who opened a case from the command line, the parties and actors of an
accident and who ran an import were not in the history. Every write now names its actor and time."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from accountability.accidents import record_accident
from accountability.models import AccountabilityRecord, Case, EventActor, EventParty
from responsibility.models import ImportOutcome, ImportRun, Sector, Unit

# Append-only rows (never edited, so no history of their own): where each keeps its actor and its time.
LOGS = {
    "ImportRun": ("by", "at"),
    "HazardTransition": ("by", "at"),
    "ExtensionRequest": ("requested_by", "requested_at"),
    "CasualtyRevision": ("by", "at"),
    "AccountabilityRecord": ("added_by", "created_at"),  # chain records: the case's opener
    "Decision": ("decided_by", "decided_at"),
    "Measure": ("decision", None),  # part of its decision: decided_by, decided_at
    "EducationActivity": ("recorded_by", "recorded_at"),
    "GovFindingTransition": ("by", "at"),
    "AlertPerson": ("alert", None),  # the names an alert froze when it fired: part of its alert (history)
    # Written by the reminder sweep itself (no user acts): when, and to whom.
    "ReminderDigest": ("user", "sent_at"),
    "ReminderLog": ("user", "claimed_at"),
    "Notification": ("user", "created_at"),
}


def test_every_model_keeps_history_or_is_an_append_only_log_with_actor_and_time():
    for app in ("responsibility", "accountability"):
        for model in apps.get_app_config(app).get_models():
            name = model.__name__
            if name.startswith("Historical") or hasattr(model, "history"):
                continue
            assert name in LOGS, f"{name} has neither history nor an actor and time"
            for field in filter(None, LOGS[name]):
                model._meta.get_field(field)


def test_a_subject_added_over_the_api_names_who_added_it(world, tried):
    response = world.clients["inspector"].post(
        "/api/v1/cases/CASE-A-A0226/subjects/",
        {"track": "supervision", "reason": "明知隐患未督促", "types": ["territorial"], "person": "p16"},
        format="json",
    )
    tried["api: audited writes"] += 1
    assert response.status_code == 201, response.json()
    record = AccountabilityRecord.objects.get(pk=response.json()["id"])
    assert record.added_by == world.users["inspector"]


def new_accident(code: str):
    e1 = Unit.objects.get(code="e1")
    return record_accident(
        code=code,
        enterprise=e1,
        region=e1.region,
        sector=Sector.objects.get(code="housing"),
        occurred_at=dt.datetime(2024, 6, 1, 8, tzinfo=dt.UTC),
    )


def test_a_case_opened_from_the_command_line_names_the_user_or_the_os_account(world, tried):
    new_accident("AU2")
    with pytest.raises(CommandError, match="--by"):
        call_command("open_case", accident="AU2", by="nobody-here")
    call_command("open_case", accident="AU2", by="inspector", json=True)
    case = Case.objects.get(accident__code="AU2")
    assert case.opened_by == world.users["inspector"]
    assert case.history.earliest().history_user == world.users["inspector"]
    new_accident("AU3")
    call_command("open_case", accident="AU3")
    assert "命令行" in Case.objects.get(accident__code="AU3").history.earliest().history_change_reason
    tried["cli: audited writes"] += 3


def test_parties_and_actors_keep_their_history_with_the_user(world, tried):
    response = world.clients["regulator"].post(
        "/api/v1/accidents/",
        {
            "code": "AU1",
            "enterprise": "e1",
            "sector": "housing",
            "occurred_at": "2024-06-01T08:00:00+08:00",
            "parties": [{"enterprise": "e4", "role": "owner"}],
            "actors": [{"person": "p30", "role": "landlord"}],
        },
        format="json",
    )
    tried["api: audited writes"] += 1
    assert response.status_code == 201
    for model in (EventParty, EventActor):
        entry = model.history.get(accident__code="AU1")
        assert (entry.history_type, entry.history_user) == ("+", world.users["regulator"])


def test_each_import_is_logged_with_who_when_file_hash_and_counts(world, tmp_path, tried):
    document = json.dumps({"people": [{"code": "px1", "name": "王某"}]})
    path = tmp_path / "people.json"
    path.write_text(document, encoding="utf-8")
    call_command("import_scenario", str(path), quiet=True, by="admin")
    run = ImportRun.objects.latest("id")
    assert (run.by, run.outcome, run.created, run.changed, run.source) == (
        world.users["admin"],
        ImportOutcome.IMPORTED,
        1,
        0,
        str(path),
    )
    assert run.sha256 == hashlib.sha256(document.encode()).hexdigest()
    assert run.counts == {"people": [1, 0]}
    path.write_text(json.dumps({"people": [{"code": "px1"}]}), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_scenario", str(path), quiet=True)
    refused = ImportRun.objects.latest("id")
    assert refused.outcome == ImportOutcome.REFUSED and refused.problems
    tried["cli: audited writes"] += 2
