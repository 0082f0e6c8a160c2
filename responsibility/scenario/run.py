"""The entry points: validate the whole document, then write it in one transaction, with an audited ImportRun."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.db import transaction

from ..models import (
    ImportOutcome,
    ImportRun,
)
from . import sections  # noqa: F401  (registers the sections in order)
from .context import SECTIONS, ImportContext
from .document import _check_field_values, _text_problems, check_schema, parse_document
from .errors import ScenarioError
from .prefetch import _check_duplicates, _prefetch_database


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
