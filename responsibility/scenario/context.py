"""What the sections share during one import: the context, the section registry, value parsing."""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
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


TREES = ("regions", "sectors", "units")
BATCH = 2000  # items validated or written at a time


class Spool:
    """One section's items, kept on disk between the passes of a streamed import (one JSON a line)."""

    def __init__(self):
        self.file = tempfile.TemporaryFile("w+", encoding="ascii")  # noqa: SIM115 (closed by ctx.close)
        self.count = 0

    def add(self, item) -> None:
        self.file.write(json.dumps(item, separators=(",", ":")))
        self.file.write("\n")
        self.count += 1

    def __iter__(self):
        self.file.flush()
        self.file.seek(0)
        return (json.loads(line) for line in self.file)

    def close(self) -> None:
        self.file.close()


class _Ref:
    __slots__ = ("pk",)

    def __init__(self, pk):
        self.pk = pk


class _Refs:
    """`ctx.objects[section][code].pk`, as the sections registered from outside read written rows."""

    def __init__(self, ctx: ImportContext):
        self.ctx = ctx

    def __getitem__(self, section: str):
        ctx = self.ctx

        class Section:
            def __getitem__(self, code):
                return _Ref(ctx.pk(section, code))

            def get(self, code, default=None):
                pk = ctx.pk(section, code)
                return default if pk is None else _Ref(pk)

        return Section()


@dataclass
class ImportContext:
    """What one import knows: codes and ids, never the document or model objects.

    `index[section]` maps each code of the document to what the checks of other sections read of it
    (a tree node's parent and level or kind, a position's unit); `stored[section]` the same of rows
    already in the database, with their pk (None: not there), read in batches as codes are met;
    `pks[section]` the pk of each code this import wrote.
    """

    doc: dict | None = None  # a document built in memory (the matrix workbook); else items are spooled
    spools: dict[str, Spool] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    located: list[tuple[str, int, str, str]] = field(default_factory=list)
    index: dict[str, dict[str, tuple | None]] = field(default_factory=lambda: defaultdict(dict))
    stored: dict[str, dict[str, tuple | None]] = field(default_factory=lambda: defaultdict(dict))
    pks: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    created: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    progress: Callable[[str], None] = lambda message: None
    by: object = None  # the user the history names (None: the command line without --by)
    run: object = None

    def items(self, section: str):
        if self.doc is not None:
            return self.doc.get(section) or []
        spool = self.spools.get(section)
        return iter(spool) if spool is not None else iter(())

    def size(self, section: str) -> int:
        if self.doc is not None:
            return len(self.doc.get(section) or [])
        spool = self.spools.get(section)
        return spool.count if spool is not None else 0

    def doc_codes(self, section: str) -> dict[str, tuple | None]:
        return self.index[section]

    @property
    def objects(self) -> _Refs:
        return _Refs(self)

    def close(self) -> None:
        for spool in self.spools.values():
            spool.close()

    def problem(self, section: str, index: int, item: dict, field_name: str, message: str) -> None:
        self.problems.append(f"{item_label(section, index, item)} field {field_name}: {message}")
        self.located.append((section, index, field_name, message))

    # ---- what the database holds ------------------------------------------------------------------

    def stored_info(self, section: str, code: str) -> tuple | None:
        """(pk, parent code, level / kind / unit code) of a stored row, or None."""
        known = self.stored[section]
        if code not in known:
            self.fetch(section, [code])
        return known.get(code)

    def fetch(self, section: str, codes) -> None:
        """Read the stored rows of `codes` (and a tree node's ancestors, a position's unit) in one go."""
        known = self.stored[section]
        wanted = [c for c in {c for c in codes if isinstance(c, str)} if c not in known]
        if not wanted:
            return
        model = MODEL_OF_SECTION[section]
        for start in range(0, len(wanted), BATCH):
            part = wanted[start : start + BATCH]
            for code in part:
                known[code] = None
            if section in TREES:
                extra = {"regions": "level", "units": "kind"}.get(section, "pk")
                rows = model.objects.filter(code__in=part).values_list("code", "pk", "path", extra)
                ancestors = set()
                for code, pk, path, value in rows:
                    codes_up = [c for c in path.split("/") if c]
                    parent = sys.intern(codes_up[-2]) if len(codes_up) > 1 else None
                    known[sys.intern(code)] = (pk, parent, value if section != "sectors" else None)
                    ancestors.update(codes_up[:-1])
                self.fetch(section, ancestors)
            elif section == "positions":
                rows = model.objects.filter(code__in=part).values_list("code", "pk", "unit__code")
                units = set()
                for code, pk, unit in rows:
                    known[sys.intern(code)] = (pk, None, sys.intern(unit))
                    units.add(unit)
                self.fetch("units", units)
            else:
                for code, pk in model.objects.filter(code__in=part).values_list("code", "pk"):
                    known[sys.intern(code)] = (pk, None, None)

    # ---- codes, from the document first and then the database ------------------------------------

    def known(self, section: str, code: str) -> bool:
        return code in self.index[section] or self.stored_info(section, code) is not None

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

    def _info(self, section: str, code: str | None, at: int):
        """Field `at` of the document's (parent, extra) for `code`, else of the stored row."""
        if code is None:
            return None
        info = self.index[section].get(code, False)
        if info is not False:
            return info[at] if info else None
        row = self.stored_info(section, code)
        return row[at + 1] if row else None

    def parent_of(self, section: str, code: str | None) -> str | None:
        return self._info(section, code, 0)

    def unit_kind(self, code: str) -> str | None:
        return self._info("units", code, 1)

    def region_level(self, code: str) -> str | None:
        return self._info("regions", code, 1)

    def unit_of_position(self, code: str | None) -> str | None:
        return self._info("positions", code, 1)

    def check_enterprise_ref(self, section, index, item, field_name, code=None) -> None:
        code = item.get(field_name) if code is None else code
        if code is not None and self.check_ref(section, index, item, field_name, "units", code):
            if self.unit_kind(code) != UnitKind.ENTERPRISE:
                self.problem(section, index, item, field_name, f"unit {code!r} is not an enterprise")

    def enterprise_of_unit(self, code: str | None) -> str | None:
        """The enterprise a unit belongs to, following parents through document and database."""
        seen = set()
        while code is not None and code not in seen:
            seen.add(code)
            if self.unit_kind(code) == UnitKind.ENTERPRISE:
                return code
            code = self.parent_of("units", code)
        return None

    def enterprise_of_position(self, code: str | None) -> str | None:
        return self.enterprise_of_unit(self.unit_of_position(code))

    # ---- what was written -------------------------------------------------------------------------

    def pk(self, section: str, code: str | None) -> int | None:
        if code is None:
            return None
        pk = self.pks[section].get(code)
        if pk is None:
            row = self.stored_info(section, code)
            pk = row[0] if row else None
        return pk

    def get(self, section: str, code: str | None):
        """A reference to the row of `code`, for a foreign key (only its pk is set)."""
        return None if code is None else MODEL_OF_SECTION[section](pk=self.pk(section, code))


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
