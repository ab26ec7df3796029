"""The flows on the wire: a client's ``flow_input`` typed once, a report turned into messages once.

In: the socket has checked a ``flow_input`` against its schema (a kind a client may send, at most four
fields of text, booleans, whole numbers or ``null``). :func:`parse_input` then builds the typed input
of that kind in one step — the class of :mod:`video_bank.flows.inputs` whose ``kind`` it is, its
fields read from the class's own field types (``bool``, ``int``, ``str``, an ``Enum`` by value, a
PIN or password wrapped in :class:`~video_bank.core_banking.models.Secret` at once; a field with a
default may be left out or ``null``), with the server's time and the connection's role. Its errors
name the field, never its value. Only the kinds of
:data:`~signaling.flow_messages.FlowInputKind` are taken: verification decisions, command results
and the session's end come from the server itself.

Out: :func:`flow_state` and :func:`flow_message` turn a
:class:`~video_bank.flows.executor.FlowReport` into the protocol messages each party is sent.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from signaling.flow_messages import FLOW_INPUT_KINDS, FlowMessage, FlowState
from signaling.session import Leg
from video_bank.core_banking.models import Secret
from video_bank.flows import inputs
from video_bank.flows.inputs import FlowInput, FlowInputError
from video_bank.flows.outputs import Audience, Message
from video_bank.flows.report import FlowReport
from video_bank.flows.steps import Actor

Convert = Callable[[object], object]


def _text(value: object) -> object:
    if not isinstance(value, str):
        raise FlowInputError("must be text")
    return value


def _flag(value: object) -> object:
    if not isinstance(value, bool):
        raise FlowInputError("must be true or false")
    return value


def _integer(value: object) -> object:
    if type(value) is not int:
        raise FlowInputError("must be a whole number")
    return value


def _secret(value: object) -> object:
    if not isinstance(value, str) or len(value) > 32:
        raise FlowInputError("must be text of at most 32 characters")
    return Secret(value)


def _choice(enum: type[Enum]) -> Convert:
    def convert(value: object) -> object:
        if isinstance(value, str):
            for member in enum:
                if member.value == value:
                    return member
        raise FlowInputError(f"must be one of: {', '.join(str(m.value) for m in enum)}")

    return convert


_CONVERTERS: Mapping[Any, Convert] = {bool: _flag, int: _integer, str: _text, Secret: _secret}
"""A field type of an input class → how a wire value becomes it (enums: :func:`_choice`)."""


@dataclass(frozen=True, slots=True)
class InputField:
    """One field of a client input, as :func:`parse_input` reads it."""

    name: str
    """As in the input class and the message's ``fields``."""
    convert: Convert
    """Checks the wire value and gives the typed one."""
    optional: bool
    """May be left out or ``null`` (the class gives it a default)."""


def _input_fields(cls: type[FlowInput]) -> tuple[InputField, ...]:
    """The fields a client sends for ``cls``: its own, not the base's (time, actor), from their types."""
    hints = get_type_hints(cls)
    base = {f.name for f in fields(FlowInput)}
    out = []
    for f in fields(cls):
        if f.name in base:
            continue
        hint = hints[f.name]
        if get_origin(hint) in (Union, types.UnionType):
            (hint,) = (a for a in get_args(hint) if a is not type(None))
        convert = _choice(hint) if isinstance(hint, type) and issubclass(hint, Enum) else _CONVERTERS[hint]
        out.append(InputField(f.name, convert, (f.default, f.default_factory) != (MISSING, MISSING)))
    return tuple(out)


def _client_inputs() -> dict[str, type[FlowInput]]:
    """Each kind a client may send → the input class of :mod:`video_bank.flows.inputs` of that kind."""
    found: dict[str, type[FlowInput]] = {}
    for cls in vars(inputs).values():
        if isinstance(cls, type) and issubclass(cls, FlowInput) and cls.kind in FLOW_INPUT_KINDS:
            if cls.kind in found:
                raise TypeError(f"two input classes of kind {cls.kind}: {found[cls.kind]}, {cls}")
            found[cls.kind] = cls
    missing = [kind for kind in FLOW_INPUT_KINDS if kind not in found]
    if missing:
        raise TypeError(f"no input class for the flow_input kind(s) {', '.join(missing)}")
    return {kind: found[kind] for kind in FLOW_INPUT_KINDS}


CLIENT_INPUTS: Mapping[str, type[FlowInput]] = _client_inputs()
"""Input kind → input class, for everything a client may send."""
_FIELDS: Mapping[str, tuple[InputField, ...]] = {
    kind: _input_fields(cls) for kind, cls in CLIENT_INPUTS.items()
}


def parse_input(
    kind: str, fields: Mapping[str, Any], *, at: float, actor: Actor, actor_name: str | None = None
) -> FlowInput:
    """The typed input for a client's ``kind`` and ``fields`` (server time ``at``, the connection's
    role ``actor``). Raises :class:`~video_bank.flows.inputs.FlowInputError` naming the field, never
    its value; system inputs are refused here."""
    if actor is Actor.SYSTEM or kind not in CLIENT_INPUTS:
        raise FlowInputError(
            f"unknown flow input {kind[:40]!r}" if isinstance(kind, str) else "unknown flow input"
        )
    specs = _FIELDS[kind]
    unknown = set(fields) - {spec.name for spec in specs}
    if unknown:
        raise FlowInputError(
            f"unknown field(s) for {kind}: {', '.join(sorted(str(k)[:40] for k in unknown))}"
        )
    values: dict[str, object] = {}
    for spec in specs:
        if spec.name not in fields or (fields[spec.name] is None and spec.optional):
            if not spec.optional:
                raise FlowInputError(f"{kind} needs {spec.name}")
            continue
        try:
            values[spec.name] = spec.convert(fields[spec.name])
        except FlowInputError as error:
            raise FlowInputError(f"{spec.name} {error}") from None
    return CLIENT_INPUTS[kind](at=at, actor=actor, actor_name=actor_name, **values)


def flow_state(session_id: str, business: str, report: FlowReport, party: Actor) -> FlowState:
    """The flow's state after a report as ``party`` is told it: the checklist for the teller's panel,
    and the input kinds *that party* may send now (to enable its buttons)."""
    return FlowState(
        session_id,
        business,
        report.status.value,
        [{"step": item.step.value, "state": item.state.value} for item in report.checklist],
        sorted({kind for role, kind in report.expected if role is party}),
        step=None if report.step is None else report.step.value,
        outcome=report.outcome,
    )


def flow_message(session_id: str, message: Message) -> tuple[Leg, FlowMessage]:
    """A message of the flow and the leg of the call it goes to."""
    leg: Leg = "customer" if message.to is Audience.CUSTOMER else "teller"
    return leg, FlowMessage(session_id, message.code, message.text, dict(message.data))
