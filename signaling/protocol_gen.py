"""Writes what derives from the protocol's message dataclasses: the JSON Schemas and the browser's module.

    python -m signaling.protocol_gen          # writes signaling/schemas/*.json, web_client/shared/protocol.js
    python -m signaling.protocol_gen --check  # writes nothing; exits 1 naming the files that are stale

The messages are declared once (:data:`~signaling.messages.ClientMessage` and
:data:`~signaling.messages.ServerMessage` list them; :mod:`signaling.wire_fields` says how a field's
type reads on the wire). From each this module derives its JSON Schema (draft 2020-12, every object
closed with ``additionalProperties: false``, a field's pattern anchored at both ends, descriptions
from the docstrings) and, for the pages, ``protocol.js``: the protocol version,
the business types, the message types, the flow input kinds, the close codes, and a JSDoc type for
every message and every object inside one. A unit test (tests/unit/test_protocol_gen.py) fails when
a committed file differs from what this writes.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import re
import sys
import textwrap
import types
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from enum import Enum
from functools import cache
from pathlib import Path
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

from signaling import businesses, messages
from signaling.cobrowse_messages import Scope, Screen
from signaling.errors import CloseCode
from signaling.flow_messages import FlowInputKind, FlowStatus, StepState
from signaling.states import TellerState
from signaling.verification_messages import AcceptReason, RefusalReason, RejectReason, ReviewReason
from signaling.wire_fields import (
    Always,
    Contains,
    Entries,
    In,
    Items,
    Length,
    Matches,
    Nullable,
    Range,
)

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = Path("signaling") / "schemas"
JS_MODULE = Path("web_client") / "shared" / "protocol.js"
SCHEMA_ID = "https://video-bank.invalid/protocol/v1/{}.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

VOCABULARIES: Mapping[str, Any] = {
    "Business": businesses.Business,
    "Role": messages.SignInRole,
    "TellerState": TellerState,
    "Lane": messages.Lane,
    "TaskKind": messages.TaskKind,
    "EndReason": messages.EndReason,
    "MonitorStopReason": messages.MonitorStopReason,
    "IceTransportPolicy": messages.IceTransportPolicy,
    "FlowInputKind": FlowInputKind,
    "FlowStatus": FlowStatus,
    "StepState": StepState,
    "CobrowseScope": Scope,
    "Screen": Screen,
    "ReviewReason": ReviewReason,
    "AcceptReason": AcceptReason,
    "RejectReason": RejectReason,
    "RefusalReason": RefusalReason,
}
"""Value sets the pages know by name: a JSDoc type each, used wherever a field holds one."""
_SCALARS: Mapping[type, tuple[str, str]] = {
    str: ("string", "string"),
    bool: ("boolean", "boolean"),
    int: ("integer", "number"),
    float: ("number", "number"),
}
"""Python type → (JSON Schema type, JSDoc type)."""


# --- reading the declarations -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a message or one key of an object, as it reads on the wire."""

    name: str
    hint: Any
    """The type, with the outer ``Annotated``, ``None`` and ``NotRequired`` taken off."""
    rules: tuple[Any, ...]
    """The :mod:`signaling.wire_fields` rules of the outer ``Annotated``."""
    required: bool
    """Present in every message."""
    nullable: bool
    """May be ``null``."""
    doc: str
    """Its docstring, on one line."""


def _peel(hint: Any) -> tuple[Any, tuple[Any, ...], bool, bool | None]:
    """``hint`` without its outer ``Annotated``, ``None`` and ``(Not)Required``: (type, rules, whether
    ``None`` was part of it, ``True``/``False`` for ``Required``/``NotRequired``)."""
    rules: list[Any] = []
    has_none = False
    required: bool | None = None
    while True:
        origin = get_origin(hint)
        if origin is Annotated:
            rules.extend(hint.__metadata__)
            hint = get_args(hint)[0]
        elif origin in (Required, NotRequired):
            required = origin is Required
            hint = get_args(hint)[0]
        elif origin in (Union, types.UnionType) and type(None) in get_args(hint):
            has_none = True
            rest = tuple(a for a in get_args(hint) if a is not type(None))
            hint = rest[0] if len(rest) == 1 else Union[rest]  # noqa: UP007 (a runtime union of types)
        else:
            return hint, tuple(rules), has_none, required


@cache
def _source_docs(cls: type) -> tuple[str, Mapping[str, str]]:
    """The class docstring and the docstring under each of its fields, from the source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for statement, after in zip(body, [*body[1:], None], strict=True):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[statement.target.id] = _one_line(after.value.value)
    return _one_line(inspect.getdoc(cls) or ""), docs


def _one_line(doc: str) -> str:
    """A docstring as one line of plain text (reST roles and double backquotes made plain)."""
    doc = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", doc)
    return " ".join(doc.replace("``", "`").split())


def message_fields(cls: type) -> list[Field]:
    """The wire fields of a message dataclass, in declaration order."""
    hints = get_type_hints(cls, include_extras=True)
    _, docs = _source_docs(cls)
    out = []
    for f in fields(cls):
        hint, rules, has_none, _ = _peel(hints[f.name])
        has_default = f.default is not MISSING or f.default_factory is not MISSING
        required = not has_default or any(isinstance(r, Always) for r in rules)
        nullable = has_none and (not has_default or any(isinstance(r, Nullable) for r in rules))
        out.append(Field(f.name, hint, rules, required, nullable, docs.get(f.name, "")))
    return out


def object_fields(cls: type) -> list[Field]:
    """The keys of a ``TypedDict``, in declaration order."""
    total: bool = getattr(cls, "__total__", True)
    _, docs = _source_docs(cls)
    out = []
    for name, raw in get_type_hints(cls, include_extras=True).items():
        hint, rules, has_none, required = _peel(raw)
        out.append(
            Field(name, hint, rules, total if required is None else required, has_none, docs.get(name, ""))
        )
    return out


def _vocabulary(hint: Any, rules: tuple[Any, ...]) -> tuple[list[Any], str | None] | None:
    """The values a field may hold and the vocabulary's name, when it holds one of a set."""
    source = next((r.vocabulary for r in rules if isinstance(r, In)), hint)
    if isinstance(source, type) and issubclass(source, Enum):
        values = [member.value for member in source]
    elif get_origin(source) is Literal:
        values = list(get_args(source))
    else:
        return None
    name = next((n for n, v in VOCABULARIES.items() if v is source or v == source), None)
    return values, name


def _described(cls: type) -> str:
    """The class docstring after who sends the message: ``Server to client: the hub's SDP answer.``"""
    client, server = cls in messages.CLIENT_CLASSES, cls in messages.SERVER_CLASSES
    if client and server:
        direction = "Client to server, relayed unchanged to the other party"
    else:
        direction = "Client to server" if client else "Server to client"
    doc = _source_docs(cls)[0]
    if doc[1:2].islower():  # "The hub's…" but not "SDP…"
        doc = doc[0].lower() + doc[1:]
    return f"{direction}: {doc}"


# --- JSON Schema --------------------------------------------------------------------------------


def _anchored(regex: str) -> str:
    """``regex`` matching the whole text: ``^`` before and ``$`` after, in a group when it has a
    top-level alternative. JSON Schema patterns are ECMA-262, where ``$`` is the very end of the text;
    the server's validators read it so (:func:`signaling.schemas.ecma_pattern`), so a final newline
    does not pass."""
    depth, in_class, escaped = 0, False, False
    for char in regex:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return f"^(?:{regex})$"
    return f"^{regex}$"


def _schema(hint: Any, rules: tuple[Any, ...] = (), nullable: bool = False, doc: str = "") -> dict[str, Any]:
    """The JSON Schema of one value."""
    out: dict[str, Any] = {}
    vocabulary = _vocabulary(hint, rules)
    if vocabulary is not None:
        values = vocabulary[0] + ([None] if nullable else [])
        out.update({"const": values[0]} if len(values) == 1 else {"enum": values})
    elif hint is Any:
        pass
    elif hint in _SCALARS or get_origin(hint) in (Union, types.UnionType):
        names = [_SCALARS[h][0] for h in (get_args(hint) or (hint,))] + (["null"] if nullable else [])
        out["type"] = names[0] if len(names) == 1 else names
    elif get_origin(hint) is list:
        out["type"] = ["array", "null"] if nullable else "array"
    elif get_origin(hint) is dict or is_typeddict(hint):
        out["type"] = ["object", "null"] if nullable else "object"
    else:
        raise TypeError(f"no wire form for {hint!r}")
    if doc:
        out["description"] = doc
    for rule in rules:
        if isinstance(rule, Length):
            out.update({k: v for k, v in (("minLength", rule.min), ("maxLength", rule.max)) if v is not None})
        elif isinstance(rule, Matches | Contains):
            out["pattern"] = _anchored(rule.regex) if isinstance(rule, Matches) else rule.regex
        elif isinstance(rule, Range):
            bounds = (("minimum", rule.min), ("exclusiveMinimum", rule.above), ("maximum", rule.max))
            out.update({k: v for k, v in bounds if v is not None})
        elif isinstance(rule, Items):
            out.update({k: v for k, v in (("minItems", rule.min), ("maxItems", rule.max)) if v is not None})
        elif isinstance(rule, Entries):
            out["maxProperties"] = rule.max
    if get_origin(hint) is list:
        item, item_rules, _, _ = _peel(get_args(hint)[0])
        out["items"] = _schema(item, item_rules)
    elif get_origin(hint) is dict:
        key, key_rules, _, _ = _peel(get_args(hint)[0])
        pattern = _schema(key, key_rules).get("pattern")
        if pattern is not None:
            out["propertyNames"] = {"pattern": pattern}
        value, value_rules, value_none, _ = _peel(get_args(hint)[1])
        if value is not Any:
            out["additionalProperties"] = _schema(value, value_rules, value_none)
    elif is_typeddict(hint):
        out.update(_object(object_fields(hint)))
    return out


def _object(keys: list[Field], first: Mapping[str, Any] | None = None) -> dict[str, Any]:
    properties = dict(first or {})
    properties.update({k.name: _schema(k.hint, k.rules, k.nullable, k.doc) for k in keys})
    required = [*(first or {}), *(k.name for k in keys if k.required)]
    return {"properties": properties, "required": required, "additionalProperties": False}


def message_schema(cls: type) -> dict[str, Any]:
    """The JSON Schema of one message class."""
    name = _tp(cls)
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID.format(name),
        "title": name,
        "description": _described(cls),
        "type": "object",
        **_object(message_fields(cls), {"type": {"const": name}}),
    }


def message_classes() -> list[type]:
    """Every message class once: the client's, then the server's (those relayed both ways once)."""
    return list(dict.fromkeys([*messages.CLIENT_CLASSES, *messages.SERVER_CLASSES]))


def schemas() -> dict[str, dict[str, Any]]:
    """Message type → its JSON Schema."""
    return {_tp(cls): message_schema(cls) for cls in message_classes()}


# --- the browser's module -----------------------------------------------------------------------


def _js(value: Any) -> str:
    """A JSON value as JavaScript source, strings in single quotes."""
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return json.dumps(value)


@dataclass(slots=True)
class _Named:
    """The named JSDoc types a module refers to, gathered while writing its message types."""

    vocabularies: dict[str, list[Any]]
    """Name → its values."""
    objects: dict[str, type]
    """Name → its ``TypedDict``."""


def _jsdoc(hint: Any, rules: tuple[Any, ...], named: _Named) -> str:
    """The JSDoc type of one value; named types met on the way are added to ``named``."""
    vocabulary = _vocabulary(hint, rules)
    if vocabulary is not None:
        values, name = vocabulary
        if name is None:
            return "|".join(_js(v) for v in values)
        named.vocabularies[name] = values
        return name
    if hint is Any:
        return "any"
    if hint in _SCALARS:
        return _SCALARS[hint][1]
    if get_origin(hint) in (Union, types.UnionType):
        return "|".join(dict.fromkeys(_SCALARS[h][1] for h in get_args(hint)))
    if get_origin(hint) is list:
        item = _jsdoc(*_peel(get_args(hint)[0])[:2], named)
        return f"({item})[]" if "|" in item else f"{item}[]"
    if get_origin(hint) is dict:
        value, value_rules, value_none, _ = _peel(get_args(hint)[1])
        return f"Record<string, {_jsdoc(value, value_rules, named)}{'|null' if value_none else ''}>"
    if is_typeddict(hint):
        named.objects[hint.__name__] = hint
        return str(hint.__name__)
    raise TypeError(f"no JSDoc type for {hint!r}")


def _typedef(name: str, doc: str, keys: list[Field], named: _Named, message_type: str = "") -> list[str]:
    """One ``@typedef {object}`` with a ``@property`` per key (``[name]`` when it may be left out)."""
    lines = ["", "/**", *(f" * {line}" for line in textwrap.wrap(doc, 100)), f" * @typedef {{object}} {name}"]
    if message_type:
        lines.append(f" * @property {{{_js(message_type)}}} type")
    for k in keys:
        kind = _jsdoc(k.hint, k.rules, named) + ("|null" if k.nullable else "")
        label = k.name if k.required else f"[{k.name}]"
        lines += _packed([f" * @property {{{kind}}} {label}", *k.doc.split()], " ", " *   ")
    return [*lines, " */"]


def _packed(items: list[str], joint: str, indent: str) -> list[str]:
    """``items`` joined by ``joint`` in lines of at most 110 characters, the later ones after ``indent``."""
    lines = [items[0]]
    for item in items[1:]:
        if len(lines[-1]) + len(joint) + len(item) <= 110:
            lines[-1] += joint + item
        else:
            lines[-1] += joint.rstrip()
            lines.append(indent + item)
    return lines


def _type_name(cls: type) -> str:
    """The JSDoc name of a message: ``task_offer`` → ``TaskOfferMessage``, ``flow_message`` → itself."""
    name = "".join(part.title() for part in _tp(cls).split("_"))
    return name if name.endswith("Message") else name + "Message"


def _constant(name: str, doc: str, values: Any) -> list[str]:
    """``export const name = Object.freeze(…)``, broken after its commas when long."""
    if isinstance(values, Mapping):
        items = [f"{k}: {_js(v)}," for k, v in values.items()]
        opener, closer = "{", "}"
    else:
        items = [f"{_js(v)}," for v in values]
        opener, closer = "[", "]"
    line = f"export const {name} = Object.freeze({opener}{' '.join(items)[:-1]}{closer});"
    if len(line) <= 110:
        return [f"/** {doc} */", line]
    body = _packed(["  " + items[0], *items[1:]], " ", "  ")
    return [f"/** {doc} */", f"export const {name} = Object.freeze({opener}", *body, f"{closer});"]


HEADER = """/**
 * Protocol v1 as the pages see it: its constants and the JSDoc type of every message (docs/protocol.md).
 *
 * GENERATED by `python -m signaling.protocol_gen` from the message dataclasses of signaling/: do not
 * edit. Change the dataclass and run it again (tests/unit/test_protocol_gen.py fails while this file
 * is stale).
 *
 * @module shared/protocol
 */
"""


def javascript() -> str:
    """The text of ``web_client/shared/protocol.js``."""
    named = _Named({}, {})
    message_types: list[str] = []
    for cls in message_classes():
        message_types += _typedef(_type_name(cls), _described(cls), message_fields(cls), named, _tp(cls))
    object_types: dict[str, list[str]] = {}
    while set(named.objects) - set(object_types):  # objects inside objects add more
        for name, cls in list(named.objects.items()):
            if name not in object_types:
                object_types[name] = _typedef(name, _source_docs(cls)[0], object_fields(cls), named)
    maps: list[str] = []
    for which, classes in (("Client", messages.CLIENT_CLASSES), ("Server", messages.SERVER_CLASSES)):
        maps += ["", "/**", f" * @typedef {{object}} {which}MessageMap message type -> its JSDoc type"]
        maps += [f" * @property {{{_type_name(cls)}}} {_tp(cls)}" for cls in classes]
        maps.append(" */")
    constants = [
        "/** The protocol version this page speaks (`hello.protocol`). */",
        f"export const PROTOCOL_VERSION = {messages.PROTOCOL_VERSION};",
        *_constant("BUSINESSES", "Every business type, in the order pages list them.", businesses.BUSINESSES),
        *_constant(
            "CUSTOMER_BUSINESSES", "The businesses a customer's phone offers.", businesses.CUSTOMER_BUSINESSES
        ),
        *_constant(
            "FIELD_BUSINESSES",
            "The businesses a field officer's tablet queues for.",
            businesses.FIELD_BUSINESSES,
        ),
        *_constant(
            "CLIENT_TYPES", "Message types a page may send.", [_tp(c) for c in messages.CLIENT_CLASSES]
        ),
        *_constant(
            "SERVER_TYPES", "Message types the server sends.", [_tp(c) for c in messages.SERVER_CLASSES]
        ),
        *_constant("FLOW_INPUT_KINDS", "The kinds of `flow_input`.", get_args(FlowInputKind)),
        *_constant(
            "CloseCode",
            "WebSocket close codes of the server (docs/protocol.md).",
            {c.name: c.value for c in CloseCode},
        ),
    ]
    vocabularies = []
    for name, values in sorted(named.vocabularies.items()):
        line = f"/** @typedef {{{'|'.join(_js(v) for v in values)}}} {name} */"
        if len(line) > 110:
            union = _packed([f" * @typedef {{{_js(values[0])}", *(_js(v) for v in values[1:])], "|", " *   ")
            line = "\n".join(["/**", *union[:-1], f"{union[-1]}}} {name}", " */"])
        vocabularies.append(line)
    objects = [line for _, lines in sorted(object_types.items()) for line in lines]
    lines = [HEADER, *constants, "", *vocabularies, *objects, *message_types, *maps]
    return "\n".join(lines) + "\n"


def _tp(cls: type) -> str:
    message_type: str = getattr(cls, "TYPE")  # noqa: B009 (every message class has one)
    return message_type


# --- files --------------------------------------------------------------------------------------


def outputs() -> dict[Path, str]:
    """Path (relative to the repository) → the text it must hold."""
    out = {
        SCHEMA_DIR / f"{name}.json": json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        for name, schema in schemas().items()
    }
    out[JS_MODULE] = javascript()
    return out


def stale(root: Path = ROOT) -> list[Path]:
    """Files that differ from what :func:`outputs` writes, and schema files no message declares."""
    wanted = outputs()
    extra = [p.relative_to(root) for p in sorted((root / SCHEMA_DIR).glob("*.json"))]
    return sorted(
        {p for p, text in wanted.items() if not (root / p).is_file() or (root / p).read_text("utf-8") != text}
        | {p for p in extra if p not in wanted}
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m signaling.protocol_gen", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file is stale")
    args = parser.parse_args(argv)
    files = stale()
    if args.check:
        for path in files:
            print(f"stale: {path}", file=sys.stderr)
        return 1 if files else 0
    wanted = outputs()
    for path in files:
        if path in wanted:
            (ROOT / path).write_text(wanted[path], encoding="utf-8")
            print(f"wrote {path}")
        else:
            (ROOT / path).unlink()
            print(f"removed {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
