"""Hostile input for the signaling socket, derived from the protocol's JSON Schemas (Hypothesis strategies).

- :func:`valid_message` — a client message that its schema (``signaling/schemas/<type>.json``) accepts,
  built from the schema itself: required and optional properties, enums, consts, patterns, lengths,
  ranges, nested objects and lists.
- :func:`hostile_message` — such a message after one to three mutations at a random place in it
  (:data:`MUTATIONS`): wrong types, a missing or an extra field, boundary lengths, huge and non-finite
  numbers, lone surrogates, control and direction characters, a trailing newline, digits that are not
  ASCII, another message's ``type``, an unknown or someone else's ``session_id``, a root that is not
  an object.
- :func:`hostile_text` — the JSON text of either, sometimes broken at the text level
  (:data:`TEXT_MANGLES`): cut short, stray characters, ``NaN``, a 4,301-digit number, 100,000 levels of
  nesting, a duplicated ``type``, a byte-order mark.
- :func:`wire_frame` — what a client can put on the socket: such text in a text frame (UTF-8, or with
  invalid UTF-8 bytes), binary frames, frames around ``max_message_bytes``, and frames that break the
  WebSocket protocol itself (reserved opcodes, a continuation with nothing to continue, a control frame
  over 125 bytes, a close frame with a code nobody may send).
- :func:`expected_outcome` — what the server must do with a frame: the close code the WebSocket layer
  must answer with, else the ``error`` the parser's verdict implies (``None`` when the parser accepts
  the message and any documented answer will do).

Used by tests/unit/test_parser_fuzz.py, tests/integration/test_hostile_input_fuzz.py and
tests/bench/fuzz_ws.py. The strategies draw everything from Hypothesis, so a derandomized run is the
same run every time.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType
from hypothesis import strategies as st

from signaling.errors import PeerError
from signaling.messages import parse_client_message
from signaling.schemas import CLIENT_TYPES, SERVER_TYPES, ecma_pattern, validators

DOCS = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"

CLIENT_TYPE_NAMES = tuple(sorted(CLIENT_TYPES))
SERVER_TYPE_NAMES = tuple(sorted(SERVER_TYPES))
MAX_LIST = 3
"""Items drawn for a list in a valid message (the schemas allow up to 1,500; boundaries are a mutation)."""
MAX_TEXT = 24
"""Characters drawn for a free text field in a valid message (boundary lengths are a mutation)."""

WRONG_VALUES: tuple[Any, ...] = (None, True, False, 0, -1, 1.5, "", "x", [], {}, [1, "a"], {"a": {}})
"""Values of every JSON type, put where the schema wants another."""
HUGE_NUMBERS: tuple[Any, ...] = (
    10**18,
    2**63,
    -(2**63) - 1,
    2**64,
    10**63,  # 64 digits: the longest literal accepted
    10**64,  # 65 digits: refused at parse time
    -(10**80),
    1e308,
    -1.7976931348623157e308,
    5e-324,
    -0.0,
    1.0,
    0.5,
    float("nan"),
    float("inf"),
    float("-inf"),
)
"""Numbers at and beyond every limit; ``json.dumps`` writes the last three as ``NaN``/``Infinity``."""
NASTY_CHARS: tuple[str, ...] = (
    "\x00",
    "\x1b",
    "\t",
    "\n",
    "\r",
    "\x7f",
    "\x85",
    "\u200b",
    "\u200e",
    "\u2028",
    "\u202e",
    "\u2066",
    "\ufeff",
    "\ufffd",
    "\ud800",  # lone surrogates: valid as a JSON escape, not as text
    "\udfff",
    "\U0001f600",
    "測",
    '"',
    "\\",
    "%s",
    "{}",
)
"""Characters that break names, logs, terminals, consoles or encoders."""
ODD_DIGITS = ("０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗")
"""Digits Python's ``\\d`` and ``int()`` accept but the schemas' ``[0-9]`` must not."""
EXTRA_KEYS = ("x", "__proto__", "constructor", "type ", "Type", "", "a" * 300, "role", "session", "\u202ex")
"""Names of fields no schema has."""
BAD_UTF8 = (b"\xff", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe6\xb8", b"\xf0\x9f\x98")
"""Invalid UTF-8: stray bytes, an overlong form, an encoded surrogate, beyond U+10FFFF, cut sequences."""
BAD_CLOSE_CODES = (0, 999, 1004, 1005, 1015, 1016, 2000, 2999)
"""Close codes a client may never send (RFC 6455 § 7.4; aiohttp lets 1006 through as a normal close)."""
RESERVED_OPCODES = (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)
OP_CONTINUATION = 0

BINARY_REFUSAL = "binary frames are not accepted; send JSON text"
"""The ``error`` message that answers a binary frame (signaling/service.py): an empty binary frame
sent after others marks, by its answer, that the server has answered everything before it."""

PROTOCOL_ERROR = 1002
INVALID_TEXT = 1007
MESSAGE_TOO_BIG = 1009


PAIR_SESSION = "PAIR-SESSION-ID"
"""Stands in drawn frames for the session id of a call that exists only at run time (:func:`with_session`)."""
SESSION_IDS = st.sampled_from([PAIR_SESSION]) | st.from_regex(r"\A[A-Za-z0-9_-]{8,64}\Z")
"""``session_id`` values: someone else's live call (most often) or an id nobody has."""


# --- valid messages from a schema ---------------------------------------------------------------------


@cache
def client_schema(message_type: str) -> dict[str, Any]:
    """The JSON Schema of a client message type."""
    schema: dict[str, Any] = validators()[message_type].schema
    return schema


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if kind is None:
        return []
    return [kind] if isinstance(kind, str) else list(kind)


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    low = schema.get("minLength", 0)
    high = schema.get("maxLength")
    if "pattern" in schema:
        text = st.from_regex(ecma_pattern(schema["pattern"]))
    else:
        text = st.text(st.characters(codec="utf-8"), min_size=low, max_size=min(high or MAX_TEXT, MAX_TEXT))
    return text.filter(lambda s: low <= len(s) and (high is None or len(s) <= high))


def _number(schema: dict[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    low, high = schema.get("minimum"), schema.get("maximum")
    ints = st.integers(
        None if low is None else math.ceil(low),
        None if high is None else math.floor(high),
    )
    if integer:
        return ints
    return ints | st.floats(low, high, allow_nan=False, allow_infinity=False)


def _object(schema: dict[str, Any], session_ids: st.SearchStrategy[str] | None) -> st.SearchStrategy[Any]:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    extra = schema.get("additionalProperties", True)
    if not properties and isinstance(extra, dict):
        names = schema.get("propertyNames", {}).get("pattern")
        keys = st.from_regex(ecma_pattern(names)) if names else st.text(max_size=12)
        return st.dictionaries(keys, from_schema(extra), max_size=min(schema.get("maxProperties", 4), 4))

    def field(name: str) -> st.SearchStrategy[Any]:
        if name == "session_id" and session_ids is not None:
            return session_ids
        return from_schema(properties[name], session_ids)

    return st.fixed_dictionaries(
        {name: field(name) for name in properties if name in required},
        optional={name: field(name) for name in properties if name not in required},
    )


def from_schema(
    schema: dict[str, Any], session_ids: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Any]:
    """Values that ``schema`` accepts (for the keywords the protocol's schemas use)."""
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    options: list[st.SearchStrategy[Any]] = []
    for kind in _types(schema) or ["object"]:
        match kind:
            case "string":
                options.append(_string(schema))
            case "integer" | "number":
                options.append(_number(schema, kind == "integer"))
            case "boolean":
                options.append(st.booleans())
            case "null":
                options.append(st.none())
            case "array":
                items = from_schema(schema.get("items", {}), session_ids)
                low = schema.get("minItems", 0)
                options.append(
                    st.lists(items, min_size=low, max_size=max(low, min(schema.get("maxItems", 3), 3)))
                )
            case "object":
                options.append(_object(schema, session_ids))
    return st.one_of(options)


def valid_message(
    message_type: str | None = None, session_ids: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """A client message its schema accepts (of ``message_type``, else of any client type); its
    ``session_id`` drawn from ``session_ids`` when given."""
    if message_type is None:
        return st.sampled_from(CLIENT_TYPE_NAMES).flatmap(lambda t: valid_message(t, session_ids))
    return _object(client_schema(message_type), session_ids)


# --- mutations ----------------------------------------------------------------------------------------


Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Spot:
    """One place in a message, with the schema that governs it."""

    path: Path_
    """Keys and indexes from the root."""
    schema: dict[str, Any]
    """The subschema for the value there (empty when the schema says nothing)."""


def spots(value: Any, schema: dict[str, Any], path: Path_ = ()) -> Iterator[Spot]:
    """Every place in ``value`` (the root first), each with its subschema."""
    yield Spot(path, schema)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else {})
            yield from spots(item, sub, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from spots(item, schema.get("items", {}), (*path, index))


def _get(value: Any, path: Path_) -> Any:
    for step in path:
        value = value[step]
    return value


def _set(root: Any, path: Path_, new: Any) -> Any:
    if not path:
        return new
    _get(root, path[:-1])[path[-1]] = new
    return root


Mutation = Callable[[st.DrawFn, Any, Spot], Any]
"""Given the message (a private copy) and a spot, return the mutated message."""


def wrong_type(draw: st.DrawFn, root: Any, spot: Spot) -> Any:
    return _set(root, spot.path, copy.deepcopy(draw(st.sampled_from(WRONG_VALUES))))


def huge_number(draw: st.DrawFn, root: Any, spot: Spot) -> Any:
    return _set(root, spot.path, draw(st.sampled_from(HUGE_NUMBERS)))


def number_boundary(draw: st.DrawFn, root: Any, spot: Spot) -> Any:
    limits = [spot.schema[k] for k in ("minimum", "maximum") if k in spot.schema] or [0]
    limit = draw(st.sampled_from(limits))
    value = draw(st.sampled_from([limit - 1, limit, limit + 1, float(limit), limit + 0.5, limit - 0.5]))
    return _set(root, spot.path, value)


def boundary_length(draw: st.DrawFn, root: Any, spot: Spot) -> Any:
    limits = [spot.schema[k] for k in ("minLength", "maxLength") if k in spot.schema] or [0, 64]
    limit = draw(st.sampled_from(limits))
    length = max(0, draw(st.sampled_from([limit - 1, limit, limit + 1])))
    fill = draw(st.sampled_from(["a", "0", "A-_", "測", "\U0001f600", " "]))
    return _set(root, spot.path, (fill * length)[:length])


def insert_char(draw: st.DrawFn, root: Any, spot: Spot) -> Any:
    text = _get(root, spot.path)
    text = text if isinstance(text, str) else str(text)
    at = draw(st.integers(0, len(text)))
    char = draw(st.sampled_from(NASTY_CHARS))
    return _set(root, spot.path, text[:at] + char + text[at:])


def trailing_newline(draw: st.DrawFn, root: Any, spot: Spot) -> Any:
    text = _get(root, spot.path)
    return _set(root, spot.path, str(text) + draw(st.sampled_from(["\n", "\r\n", " ", "\t"])))


def odd_digits(draw: st.DrawFn, root: Any, spot: Spot) -> Any:
    text = _get(root, spot.path)
    digits = draw(st.sampled_from(ODD_DIGITS))
    return _set(root, spot.path, re.sub("[0-9]", lambda m: digits[int(m.group())], str(text)) or digits)


def drop_field(draw: st.DrawFn, root: Any, spot: Spot) -> Any:
    target = _get(root, spot.path)
    if isinstance(target, dict) and target:
        del target[draw(st.sampled_from(sorted(target)))]
    return root


def extra_field(draw: st.DrawFn, root: Any, spot: Spot) -> Any:
    target = _get(root, spot.path)
    if isinstance(target, dict):
        target[draw(st.sampled_from(EXTRA_KEYS))] = copy.deepcopy(draw(st.sampled_from(WRONG_VALUES)))
    return root


def nasty_key(draw: st.DrawFn, root: Any, spot: Spot) -> Any:
    target = _get(root, spot.path)
    if isinstance(target, dict) and target:
        key = draw(st.sampled_from(sorted(target)))
        target[key + draw(st.sampled_from(NASTY_CHARS))] = target.pop(key)
    return root


def list_boundary(draw: st.DrawFn, root: Any, spot: Spot) -> Any:
    target = _get(root, spot.path)
    if isinstance(target, list):
        limits = [spot.schema[k] for k in ("minItems", "maxItems") if k in spot.schema] or [0]
        length = max(0, draw(st.sampled_from([n + d for n in limits for d in (-1, 0, 1)])))
        item = target[0] if target else {}
        _set(root, spot.path, [copy.deepcopy(item) for _ in range(length)])
    return root


def retype(draw: st.DrawFn, root: Any, spot: Spot) -> Any:
    if isinstance(root, dict):
        root["type"] = draw(
            st.sampled_from(CLIENT_TYPE_NAMES + SERVER_TYPE_NAMES)
            | st.sampled_from(["", "HELLO", "hello ", "Hello", "ping", "__proto__"])
            | st.sampled_from(WRONG_VALUES).map(copy.deepcopy)
        )
    return root


def not_an_object(draw: st.DrawFn, root: Any, spot: Spot) -> Any:
    return draw(
        st.sampled_from([[root], root.get("type") if isinstance(root, dict) else root, 1, None, "{}"])
    )


def any_session(draw: st.DrawFn, root: Any, spot: Spot) -> Any:
    if isinstance(root, dict):
        root["session_id"] = draw(st.from_regex(r"\A[A-Za-z0-9_-]{8,64}\Z"))
    return root


MUTATIONS: dict[str, Mutation] = {
    "wrong_type": wrong_type,
    "huge_number": huge_number,
    "number_boundary": number_boundary,
    "boundary_length": boundary_length,
    "insert_char": insert_char,
    "trailing_newline": trailing_newline,
    "odd_digits": odd_digits,
    "drop_field": drop_field,
    "extra_field": extra_field,
    "nasty_key": nasty_key,
    "list_boundary": list_boundary,
    "retype": retype,
    "not_an_object": not_an_object,
    "any_session": any_session,
}
"""Every mutation by name; each applies at one spot (root-level ones ignore the spot)."""
STRING_MUTATIONS = ("boundary_length", "insert_char", "trailing_newline", "odd_digits")
NUMBER_MUTATIONS = ("huge_number", "number_boundary")


ROOT_MUTATIONS = ("drop_field", "extra_field", "nasty_key", "retype", "not_an_object", "any_session")


def _applicable(value: Any, at_root: bool) -> list[str]:
    if at_root:
        return list(ROOT_MUTATIONS) if isinstance(value, dict) else ["not_an_object"]
    names = ["wrong_type"]
    if isinstance(value, str):
        names += STRING_MUTATIONS
    elif isinstance(value, int | float) and not isinstance(value, bool):
        names += NUMBER_MUTATIONS
    elif isinstance(value, dict):
        names += ["drop_field", "extra_field", "nasty_key"]
    elif isinstance(value, list):
        names += ["list_boundary"]
    return names


@st.composite
def mutated(draw: st.DrawFn, message: Any, schema: dict[str, Any]) -> tuple[Any, list[str]]:
    """``message`` after one to three mutations; returns it with the mutations' names."""
    value = copy.deepcopy(message)
    names: list[str] = []
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        places = [s for s in spots(value, schema) if s.path[:1] != ("type",)] or [Spot((), {})]
        spot = draw(st.sampled_from(places))
        name = draw(st.sampled_from(_applicable(_get(value, spot.path), not spot.path)))
        value = MUTATIONS[name](draw, value, spot)
        names.append(name)
    return value, names


@st.composite
def hostile_message(
    draw: st.DrawFn, message_type: str | None = None, session_ids: st.SearchStrategy[str] | None = None
) -> tuple[Any, list[str]]:
    """A valid message of ``message_type`` (any when ``None``) after mutations, with their names."""
    chosen = message_type or draw(st.sampled_from(CLIENT_TYPE_NAMES))
    message = draw(valid_message(chosen, session_ids))
    return draw(mutated(message, client_schema(chosen)))


# --- text ---------------------------------------------------------------------------------------------


def _cut(draw: st.DrawFn, text: str) -> str:
    return text[: draw(st.integers(0, max(0, len(text) - 1)))]


def _stray(draw: st.DrawFn, text: str) -> str:
    at = draw(st.integers(0, len(text)))
    return (
        text[:at]
        + draw(st.sampled_from([",", "}", "]", ":", '"', "\\", "\x00", "'", "/*", "\ud800"]))
        + text[at:]
    )


def _non_finite(draw: st.DrawFn, text: str) -> str:
    literal = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1e-999", "1" * 4301]))
    return re.sub(r"(?<=:)-?\d+(\.\d+)?([eE][-+]?\d+)?", literal, text, count=1) if ":" in text else literal


def _deep(draw: st.DrawFn, text: str) -> str:
    depth = draw(st.sampled_from([1000, 100_000]))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    return opener * depth + text + closer * depth


def _duplicate_type(draw: st.DrawFn, text: str) -> str:
    other = draw(st.sampled_from(CLIENT_TYPE_NAMES))
    return text.replace("{", f'{{"type":"{other}",', 1) if text.startswith("{") else text


def _bom(draw: st.DrawFn, text: str) -> str:
    return "\ufeff" + text


def _whitespace(draw: st.DrawFn, text: str) -> str:
    return (
        draw(st.sampled_from([" ", "\n", "\t", "\r\n", "\u00a0"]))
        + text
        + draw(st.sampled_from(["", " ", "\n"]))
    )


def _random_text(draw: st.DrawFn, text: str) -> str:
    return draw(st.text(max_size=64))


TEXT_MANGLES: dict[str, Callable[[st.DrawFn, str], str]] = {
    "cut": _cut,
    "stray": _stray,
    "non_finite": _non_finite,
    "deep": _deep,
    "duplicate_type": _duplicate_type,
    "bom": _bom,
    "whitespace": _whitespace,
    "random_text": _random_text,
}
"""Breakages of the JSON text itself, by name."""


def to_json(value: Any, ascii_only: bool) -> str:
    """JSON text as a client would write it (``NaN``/``Infinity`` included when the value has them)."""
    return json.dumps(value, ensure_ascii=ascii_only, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class HostileText:
    """A text frame's content and how it was made."""

    text: str
    """May hold lone surrogates (only :func:`wire_bytes` decides how they reach the wire)."""
    how: tuple[str, ...]
    """Names of the mutations and text breakages applied (empty: a valid message)."""


@st.composite
def hostile_text(draw: st.DrawFn, session_ids: st.SearchStrategy[str] | None = None) -> HostileText:
    """Text of a valid message (about one in four), a mutated message, or (about one in four) either
    broken at the JSON level."""
    # Hypothesis favours the first of a list: the common case comes first.
    if draw(st.sampled_from(["mutated"] * 6 + ["valid"] * 2)) == "valid":
        value, how = draw(valid_message(session_ids=session_ids)), []
    else:
        value, how = draw(hostile_message(session_ids=session_ids))
    text = to_json(value, draw(st.booleans()))
    name = draw(st.sampled_from(["intact"] * 24 + sorted(TEXT_MANGLES)))
    if name != "intact":
        text = TEXT_MANGLES[name](draw, text)
        how.append(name)
    return HostileText(text, tuple(how))


# --- frames -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class Frame:
    """One WebSocket frame a client sends."""

    opcode: int
    """WebSocket opcode (1 text, 2 binary, or anything for protocol breakage)."""
    payload: bytes
    """Exactly the bytes sent."""
    kind: str
    """What the frame is, for figures: ``text``, ``invalid_utf8``, ``binary``, ``size``, ``protocol``."""
    how: tuple[str, ...] = ()
    """Mutations and breakages behind a text frame."""

    def __repr__(self) -> str:
        shown = self.payload if len(self.payload) <= 300 else self.payload[:300] + b"..."
        size = len(self.payload)
        return f"Frame({self.opcode}, {shown!r} ({size} bytes), kind={self.kind!r}, how={self.how!r})"


def with_session(frame: Frame, session_id: str) -> Frame:
    """``frame`` naming ``session_id`` wherever it names :data:`PAIR_SESSION`."""
    return replace(frame, payload=frame.payload.replace(PAIR_SESSION.encode(), session_id.encode()))


def wire_bytes(text: str) -> bytes:
    """The bytes a client sends for ``text``: UTF-8, with any lone surrogate written as its 3 bytes
    (CESU), which is not valid UTF-8."""
    return text.encode("utf-8", "surrogatepass")


@st.composite
def text_frame(draw: st.DrawFn, session_ids: st.SearchStrategy[str] | None = None) -> Frame:
    made = draw(hostile_text(session_ids))
    return Frame(WSMsgType.TEXT, wire_bytes(made.text), "text", made.how)


@st.composite
def invalid_utf8_frame(draw: st.DrawFn) -> Frame:
    data = wire_bytes(to_json(draw(valid_message()), ascii_only=False))
    at = draw(st.integers(0, len(data)))
    return Frame(WSMsgType.TEXT, data[:at] + draw(st.sampled_from(BAD_UTF8)) + data[at:], "invalid_utf8")


@st.composite
def binary_frame(draw: st.DrawFn) -> Frame:
    made = draw(hostile_text())
    return Frame(WSMsgType.BINARY, wire_bytes(made.text), "binary", made.how)


@st.composite
def size_frame(draw: st.DrawFn, max_message_bytes: int) -> Frame:
    """A frame of max - 1, max or max + 1 bytes (or far over): a ``join_queue`` padded with spaces."""
    size = max_message_bytes + draw(st.sampled_from([-1, 0, 1, 4096]))
    head = b'{"type":"join_queue","display_name":"Ann","business":"activation"}'
    opcode = draw(st.sampled_from([WSMsgType.TEXT, WSMsgType.BINARY]))
    return Frame(opcode, head + b" " * (size - len(head)), "size")


@st.composite
def protocol_frame(draw: st.DrawFn) -> Frame:
    """A frame that breaks RFC 6455: reserved opcode, orphan continuation, big ping, bad close."""
    choice = draw(st.sampled_from(["opcode", "continuation", "big_control", "close_code", "close_short"]))
    payload = draw(st.binary(max_size=16))
    match choice:
        case "opcode":
            return Frame(draw(st.sampled_from(RESERVED_OPCODES)), payload, "protocol", (choice,))
        case "continuation":
            return Frame(OP_CONTINUATION, payload, "protocol", (choice,))
        case "big_control":
            size = draw(st.integers(126, 300))
            opcode = draw(st.sampled_from([WSMsgType.PING, WSMsgType.PONG]))
            return Frame(opcode, b"p" * size, "protocol", (choice,))
        case "close_code":
            code = draw(st.sampled_from(BAD_CLOSE_CODES))
            return Frame(WSMsgType.CLOSE, code.to_bytes(2, "big") + payload, "protocol", (choice,))
        case _:
            return Frame(WSMsgType.CLOSE, b"\x03", "protocol", (choice,))


FRAME_KINDS = (("text", 70), ("invalid_utf8", 8), ("binary", 8), ("size", 6), ("protocol", 8))
"""Kinds of :func:`wire_frame` and their weights (per cent)."""


@st.composite
def wire_frame(
    draw: st.DrawFn, max_message_bytes: int, session_ids: st.SearchStrategy[str] | None = None
) -> Frame:
    """Any hostile frame, in the proportions of :data:`FRAME_KINDS`."""
    kind = draw(st.sampled_from([name for name, weight in FRAME_KINDS for _ in range(weight)]))
    match kind:
        case "text":
            return draw(text_frame(session_ids))
        case "invalid_utf8":
            return draw(invalid_utf8_frame())
        case "binary":
            return draw(binary_frame())
        case "size":
            return draw(size_frame(max_message_bytes))
        case _:
            return draw(protocol_frame())


# --- what the server must do --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expected:
    """What the server must answer to one frame."""

    close: int | None = None
    """The close code the WebSocket layer must send (and no message before it)."""
    error: tuple[str, str | None] | None = None
    """(``code``, ``ref_type``) of the ``error`` the parser's refusal implies."""
    accepted_type: str | None = None
    """The type of a message the parser accepts: any documented answer will do."""


def expected_outcome(frame: Frame, max_message_bytes: int) -> Expected:
    """The answer :class:`Frame` must get, decided without the server: from RFC 6455 for the frame and
    from the (pure) parser for its text."""
    if frame.opcode not in (WSMsgType.TEXT, WSMsgType.BINARY):
        return Expected(close=PROTOCOL_ERROR)  # protocol_frame() makes only frames RFC 6455 forbids
    if len(frame.payload) > max_message_bytes:
        return Expected(close=MESSAGE_TOO_BIG)
    if frame.opcode == WSMsgType.BINARY:
        return Expected(error=("bad_json", None))
    try:
        text = frame.payload.decode("utf-8")
    except UnicodeDecodeError:
        return Expected(close=INVALID_TEXT)
    try:
        message = parse_client_message(text)
    except PeerError as error:
        return Expected(error=(error.code, error.ref_type))
    return Expected(accepted_type=message.TYPE)


# --- what the documentation promises ------------------------------------------------------------------


def _first_column(heading: str) -> list[str]:
    """The first cell of each row of the table that follows the line ``heading``."""
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    rows: list[str] = []
    for line in lines[lines.index(heading) + 1 :]:
        if line.startswith("|"):
            rows.append(line.split("|")[1].strip())
        elif rows:
            break
    return rows[2:]  # after the header and its rule


@cache
def documented_error_codes() -> frozenset[str]:
    """``error.code`` values listed in docs/protocol.md § Errors."""
    return frozenset(c.strip("`") for c in _first_column("`error.code` values:"))


@cache
def documented_close_codes() -> frozenset[int]:
    """Close codes listed in docs/protocol.md § Errors."""
    return frozenset(int(c) for c in _first_column("Close codes:"))
