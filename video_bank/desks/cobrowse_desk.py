"""The co-browse desk: runs :class:`~signaling.cobrowse.CobrowseSession` per call against the link.

The rules live in ``signaling/cobrowse.py``; this adapter only keeps one state machine per live
session, refuses oversize payloads with a clear error, and carries out the commands: relays go to
one leg of that session only, timeline entries go through ``link.log`` into the event log and the
encrypted record.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

from signaling.cobrowse import CobrowseMessage, CobrowseSession, Record, Relay
from signaling.cobrowse_messages import (
    COBROWSE_CLIENT,
    COBROWSE_TYPES,
    EVENTS_MAX_BYTES,
    SNAPSHOT_MAX_BYTES,
    CobrowseEvents,
    CobrowseSnapshot,
)
from signaling.desks import Sender, SessionInfo, SessionLink
from signaling.errors import InvalidMessage, NotAllowed
from signaling.messages import ClientMessage

logger = logging.getLogger(__name__)


class CobrowseDesk:
    """Co-browsing for every call of one server."""

    message_types = COBROWSE_TYPES

    def __init__(self) -> None:
        self._link: SessionLink | None = None
        self._sessions: dict[str, CobrowseSession] = {}

    def bind(self, link: SessionLink) -> None:
        self._link = link

    async def session_opened(self, info: SessionInfo) -> None:
        self._sessions[info.session_id] = CobrowseSession(info.session_id)

    async def handle(self, session_id: str, sender: Sender, message: ClientMessage) -> None:
        if not isinstance(message, COBROWSE_CLIENT):
            raise NotAllowed(f"{message.TYPE} is not a co-browse message")  # pragma: no cover
        session = self._sessions.get(session_id)
        if session is None:
            raise NotAllowed("co-browsing is not available in this session")
        if isinstance(message, CobrowseSnapshot | CobrowseEvents):
            _check_size(message)
        await self._carry_out(session_id, session.handle(sender.leg, message))

    async def session_closed(self, session_id: str, reason: str, at: float) -> None:
        session = self._sessions.pop(session_id, None)
        if session is not None:
            await self._carry_out(session_id, session.close(), relay=False)

    @property
    def open_sessions(self) -> int:
        """Sessions whose co-browse state is held (for leak tests)."""
        return len(self._sessions)

    async def _carry_out(
        self, session_id: str, commands: list[Relay | Record], *, relay: bool = True
    ) -> None:
        link = self._link
        if link is None:
            raise RuntimeError("CobrowseDesk used before bind()")
        for command in commands:
            if isinstance(command, Relay):
                if relay:
                    link.send(session_id, command.leg, command.message)
            else:
                await link.log(link.now(), command.kind, session_id, command.actor, command.data)


def _check_size(message: CobrowseMessage) -> None:
    """Refuse a snapshot or batch whose wire form is over its limit, saying by how much."""
    limit = SNAPSHOT_MAX_BYTES if isinstance(message, CobrowseSnapshot) else EVENTS_MAX_BYTES
    size = len(json.dumps(asdict(message), separators=(",", ":"), ensure_ascii=False).encode())
    if size > limit:
        raise InvalidMessage(
            f"{message.TYPE} is {size} bytes; the limit is {limit} bytes (send smaller batches)",
            message.TYPE,
        )
