"""Reading a scenario document one item at a time, as strictly as `strict_json.loads` reads it whole.

The top level (an object of sections, each an array) is read here by hand; every item, and every
section that is not an array, is decoded by the standard library's decoder with the hooks of
`strict_json` (repeated keys, NaN and Infinity refused). Syntax errors carry the line and column the
whole-document parse would give, so a refusal reads the same whichever way the document came in.
Only one item (and one chunk of text) is held at a time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from json.decoder import scanstring

from .. import strict_json

CHUNK = 1 << 20  # characters read at a time
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder(
    object_pairs_hook=strict_json._pairs_without_repeats,
    parse_constant=strict_json._refuse_constant,
    parse_float=strict_json._finite_float,
)
# A value ending this close to the end of what has been read may go on in the next chunk (a number,
# a literal): it is decoded again once more text is in.
_MARGIN = 64


class NotAnObject(Exception):
    """The document does not start with "{": `rest` is its whole text, for the ordinary parse."""

    def __init__(self, rest: str):
        self.rest = rest


class Reader:
    def __init__(self, chunks: Iterator[str]):
        self._chunks = chunks
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._base = 0  # offset in the document of buf[0]
        self._lines = 0  # newlines before buf[0]
        self._line_start = 0  # offset in the document just after the last newline before buf[0]

    # ---- the text ---------------------------------------------------------------------------------

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = next(self._chunks, None)
        if chunk is None:
            self.eof = True
            return False
        if self.pos:
            dropped = self.buf[: self.pos]
            newlines = dropped.count("\n")
            if newlines:
                self._lines += newlines
                self._line_start = self._base + dropped.rfind("\n") + 1
            self._base += self.pos
            self.buf = self.buf[self.pos :]
            self.pos = 0
        self.buf += chunk
        return True

    def _char(self) -> str:
        """The next character after white space ('' at the end of the document)."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf) or not self._more():
                return self.buf[self.pos : self.pos + 1]

    def error(self, message: str, pos: int) -> json.JSONDecodeError:
        """The error json.loads would raise for the whole document, at `pos` of the buffer."""
        lineno = self._lines + self.buf.count("\n", 0, pos) + 1
        last = self.buf.rfind("\n", 0, pos)
        colno = pos - last if last >= 0 else self._base + pos - self._line_start + 1
        exc = json.JSONDecodeError(message, "", 0)
        exc.msg, exc.pos, exc.lineno, exc.colno = message, self._base + pos, lineno, colno
        exc.args = (f"{message}: line {lineno} column {colno} (char {self._base + pos})",)
        return exc

    def _value(self):
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                near_end = exc.pos >= len(self.buf) - _MARGIN or exc.msg.startswith("Unterminated string")
                if not self.eof and near_end and self._more():
                    continue
                raise self.error(exc.msg, exc.pos) from None
            except RecursionError:
                raise strict_json.StrictJSONError(
                    f"nested too deeply (more than {strict_json.MAX_DEPTH} levels)"
                ) from None
            if end >= len(self.buf) - _MARGIN and not self.eof and self._more():
                continue
            self.pos = end
            return value

    # ---- the structure ----------------------------------------------------------------------------

    def sections(self) -> Iterator[tuple[str, object]]:
        """(name, value) of each top-level member; an array comes as an iterator of its items, which
        must be read through before the next member is asked for."""
        first = self._char()
        if first == "":
            raise self.error("Expecting value", self.pos)
        if first != "{":
            raise NotAnObject(self.buf[self.pos :] + "".join(self._chunks))
        self.pos += 1
        if self._char() == "}":
            self.pos += 1
        else:
            while True:
                if self._char() != '"':
                    raise self.error("Expecting property name enclosed in double quotes", self.pos)
                key = self._key()
                if self._char() != ":":
                    raise self.error("Expecting ':' delimiter", self.pos)
                self.pos += 1
                if self._char() == "[":
                    yield key, self._items()
                else:
                    yield key, self._value()
                c = self._char()
                self.pos += 1
                if c == "}":
                    break
                if c != ",":
                    raise self.error("Expecting ',' delimiter", self.pos - 1)
        if self._char() != "":
            raise self.error("Extra data", self.pos)

    def _key(self) -> str:
        while True:
            try:
                key, end = scanstring(self.buf, self.pos + 1, True)
            except json.JSONDecodeError as exc:
                near_end = exc.pos >= len(self.buf) - _MARGIN or exc.msg.startswith("Unterminated string")
                if not self.eof and near_end and self._more():
                    continue
                raise self.error(exc.msg, exc.pos) from None
            self.pos = end
            return key

    def _items(self) -> Iterator:
        self.pos += 1
        if self._char() == "]":
            self.pos += 1
            return
        while True:
            self._char()
            yield self._value()
            c = self._char()
            self.pos += 1
            if c == "]":
                return
            if c != ",":
                raise self.error("Expecting ',' delimiter", self.pos - 1)


def text_chunks(text: str) -> Iterator[str]:
    for start in range(0, len(text), CHUNK):
        yield text[start : start + CHUNK]
