"""Co-browsing of one session as a pure state machine: consent, relay and guidance rules.

Nothing here awaits or touches a socket. Each call takes one message from a party (with the leg the
server established) and returns what to do: :class:`Relay` a message to one leg, :class:`Record` a
timeline entry. A refusal raises :class:`~signaling.errors.NotAllowed` and changes nothing.

Sharing::

    idle ──request──▶ requested ──consent(view, allow)──▶ sharing ──stop──▶ stopped
                          │                                                     │
                          └──consent(view, deny)──▶ denied ◀──────request───────┘ (both may be asked again)

Control (only while sharing; ends with sharing)::

    off ──control_request──▶ requested ──consent(control, allow)──▶ on ──stop(control)──▶ off

The customer's snapshot and change batches go to the teller only while ``sharing``; the teller's
guidance only while ``sharing``; taps and scroll only while control is ``on``. Changes the customer's
page sent before it learned of a stop are dropped quietly (they raced the stop), never relayed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

from signaling.cobrowse_messages import (
    CobrowseConsent,
    CobrowseControl,
    CobrowseControlRequest,
    CobrowseEvents,
    CobrowseGuide,
    CobrowseRequest,
    CobrowseSnapshot,
    CobrowseState,
    CobrowseStop,
)
from signaling.errors import NotAllowed
from signaling.session import Leg

CobrowseMessage = (
    CobrowseRequest
    | CobrowseConsent
    | CobrowseStop
    | CobrowseControlRequest
    | CobrowseSnapshot
    | CobrowseEvents
    | CobrowseGuide
    | CobrowseControl
)
RelayedMessage = CobrowseState | CobrowseSnapshot | CobrowseEvents | CobrowseGuide | CobrowseControl


class Sharing(Enum):
    """Whether the customer's app area is being shown to the teller."""

    IDLE = "idle"
    REQUESTED = "requested"
    SHARING = "sharing"
    DENIED = "denied"
    STOPPED = "stopped"


class Control(Enum):
    """Whether the teller may tap and scroll on the customer's app."""

    OFF = "off"
    REQUESTED = "requested"
    ON = "on"


@dataclass(frozen=True, slots=True)
class Relay:
    """Send ``message`` to the party on ``leg``."""

    leg: Leg
    message: RelayedMessage


@dataclass(frozen=True, slots=True)
class Record:
    """Append to the session timeline (``data`` is what was sent, minus the session id)."""

    kind: str
    actor: Leg | None
    """The party that caused it; ``None`` for the server."""
    data: dict[str, Any]


Command = Relay | Record


def _payload(message: CobrowseMessage) -> dict[str, Any]:
    return {k: v for k, v in asdict(message).items() if k != "session_id" and v is not None}


class CobrowseSession:
    """The co-browsing of one call."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.sharing = Sharing.IDLE
        self.control = Control.OFF
        self.last_seq = -1
        """Highest ``seq`` relayed in the current sharing."""

    def handle(self, leg: Leg, message: CobrowseMessage) -> list[Command]:
        """One message from the party on ``leg``; raises :class:`NotAllowed` to refuse it."""
        match message:
            case CobrowseRequest():
                return self._request(leg)
            case CobrowseConsent():
                return self._consent(leg, message)
            case CobrowseStop():
                return self._stop(leg, message.scope)
            case CobrowseControlRequest():
                return self._control_request(leg)
            case CobrowseSnapshot() | CobrowseEvents():
                return self._mirror(leg, message)
            case CobrowseGuide():
                return self._guide(leg, message)
            case CobrowseControl():
                return self._remote_control(leg, message)
        raise NotAllowed(f"{message.TYPE} is not a co-browse message")  # pragma: no cover

    def close(self) -> list[Command]:
        """The call ended: nothing more is relayed (no message: both parties know the call is over)."""
        was_sharing = self.sharing is Sharing.SHARING
        self.sharing = Sharing.STOPPED
        self.control = Control.OFF
        if not was_sharing:
            return []
        return [Record("cobrowse_stopped", None, {"scope": "view", "by": "session_closed"})]

    # --- transitions ----------------------------------------------------------------------------------

    def _request(self, leg: Leg) -> list[Command]:
        _only(leg, "teller", "only the teller asks to see the customer's screen")
        if self.sharing in (Sharing.REQUESTED, Sharing.SHARING):
            raise NotAllowed(f"co-browsing is already {self.sharing.value}")
        self.sharing = Sharing.REQUESTED
        return [*self._state("teller"), Record("cobrowse_requested", leg, {})]

    def _consent(self, leg: Leg, consent: CobrowseConsent) -> list[Command]:
        _only(leg, "customer", "only the customer gives consent")
        if consent.scope == "view":
            if self.sharing is not Sharing.REQUESTED:
                raise NotAllowed("the teller has not asked to see your screen")
            self.sharing = Sharing.SHARING if consent.allow else Sharing.DENIED
            self.last_seq = -1
        else:
            if self.control is not Control.REQUESTED:
                raise NotAllowed("the teller has not asked to control your screen")
            self.control = Control.ON if consent.allow else Control.OFF
        record = Record("cobrowse_consent", leg, {"scope": consent.scope, "allow": consent.allow})
        return [*self._state("customer"), record]

    def _stop(self, leg: Leg, scope: str) -> list[Command]:
        if self.sharing is not Sharing.SHARING:
            if self.sharing is Sharing.REQUESTED and scope == "view":
                self.sharing = Sharing.STOPPED  # a request withdrawn, or declined by closing the dialog
                return [*self._state(leg), Record("cobrowse_stopped", leg, {"scope": scope})]
            return []  # already stopped: stopping twice is harmless
        if scope == "control":
            if self.control is Control.OFF:
                return []
            self.control = Control.OFF
        else:
            self.sharing = Sharing.STOPPED
            self.control = Control.OFF
        return [*self._state(leg), Record("cobrowse_stopped", leg, {"scope": scope})]

    def _control_request(self, leg: Leg) -> list[Command]:
        _only(leg, "teller", "only the teller asks for remote control")
        if self.sharing is not Sharing.SHARING:
            raise NotAllowed("remote control needs the customer to share their screen first")
        if self.control is not Control.OFF:
            raise NotAllowed(f"remote control is already {self.control.value}")
        self.control = Control.REQUESTED
        return [*self._state("teller"), Record("cobrowse_control_requested", leg, {})]

    def _mirror(self, leg: Leg, message: CobrowseSnapshot | CobrowseEvents) -> list[Command]:
        _only(leg, "customer", "only the customer's page sends its screen")
        if self.sharing is Sharing.STOPPED:
            return []  # sent before the page learned of the stop: dropped, never relayed
        if self.sharing is not Sharing.SHARING:
            raise NotAllowed("the customer has not agreed to share their screen")
        if message.seq <= self.last_seq:
            raise NotAllowed(f"{message.TYPE}: seq {message.seq} is not after {self.last_seq}")
        if isinstance(message, CobrowseEvents) and self.last_seq < 0:
            raise NotAllowed("cobrowse_events: send a cobrowse_snapshot first")
        self.last_seq = message.seq
        return [Relay("teller", message), Record(message.TYPE, leg, _payload(message))]

    def _guide(self, leg: Leg, guide: CobrowseGuide) -> list[Command]:
        _only(leg, "teller", "only the teller guides")
        if self.sharing is not Sharing.SHARING:
            raise NotAllowed("guidance needs the customer to share their screen")
        needs = {"highlight": ("node",), "pointer": ("x", "y"), "push": ("screen",)}[guide.action]
        missing = [name for name in needs if getattr(guide, name) is None]
        if missing:
            raise NotAllowed(f"cobrowse_guide {guide.action} needs {', '.join(missing)}")
        commands: list[Command] = [Relay("customer", guide)]
        if guide.action != "pointer":  # pointer moves are many and say nothing an auditor needs
            commands.append(Record("cobrowse_guide", leg, _payload(guide)))
        return commands

    def _remote_control(self, leg: Leg, control: CobrowseControl) -> list[Command]:
        _only(leg, "teller", "only the teller may use remote control")
        if self.sharing is not Sharing.SHARING or self.control is not Control.ON:
            raise NotAllowed("the customer has not allowed remote control")
        if control.action == "tap" and control.node is None:
            raise NotAllowed("cobrowse_control tap needs node")
        if control.action == "scroll" and control.dy is None:
            raise NotAllowed("cobrowse_control scroll needs dy")
        return [Relay("customer", control), Record("cobrowse_control", leg, _payload(control))]

    def state_for(self, leg: Leg) -> list[Command]:
        """Where co-browsing stands, for the party on ``leg`` only (its page reconnected)."""
        if self.sharing is Sharing.IDLE:
            return []
        return [c for c in self._state(leg) if isinstance(c, Relay) and c.leg == leg]

    def _state(self, by: Leg) -> list[Command]:
        state = CobrowseState(self.session_id, self.sharing.value, self.control.value, by)  # type: ignore[arg-type]
        return [Relay("customer", state), Relay("teller", state)]


def _only(leg: Leg, expected: Leg, why: str) -> None:
    if leg != expected:
        raise NotAllowed(why)
