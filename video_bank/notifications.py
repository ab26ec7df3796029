"""Outbound customer notifications and the callback desk that uses them.

:class:`Notifier` is where a bank's SMS gateway plugs in. The embedded :class:`OutboxNotifier` writes
each message to the ``outbox`` table (for a delivery worker or an operator) and logs that it did,
with the phone number masked. :class:`CallbackDesk` implements the signaling layer's
``CallbackPort`` on top of storage and a notifier.
"""

from __future__ import annotations

import logging
from typing import Protocol
from urllib.parse import quote

from signaling.ports import CallbackReservation
from video_bank.storage import Storage

logger = logging.getLogger(__name__)


def mask_phone(phone: str) -> str:
    """Keep the last four digits only."""
    return "*" * max(0, len(phone) - 4) + phone[-4:]


class Notifier(Protocol):
    """Delivers a short text to a customer."""

    async def send(
        self, channel: str, recipient: str, body: str, at: float, reference: str | None = None
    ) -> None:
        """Queue or deliver ``body`` to ``recipient`` over ``channel`` (e.g. ``sms``); ``reference``
        names what it is about (a call-back reservation)."""

    async def spent(self, reference: str) -> None:
        """The texts about ``reference`` carry nothing usable any more (a one-time link was used or
        expired): a store that keeps them should drop their content."""


class OutboxNotifier:
    """Writes notifications to the outbox table; a delivery worker or gateway takes them from there.

    A text with a one-time link stays readable in the outbox only while the link is live: once the
    reservation leaves ``calling`` its body is replaced by :data:`SPENT_BODY`."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def send(
        self, channel: str, recipient: str, body: str, at: float, reference: str | None = None
    ) -> None:
        message_id = await self._storage.add_outbox(channel, recipient, body, at, reference)
        logger.info("notification %d queued on %s for %s", message_id, channel, mask_phone(recipient))

    async def spent(self, reference: str) -> None:
        await self._storage.redact_outbox(reference, SPENT_BODY)


SPENT_BODY = "[call-back link used or expired; text removed]"

_ENDED_TEXT = {
    "expired": (
        "We are sorry: no teller was free in the time you chose for your video call-back. Please join again:"
    ),
    "missed": "Your teller called you back but could not reach you. Please join the video counter again:",
}
"""Texts sent when a reservation ends without a call (the customer is no longer connected)."""


class CallbackDesk:
    """Callback reservations in storage, and the "your teller is ready" message with its link."""

    def __init__(self, storage: Storage, notifier: Notifier, public_url: str) -> None:
        self._storage = storage
        self._notifier = notifier
        self._public_url = public_url.rstrip("/")

    async def store_callback(self, reservation: CallbackReservation, created_at: float) -> None:
        await self._storage.put_callback(reservation, created_at)

    async def update_callback(
        self,
        reservation_id: str,
        status: str,
        at: float,
        teller: str | None,
        session_id: str | None,
        link_hash: str | None,
    ) -> None:
        await self._storage.update_callback(reservation_id, status, at, teller, session_id, link_hash)
        if status != "calling":
            await self._notifier.spent(reservation_id)
        ended = _ENDED_TEXT.get(status)
        if ended is None:
            return
        record = await self._storage.get_callback(reservation_id)
        if record is not None:
            await self._notifier.send("sms", record.phone, f"{ended} {self._public_url}/customer/", at)

    async def notify_callback(
        self, reservation_id: str, link_token: str, teller_display_name: str, at: float
    ) -> None:
        record = await self._storage.get_callback(reservation_id)
        if record is None:
            logger.error("callback %s to notify is not stored", reservation_id)
            return
        link = f"{self._public_url}/customer/?callback={quote(link_token)}"
        body = f"{teller_display_name} from your bank's video counter is ready for you now: {link}"
        await self._notifier.send("sms", record.phone, body, at, reference=reservation_id)

    async def pending_callbacks(self) -> list[CallbackReservation]:
        return await self._storage.pending_callbacks()
