"""The JSON Schemas of protocol v1 (one file per message type in ``signaling/schemas/``).

The files are generated from the message dataclasses (``python -m signaling.protocol_gen``); this module
loads and applies them.

JSON Schema patterns are ECMA-262 regular expressions, in which ``$`` (without the multiline flag)
matches only at the very end of the text. Python's ``re`` also lets ``$`` match before a final
newline, so ``^\\+?[0-9]{6,20}$`` would accept a phone number ending in ``"\\n"``. The validators here
read every ``$`` outside a character class as ``\\Z`` (:func:`ecma_pattern`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.validators import extend

from signaling.errors import InvalidMessage
from signaling.strict_json import field_label


def ecma_pattern(pattern: str) -> str:
    """``pattern`` for Python's ``re`` with ECMA-262's end anchor: ``$`` outside a class becomes ``\\Z``."""
    out: list[str] = []
    in_class = False
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(char + next(chars, ""))
        elif in_class:
            in_class = char != "]"
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
        else:
            out.append("\\Z" if char == "$" else char)
    return "".join(out)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(ecma_pattern(pattern))


def _pattern(validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    """The ``pattern`` keyword with ECMA-262 anchors; the error never quotes the (possibly secret) text."""
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"does not match {pattern!r}")


ProtocolValidator: Any = extend(Draft202012Validator, {"pattern": _pattern})
"""Draft 2020-12 with ECMA-262 pattern semantics (see the module docstring)."""


@cache
def validators() -> Mapping[str, Any]:
    """One compiled :data:`ProtocolValidator` per message type, loaded once from the package data."""
    folder = resources.files("signaling") / "schemas"
    out: dict[str, Any] = {}
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.endswith(".json"):
            schema = json.loads(path.read_text(encoding="utf-8"))
            ProtocolValidator.check_schema(schema)
            out[path.name.removesuffix(".json")] = ProtocolValidator(schema)
    return out


MAX_NAMED_FIELDS = 5
"""Unexpected fields an error names (a message may carry thousands)."""


def validate(message_type: str, payload: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidMessage` naming the first offending field when ``payload`` breaks its schema."""
    errors = sorted(validators()[message_type].iter_errors(payload), key=lambda e: list(e.path))
    if not errors:
        return
    first = errors[0]
    where = ".".join(field_label(p) for p in first.path) or "message"
    if first.validator == "additionalProperties":
        known = set(first.schema.get("properties", {}))
        extra = sorted({field_label(name) for name in set(first.instance) - known})
        named = ", ".join(extra[:MAX_NAMED_FIELDS]) + (" …" if len(extra) > MAX_NAMED_FIELDS else "")
        raise InvalidMessage(f"{message_type}: unexpected field(s) {named}", message_type)
    if first.validator == "required":
        raise InvalidMessage(f"{message_type}: {first.message}", message_type)
    rule = _describe(str(first.validator), first.validator_value)
    raise InvalidMessage(f"{message_type}: field {where} {rule}", message_type)


def _describe(rule: str, limit: Any) -> str:
    """The rule a value broke, in words, without echoing the (possibly sensitive, possibly huge) value."""
    match rule:
        case "enum":
            return f"must be one of {', '.join(map(str, limit))}"
        case "const":
            return f"must be {limit!r}"
        case "type":
            return f"must be of type {limit}"
        case "maxLength":
            return f"is longer than {limit} characters"
        case "minLength":
            return f"is shorter than {limit} characters"
        case "pattern":
            return "has an invalid format"
        case "minimum":
            return f"is below {limit}"
        case "maximum":
            return f"is above {limit}"
        case "maxItems":
            return f"has more than {limit} items"
        case "maxProperties":
            return f"has more than {limit} entries"
    return f"breaks rule {rule}"


def __getattr__(name: str) -> frozenset[str]:
    """``CLIENT_TYPES`` and ``SERVER_TYPES``, kept here for older imports; :mod:`signaling.messages`
    derives them from its message unions (it imports this module, so they are looked up when asked for)."""
    if name in ("CLIENT_TYPES", "SERVER_TYPES"):
        from signaling import messages

        types: frozenset[str] = getattr(messages, name)
        return types
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
