"""Errors of the video_bank application.

    VideoBankError                 root of everything raised on purpose here
    ├── ConfigError                bad setting at start-up (our operator's fault); names the setting
    ├── StorageError               the database refused or is unusable (our fault)
    ├── ServeError                 the server could not listen (port taken, address not ours)
    └── MediaError                 the media hub could not use a client's SDP or candidate (peer's fault)

Signaling errors (the peer's fault, with WebSocket codes) live in :mod:`signaling.errors`.
"""

from __future__ import annotations

from signaling.ports import MediaInputError


class VideoBankError(Exception):
    """Root of the application's own errors."""


class ConfigError(VideoBankError):
    """A setting is missing or invalid; the message is one line naming the setting."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"invalid setting {setting}: {problem}")
        self.setting = setting


class StorageError(VideoBankError):
    """The database could not do what was asked."""


class ServeError(VideoBankError):
    """The server could not start listening on its host and port."""


class MediaError(VideoBankError, MediaInputError):
    """The media hub rejected input from a client (bad SDP, bad candidate, unknown leg)."""
