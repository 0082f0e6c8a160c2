"""The scenario import (DESIGN §4): validate the whole document, then write it in one transaction.

Every refusal is one line naming the section, the item's code and the field. Items are upserted
by code, so importing the same document twice changes nothing; a code that is neither in the
document nor in the database is refused.

Sections are registered in order; `accountability` registers hazards and accidents from its
AppConfig so that this module never imports it (events point at duties, never the reverse).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import jsonschema
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from simple_history.utils import bulk_create_with_history

from . import strict_json
from .models import (
    LEVEL_RANK,
    Certification,
    CertificationSigner,
    Duty,
    ImportOutcome,
    ImportRun,
    Inspection,
    Permit,
    Person,
    Position,
    Region,
    Sector,
    Tenure,
    Unit,
    UnitKind,
)
from .validators import EARLIEST_DAY, LATEST_DAY, day_problem, moment_problem, text_problem

SCHEMA = json.loads((Path(__file__).with_name("scenario.schema.json")).read_text(encoding="utf-8"))
CHANGE_REASON = "import_scenario"


class ScenarioError(Exception):
    """The document is refused; `problems` are one line each; `located` says, where known, the
    (section, item index, field, message) of each, for callers that point at a sheet's row and column."""

    def __init__(self, problems: list[str], located: list[tuple[str, int, str, str]] | None = None):
        self.problems = problems
        self.located = located or []
        super().__init__("\n".join(problems))


def _singular(section: str) -> str:
    return {"people": "person", "duties": "duty"}.get(section, section.removesuffix("s"))


def item_label(section: str, index: int, item) -> str:
    if isinstance(item, dict):
        if isinstance(item.get("code"), str):
            return f"{section} {item['code']}"
        if section == "tenures":
            return f"tenures[{index}] (person {item.get('person')}, position {item.get('position')})"
    return f"{section}[{index}]"


# ---- parsing and schema -------------------------------------------------------------------------


def parse_document(text: str) -> dict:
    if text.startswith("\ufeff"):
        text = text[1:]  # the byte-order mark spreadsheet tools write in front of UTF-8
    try:
        doc = strict_json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError([f"malformed JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"]) from None
    except strict_json.StrictJSONError as exc:
        raise ScenarioError([f"malformed JSON: {exc}"]) from None
    return doc


def _schema_problem(doc, error: jsonschema.ValidationError) -> str:
    path = list(error.absolute_path)
    if len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], int):
        section, index = path[0], path[1]
        item = doc[section][index]
        where = item_label(section, index, item)
        rest = path[2:]
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            return f"{where} field {'.'.join(map(str, rest + extra[:1]))}: unknown field"
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else error.message
            return f"{where} field {missing}: required field is missing"
        if error.validator == "oneOf" and section == "duties":
            both = "holder_position" in item and "holder_unit" in item
            why = "has two holders (holder_position and holder_unit)" if both else "has no holder"
            return f"{where} field holder_position/holder_unit: a duty {why}; give exactly one"
        field_name = ".".join(str(p) for p in rest) or "(item)"
        return f"{where} field {field_name}: {error.message}"
    if path:
        return f"{path[0]} field {'.'.join(map(str, path[1:])) or '(section)'}: {error.message}"
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(SCHEMA["properties"]))
        return f"document field {', '.join(extra)}: unknown section"
    return f"document: {error.message}"


def check_schema(doc) -> None:
    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        located = []
        for error in errors[:50]:
            path = list(error.absolute_path)
            if len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], int):
                field_name = str(path[2]) if len(path) > 2 else ""
                if error.validator == "required" and "'" in error.message:
                    field_name = error.message.split("'")[1]
                located.append((path[0], path[1], field_name, error.message))
        raise ScenarioError([_schema_problem(doc, e) for e in errors[:50]], located)


def _check_field_values(ctx: ImportContext) -> bool:
    """What the schema cannot say but the database enforces: lengths, integer and decimal ranges, NUL.

    Without this a long name or a huge number passes validation and fails inside the write, with a
    traceback on PostgreSQL (SQLite silently stores what PostgreSQL refuses). False when a date lies
    outside the calendar, so that the section rules never compute with it.
    """
    calendar_ok = True
    for section, model in MODEL_OF_SECTION.items():
        for index, item in enumerate(ctx.items(section)):
            for name, value in item.items():
                try:
                    model_field = model._meta.get_field(name)
                except FieldDoesNotExist:
                    continue
                problem = _field_value_problem(model_field, value)
                if problem:
                    ctx.problem(section, index, item, name, problem)
                    calendar_ok = calendar_ok and not isinstance(model_field, models.DateField)
    return calendar_ok


def _field_value_problem(model_field, value) -> str | None:
    if isinstance(value, str):
        if text_problem(value):
            return "contains a NUL character or an invalid Unicode character (lone surrogate)"
        if isinstance(model_field, models.DateTimeField | models.DateField):
            return _calendar_problem(model_field, value)
        if isinstance(model_field, models.CharField) and model_field.max_length:
            if len(value) > model_field.max_length:
                return f"is {len(value)} characters long, at most {model_field.max_length} allowed"
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(model_field, models.IntegerField):
        # The portable range (PostgreSQL's): a document SQLite accepts must load on PostgreSQL too.
        low, high = BaseDatabaseOperations.integer_field_ranges.get(
            model_field.get_internal_type(),
            connection.ops.integer_field_range(model_field.get_internal_type()),
        )
        if (low is not None and value < low) or (high is not None and value > high):
            return f"{value} is out of range ({low}..{high})"
    elif isinstance(model_field, models.DecimalField):
        limit = Decimal(10) ** (model_field.max_digits - model_field.decimal_places)
        try:
            amount = Decimal(str(value))
            if abs(amount) < limit:
                amount = money(value)  # rounding to the fen may carry into one more digit
        except InvalidOperation:
            return f"{value} is not a number"
        if abs(amount) >= limit:
            return f"{value} is too large (at most {model_field.max_digits - model_field.decimal_places} digits before the point)"
    return None


def _calendar_problem(model_field, value: str) -> str | None:
    """The shared date range (responsibility.validators): year 1 or 9999 would not read back."""
    try:
        parsed = parse_datetime(value) if isinstance(model_field, models.DateTimeField) else parse_date(value)
    except ValueError:
        return None  # the schema and the section name the malformed value
    if (day_problem(parsed) if not isinstance(parsed, dt.datetime) else moment_problem(parsed)) is None:
        return None
    return f"{value} is outside {EARLIEST_DAY} .. {LATEST_DAY} (China time)"


BAD_TEXT = "contains a NUL character or an invalid Unicode character (lone surrogate)"


def _bad_strings(value, where: str):
    """JSON paths below `where` of strings (keys included) that no database can store."""
    stack = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if text_problem(key):
                    yield f"{path} (a field name)"
                else:
                    stack.append((child, f"{path}.{key}" if path else key))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(item))
        elif text_problem(item):
            yield path


def _text_problems(doc) -> list[str]:
    """Every string of the document without NUL or lone surrogates, named by item and field (the text
    itself is never printed: a lone surrogate cannot even be written to a terminal)."""
    if not isinstance(doc, dict):
        return []
    problems = []
    for section, items in doc.items():
        if text_problem(section):
            problems.append(f"document: a section name {BAD_TEXT}")
            continue
        if not isinstance(items, list):
            problems += [f"document field {path}: {BAD_TEXT}" for path in _bad_strings(items, section)]
            continue
        for index, item in enumerate(items):
            code = item.get("code") if isinstance(item, dict) else None
            label = item_label(section, index, item) if not text_problem(code) else f"{section}[{index}]"
            problems += [f"{label} field {path or '(item)'}: {BAD_TEXT}" for path in _bad_strings(item, "")]
    return sorted(problems)


# ---- the import context shared by sections ------------------------------------------------------

MODEL_OF_SECTION: dict[str, type[models.Model]] = {
    "regions": Region,
    "sectors": Sector,
    "units": Unit,
    "positions": Position,
    "people": Person,
    "duties": Duty,
    "permits": Permit,
    "inspections": Inspection,
    "certifications": Certification,
}


@dataclass
class ImportContext:
    doc: dict
    problems: list[str] = field(default_factory=list)
    located: list[tuple[str, int, str, str]] = field(default_factory=list)
    # code -> object, for what is in the database already (filled by `prefetch`) and then what was written.
    objects: dict[str, dict[str, models.Model]] = field(default_factory=lambda: defaultdict(dict))
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    preexisting: dict[str, set[str]] = field(default_factory=dict)
    progress: Callable[[str], None] = lambda message: None
    by: object = None  # the user the history names (None: the command line without --by)
    run: object = None
    # The document never changes during an import: its code indexes are built once, not per lookup.
    _doc_codes: dict[str, dict[str, dict]] = field(default_factory=dict, repr=False)
    # Parent maps are read by validation only; `import_scenario` clears them before writing.
    _parents: dict[str, dict[str, str | None]] = field(default_factory=dict, repr=False)

    def items(self, section: str) -> list[dict]:
        return self.doc.get(section) or []

    def doc_codes(self, section: str) -> dict[str, dict]:
        if section not in self._doc_codes:
            self._doc_codes[section] = {item["code"]: item for item in self.items(section)}
        return self._doc_codes[section]

    def problem(self, section: str, index: int, item: dict, field_name: str, message: str) -> None:
        self.problems.append(f"{item_label(section, index, item)} field {field_name}: {message}")
        self.located.append((section, index, field_name, message))

    def known(self, section: str, code: str) -> bool:
        return code in self.doc_codes(section) or code in self.objects[section]

    def check_ref(self, section, index, item, field_name, target_section, code=None) -> bool:
        code = item.get(field_name) if code is None else code
        if code is None:
            return True
        if not self.known(target_section, code):
            self.problem(
                section, index, item, field_name, f"unknown {_singular(target_section)} code {code!r}"
            )
            return False
        return True

    def unit_kind(self, code: str) -> str | None:
        if code in self.doc_codes("units"):
            return self.doc_codes("units")[code]["kind"]
        unit = self.objects["units"].get(code)
        return unit.kind if unit else None

    def check_enterprise_ref(self, section, index, item, field_name, code=None) -> None:
        code = item.get(field_name) if code is None else code
        if code is not None and self.check_ref(section, index, item, field_name, "units", code):
            if self.unit_kind(code) != UnitKind.ENTERPRISE:
                self.problem(section, index, item, field_name, f"unit {code!r} is not an enterprise")

    def parent_map(self, section: str) -> dict[str, str | None]:
        """code -> parent code, the document overriding the database."""
        if section in self._parents:
            return self._parents[section]
        parents: dict[str, str | None] = {}
        for obj in self.objects[section].values():
            codes = obj.ancestor_codes()
            for parent, child in zip([None, *codes[:-1]], codes, strict=True):
                parents.setdefault(child, parent)
        for code, item in self.doc_codes(section).items():
            parents[code] = item.get("parent")
        self._parents[section] = parents
        return parents

    def enterprise_of_unit(self, code: str | None) -> str | None:
        """The enterprise a unit belongs to, following parents through document and database."""
        parents = self.parent_map("units")
        seen = set()
        while code is not None and code not in seen:
            seen.add(code)
            if self.unit_kind(code) == UnitKind.ENTERPRISE:
                return code
            code = parents.get(code)
        return None

    def enterprise_of_position(self, code: str | None) -> str | None:
        if code in self.doc_codes("positions"):
            return self.enterprise_of_unit(self.doc_codes("positions")[code]["unit"])
        position = self.objects["positions"].get(code)
        return None if position is None else self.enterprise_of_unit(position.unit.code)

    def get(self, section: str, code: str | None):
        return None if code is None else self.objects[section][code]


def parse_date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def parse_datetime(value: str) -> dt.datetime:
    # RFC 3339 allows a lower-case "t" and "z" (the schema's format check accepts them); Python does not.
    return dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))


def money(value) -> Decimal:
    """A JSON number of yuan as stored: rounded to the fen (two decimal places)."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# ---- sections ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    name: str
    validate: Callable[[ImportContext], None]
    write: Callable[[ImportContext], None]
    # Which sections' codes this one may reference (prefetched from the database once).
    model: type[models.Model] | None = None  # a coded model whose stored rows the section upserts


SECTIONS: list[Section] = []


def register_section(section: Section) -> None:
    if all(s.name != section.name for s in SECTIONS):
        SECTIONS.append(section)
        if section.model is not None:
            MODEL_OF_SECTION.setdefault(section.name, section.model)


def _referenced_codes(ctx: ImportContext) -> dict[str, set[str]]:
    """Every code the document mentions, by the section it must come from."""
    refs: dict[str, set[str]] = defaultdict(set)
    fields = {
        "regions": [("parent", "regions")],
        "sectors": [("parent", "sectors")],
        "units": [("parent", "units"), ("region", "regions"), ("sectors", "sectors")],
        "positions": [("unit", "units")],
        "tenures": [("person", "people"), ("position", "positions")],
        "duties": [
            ("holder_position", "positions"),
            ("holder_unit", "units"),
            ("sectors", "sectors"),
            ("region", "regions"),
            ("enterprise", "units"),
        ],
        "permits": [("enterprise", "units"), ("sector", "sectors"), ("position", "positions")],
        "inspections": [
            ("enterprise", "units"),
            ("sector", "sectors"),
            ("unit", "units"),
            ("inspectors", "positions"),
        ],
        "certifications": [
            ("issuer", "units"),
            ("enterprise", "units"),
            ("sector", "sectors"),
            ("signers", "positions"),
        ],
        "hazards": [
            ("enterprise", "units"),
            ("sector", "sectors"),
            ("inspection", "inspections"),
            ("unit", "units"),
            ("responsible_position", "positions"),
            ("also_sectors", "sectors"),
        ],
        "accidents": [
            ("enterprise", "units"),
            ("region", "regions"),
            ("sector", "sectors"),
            ("unit", "units"),
            ("post", "positions"),
            ("also_sectors", "sectors"),
            ("investigators", "units"),
        ],
    }
    for section, pairs in fields.items():
        for item in ctx.items(section):
            for field_name, target in pairs:
                value = item.get(field_name)
                if isinstance(value, list):
                    refs[target].update(value)
                elif value is not None:
                    refs[target].add(value)
            for party in item.get("parties") or []:
                refs["units"].add(party["enterprise"])
            for actor in item.get("actors") or []:
                refs["people"].add(actor["person"])
                if actor.get("of"):
                    refs["units"].add(actor["of"])
    for section in MODEL_OF_SECTION:
        refs[section].update(ctx.doc_codes(section))
    return refs


def _prefetch_database(ctx: ImportContext) -> None:
    refs = _referenced_codes(ctx)
    for section, model in MODEL_OF_SECTION.items():
        codes = refs.get(section, set())
        if not codes:
            continue
        qs = model.objects.filter(code__in=codes)
        if model is Position:
            qs = qs.select_related("unit")
        ctx.objects[section].update({obj.code: obj for obj in qs})
        if model is Position:
            # A stored position's unit, with its ancestors below: the enterprise a post belongs to is
            # read through the tree as this document leaves it (it may move the post's department).
            for position in ctx.objects[section].values():
                ctx.objects["units"].setdefault(position.unit.code, position.unit)
    # Tree ancestors of what we touch, for cycle and level checks across document and database.
    for section in ("regions", "sectors", "units"):
        model = MODEL_OF_SECTION[section]
        ancestors = {c for obj in ctx.objects[section].values() for c in obj.ancestor_codes()}
        missing = ancestors - set(ctx.objects[section])
        if missing:
            ctx.objects[section].update({o.code: o for o in model.objects.filter(code__in=missing)})


def _check_duplicates(ctx: ImportContext) -> None:
    for section in SCHEMA["properties"]:
        seen: dict[str, int] = {}
        for index, item in enumerate(ctx.items(section)):
            code = item.get("code")
            if code is None:
                continue
            if code in seen:
                ctx.problem(section, index, item, "code", f"duplicate code {code!r} (also item {seen[code]})")
            seen.setdefault(code, index)
    seen_tenures: set[tuple] = set()
    for index, item in enumerate(ctx.items("tenures")):
        key = (item["person"], item["position"], item["start"])
        if key in seen_tenures:
            ctx.problem("tenures", index, item, "start", "duplicate tenure")
        seen_tenures.add(key)


def _check_tree(ctx: ImportContext, section: str) -> None:
    parents = ctx.parent_map(section)
    for index, item in enumerate(ctx.items(section)):
        ctx.check_ref(section, index, item, "parent", section)
        code, seen = item["code"], set()
        node = parents.get(code)
        while node is not None and node not in seen:
            if node == code:
                ctx.problem(section, index, item, "parent", f"cycle: {code!r} is its own ancestor")
                break
            seen.add(node)
            node = parents.get(node)


def _check_period(ctx, section, index, item, start_field, end_field, strict=True):
    start, end = item.get(start_field), item.get(end_field)
    if start is None or end is None:
        return
    if (end <= start) if strict else (end < start):
        relation = "after" if strict else "on or after"
        ctx.problem(
            section, index, item, end_field, f"{end_field} {end} must be {relation} {start_field} {start}"
        )


def _validate_regions(ctx: ImportContext) -> None:
    _check_tree(ctx, "regions")
    levels = {code: obj.level for code, obj in ctx.objects["regions"].items()}
    levels.update({code: item["level"] for code, item in ctx.doc_codes("regions").items()})
    for index, item in enumerate(ctx.items("regions")):
        parent = item.get("parent")
        if parent in levels and LEVEL_RANK[item["level"]] <= LEVEL_RANK[levels[parent]]:
            ctx.problem(
                "regions",
                index,
                item,
                "level",
                f"level {item['level']} is not below its parent {parent}'s level {levels[parent]}",
            )
    # A stored region whose level the document changes must stay above its stored children too.
    doc = ctx.doc_codes("regions")
    relevelled = [
        code
        for code, item in doc.items()
        if code in ctx.objects["regions"] and ctx.objects["regions"][code].level != item["level"]
    ]
    if relevelled:
        index_of = {item["code"]: index for index, item in enumerate(ctx.items("regions"))}
        children = (
            Region.objects.filter(parent__code__in=relevelled)
            .exclude(code__in=list(doc))
            .select_related("parent")
            .order_by("code")
        )
        for child in children:
            item = doc[child.parent.code]
            if LEVEL_RANK[child.level] <= LEVEL_RANK[item["level"]]:
                ctx.problem(
                    "regions",
                    index_of[item["code"]],
                    item,
                    "level",
                    f"level {item['level']} is not above the level {child.level} of its child {child.code}",
                )


def _validate_sectors(ctx: ImportContext) -> None:
    _check_tree(ctx, "sectors")


def _validate_units(ctx: ImportContext) -> None:
    _check_tree(ctx, "units")
    for index, item in enumerate(ctx.items("units")):
        ctx.check_ref("units", index, item, "region", "regions")
        for code in item.get("sectors") or []:
            ctx.check_ref("units", index, item, "sectors", "sectors", code)
        if Unit.sectors_problem(item["kind"], item.get("sectors")):
            ctx.problem("units", index, item, "sectors", "only an enterprise lists its sectors")


def _validate_positions(ctx: ImportContext) -> None:
    for index, item in enumerate(ctx.items("positions")):
        ctx.check_ref("positions", index, item, "unit", "units")


def _validate_people(ctx: ImportContext) -> None:
    return None


def _validate_tenures(ctx: ImportContext) -> None:
    by_position: dict[str, list[tuple[dt.date, dt.date | None, str, int, dict]]] = defaultdict(list)
    for index, item in enumerate(ctx.items("tenures")):
        ok = ctx.check_ref("tenures", index, item, "person", "people")
        ok = ctx.check_ref("tenures", index, item, "position", "positions") and ok
        _check_period(ctx, "tenures", index, item, "start", "end")
        if ok:
            end = parse_date(item["end"]) if item.get("end") else None
            by_position[item["position"]].append(
                (parse_date(item["start"]), end, item["person"], index, item)
            )
    # Tenures already stored for these positions take part too (except the ones this document restates).
    stored = Tenure.objects.filter(position__code__in=list(by_position)).select_related("person", "position")
    restated = {(i["position"], i["start"]) for i in ctx.items("tenures")}
    for tenure in stored:
        if (tenure.position.code, tenure.start.isoformat()) not in restated:
            by_position[tenure.position.code].append((tenure.start, tenure.end, tenure.person.code, -1, None))
    for position, periods in by_position.items():
        periods.sort(key=lambda p: p[0])
        for (s1, e1, p1, i1, item1), (s2, e2, p2, i2, item2) in zip(periods, periods[1:], strict=False):
            if Tenure.periods_overlap(s1, e1, s2, e2):
                index, item = (i2, item2) if item2 is not None else (i1, item1)
                ctx.problem(
                    "tenures",
                    index,
                    item,
                    "start",
                    f"tenures of position {position} overlap: {p1} [{s1}, {e1 or '…'}) and {p2} [{s2}, {e2 or '…'})",
                )


def _validate_duties(ctx: ImportContext) -> None:
    for index, item in enumerate(ctx.items("duties")):
        ctx.check_ref("duties", index, item, "holder_position", "positions")
        ctx.check_ref("duties", index, item, "holder_unit", "units")
        ctx.check_ref("duties", index, item, "region", "regions")
        ctx.check_enterprise_ref("duties", index, item, "enterprise")
        for code in item.get("sectors") or []:
            ctx.check_ref("duties", index, item, "sectors", "sectors", code)
        _check_period(ctx, "duties", index, item, "start", "end")


def _validate_permits(ctx: ImportContext) -> None:
    for index, item in enumerate(ctx.items("permits")):
        ctx.check_enterprise_ref("permits", index, item, "enterprise")
        ctx.check_ref("permits", index, item, "sector", "sectors")
        ctx.check_ref("permits", index, item, "position", "positions")
        _check_period(ctx, "permits", index, item, "approved_on", "valid_until", strict=False)


def _validate_inspections(ctx: ImportContext) -> None:
    for index, item in enumerate(ctx.items("inspections")):
        ctx.check_enterprise_ref("inspections", index, item, "enterprise")
        ctx.check_ref("inspections", index, item, "sector", "sectors")
        ctx.check_ref("inspections", index, item, "unit", "units")
        for code in item.get("inspectors") or []:
            ctx.check_ref("inspections", index, item, "inspectors", "positions", code)


def _validate_certifications(ctx: ImportContext) -> None:
    """§5.5: the issuer and the certified are enterprises; every signer sits inside the issuer."""
    for index, item in enumerate(ctx.items("certifications")):
        ctx.check_enterprise_ref("certifications", index, item, "issuer")
        ctx.check_enterprise_ref("certifications", index, item, "enterprise")
        ctx.check_ref("certifications", index, item, "sector", "sectors")
        _check_period(ctx, "certifications", index, item, "issued_on", "valid_until", strict=False)
        seen = set()
        for code in item["signers"]:
            if code in seen:
                ctx.problem("certifications", index, item, "signers", f"signer {code!r} is listed twice")
            seen.add(code)
            if ctx.check_ref("certifications", index, item, "signers", "positions", code):
                if ctx.enterprise_of_position(code) != item["issuer"]:
                    ctx.problem(
                        "certifications",
                        index,
                        item,
                        "signers",
                        f"signer {code!r} is not a position inside the issuer {item['issuer']!r}",
                    )


# ---- writing -------------------------------------------------------------------------------------


def _changed(obj: models.Model, values: dict) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


def _upsert_flat(ctx: ImportContext, section: str, model, rows: list[tuple[str, dict]]) -> list:
    """Create new codes in bulk (with history); save existing ones only where a value changed."""
    new, changed = [], 0
    for code, values in rows:
        obj = ctx.objects[section].get(code)
        if obj is None:
            obj = model(code=code, **values)
            new.append(obj)
        elif _changed(obj, values):
            for name, value in values.items():
                setattr(obj, name, value)
            obj._change_reason = CHANGE_REASON
            obj._history_user = ctx.by
            obj.save()
            changed += 1
        ctx.objects[section][code] = obj
    if new:
        bulk_create_with_history(
            new, model, batch_size=500, default_change_reason=CHANGE_REASON, default_user=ctx.by
        )
        # bulk_create_with_history re-reads pks on backends that do not return them; make sure ours are set.
        if any(o.pk is None for o in new):
            pks = dict(model.objects.filter(code__in=[o.code for o in new]).values_list("code", "pk"))
            for o in new:
                o.pk = pks[o.code]
    ctx.counts[section] = (len(new), changed)
    ctx.progress(f"{section}: {len(rows)} ({len(new)} new, {changed} changed)")
    return new


def _sync_m2m(model, relation: str, target_key: str, wanted: dict[int, set[int]], new_ids: set[int]) -> None:
    """Set each object's m2m set; new objects get through rows in bulk, existing ones only when different."""
    through = getattr(model, relation).through
    owner_key = f"{model._meta.model_name}_id"
    current: dict[int, set[int]] = defaultdict(set)
    existing_ids = [pk for pk in wanted if pk not in new_ids]
    for owner, target in through.objects.filter(**{f"{owner_key}__in": existing_ids}).values_list(
        owner_key, target_key
    ):
        current[owner].add(target)
    rows = []
    for owner, targets in wanted.items():
        if owner in new_ids:
            rows.extend(through(**{owner_key: owner, target_key: t}) for t in targets)
        elif current[owner] != targets:
            getattr(model.objects.get(pk=owner), relation).set(targets)
    through.objects.bulk_create(rows, batch_size=1000)
    _record_m2m_history(model, relation, owner_key, target_key, rows)


def _record_m2m_history(model, relation: str, owner_key: str, target_key: str, rows: list) -> None:
    """Bulk-created through rows bypass simple-history's signal: attach them to each owner's latest history row,
    so the history of a new duty (unit, inspection) shows its sectors (inspectors) as created."""
    if not rows:
        return
    historical = model.history.model
    m2m_history = historical._meta.get_field(f"historical{model._meta.model_name}_{relation}").related_model
    owners = {getattr(row, owner_key) for row in rows}
    latest = dict(
        historical.objects.filter(id__in=owners)
        .values("id")
        .annotate(latest=models.Max("history_id"))
        .values_list("id", "latest")
    )
    m2m_history.objects.bulk_create(
        [
            m2m_history(
                **{"id": row.pk, owner_key: getattr(row, owner_key), target_key: getattr(row, target_key)},
                history_id=latest[getattr(row, owner_key)],
            )
            for row in rows
            if getattr(row, owner_key) in latest
        ],
        batch_size=1000,
    )


def _tree_levels(items: list[dict]) -> list[list[dict]]:
    """Items grouped by depth inside the document, parents first (the document is acyclic by now)."""
    by_code = {i["code"]: i for i in items}
    depth: dict[str, int] = {}

    def depth_of(code):
        if code not in depth:
            parent = by_code[code].get("parent")
            depth[code] = 0 if parent not in by_code else depth_of(parent) + 1
        return depth[code]

    for code in by_code:
        depth_of(code)
    levels: dict[int, list[dict]] = defaultdict(list)
    for item in items:
        levels[depth[item["code"]]].append(item)
    return [levels[d] for d in sorted(levels)]


def _refresh_tree_cache(ctx: ImportContext, section: str, model) -> None:
    """Re-read path (and a unit's enterprise) of every cached node, in place, after a move.

    Saving a moved node re-roots its stored descendants in the database; the copies held here would
    otherwise keep the old path, and a new child of one of them would be written under the old place.
    """
    cached = [obj for obj in ctx.objects[section].values() if obj.pk is not None]
    names = ["pk", "path", "enterprise_id"] if model is Unit else ["pk", "path"]
    fresh = {row[0]: row for row in model.objects.filter(pk__in=[o.pk for o in cached]).values_list(*names)}
    for obj in cached:
        row = fresh.get(obj.pk)
        if row is not None:
            for name, value in zip(names[1:], row[1:], strict=True):
                setattr(obj, name, value)


def _write_tree(ctx: ImportContext, section: str, values_of: Callable[[dict], dict]) -> None:
    model = MODEL_OF_SECTION[section]
    total_new = total_changed = 0
    for level in _tree_levels(ctx.items(section)):
        # Stored nodes first: a move re-roots descendants, and the new nodes below take their paths after.
        pending, moved = [], False
        for item in level:
            values = values_of(item)
            values["parent"] = ctx.get(section, item.get("parent"))
            obj = ctx.objects[section].get(item["code"])
            if obj is None:
                pending.append((item, values))
            elif _changed(obj, values):
                for name, value in values.items():
                    setattr(obj, name, value)
                obj._change_reason = CHANGE_REASON
                obj._history_user = ctx.by
                obj.save()
                total_changed += 1
                moved = True
        if moved:
            _refresh_tree_cache(ctx, section, model)
        new = []
        for item, values in pending:
            obj = model(code=item["code"], **values)
            obj.path = obj.compute_path()
            if model is Unit:
                obj.enterprise_id = obj.compute_enterprise_id()
            new.append(obj)
            ctx.objects[section][item["code"]] = obj
        if new:
            bulk_create_with_history(
                new, model, batch_size=500, default_change_reason=CHANGE_REASON, default_user=ctx.by
            )
            if any(o.pk is None for o in new):
                pks = dict(model.objects.filter(code__in=[o.code for o in new]).values_list("code", "pk"))
                for o in new:
                    o.pk = pks[o.code]
            if model is Unit:
                own = [o for o in new if o.kind == UnitKind.ENTERPRISE]
                for o in own:
                    o.enterprise_id = o.pk
                Unit.objects.filter(pk__in=[o.pk for o in own]).update(enterprise_id=models.F("id"))
                # …and in the creation history rows written a moment ago (an enterprise is its own enterprise).
                Unit.history.filter(id__in=[o.pk for o in own], enterprise_id__isnull=True).update(
                    enterprise_id=models.F("id")
                )
            total_new += len(new)
    ctx.counts[section] = (total_new, total_changed)
    ctx.progress(f"{section}: {len(ctx.items(section))} ({total_new} new, {total_changed} changed)")


def _write_regions(ctx: ImportContext) -> None:
    _write_tree(ctx, "regions", lambda i: {"name": i["name"], "level": i["level"]})


def _write_sectors(ctx: ImportContext) -> None:
    _write_tree(ctx, "sectors", lambda i: {"name": i["name"]})


def _write_units(ctx: ImportContext) -> None:
    _write_tree(
        ctx,
        "units",
        lambda i: {"name": i["name"], "kind": i["kind"], "region": ctx.get("regions", i["region"])},
    )
    wanted = {
        ctx.objects["units"][i["code"]].pk: {ctx.objects["sectors"][c].pk for c in i.get("sectors") or []}
        for i in ctx.items("units")
    }
    _sync_m2m(Unit, "sectors", "sector_id", wanted, _new_pks(ctx, "units"))


def _new_pks(ctx: ImportContext, section: str) -> set[int]:
    """The pks this import created in `section`: they have no m2m rows yet."""
    created_codes = set(ctx.doc_codes(section)) - ctx.preexisting.get(section, set())
    return {ctx.objects[section][c].pk for c in created_codes}


def _write_positions(ctx: ImportContext) -> None:
    rows = [
        (
            i["code"],
            {
                "title": i["title"],
                "unit": ctx.get("units", i["unit"]),
                "records_from": parse_date(i["records_from"]) if i.get("records_from") else None,
            },
        )
        for i in ctx.items("positions")
    ]
    _upsert_flat(ctx, "positions", Position, rows)


def _write_people(ctx: ImportContext) -> None:
    _upsert_flat(ctx, "people", Person, [(i["code"], {"name": i["name"]}) for i in ctx.items("people")])


def _write_tenures(ctx: ImportContext) -> None:
    items = ctx.items("tenures")
    positions = {ctx.objects["positions"][i["position"]].pk for i in items}
    stored = {
        (t.position_id, t.start): t
        for t in Tenure.objects.filter(position_id__in=positions).select_related("person")
    }
    new, changed = [], 0
    for item in items:
        position = ctx.objects["positions"][item["position"]]
        person = ctx.objects["people"][item["person"]]
        start = parse_date(item["start"])
        end = parse_date(item["end"]) if item.get("end") else None
        tenure = stored.get((position.pk, start))
        if tenure is None:
            new.append(Tenure(person=person, position=position, start=start, end=end))
        elif tenure.person_id != person.pk or tenure.end != end:
            tenure.person, tenure.end = person, end
            tenure._change_reason = CHANGE_REASON
            tenure._history_user = ctx.by
            tenure.save()
            changed += 1
    if new:
        bulk_create_with_history(
            new, Tenure, batch_size=500, default_change_reason=CHANGE_REASON, default_user=ctx.by
        )
    ctx.counts["tenures"] = (len(new), changed)
    ctx.progress(f"tenures: {len(items)} ({len(new)} new, {changed} changed)")


def _write_duties(ctx: ImportContext) -> None:
    rows = []
    for i in ctx.items("duties"):
        rows.append(
            (
                i["code"],
                {
                    "type": i["type"],
                    "holder_position": ctx.get("positions", i.get("holder_position")),
                    "holder_unit": ctx.get("units", i.get("holder_unit")),
                    "region": ctx.get("regions", i.get("region")),
                    "enterprise": ctx.get("units", i.get("enterprise")),
                    "start": parse_date(i["start"]),
                    "end": parse_date(i["end"]) if i.get("end") else None,
                    "basis": i.get("basis", ""),
                },
            )
        )
    _upsert_flat(ctx, "duties", Duty, rows)
    wanted = {
        ctx.objects["duties"][i["code"]].pk: {ctx.objects["sectors"][c].pk for c in i.get("sectors") or []}
        for i in ctx.items("duties")
    }
    _sync_m2m(Duty, "sectors", "sector_id", wanted, _new_pks(ctx, "duties"))


def _write_permits(ctx: ImportContext) -> None:
    rows = [
        (
            i["code"],
            {
                "name": i.get("name", ""),
                "enterprise": ctx.get("units", i["enterprise"]),
                "sector": ctx.get("sectors", i["sector"]),
                "position": ctx.get("positions", i["position"]),
                "approved_on": parse_date(i["approved_on"]),
                "valid_until": parse_date(i["valid_until"]) if i.get("valid_until") else None,
            },
        )
        for i in ctx.items("permits")
    ]
    _upsert_flat(ctx, "permits", Permit, rows)


def _write_inspections(ctx: ImportContext) -> None:
    rows = [
        (
            i["code"],
            {
                "enterprise": ctx.get("units", i["enterprise"]),
                "sector": ctx.get("sectors", i["sector"]),
                "unit": ctx.get("units", i["unit"]),
                "date": parse_date(i["date"]),
                "findings": i.get("findings", ""),
            },
        )
        for i in ctx.items("inspections")
    ]
    _upsert_flat(ctx, "inspections", Inspection, rows)
    wanted = {
        ctx.objects["inspections"][i["code"]].pk: {ctx.objects["positions"][c].pk for c in i["inspectors"]}
        for i in ctx.items("inspections")
    }
    _sync_m2m(Inspection, "inspectors", "position_id", wanted, _new_pks(ctx, "inspections"))


def _write_certifications(ctx: ImportContext) -> None:
    items = ctx.items("certifications")
    rows = [
        (
            i["code"],
            {
                "kind": i["kind"],
                "issuer": ctx.get("units", i["issuer"]),
                "enterprise": ctx.get("units", i["enterprise"]),
                "sector": ctx.get("sectors", i["sector"]),
                "issued_on": parse_date(i["issued_on"]),
                "valid_until": parse_date(i["valid_until"]) if i.get("valid_until") else None,
                "conclusion": i.get("conclusion", ""),
            },
        )
        for i in items
    ]
    _upsert_flat(ctx, "certifications", Certification, rows)
    # Signers in document order; a certification's rows are replaced only when the list differs.
    wanted = {
        ctx.objects["certifications"][i["code"]].pk: [ctx.objects["positions"][c].pk for c in i["signers"]]
        for i in items
    }
    current: dict[int, list[int]] = defaultdict(list)
    stored = CertificationSigner.objects.filter(certification_id__in=list(wanted)).order_by("order", "id")
    for cert_id, position_id in stored.values_list("certification_id", "position_id"):
        current[cert_id].append(position_id)
    stale = [pk for pk, positions in wanted.items() if current.get(pk, []) != positions]
    if stale:
        for signer in CertificationSigner.objects.filter(certification_id__in=stale):
            signer._change_reason = CHANGE_REASON
            signer.delete()
        bulk_create_with_history(
            [
                CertificationSigner(certification_id=pk, position_id=position, order=n)
                for pk in stale
                for n, position in enumerate(wanted[pk])
            ],
            CertificationSigner,
            batch_size=500,
            default_change_reason=CHANGE_REASON,
        )


for _name, _validate, _write in [
    ("regions", _validate_regions, _write_regions),
    ("sectors", _validate_sectors, _write_sectors),
    ("units", _validate_units, _write_units),
    ("positions", _validate_positions, _write_positions),
    ("people", _validate_people, _write_people),
    ("tenures", _validate_tenures, _write_tenures),
    ("duties", _validate_duties, _write_duties),
    ("permits", _validate_permits, _write_permits),
    ("inspections", _validate_inspections, _write_inspections),
    ("certifications", _validate_certifications, _write_certifications),
]:
    register_section(Section(_name, _validate, _write))


# ---- entry point ---------------------------------------------------------------------------------


def import_scenario(
    text: str,
    progress: Callable[[str], None] | None = None,
    *,
    by=None,
    source: str = "",
    os_user: str = "",
) -> ImportContext:
    """Validate the whole document, then write it all in one transaction; raise ScenarioError to refuse.

    Every run, refused or imported, leaves an ImportRun: who, when, the file's hash and what changed.
    """
    encoded = text.encode("utf-8", "surrogatepass")
    run = ImportRun(
        by=by,
        os_user=os_user[:150],
        source=source[:500],
        sha256=hashlib.sha256(encoded).hexdigest(),
        size=len(encoded),
    )
    try:
        doc = parse_document(text)
    except ScenarioError as exc:
        _refused(run, exc)
        raise
    return import_document(doc, progress, run=run, by=by)


def import_document(
    doc,
    progress: Callable[[str], None] | None = None,
    *,
    dry_run: bool = False,
    run: ImportRun | None = None,
    by=None,
) -> ImportContext:
    """`import_scenario` of a parsed document (the matrix workbook builds one from its sheets);
    `dry_run` validates everything and writes nothing; `run`, when given, is the audit row it completes."""
    try:
        ctx = _validated(doc, progress)
    except ScenarioError as exc:
        if run is not None:
            _refused(run, exc)
        raise
    if dry_run:
        return ctx
    ctx.by = by
    ctx._parents.clear()  # writing moves nodes: parent maps are for validation only
    with transaction.atomic():
        for section in SECTIONS:
            if ctx.items(section.name):
                section.write(ctx)
        if run is not None:
            run.outcome = ImportOutcome.IMPORTED
            run.counts = {section: list(pair) for section, pair in ctx.counts.items()}
            run.created = sum(n for n, _ in ctx.counts.values())
            run.changed = sum(c for _, c in ctx.counts.values())
            run.save()
    ctx.run = run
    return ctx


def _refused(run: ImportRun, exc: ScenarioError) -> None:
    run.outcome, run.problems = ImportOutcome.REFUSED, exc.problems[:50]
    run.save()


def _validated(doc, progress: Callable[[str], None] | None) -> ImportContext:
    problems = _text_problems(doc)
    if problems:
        raise ScenarioError(problems[:50])
    check_schema(doc)
    ctx = ImportContext(doc=doc, progress=progress or (lambda message: None))
    _prefetch_database(ctx)
    ctx.preexisting = {section: set(objs) for section, objs in ctx.objects.items()}
    _check_duplicates(ctx)
    # Values first: the section rules compute with dates, which must lie in the calendar.
    if _check_field_values(ctx):
        for section in SECTIONS:
            section.validate(ctx)
    if ctx.problems:
        raise ScenarioError(ctx.problems, ctx.located)
    return ctx
