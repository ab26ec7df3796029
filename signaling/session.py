"""The call session state machine: negotiating → active → ended, one record per pairing."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

from signaling.errors import NotAllowed
from signaling.messages import EndReason

Leg = Literal["customer", "teller"]
LEGS: tuple[Leg, Leg] = ("customer", "teller")


class SessionState(Enum):
    """Lifecycle of one call."""

    NEGOTIATING = "negotiating"
    ACTIVE = "active"
    ENDED = "ended"


SessionEvent = Literal["media_connected", "end"]

_TRANSITIONS: dict[tuple[SessionState, SessionEvent], SessionState] = {
    (SessionState.NEGOTIATING, "media_connected"): SessionState.NEGOTIATING,  # target decided below
    (SessionState.ACTIVE, "media_connected"): SessionState.ACTIVE,
    (SessionState.NEGOTIATING, "end"): SessionState.ENDED,
    (SessionState.ACTIVE, "end"): SessionState.ENDED,
}


@dataclass(slots=True)
class CallSession:
    """One customer–teller call as the switchboard sees it."""

    id: str
    """Server-issued id."""
    business: str
    """Business type."""
    customer_conn: str | None
    """Connection id of the customer (``None`` until a called-back customer follows the link)."""
    teller_conn: str
    """Connection id of the teller."""
    customer_name: str
    """Customer's display name."""
    teller_username: str
    """Teller's account."""
    started_at: float
    """Server time of pairing."""
    kind: Literal["call", "callback"] = "call"
    """Live call, or a callback the customer joins through a link."""
    elderly: bool = False
    """The customer is in the elderly lane."""
    state: SessionState = SessionState.NEGOTIATING
    """Where the call stands."""
    connected: set[Leg] = field(default_factory=set)
    """Legs whose peer connection with the hub is up."""
    ended_at: float | None = None
    """Server time of the end."""
    end_reason: EndReason | None = None
    """Why it ended."""

    def _step(self, event: SessionEvent) -> SessionState:
        try:
            return _TRANSITIONS[(self.state, event)]
        except KeyError:
            raise NotAllowed(f"session {self.state.value}: {event} not possible") from None

    def media_connected(self, leg: Leg) -> bool:
        """Record that ``leg``'s media is up; return True when this makes the session active."""
        self.state = self._step("media_connected")
        self.connected.add(leg)
        if self.state is SessionState.NEGOTIATING and self.connected == set(LEGS):
            self.state = SessionState.ACTIVE
            return True
        return False

    def end(self, reason: EndReason, now: float) -> None:
        """End the session (once)."""
        self.state = self._step("end")
        self.ended_at = now
        self.end_reason = reason

    def leg_of(self, conn_id: str) -> Leg:
        """Which side ``conn_id`` is on."""
        if self.customer_conn is not None and conn_id == self.customer_conn:
            return "customer"
        if conn_id == self.teller_conn:
            return "teller"
        raise NotAllowed("not a participant of this session")

    def conns(self) -> list[str]:
        """Connections of the parties present."""
        return [c for c in (self.customer_conn, self.teller_conn) if c is not None]
