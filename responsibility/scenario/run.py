"""The entry points: validate the whole document, then write it in one transaction, with an audited ImportRun.

A document is read in passes that each hold one item at a time: the first (`reading.scan`) checks
every item on its own and indexes codes, spooling a streamed document's items to disk; the second
reads the database rows of codes the document does not define; then each section's rules run over
its items, and only when nothing was found is each section written, in batches, in one transaction.
Memory holds codes and ids (and what the rules read of them), not the document or model objects.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from django.db import connection, transaction

from .. import strict_json
from ..models import ImportOutcome, ImportRun
from . import sections  # noqa: F401  (registers the sections in order)
from .context import SECTIONS, ImportContext
from .document import check_schema, parse_document
from .errors import ScenarioError
from .prefetch import _prefetch_database
from .reading import scan
from .stream import CHUNK, NotAnObject, Reader, text_chunks


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
    digest, size = hashlib.sha256(), 0
    for chunk in text_chunks(text):
        encoded = chunk.encode("utf-8", "surrogatepass")
        digest.update(encoded)
        size += len(encoded)
    run = ImportRun(by=by, os_user=os_user[:150], source=source[:500], sha256=digest.hexdigest(), size=size)
    return _import_stream(text_chunks(text), run, progress, by)


def import_scenario_file(
    file: str | Path | BinaryIO,
    progress: Callable[[str], None] | None = None,
    *,
    by=None,
    source: str = "",
    os_user: str = "",
) -> ImportContext:
    """`import_scenario` of a file (a path, or a binary file such as standard input), read once, a chunk
    at a time: a large document is never held whole. A file that is not UTF-8 raises UnicodeDecodeError
    (and one that cannot be read OSError) before anything is recorded, as reading it whole would."""
    run = ImportRun(by=by, os_user=os_user[:150], source=source[:500], sha256="", size=0)
    digest = hashlib.sha256()

    def chunks(binary: BinaryIO) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")()
        while block := binary.read(CHUNK):
            digest.update(block)
            run.size += len(block)
            yield decoder.decode(block)
        yield decoder.decode(b"", final=True)
        run.sha256 = digest.hexdigest()

    if isinstance(file, str | Path):
        with open(file, "rb") as binary:
            return _import_stream(chunks(binary), run, progress, by)
    return _import_stream(chunks(file), run, progress, by)


def _import_stream(chunks: Iterator[str], run: ImportRun, progress, by) -> ImportContext:
    chunks = _without_bom(chunks)
    ctx = ImportContext(progress=progress or (lambda message: None))
    try:
        try:
            calendar_ok = scan(ctx, Reader(chunks).sections(), spool=True)
        except NotAnObject as exc:
            for _ in chunks:  # the whole text is in exc.rest; let the hash see every chunk
                pass
            return import_document(parse_document(exc.rest), progress, by=by)  # refused: not an object
        except json.JSONDecodeError as exc:
            raise ScenarioError(
                [f"malformed JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"]
            ) from None
        except strict_json.StrictJSONError as exc:
            raise ScenarioError([f"malformed JSON: {exc}"]) from None
        return _validate_and_write(ctx, calendar_ok, run=run, by=by)
    except ScenarioError as exc:
        for _ in chunks:  # the audit records the hash of the whole file, also when refused early
            pass
        _refused(run, exc)
        raise
    finally:
        ctx.close()


def _without_bom(chunks: Iterator[str]) -> Iterator[str]:
    first = True
    for chunk in chunks:
        if first and chunk:
            first = False
            if chunk.startswith("\ufeff"):
                chunk = chunk[1:]  # the byte-order mark spreadsheet tools write in front of UTF-8
            if chunk.startswith("\ufeff"):
                raise ScenarioError(
                    ["malformed JSON: line 1 column 1: Unexpected UTF-8 BOM (decode using utf-8-sig)"]
                )
        yield chunk


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
    ctx = ImportContext(doc=doc, progress=progress or (lambda message: None))
    try:
        if not isinstance(doc, dict):
            check_schema(doc)  # refuses it: a document is an object
        calendar_ok = scan(ctx, doc.items(), spool=False)
        return _validate_and_write(ctx, calendar_ok, dry_run=dry_run, run=run, by=by)
    except ScenarioError as exc:
        if run is not None:
            _refused(run, exc)
        raise


# The key of the PostgreSQL advisory lock that makes imports take turns (any fixed 64-bit number).
IMPORT_LOCK = 0x6475747963686169  # "dutychai"


def _validate(ctx: ImportContext, calendar_ok: bool) -> None:
    _prefetch_database(ctx)
    # Values first: the section rules compute with dates, which must lie in the calendar.
    if calendar_ok:
        for section in SECTIONS:
            if ctx.size(section.name):
                section.validate(ctx)
    if ctx.problems:
        raise ScenarioError(ctx.problems, ctx.located)


def _take_turn() -> None:
    """Imports take turns: the database is read, checked and written by one import at a time, so two
    imports of the same rows never both decide to create them (the loser's IntegrityError). PostgreSQL:
    an advisory lock held until the transaction ends; SQLite: the transaction (`IMMEDIATE`, settings)
    already holds the database's write lock from its first statement."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


def _validate_and_write(
    ctx: ImportContext, calendar_ok: bool, *, dry_run=False, run=None, by=None
) -> ImportContext:
    if dry_run:
        _validate(ctx, calendar_ok)
        return ctx
    ctx.by = by
    with transaction.atomic():
        _take_turn()
        _validate(ctx, calendar_ok)
        for section in SECTIONS:
            if ctx.size(section.name):
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
