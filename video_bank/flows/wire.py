"""Wire forms for the session layer: client payloads in, flow reports out (plain JSON-safe dicts).

:func:`parse_input` turns the fields of a client's flow message into a typed input, wrapping a PIN or
password in :class:`~video_bank.core_banking.models.Secret` at once; its errors never quote a value.
Only inputs a client may send are accepted: verification decisions, command results and the session's
end come from the server itself. :func:`state_payload` and :func:`message_payload` give what to send
back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from video_bank.core_banking.models import CardReviewReason, Secret
from video_bank.flows.inputs import (
    AccountConfirmed,
    AnswerConfirmed,
    ApplicationChosen,
    CardConfirmed,
    CardReviewed,
    ConsentGiven,
    DetailsEntered,
    DetailsReviewed,
    FinalConfirmation,
    FlowCancelled,
    FlowInput,
    FlowInputError,
    IdentityClaimed,
    QuestionAnswered,
    Rated,
    ReviewResolved,
    SecretEntered,
    WillingnessRejected,
    WrapUpChosen,
)
from video_bank.flows.outputs import Message
from video_bank.flows.report import FlowReport
from video_bank.flows.steps import Actor, Disposition

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


def _choice(enum: type[CardReviewReason] | type[Disposition]) -> Convert:
    def convert(value: object) -> object:
        if isinstance(value, str):
            for member in enum:
                if member.value == value:
                    return member
        raise FlowInputError(f"must be one of: {', '.join(m.value for m in enum)}")

    return convert


_SPECS: tuple[tuple[type[FlowInput], dict[str, Convert], tuple[str, ...]], ...] = (
    (ConsentGiven, {"recording": _flag, "biometric": _flag}, ()),
    (IdentityClaimed, {"resident_id": _text}, ()),
    (ReviewResolved, {"accept": _flag, "reason": _text}, ()),
    (CardConfirmed, {"card_id": _text}, ()),
    (AccountConfirmed, {"account_id": _text}, ()),
    (SecretEntered, {"secret": _secret, "confirmation": _secret}, ()),
    (DetailsEntered, {"phone": _text, "address": _text}, ("phone", "address")),
    (DetailsReviewed, {"approve": _flag, "reason": _text}, ("reason",)),
    (ApplicationChosen, {"application_id": _text}, ()),
    (QuestionAnswered, {"question_id": _text, "answer": _flag}, ()),
    (AnswerConfirmed, {"question_id": _text, "confirmed": _flag}, ()),
    (FinalConfirmation, {"confirm": _flag}, ()),
    (WillingnessRejected, {"reason": _text}, ()),
    (CardReviewed, {"card_id": _text, "approve": _flag, "reason": _choice(CardReviewReason)}, ()),
    (FlowCancelled, {"reason": _text}, ()),
    (Rated, {"score": _integer, "comment": _text}, ("comment",)),
    (WrapUpChosen, {"code": _choice(Disposition)}, ()),
)

CLIENT_INPUTS: dict[str, tuple[type[FlowInput], dict[str, Convert], frozenset[str]]] = {
    cls.kind: (cls, converters, frozenset(optional)) for cls, converters, optional in _SPECS
}
"""Input kind → (input class, field converters, optional fields) for everything a client may send."""


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
    cls, converters, optional = CLIENT_INPUTS[kind]
    unknown = set(fields) - set(converters)
    if unknown:
        raise FlowInputError(
            f"unknown field(s) for {kind}: {', '.join(sorted(str(k)[:40] for k in unknown))}"
        )
    values: dict[str, object] = {}
    for name, convert in converters.items():
        if name not in fields or (fields[name] is None and name in optional):
            if name not in optional:
                raise FlowInputError(f"{kind} needs {name}")
            continue
        try:
            values[name] = convert(fields[name])
        except FlowInputError as error:
            raise FlowInputError(f"{name} {error}") from None
    return cls(at=at, actor=actor, actor_name=actor_name, **values)


def message_payload(message: Message) -> dict[str, Any]:
    """A flow message as JSON-safe fields (``to`` says which side's socket it goes to)."""
    return {"to": message.to.value, "code": message.code, "text": message.text, "data": dict(message.data)}


def state_payload(report: FlowReport) -> dict[str, Any]:
    """The flow's state after a report: for the teller's checklist and for enabling buttons."""
    return {
        "status": report.status.value,
        "step": None if report.step is None else report.step.value,
        "outcome": report.outcome,
        "steps": [{"step": i.step.value, "state": i.state.value} for i in report.checklist],
        "expected": [{"role": role.value, "input": kind} for role, kind in sorted(report.expected)],
    }
