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
from signaling.errors import InvalidMessage, NotAllowed, RateLimited
from signaling.messages import ClientMessage
from signaling.rate_limits import Rate, TokenBucket
from signaling.session import Leg

logger = logging.getLogger(__name__)

BYTES_PER_MINUTE = 512 * 1024
"""Screen content (snapshots and event batches, as sent) one session's customer page may send per
minute; a guided activation sends about 17 KiB in all (README, co-browse figures)."""


class CobrowseDesk:
    """Co-browsing for every call of one server."""

    message_types = COBROWSE_TYPES

    def __init__(self, bytes_per_minute: int = BYTES_PER_MINUTE) -> None:
        self._link: SessionLink | None = None
        self._sessions: dict[str, CobrowseSession] = {}
        self._rate = Rate(per_second=bytes_per_minute / 60, burst=bytes_per_minute)
        self._budgets: dict[str, TokenBucket] = {}

    def bind(self, link: SessionLink) -> None:
        self._link = link

    async def session_opened(self, info: SessionInfo) -> None:
        self._sessions[info.session_id] = CobrowseSession(info.session_id)
        self._budgets[info.session_id] = TokenBucket.full(self._rate, self.link.now())

    async def party_joined(self, session_id: str, leg: Leg) -> None:
        """Nothing to catch up: co-browsing is asked for once both parties are in the call."""

    async def handle(self, session_id: str, sender: Sender, message: ClientMessage) -> None:
        if not isinstance(message, COBROWSE_CLIENT):
            raise NotAllowed(f"{message.TYPE} is not a co-browse message")  # pragma: no cover
        session = self._sessions.get(session_id)
        if session is None:
            raise NotAllowed("co-browsing is not available in this session")
        if isinstance(message, CobrowseSnapshot | CobrowseEvents):
            size = _check_size(message)
            if not self._budgets[session_id].take(self.link.now(), size):
                raise RateLimited(
                    f"{message.TYPE}: more than {self._rate.burst // 1024:.0f} KiB of screen in the last"
                    " minute; send changes, not whole snapshots",
                    message.TYPE,
                )
        await self._carry_out(session_id, session.handle(sender.leg, message))

    async def leg_lost(self, session_id: str, leg: Leg, at: float) -> None:
        """Consent and sharing stay as they are while the party reconnects."""

    async def leg_resumed(self, session_id: str, leg: Leg, at: float) -> None:
        """The party's page starts afresh: tell it where co-browsing stands (the same consent as before)."""
        session = self._sessions.get(session_id)
        if session is not None:
            await self._carry_out(session_id, session.state_for(leg))

    async def session_closed(self, session_id: str, reason: str, at: float) -> None:
        self._budgets.pop(session_id, None)
        session = self._sessions.pop(session_id, None)
        if session is not None:
            await self._carry_out(session_id, session.close(), relay=False)

    @property
    def open_sessions(self) -> int:
        """Sessions whose co-browse state is held (for leak tests)."""
        return len(self._sessions)

    @property
    def link(self) -> SessionLink:
        if self._link is None:
            raise RuntimeError("CobrowseDesk used before bind()")
        return self._link

    async def _carry_out(
        self, session_id: str, commands: list[Relay | Record], *, relay: bool = True
    ) -> None:
        link = self.link
        for command in commands:
            if isinstance(command, Relay):
                if relay:
                    link.send(session_id, command.leg, command.message)
            else:
                await link.log(link.now(), command.kind, session_id, command.actor, command.data)


def _check_size(message: CobrowseMessage) -> int:
    """The size of a snapshot's or batch's wire form; refused when over its limit, saying by how much."""
    limit = SNAPSHOT_MAX_BYTES if isinstance(message, CobrowseSnapshot) else EVENTS_MAX_BYTES
    size = len(json.dumps(asdict(message), separators=(",", ":"), ensure_ascii=False).encode())
    if size > limit:
        raise InvalidMessage(
            f"{message.TYPE} is {size} bytes; the limit is {limit} bytes (send smaller batches)",
            message.TYPE,
        )
    return size
