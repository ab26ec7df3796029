"""JSON from clients, read strictly: only what every peer can represent and echo back safely.

Python's ``json`` accepts more than JSON (RFC 8259) allows, and some of what it accepts breaks later,
far from the input, for other people: ``NaN``/``Infinity`` are echoed as invalid JSON; a number with
more than 4,300 digits raises ``ValueError`` on conversion; a lone UTF-16 surrogate (``"\\ud800"``,
a valid JSON escape) becomes a ``str`` that cannot be encoded as UTF-8, so the first socket,
database or log that has to write it fails. :func:`loads` refuses all three at the boundary, and
:func:`find_unsafe_text` tells which field of a parsed value holds text that is not allowed in a name.

Everything here is pure; callers turn :class:`StrictJsonError` into their own error (an ``error``
message on the signaling socket, a 400 on HTTP).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

MAX_NUMBER_CHARS = 64
"""Longest number literal accepted (a float needs at most 24; anything longer is an attack)."""

FORBIDDEN_IN_NAMES = frozenset(
    [chr(c) for c in range(0x00, 0x20)]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + ["\u200e", "\u200f", "\u2028", "\u2029"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)
"""Characters refused in names shown to other people: C0/C1 controls (incl. newline and tab), line and
paragraph separators, and bidirectional overrides/isolates (which can make one name look like another)."""


class StrictJsonError(ValueError):
    """The text is not strict JSON; ``where`` names the offending field when one is known."""

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where


def _number(literal: str, convert: type[int] | type[float]) -> int | float:
    if len(literal) > MAX_NUMBER_CHARS:
        raise StrictJsonError(f"a number is longer than {MAX_NUMBER_CHARS} characters")
    value = convert(literal)
    if isinstance(value, float) and not math.isfinite(value):
        raise StrictJsonError("numbers must be finite")
    return value


def _parse_int(literal: str) -> int:
    return int(_number(literal, int))


def _parse_float(literal: str) -> float:
    return float(_number(literal, float))


def _refuse_constant(name: str) -> Any:
    raise StrictJsonError(f"{name} is not a JSON number")


_LABEL = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")


def field_label(key: str | int) -> str:
    """How an error names a field or list index the client chose: the name itself when it looks like a
    field name (letters, digits, ``_``, ``-``; at most 64), else ``<invalid key>`` — so an error never
    carries control or direction characters, lone surrogates or kilobytes of the client's text."""
    text = str(key)
    return text if _LABEL.match(text) else "<invalid key>"


def is_valid_text(text: str) -> bool:
    """Whether ``text`` is a sequence of Unicode scalar values (no lone surrogates)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string (keys included) in a parsed JSON value, with a dotted path to it."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            label = field_label(key)  # never echo the bad text itself
            child = f"{path}.{label}" if path else label
            yield child, key
            yield from _walk(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}.{index}" if path else str(index))


def check_text(value: Any) -> None:
    """Raise :class:`StrictJsonError` naming the first field whose text is not valid Unicode."""
    for where, text in _walk(value, ""):
        if not is_valid_text(text):
            raise StrictJsonError("text must be valid Unicode (a lone surrogate was sent)", where or None)


def loads(text: str | bytes) -> Any:
    """Parse strict JSON: finite numbers of sane length, no ``NaN``/``Infinity``, valid Unicode text.

    Raises :class:`StrictJsonError` (a ``ValueError``) for anything else, including malformed JSON and
    nesting deep enough to exhaust the parser.
    """
    try:
        value = json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant
        )
    except StrictJsonError:
        raise
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise StrictJsonError("not valid JSON") from None
    check_text(value)
    return value


def find_unsafe_name(value: str) -> str | None:
    """The first character of ``value`` not allowed in a name (controls, bidi overrides), or ``None``."""
    if value.isascii() and value.isprintable():
        return None
    for char in value:
        if char in FORBIDDEN_IN_NAMES:
            return char
    return None
