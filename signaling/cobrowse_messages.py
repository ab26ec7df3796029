"""Protocol v1 messages of co-browsing inside a call (docs/protocol.md, "Co-browsing").

The teller asks; the customer consents (once to be seen, once more to let the teller tap and scroll);
the customer's page then sends a snapshot of its app area and batches of changes, which the server
relays to the teller of that session only and appends, as sent, to the session timeline. Values of
password fields, PIN pads and elements marked sensitive are masked on the phone before serialization:
nothing here ever carries them. The teller guides (highlight, pointer, push a screen) and, with the
second consent, taps and scrolls; no message lets the teller type.

``cobrowse_snapshot``, ``cobrowse_events``, ``cobrowse_guide`` and ``cobrowse_control`` travel both
ways unchanged: the server relays the very message it accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

Scope = Literal["view", "control"]
"""What a consent or a stop is about: being seen, or letting the teller tap and scroll."""
SCREENS: tuple[str, ...] = ("home", "social_security", "activate_card", "change_password", "my_info", "help")
"""Stable names of the customer app's screens (the targets of push navigation)."""
SNAPSHOT_MAX_BYTES = 96 * 1024
"""Largest accepted ``cobrowse_snapshot`` in its wire form (the socket itself allows 128 KiB)."""
EVENTS_MAX_BYTES = 48 * 1024
"""Largest accepted ``cobrowse_events`` batch in its wire form."""

# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CobrowseRequest:
    """Teller: ask the customer to share their app screen."""

    TYPE: ClassVar[str] = "cobrowse_request"
    session_id: str


@dataclass(frozen=True, slots=True)
class CobrowseConsent:
    """Customer: answer a request to view (``view``) or to control (``control``)."""

    TYPE: ClassVar[str] = "cobrowse_consent"
    session_id: str
    scope: Scope
    allow: bool


@dataclass(frozen=True, slots=True)
class CobrowseStop:
    """Either party: stop sharing (``view``, ends everything) or only remote control (``control``)."""

    TYPE: ClassVar[str] = "cobrowse_stop"
    session_id: str
    scope: Scope = "view"


@dataclass(frozen=True, slots=True)
class CobrowseControlRequest:
    """Teller, while sharing: ask for the second consent (taps and scroll)."""

    TYPE: ClassVar[str] = "cobrowse_control_request"
    session_id: str


# --- both ways (relayed unchanged) ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CobrowseSnapshot:
    """Customer → teller: the whole app area, masked, as a flat pre-order list of nodes."""

    TYPE: ClassVar[str] = "cobrowse_snapshot"
    session_id: str
    seq: int
    """Per sharing, increasing across snapshots and event batches."""
    screen: str
    """The app's current screen."""
    viewport: dict[str, int]
    """``width`` and ``height`` of the phone's viewport in CSS pixels."""
    nodes: list[dict[str, Any]]
    """``{id, parent, tag, attrs}`` for elements, ``{id, parent, text}`` for text; parents come first."""


@dataclass(frozen=True, slots=True)
class CobrowseEvents:
    """Customer → teller: changes since the last snapshot or batch, in order."""

    TYPE: ClassVar[str] = "cobrowse_events"
    session_id: str
    seq: int
    events: list[dict[str, Any]]
    """Each has a ``kind``: add, remove, text, attr, input, scroll, focus, screen, viewport."""


@dataclass(frozen=True, slots=True)
class CobrowseGuide:
    """Teller → customer: highlight a node, show the pointer, or suggest a screen."""

    TYPE: ClassVar[str] = "cobrowse_guide"
    session_id: str
    action: Literal["highlight", "pointer", "push"]
    node: int | None = None
    """Highlight: the node's id in the snapshot."""
    x: float | None = None
    """Pointer: horizontal position as a fraction (0–1) of the viewport width."""
    y: float | None = None
    """Pointer: vertical position as a fraction (0–1) of the viewport height."""
    screen: str | None = None
    """Push: the screen suggested (one of :data:`SCREENS`)."""


@dataclass(frozen=True, slots=True)
class CobrowseControl:
    """Teller → customer, after the second consent: tap a node or scroll. There is no way to type."""

    TYPE: ClassVar[str] = "cobrowse_control"
    session_id: str
    action: Literal["tap", "scroll"]
    node: int | None = None
    """Tap: the node's id."""
    dy: int | None = None
    """Scroll: pixels down (negative: up)."""


# --- server to client -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CobrowseState:
    """To both parties: where co-browsing stands now."""

    TYPE: ClassVar[str] = "cobrowse_state"
    session_id: str
    state: Literal["requested", "sharing", "denied", "stopped"]
    control: Literal["off", "requested", "on"] = "off"
    by: Literal["customer", "teller", "server"] | None = None
    """Who caused the change."""


COBROWSE_CLIENT = (
    CobrowseRequest,
    CobrowseConsent,
    CobrowseStop,
    CobrowseControlRequest,
    CobrowseSnapshot,
    CobrowseEvents,
    CobrowseGuide,
    CobrowseControl,
)
COBROWSE_SERVER = (CobrowseState, CobrowseSnapshot, CobrowseEvents, CobrowseGuide, CobrowseControl)
COBROWSE_TYPES = frozenset(cls.TYPE for cls in COBROWSE_CLIENT)
