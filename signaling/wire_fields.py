"""What a wire field's Python type cannot say — lengths, patterns, ranges, sizes — as ``Annotated`` rules.

Every protocol message is declared once, as a frozen dataclass in one of the ``*messages.py`` modules:
its fields' types say what JSON the field holds, and these rules, attached with
:data:`typing.Annotated`, say the rest. ``python -m signaling.protocol_gen`` turns both into the JSON
Schemas the server validates with (``signaling/schemas/``) and into the browser's constants and JSDoc
types (``web_client/shared/protocol.js``)::

    session_id: SessionId                                   # an id the server issued
    display_name: Annotated[str, Length(1, 64), Contains(r"\\S")]
    sdp_mid: Annotated[str | None, Length(max=32), NULLABLE] = None

How a field's type reads on the wire:

- ``str``, ``int``, ``float``, ``bool``: a JSON string, integer, number, boolean; ``Literal[...]``: one of
  those values; :class:`In` on a ``str`` field: one of a vocabulary's values (a ``Literal`` alias or an
  ``Enum``) while the Python value stays a plain ``str``.
- ``list[X]``: an array of X; ``dict[K, V]``: an object whose names are K and values V
  (``dict[str, Any]``: any object); a ``TypedDict``: an object with exactly those keys (``NotRequired``
  ones may be left out; a key typed ``X | None`` may be ``null``).
- A field without a default must be present; one with a default may be left out (the server leaves
  it out when its value is ``None``) unless marked :data:`ALWAYS`. ``None`` is written as ``null``
  only for a field without a default, or one marked :data:`NULLABLE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any


@dataclass(frozen=True, slots=True)
class Length:
    """A string's length in characters (``minLength``, ``maxLength``)."""

    min: int | None = None
    """Shortest allowed."""
    max: int | None = None
    """Longest allowed."""


@dataclass(frozen=True, slots=True)
class Matches:
    """The whole string matches this regular expression (anchored at both ends by the generator)."""

    regex: str
    """Python and ECMAScript syntax both: no ``^``/``$`` of its own."""


@dataclass(frozen=True, slots=True)
class Contains:
    """Somewhere in the string there is a match of this regular expression (``pattern`` as written)."""

    regex: str
    """May carry its own ``^`` to match a prefix."""


@dataclass(frozen=True, slots=True)
class Range:
    """A number's bounds (``minimum``, ``maximum``, ``exclusiveMinimum``)."""

    min: int | float | None = None
    """Smallest allowed."""
    max: int | float | None = None
    """Largest allowed."""
    above: int | float | None = None
    """Must be greater than this."""


@dataclass(frozen=True, slots=True)
class Items:
    """An array's number of items (``minItems``, ``maxItems``)."""

    min: int | None = None
    """Fewest allowed."""
    max: int | None = None
    """Most allowed."""


@dataclass(frozen=True, slots=True)
class Entries:
    """An object's number of entries (``maxProperties``)."""

    max: int
    """Most allowed."""


@dataclass(frozen=True, slots=True)
class In:
    """A ``str`` field holding one of a vocabulary's values: a ``Literal`` alias or an ``Enum`` class."""

    vocabulary: Any
    """``Literal[...]`` alias or ``Enum`` subclass."""


@dataclass(frozen=True, slots=True)
class Always:
    """Present in every message although the dataclass has a default (the sender fills it in)."""


@dataclass(frozen=True, slots=True)
class Nullable:
    """``null`` is accepted for this optional field (and means the same as leaving it out)."""


ALWAYS = Always()
NULLABLE = Nullable()

ServerId = Annotated[str, Matches(r"[A-Za-z0-9_-]{8,64}")]
"""An id the server issued: a session, a task, a reservation, a verification attempt."""
SessionId = ServerId
TaskId = ServerId
ReservationId = ServerId
AttemptId = ServerId
Token = Annotated[str, Matches(r"[A-Za-z0-9_-]{16,128}")]
"""A one-time secret the server issued (cancel, feedback, call-back link)."""
ResumeToken = Annotated[str, Matches(r"[A-Za-z0-9_-]{8,64}\.[A-Za-z0-9_-]{16,128}")]
"""A single-use token that takes a leg of a call or a place in line back: ``<id>.<secret>``."""
Count = Annotated[int, Range(min=0)]
"""A whole number from 0."""
Seconds = Annotated[int, Range(min=0)]
"""Whole seconds from 0."""
