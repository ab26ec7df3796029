"""Objects that messages of more than one module carry: the other party of a call, an ICE server.

Like every part of a message they are declared once, here, and their schemas and JSDoc types are
generated (:mod:`signaling.protocol_gen`).
"""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired, TypedDict

from signaling.wire_fields import Contains, Items


class Peer(TypedDict):
    """The other party of a call."""

    role: Literal["customer", "teller"]
    """Their leg of the call."""
    display_name: str
    """Their name."""
    elderly: NotRequired[bool]
    """To tellers: the customer is served as aged 60 or over."""


class IceServer(TypedDict):
    """One ``RTCIceServer``; TURN entries carry a short-lived credential issued to this party alone."""

    urls: Annotated[list[Annotated[str, Contains("^(stun|stuns|turn|turns):")]], Items(min=1)]
    """``stun:``, ``stuns:``, ``turn:`` or ``turns:`` URLs."""
    username: NotRequired[str]
    """TURN user name (``<expiry>:<session id>.<leg>``)."""
    credential: NotRequired[str]
    """TURN password. Secret."""
