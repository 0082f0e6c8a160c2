"""A refused document and how its items are named in the refusal."""

from __future__ import annotations


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


BAD_TEXT = "contains a NUL character or an invalid Unicode character (lone surrogate)"
