"""JSON as the product reads it, from the API and the import alike: a repeated key is refused (never
"last one wins"), nesting is bounded, and NaN or Infinity are not numbers."""

from __future__ import annotations

import json
import math

MAX_DEPTH = 32


class StrictJSONError(ValueError):
    """The document is refused; the message names why (never quoting invalid text)."""


def _pairs_without_repeats(pairs: list[tuple[str, object]]) -> dict:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            code = dict(pairs).get("code")
            where = (
                f" in the object with code {code!r}" if isinstance(code, str) and code.isprintable() else ""
            )
            raise StrictJSONError(f"duplicate key {key!r}{where}")
        seen[key] = value
    return seen


def _refuse_constant(name: str):
    raise StrictJSONError(f"{name} is not a finite JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise StrictJSONError(f"{text} is not a finite JSON number")
    return value


def depth_of(value) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def strings_of(value):
    """Every string of parsed JSON, keys included, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            yield from item.keys()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def loads(text: str, *, max_depth: int = MAX_DEPTH):
    """Parse `text`; raise json.JSONDecodeError for bad syntax, StrictJSONError for what we refuse."""
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs_without_repeats,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
    except RecursionError:
        raise StrictJSONError(f"nested too deeply (more than {max_depth} levels)") from None
    if depth_of(value) > max_depth:
        raise StrictJSONError(f"nested too deeply (more than {max_depth} levels)")
    return value
