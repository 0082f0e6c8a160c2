"""What the sections share during one import: the context, the section registry, value parsing."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import models

from ..models import (
    Certification,
    Duty,
    Inspection,
    Permit,
    Person,
    Position,
    Region,
    Sector,
    Unit,
    UnitKind,
)
from .errors import _singular, item_label

CHANGE_REASON = "import_scenario"

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


def _check_period(ctx, section, index, item, start_field, end_field, strict=True):
    start, end = item.get(start_field), item.get(end_field)
    if start is None or end is None:
        return
    if (end <= start) if strict else (end < start):
        relation = "after" if strict else "on or after"
        ctx.problem(
            section, index, item, end_field, f"{end_field} {end} must be {relation} {start_field} {start}"
        )
