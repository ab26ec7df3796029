"""Errors of the signaling layer, each carrying its wire ``code`` and, where it ends the socket, a close code.

SignalingError                  root
├── PeerError                   the client's fault: answered with an ``error`` message
│   ├── BadJson                 not a JSON object
│   ├── UnknownType             ``type`` missing or not a v1 client message
│   ├── InvalidMessage          schema violation
│   ├── NotAllowed              wrong role or state
│   ├── AuthFailed              bad credentials
│   ├── UnknownSession          not the sender's current session
│   ├── MediaRejected           the hub could not use the SDP/candidate
│   └── RateLimited             valid, but more than its class's rate (signaling/rate_limits.py)
└── ServerFault                 our fault: the client only learns ``server_error``
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class CloseCode(IntEnum):
    """WebSocket close codes used by the server (see docs/protocol.md)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    HELLO_REQUIRED = 4001
    ABUSE = 4008
    TOO_SLOW = 4009
    REPLACED = 4010
    RESUMED = 4011
    """The leg (or place in line) was taken back with ``resume`` on another connection."""
    RATE_LIMITED = 4029


class SignalingError(Exception):
    """Root of signaling errors."""

    code = "server_error"

    def __init__(
        self, message: str, ref_type: str | None = None, params: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.ref_type = ref_type
        """Type of the refused message, when it could be read."""
        self.params = params
        """Values a page needs to say the error in its own language (e.g. ``{"age": 60}``)."""


class PeerError(SignalingError):
    """The client sent something we refuse; it gets an ``error`` message, nothing changes."""


class BadJson(PeerError):
    code = "bad_json"


class UnknownType(PeerError):
    code = "unknown_type"


class InvalidMessage(PeerError):
    code = "invalid_message"


class NotAllowed(PeerError):
    code = "not_allowed"


class AuthFailed(PeerError):
    code = "auth_failed"


class UnknownSession(PeerError):
    code = "unknown_session"


class MediaRejected(PeerError):
    code = "media_error"


class RateLimited(PeerError):
    code = "rate_limited"


class ServerFault(SignalingError):
    """A bug or outage on our side; details stay in the server log."""

    code = "server_error"
