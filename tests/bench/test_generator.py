"""The benchmark's province generator (bench/province.py): deterministic, and the same data whether it is
written straight into the database or emitted as a scenario document and imported by the product."""

import json

from django.db import connection, transaction

from bench.province import DatabaseSink, accident_traces, emit_json, generate
from responsibility.scenario import import_scenario

SIZE = 60  # 6 accidents, two of them with a party enterprise; certifications by two service bodies


def test_same_seed_same_items_other_seed_other_items():
    first = list(generate(SIZE, seed=7))
    assert first == list(generate(SIZE, seed=7))
    assert first != list(generate(SIZE, seed=8))
    sections = {section for section, _item in first}
    assert {"regions", "units", "positions", "tenures", "duties", "permits", "inspections"} <= sections
    assert {"certifications", "hazards", "accidents"} <= sections
    duty_types = {item["type"] for section, item in first if section == "duties"}
    assert duty_types >= {
        "party_gov_lead", "leader_in_charge", "territorial", "competent", "supervisory",
        "primary", "enterprise_leader", "safety_manager", "dept_head", "team_leader", "post",
    }  # fmt: skip


def test_direct_load_and_import_of_the_emitted_document_give_the_same_traces(db, tmp_path):
    path = tmp_path / "province.json"
    items = emit_json(SIZE, path, seed=7)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert sum(len(v) for v in document.values()) == items

    with transaction.atomic():
        sink = DatabaseSink(connection)
        for section, item in generate(SIZE, seed=7):
            sink.add(section, item)
        sink.close()
        codes = [item["code"] for item in document["accidents"]]
        direct = accident_traces(codes)
        transaction.set_rollback(True)  # the same codes are imported below

    import_scenario(path.read_text(encoding="utf-8"), source=str(path))
    imported = accident_traces(codes)
    assert len(codes) == 6 and all(direct[c] for c in codes)
    assert any(link["role"] == "subcontractor" for c in codes for link in direct[c])
    assert any(link["type"] == "certification" for c in codes for link in direct[c])
    assert imported == direct
