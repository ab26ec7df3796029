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
from typing import Annotated, ClassVar, Literal, NotRequired, TypedDict, get_args

from signaling.wire_fields import Entries, Items, Length, Matches, Range, SessionId

Scope = Literal["view", "control"]
"""What a consent or a stop is about: being seen, or letting the teller tap and scroll."""
Screen = Literal["home", "social_security", "activate_card", "change_password", "my_info", "help"]
"""Stable names of the customer app's screens (the targets of push navigation)."""
SCREENS: tuple[str, ...] = get_args(Screen)
SNAPSHOT_MAX_BYTES = 96 * 1024
"""Largest accepted ``cobrowse_snapshot`` in its wire form (the socket itself allows 128 KiB)."""
EVENTS_MAX_BYTES = 48 * 1024
"""Largest accepted ``cobrowse_events`` batch in its wire form."""

NodeId = Annotated[int, Range(1, 1_000_000_000)]
"""A node of the mirrored app area."""
ParentId = Annotated[int, Range(0, 1_000_000_000)]
"""A node's parent; 0 is the mirror's root."""
Seq = Annotated[int, Range(0, 1_000_000_000)]
"""Increases across one sharing (snapshots and event batches)."""
AttributeName = Annotated[str, Matches("[a-z][a-z0-9-]{0,39}")]
"""A lower-case attribute name."""
Pixels = Annotated[int, Range(1, 10_000)]
"""A viewport side in CSS pixels."""
Text = Annotated[str, Length(max=2000)]
"""A text node's text or a field's value."""


class Viewport(TypedDict):
    """The phone's viewport."""

    width: Pixels
    """CSS pixels."""
    height: Pixels
    """CSS pixels."""


class MirrorNode(TypedDict):
    """One node of a snapshot: an element (``tag``, ``attrs``) or a text (``text``); parents come first."""

    id: NodeId
    """Its id."""
    parent: ParentId
    """Its parent's id."""
    tag: NotRequired[Annotated[str, Matches("[a-z][a-z0-9-]{0,31}")]]
    """An element's lower-case tag name."""
    attrs: NotRequired[Annotated[dict[AttributeName, Annotated[str, Length(max=400)]], Entries(16)]]
    """An element's attributes (masked; a field's value is ``attrs.value``)."""
    text: NotRequired[Text]
    """A text node's text (masked)."""


class MirrorEvent(TypedDict):
    """One change of the app area; which fields it has depends on ``kind`` (docs/protocol.md)."""

    kind: Literal["add", "remove", "text", "attr", "input", "scroll", "focus", "screen", "viewport"]
    """What changed."""
    id: NotRequired[NodeId]
    """The node concerned."""
    parent: NotRequired[ParentId]
    """``add``: where the nodes go."""
    before: NotRequired[Annotated[int | None, Range(1, 1_000_000_000)]]
    """``add``: the sibling they go before (``null``: at the end)."""
    nodes: NotRequired[Annotated[list[MirrorNode], Items(max=400)]]
    """``add``: the new nodes, parents first."""
    text: NotRequired[Text]
    """``text``: the new text."""
    name: NotRequired[AttributeName]
    """``attr``: the attribute."""
    value: NotRequired[Annotated[str | None, Length(max=2000)]]
    """``attr``: its new value (``null``: removed); ``input``: the field's value (masked)."""
    checked: NotRequired[bool]
    """``input``: a checkbox's or radio button's state."""
    top: NotRequired[Annotated[int, Range(0, 1_000_000)]]
    """``scroll``: pixels from the top."""
    left: NotRequired[Annotated[int, Range(0, 1_000_000)]]
    """``scroll``: pixels from the left."""
    screen: NotRequired[Screen]
    """``screen``: the app's new screen."""
    width: NotRequired[Pixels]
    """``viewport``: the new width."""
    height: NotRequired[Pixels]
    """``viewport``: the new height."""


# --- client to server -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CobrowseRequest:
    """Teller: ask the customer to share their app screen."""

    TYPE: ClassVar[str] = "cobrowse_request"
    session_id: SessionId
    """The call."""


@dataclass(frozen=True, slots=True)
class CobrowseConsent:
    """Customer: answer a request to view (``view``) or to control (``control``)."""

    TYPE: ClassVar[str] = "cobrowse_consent"
    session_id: SessionId
    """The call."""
    scope: Scope
    """Being seen, or letting the teller tap and scroll."""
    allow: bool
    """The customer's answer."""


@dataclass(frozen=True, slots=True)
class CobrowseStop:
    """Either party: stop sharing (``view``, ends everything) or only remote control (``control``)."""

    TYPE: ClassVar[str] = "cobrowse_stop"
    session_id: SessionId
    """The call."""
    scope: Scope = "view"
    """``view`` ends sharing and control; ``control`` ends only control."""


@dataclass(frozen=True, slots=True)
class CobrowseControlRequest:
    """Teller, while sharing: ask for the second consent (taps and scroll)."""

    TYPE: ClassVar[str] = "cobrowse_control_request"
    session_id: SessionId
    """The call."""


# --- both ways (relayed unchanged) ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CobrowseSnapshot:
    """Customer → teller: the whole app area, masked, as a flat pre-order list of nodes."""

    TYPE: ClassVar[str] = "cobrowse_snapshot"
    session_id: SessionId
    """The call."""
    seq: Seq
    """Per sharing, increasing across snapshots and event batches."""
    screen: Screen
    """The app's current screen."""
    viewport: Viewport
    """The phone's viewport."""
    nodes: Annotated[list[MirrorNode], Items(1, 1500)]
    """The app area, masked, in pre-order; at most 96 KiB in all."""


@dataclass(frozen=True, slots=True)
class CobrowseEvents:
    """Customer → teller: changes since the last snapshot or batch, in order."""

    TYPE: ClassVar[str] = "cobrowse_events"
    session_id: SessionId
    """The call."""
    seq: Seq
    """Per sharing, increasing across snapshots and event batches."""
    events: Annotated[list[MirrorEvent], Items(1, 200)]
    """The changes, in order; at most 48 KiB in all."""


@dataclass(frozen=True, slots=True)
class CobrowseGuide:
    """Teller → customer: highlight a node, show the pointer, or suggest a screen."""

    TYPE: ClassVar[str] = "cobrowse_guide"
    session_id: SessionId
    """The call."""
    action: Literal["highlight", "pointer", "push"]
    """What the teller does."""
    node: NodeId | None = None
    """Highlight: the node's id in the snapshot."""
    x: Annotated[float | None, Range(0, 1)] = None
    """Pointer: horizontal position as a fraction (0–1) of the viewport width."""
    y: Annotated[float | None, Range(0, 1)] = None
    """Pointer: vertical position as a fraction (0–1) of the viewport height."""
    screen: Screen | None = None
    """Push: the screen suggested (one of :data:`SCREENS`)."""


@dataclass(frozen=True, slots=True)
class CobrowseControl:
    """Teller → customer, after the second consent: tap a node or scroll. There is no way to type."""

    TYPE: ClassVar[str] = "cobrowse_control"
    session_id: SessionId
    """The call."""
    action: Literal["tap", "scroll"]
    """What the teller does."""
    node: NodeId | None = None
    """Tap: the node's id."""
    dy: Annotated[int | None, Range(-5000, 5000)] = None
    """Scroll: pixels down (negative: up)."""


# --- server to client -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CobrowseState:
    """To both parties: where co-browsing stands now."""

    TYPE: ClassVar[str] = "cobrowse_state"
    session_id: SessionId
    """The call."""
    state: Literal["requested", "sharing", "denied", "stopped"]
    """Sharing the app area."""
    control: Literal["off", "requested", "on"] = "off"
    """The teller's taps and scroll."""
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
