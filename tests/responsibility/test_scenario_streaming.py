"""The import streams (issue 16 item 6): its memory does not grow with the document, and it is still
all or nothing — a refusal or a failure in the last section leaves nothing written."""

from __future__ import annotations

import copy
import gc
import json
import tracemalloc

import pytest
from django.apps import apps

from responsibility import scenario
from responsibility.scenario import ScenarioError, import_scenario, import_scenario_file
from tests.conftest import DEMO_FILE

DEMO = json.loads(DEMO_FILE.read_text(encoding="utf-8"))


def province(n: int, prefix: str) -> dict:
    """`n` enterprises with five posts, a holder each (half of them after a predecessor) and a duty each."""
    doc = {
        "regions": [{"code": f"{prefix}P", "name": "省", "level": "province"}]
        + [
            {"code": f"{prefix}T{t}", "name": f"镇{t}", "level": "township", "parent": f"{prefix}P"}
            for t in range(max(1, n // 20))
        ],
        "sectors": [{"code": f"{prefix}s", "name": "行业"}],
        "units": [],
        "positions": [],
        "people": [],
        "tenures": [],
        "duties": [],
    }
    towns = len(doc["regions"]) - 1
    for e in range(n):
        unit = f"{prefix}e{e}"
        doc["units"].append(
            {"code": unit, "name": f"企业{e}", "kind": "enterprise", "region": f"{prefix}T{e % towns}"}
        )
        for p in range(5):
            post = f"{unit}_{p}"
            doc["positions"].append({"code": post, "title": f"岗位{p}", "unit": unit})
            start = "2018-01-01"
            if p % 2:
                doc["people"].append({"code": f"{post}_old", "name": "前任"})
                doc["tenures"].append(
                    {"person": f"{post}_old", "position": post, "start": start, "end": "2021-01-01"}
                )
                start = "2021-01-01"
            doc["people"].append({"code": f"{post}_now", "name": "现任"})
            doc["tenures"].append({"person": f"{post}_now", "position": post, "start": start})
            doc["duties"].append(
                {
                    "code": f"{post}_d",
                    "holder_position": post,
                    "type": "post",
                    "enterprise": unit,
                    "start": "2018-01-01",
                }
            )
    return doc


def traced_peak(tmp_path, doc: dict, name: str) -> int:
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        import_scenario_file(path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.django_db
def test_a_document_twice_as_large_does_not_take_twice_the_memory(tmp_path):
    traced_peak(tmp_path, province(20, "w"), "warm.json")  # caches of the first import are not the document's
    # Both above the batch size (2,000 posts, people, duties): what a batch holds is the same in both.
    small_doc, large_doc = province(400, "a"), province(800, "b")
    extra_items = items_in(large_doc) - items_in(small_doc)
    small = traced_peak(tmp_path, small_doc, "small.json")
    large = traced_peak(tmp_path, large_doc, "large.json")
    # What grows with the document is its codes and ids (issue 16: at most 300 bytes an item), not the
    # items themselves (about 1.4 KB each when the whole document was held): measured ~190 B an item.
    assert (large - small) / extra_items <= 300, (small, large, extra_items)
    assert large / small <= 1.5, (small, large)


def items_in(doc: dict) -> int:
    return sum(len(section) for section in doc.values())


def row_counts() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for app in ("responsibility", "accountability")
        for m in apps.get_app_config(app).get_models()
        if m._meta.label != "responsibility.ImportRun"
    }


@pytest.mark.django_db
def test_a_refusal_in_the_last_section_leaves_nothing_written():
    doc = copy.deepcopy(DEMO)
    last = scenario.SECTIONS[-1].name
    assert doc[last], last
    doc[last][-1]["sector"] = "nowhere"
    before = row_counts()

    with pytest.raises(ScenarioError) as refused:
        import_scenario(json.dumps(doc, ensure_ascii=False))

    assert f"{last} {doc[last][-1]['code']} field sector" in str(refused.value)
    assert row_counts() == before


@pytest.mark.django_db
def test_a_failure_while_writing_the_last_section_leaves_nothing_written():
    last = scenario.SECTIONS[-1]

    def broken_write(ctx):
        raise RuntimeError("the database went away")

    scenario.SECTIONS[-1] = scenario.Section(last.name, last.validate, broken_write, model=last.model)
    before = row_counts()
    try:
        with pytest.raises(RuntimeError):
            import_scenario(DEMO_FILE.read_text(encoding="utf-8"))
    finally:
        scenario.SECTIONS[-1] = last

    assert row_counts() == before
