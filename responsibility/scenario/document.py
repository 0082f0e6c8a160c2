"""The document as a whole: parsing (strict JSON), the schema, text and value checks."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

import jsonschema
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.db.backends.base.operations import BaseDatabaseOperations

from .. import strict_json
from ..validators import EARLIEST_DAY, LATEST_DAY, day_problem, moment_problem, text_problem
from .context import money, parse_date, parse_datetime
from .errors import ScenarioError, item_label

SCHEMA = json.loads((Path(__file__).parent.parent / "scenario.schema.json").read_text(encoding="utf-8"))


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


def _schema_problem(doc, error: jsonschema.ValidationError, path: list | None = None, item=None) -> str:
    """One line for a schema error; `path` and `item` when the error came from checking one item."""
    path = list(error.absolute_path) if path is None else path
    if len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], int):
        section, index = path[0], path[1]
        item = doc[section][index] if item is None else item
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


def validator_of(schema: dict) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


# Each section's item schema on its own, with the definitions it refers to: items are checked one by one.
ITEM_VALIDATORS = {
    section: validator_of({"$defs": SCHEMA["$defs"], **spec["items"]})
    for section, spec in SCHEMA["properties"].items()
}


def schema_located(path: list, error: jsonschema.ValidationError) -> tuple | None:
    """(section, index, field, message) of an item's schema error, for callers pointing at a cell."""
    if len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], int):
        field_name = str(path[2]) if len(path) > 2 else ""
        if error.validator == "required" and "'" in error.message:
            field_name = error.message.split("'")[1]
        return (path[0], path[1], field_name, error.message)
    return None


def check_schema(doc) -> None:
    errors = sorted(validator_of(SCHEMA).iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        located = [where for e in errors[:50] if (where := schema_located(list(e.absolute_path), e))]
        raise ScenarioError([_schema_problem(doc, e) for e in errors[:50]], located)


def field_value_problems(model, item: dict):
    """What the schema cannot say but the database enforces: lengths, integer and decimal ranges, NUL.

    Without this a long name or a huge number passes validation and fails inside the write, with a
    traceback on PostgreSQL (SQLite silently stores what PostgreSQL refuses). Yields (field, problem,
    whether it is a date): a date outside the calendar stops the section rules computing with it.
    """
    for name, value in item.items():
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        problem = _field_value_problem(model_field, value)
        if problem:
            yield name, problem, isinstance(model_field, models.DateField)


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
