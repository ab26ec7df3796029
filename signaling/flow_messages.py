"""Protocol v1 messages of the business flows inside a call (docs/protocol.md, "Business flows").

Both sides send their part of a flow as ``flow_input``: the input ``kind`` and its ``fields``. The
server sets who sent it (customer, field officer or teller) from the authenticated connection, never
from the message. After every accepted input both sides get the flow's state (``flow_state``); each
side gets the messages meant for it (``flow_message``). A refused input is answered with ``error``
carrying the flow's refusal code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

FLOW_INPUT_KINDS: tuple[str, ...] = (
    "consent",
    "identify",
    "review_resolved",
    "card_confirmed",
    "account_confirmed",
    "secret_entered",
    "details_entered",
    "details_reviewed",
    "application_chosen",
    "question_answered",
    "answer_confirmed",
    "final_confirmation",
    "willingness_rejected",
    "card_reviewed",
    "cancelled",
    "rated",
    "wrap_up",
)
"""Input kinds a client may send (the schema's enum; ``video_bank.flows.wire.CLIENT_INPUTS``)."""
AFTER_CALL_KINDS: frozenset[str] = frozenset({"wrap_up"})
"""Inputs a teller may still send for the session that just ended, while wrapping it up."""


# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlowInputMessage:
    """Customer side or teller: one input of the session's business flow."""

    TYPE: ClassVar[str] = "flow_input"
    session_id: str
    kind: str
    """What the input is (``consent``, ``identify``, ``secret_entered``…)."""
    fields: dict[str, Any] = field(default_factory=dict, repr=False)
    """The input's fields; may hold an ID number or a PIN, so never logged or shown."""


# --- server to client -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlowState:
    """To both parties: where the flow stands after an input."""

    TYPE: ClassVar[str] = "flow_state"
    session_id: str
    business: str
    status: str
    """``in_progress``, ``completed``, ``declined``, ``failed``, ``cancelled`` or ``abandoned``."""
    steps: list[dict[str, str]]
    """The checklist: ``step`` and ``state`` (``done``, ``current``, ``pending``, ``failed``)."""
    expected: list[str]
    """Input kinds the *receiving* party may send now (to enable its buttons)."""
    step: str | None = None
    """The current step; absent once the flow has ended."""
    outcome: str | None = None
    """How the flow ended (``card_activated``, ``consent_refused``…)."""


@dataclass(frozen=True, slots=True)
class FlowMessage:
    """To one party: something the flow asks or tells (masked data only; never a PIN)."""

    TYPE: ClassVar[str] = "flow_message"
    session_id: str
    code: str
    """Stable code for pages (``consent_request``, ``enter_pin``, ``question``…)."""
    text: str
    """English text (pages may show their own translation of ``code``)."""
    data: dict[str, Any] = field(default_factory=dict)


FLOW_CLIENT = (FlowInputMessage,)
FLOW_SERVER = (FlowState, FlowMessage)
