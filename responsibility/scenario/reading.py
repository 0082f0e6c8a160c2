"""The first pass over a document: every check that needs one item at a time, and the code index.

Items come one at a time (from `stream.Reader`, or from a document built in memory); each is checked
for unstorable text, against its section's schema, for values the database would refuse, and its code
goes into the context's index with what other sections' checks read of it. A streamed document's items
are spooled to disk for the later passes. What is refused, and in which order, is what the checks of
the whole document said: malformed JSON first, then unstorable text, then the schema, then duplicate
codes and values the database would refuse.
"""

from __future__ import annotations

import bisect
import itertools
import sys
from collections import defaultdict

from .. import strict_json
from ..validators import text_problem
from .context import MODEL_OF_SECTION, ImportContext, Spool
from .document import (
    ITEM_VALIDATORS,
    SCHEMA,
    _bad_strings,
    _schema_problem,
    field_value_problems,
    schema_located,
    validator_of,
)
from .errors import BAD_TEXT, ScenarioError, item_label

# What the checks of other sections read of an item, kept in the index: (parent, level / kind / unit).
INDEX_FIELDS = {
    "regions": ("parent", "level"),
    "sectors": ("parent", None),
    "units": ("parent", "kind"),
    "positions": (None, "unit"),
}
LIMIT = 50  # problems of one kind reported at once


class _Smallest:
    """The `LIMIT` smallest of what is added, by key; ties in the order they came."""

    def __init__(self):
        self.entries: list = []
        self._seq = itertools.count()

    def add(self, key, value) -> None:
        if len(self.entries) < LIMIT or (key, 0) < self.entries[-1][:2]:
            bisect.insort(self.entries, (key, next(self._seq), value))
            del self.entries[LIMIT:]

    def __bool__(self) -> bool:
        return bool(self.entries)

    def values(self) -> list:
        return [value for _, _, value in self.entries]


def _intern(value):
    return sys.intern(value) if isinstance(value, str) else None


def scan(ctx: ImportContext, members, *, spool: bool) -> bool:
    """Check and index every item of `members` ((section, items or value) pairs); raise ScenarioError
    for malformed JSON, unstorable text or the schema; else leave the duplicate codes and unstorable
    values in `ctx.problems` and return False when a date lies outside the calendar."""
    texts, schema = _Smallest(), _Smallest()
    skeleton: dict = {}
    repeated_section = None
    too_deep = False
    duplicates: dict[str, list[tuple[int, str]]] = defaultdict(list)
    tenure_hashes: set[int] = set()
    tenure_candidates: set[tuple] = set()
    values: dict[str, list[tuple]] = defaultdict(list)
    calendar_ok = True
    for section, value in members:
        if section in skeleton and repeated_section is None:
            repeated_section = section
        bad_name = text_problem(section)
        if bad_name:
            texts.add(f"document: a section name {BAD_TEXT}", f"document: a section name {BAD_TEXT}")
        if isinstance(value, dict | str | int | float | bool) or value is None:
            skeleton[section] = value
            too_deep = too_deep or strict_json.depth_of(value) + 1 > strict_json.MAX_DEPTH
            if not bad_name:
                for path in _bad_strings(value, section):
                    texts.add(f"document field {path}: {BAD_TEXT}", f"document field {path}: {BAD_TEXT}")
            continue
        skeleton[section] = []
        validator = ITEM_VALIDATORS.get(section)
        model = MODEL_OF_SECTION.get(section)
        fields = INDEX_FIELDS.get(section)
        index = ctx.index[section]
        sink = None
        if spool and validator is not None:
            sink = ctx.spools.setdefault(section, Spool())
        for i, item in enumerate(value):
            too_deep = too_deep or strict_json.depth_of(item) + 2 > strict_json.MAX_DEPTH
            if not bad_name:
                code = item.get("code") if isinstance(item, dict) else None
                label = item_label(section, i, item) if not text_problem(code) else f"{section}[{i}]"
                for path in _bad_strings(item, ""):
                    line = f"{label} field {path or '(item)'}: {BAD_TEXT}"
                    texts.add(line, line)
            if validator is None or too_deep:
                continue
            for error in validator.iter_errors(item):
                path = [section, i, *error.absolute_path]
                schema.add([str(p) for p in path], (_schema_problem(None, error, path, item), error, path))
            if texts or schema or repeated_section:
                continue  # refused whatever else is found: nothing more to keep
            if sink is not None:
                sink.add(item)
            code = item.get("code")
            if isinstance(code, str):
                code = sys.intern(code)
                if code in index:
                    duplicates[section].append((i, code))
                else:
                    index[code] = fields and (
                        _intern(item.get(fields[0] or "")),
                        _intern(item.get(fields[1] or "")),
                    )
            elif section == "tenures":
                key = (item.get("person"), item.get("position"), item.get("start"))
                digest = hash(key)
                if digest in tenure_hashes:
                    tenure_candidates.add(key)
                tenure_hashes.add(digest)
            if model is not None:
                for name, problem, is_date in field_value_problems(model, item):
                    values[section].append((i, item_label(section, i, item), name, problem))
                    calendar_ok = calendar_ok and not is_date
    del tenure_hashes
    if repeated_section is not None:
        code = skeleton.get("code")
        where = f" in the object with code {code!r}" if isinstance(code, str) and code.isprintable() else ""
        raise ScenarioError([f"malformed JSON: duplicate key {repeated_section!r}{where}"])
    if too_deep:
        raise ScenarioError([f"malformed JSON: nested too deeply (more than {strict_json.MAX_DEPTH} levels)"])
    if texts:
        raise ScenarioError(texts.values())
    for error in validator_of(SCHEMA).iter_errors(skeleton):
        path = list(error.absolute_path)
        schema.add([str(p) for p in path], (_schema_problem(skeleton, error), error, path))
    if schema:
        found = schema.values()
        located = [where for _, error, path in found if (where := schema_located(path, error))]
        raise ScenarioError([line for line, _, _ in found], located)
    _report_duplicates(ctx, duplicates, tenure_candidates)
    for section in MODEL_OF_SECTION:
        for i, label, name, problem in values.get(section, []):
            ctx.problems.append(f"{label} field {name}: {problem}")
            ctx.located.append((section, i, name, problem))
    return calendar_ok


def _report_duplicates(ctx: ImportContext, duplicates: dict, tenure_candidates: set) -> None:
    """Each repeated code names the item that first had it (found again by reading the section)."""
    for section in SCHEMA["properties"]:
        if section in duplicates:
            repeated = {code for _, code in duplicates[section]}
            first: dict[str, int] = {}
            for i, item in enumerate(ctx.items(section)):
                if item.get("code") in repeated:
                    first.setdefault(item["code"], i)
            for i, code in duplicates[section]:
                item = {"code": code}
                ctx.problem(section, i, item, "code", f"duplicate code {code!r} (also item {first[code]})")
    if tenure_candidates:
        seen = set()
        for i, item in enumerate(ctx.items("tenures")):
            key = (item.get("person"), item.get("position"), item.get("start"))
            if key in tenure_candidates:
                if key in seen:
                    ctx.problem("tenures", i, item, "start", "duplicate tenure")
                seen.add(key)
