"""Participant states and which client messages each state allows (a table, not scattered ``if``s)."""

from __future__ import annotations

from enum import Enum

from signaling.identity import Role


class CustomerState(Enum):
    """Where a customer's connection stands. Values are the page's ``data-state`` spelling."""

    IDLE = "idle"
    WAITING = "waiting"
    IN_CALL = "in-call"


class TellerState(Enum):
    """Where a teller stands. Values are the wire and ``data-state`` spelling."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    RESERVED = "reserved"
    AWAY = "away"
    IN_CALL = "in-call"
    WRAP_UP = "wrap-up"


class SupervisorState(Enum):
    """A supervisor's connection."""

    WATCHING = "watching"
    MONITORING = "monitoring"


class LinkState(Enum):
    """Before a connection has an identity."""

    NEW = "new"
    AUTHENTICATING = "authenticating"


ParticipantState = CustomerState | TellerState | SupervisorState | LinkState

ALLOWED: dict[tuple[Role | None, ParticipantState], frozenset[str]] = {
    (None, LinkState.NEW): frozenset({"hello"}),
    (None, LinkState.AUTHENTICATING): frozenset(),
    (Role.CUSTOMER, CustomerState.IDLE): frozenset({"join_queue", "callback_cancel", "feedback", "resume"}),
    (Role.CUSTOMER, CustomerState.WAITING): frozenset({"leave_queue", "callback_request", "feedback"}),
    (Role.CUSTOMER, CustomerState.IN_CALL): frozenset(
        {
            "offer",
            "ice",
            "hangup",
            "flow_input",
            "cobrowse_consent",
            "cobrowse_stop",
            "cobrowse_snapshot",
            "cobrowse_events",
        }
    ),
    (Role.FIELD, CustomerState.IDLE): frozenset({"join_queue", "resume"}),
    (Role.FIELD, CustomerState.WAITING): frozenset({"leave_queue"}),
    (Role.FIELD, CustomerState.IN_CALL): frozenset({"offer", "ice", "hangup", "flow_input"}),
    (Role.TELLER, TellerState.AVAILABLE): frozenset({"set_state"}),
    (Role.TELLER, TellerState.AWAY): frozenset({"set_state", "resume"}),
    (Role.TELLER, TellerState.RESERVED): frozenset({"offer_accept", "offer_reject"}),
    (Role.TELLER, TellerState.IN_CALL): frozenset(
        {
            "resume",
            "offer",
            "ice",
            "hangup",
            "verification_start",
            "verification_stop",
            "verification_resolve",
            "flow_input",
            "cobrowse_request",
            "cobrowse_stop",
            "cobrowse_control_request",
            "cobrowse_guide",
            "cobrowse_control",
        }
    ),
    # flow_input: the wrap-up code of the session that just ended (Switchboard, AFTER_CALL_KINDS).
    (Role.TELLER, TellerState.WRAP_UP): frozenset(
        {"set_state", "wrap_up_done", "wrap_up_extend", "flow_input"}
    ),
    (Role.SUPERVISOR, SupervisorState.WATCHING): frozenset({"monitor_start"}),
    (Role.SUPERVISOR, SupervisorState.MONITORING): frozenset({"offer", "monitor_stop"}),
}
"""Client message types accepted per (role, state); anything else is ``not_allowed``."""


def allowed(role: Role | None, state: ParticipantState) -> frozenset[str]:
    """Message types a participant in ``state`` may send (none for roles without a v1 workflow)."""
    return ALLOWED.get((role, state), frozenset())
