"""Attempt nonces: bound to one session, used once, expiring."""

from __future__ import annotations

import pytest

from verification.errors import NonceError
from verification.nonce import NonceBook


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_nonce_is_redeemed_once_for_its_own_session() -> None:
    book = NonceBook(Clock())
    nonce = book.issue("session-a")
    assert len(nonce) >= 20
    with pytest.raises(NonceError, match="another session"):
        book.redeem(nonce, "session-b")
    book.redeem(nonce, "session-a")
    with pytest.raises(NonceError, match="already used"):
        book.redeem(nonce, "session-a")


def test_nonces_are_unpredictable_and_distinct() -> None:
    book = NonceBook(Clock())
    assert len({book.issue("s") for _ in range(100)}) == 100


def test_an_unknown_nonce_is_refused() -> None:
    with pytest.raises(NonceError):
        NonceBook(Clock()).redeem("made-up", "s")


def test_a_nonce_expires() -> None:
    clock = Clock()
    book = NonceBook(clock, ttl=180)
    nonce = book.issue("s")
    clock.now = 180.0
    with pytest.raises(NonceError, match="expired"):
        book.redeem(nonce, "s")
    book.issue("s")
    clock.now = 500.0
    assert book.outstanding() == 0
