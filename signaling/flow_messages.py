"""Protocol v1 messages of the business flows inside a call (docs/protocol.md, "Business flows").

Both sides send their part of a flow as ``flow_input``: the input ``kind`` and its ``fields``. The
server sets who sent it (customer, field officer or teller) from the authenticated connection, never
from the message. After every accepted input both sides get the flow's state (``flow_state``); each
side gets the messages meant for it (``flow_message``). A refused input is answered with ``error``
carrying the flow's refusal code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, TypedDict, get_args

from signaling.wire_fields import ALWAYS, Entries, In, Items, Length, Matches, SessionId

FlowInputKind = Literal[
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
]
"""Input kinds a client may send; each is the ``kind`` of one input class of ``video_bank/flows/inputs.py``,
whose fields are the input's ``fields`` (``video_bank.flows.wire.CLIENT_INPUTS``)."""
FLOW_INPUT_KINDS: tuple[str, ...] = get_args(FlowInputKind)
FlowStatus = Literal["in_progress", "completed", "declined", "failed", "cancelled", "abandoned"]
"""Where a flow stands (``video_bank.flows.steps.FlowStatus``)."""
StepState = Literal["done", "current", "pending", "failed"]
"""Where one step of the checklist stands (``video_bank.flows.steps.StepState``)."""
FieldValue = Annotated[str | bool | int | None, Length(max=500)]
"""A flow input field's value: text of at most 500 characters, a boolean, a whole number or ``null``."""
AFTER_CALL_KINDS: frozenset[str] = frozenset({"wrap_up"})
"""Inputs a teller may still send for the session that just ended, while wrapping it up."""


# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlowInputMessage:
    """Customer side or teller: one input of the session's business flow."""

    TYPE: ClassVar[str] = "flow_input"
    session_id: SessionId
    """The sender's session."""
    kind: FlowInputKind
    """What the input is (``consent``, ``identify``, ``secret_entered``…)."""
    fields: Annotated[dict[Annotated[str, Matches("[a-z_]{1,32}")], FieldValue], Entries(4), ALWAYS] = field(
        default_factory=dict, repr=False
    )
    """The input's fields; may hold an ID number or a PIN, so never logged or shown."""


# --- server to client -------------------------------------------------------------------------


class ChecklistStep(TypedDict):
    """One step of the flow's checklist."""

    step: Annotated[str, Length(max=32)]
    """The step's name (``consent``, ``verification``, ``confirm_card``…)."""
    state: Annotated[str, In(StepState)]
    """Where it stands."""


@dataclass(frozen=True, slots=True)
class FlowState:
    """To both parties: where the flow stands after an input."""

    TYPE: ClassVar[str] = "flow_state"
    session_id: SessionId
    """The session."""
    business: Annotated[str, Length(max=32)]
    """Its business."""
    status: Annotated[str, In(FlowStatus)]
    """Where the flow stands."""
    steps: Annotated[list[ChecklistStep], Items(max=16)]
    """The checklist, in order."""
    expected: Annotated[list[Annotated[str, In(FlowInputKind)]], Items(max=32)]
    """Input kinds the *receiving* party may send now (to enable its buttons)."""
    step: Annotated[str | None, Length(max=32)] = None
    """The current step; absent once the flow has ended."""
    outcome: Annotated[str | None, Length(max=64)] = None
    """How the flow ended (``card_activated``, ``consent_refused``…)."""


@dataclass(frozen=True, slots=True)
class FlowMessage:
    """To one party: something the flow asks or tells (masked data only; never a PIN)."""

    TYPE: ClassVar[str] = "flow_message"
    session_id: SessionId
    """The session."""
    code: Annotated[str, Matches("[a-z_]{1,64}")]
    """Stable code for pages (``consent_request``, ``enter_pin``, ``question``, ``customer_profile``…)."""
    text: Annotated[str, Length(max=1000)]
    """English text (pages may show their own translation of ``code``)."""
    data: Annotated[dict[str, Any], Entries(32), ALWAYS] = field(default_factory=dict)
    """What a page needs to word the message in its language; masked, never a PIN."""


FLOW_CLIENT = (FlowInputMessage,)
FLOW_SERVER = (FlowState, FlowMessage)
