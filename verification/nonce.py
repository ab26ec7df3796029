"""Single-use attempt nonces: each verification attempt is bound to one session and used once.

The server issues a nonce when the teller starts a verification and gives it to the attempt; every
prompt and the result carry it. :meth:`NonceBook.redeem` accepts a nonce exactly once, for the session
it was issued to, before it expires — so a decision can be applied once, to its own session, and a
replayed or stale start is refused. Unused nonces expire after ``ttl`` seconds (AWS Face Liveness
session ids expire after 3 minutes; the default here is the same). The clock is injected.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from verification.errors import NonceError

DEFAULT_TTL = 180.0
"""Seconds an issued nonce stays redeemable."""


@dataclass(frozen=True, slots=True)
class _Issued:
    session_id: str
    expires_at: float


class NonceBook:
    """Issues and redeems nonces (in memory)."""

    def __init__(self, clock: Callable[[], float], ttl: float = DEFAULT_TTL) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self._clock = clock
        self._ttl = ttl
        self._issued: dict[str, _Issued] = {}

    def issue(self, session_id: str) -> str:
        """A fresh nonce for ``session_id`` (128 random bits, URL-safe)."""
        self._expire()
        nonce = secrets.token_urlsafe(16)
        self._issued[nonce] = _Issued(session_id, self._clock() + self._ttl)
        return nonce

    def redeem(self, nonce: str, session_id: str) -> None:
        """Use ``nonce`` for ``session_id``; raises :class:`~verification.errors.NonceError` unless it
        was issued to that session, has not expired and was not used before."""
        issued = self._issued.get(nonce)
        if issued is None:
            raise NonceError("unknown or already used verification nonce")
        if issued.session_id != session_id:
            raise NonceError("this verification nonce belongs to another session")
        del self._issued[nonce]
        if self._clock() >= issued.expires_at:
            raise NonceError("this verification nonce has expired")

    def outstanding(self) -> int:
        """Nonces issued and neither used nor expired."""
        self._expire()
        return len(self._issued)

    def _expire(self) -> None:
        now = self._clock()
        for nonce in [n for n, i in self._issued.items() if now >= i.expires_at]:
            del self._issued[nonce]
