"""Staff accounts: authentication of staff ``hello`` messages and the demo accounts."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from signaling.identity import Identity, Role, SignInThrottled
from video_bank.passwords import hash_password, verify_password
from video_bank.sign_in_throttle import SignInThrottle
from video_bank.storage import Storage

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """An account that ``seed-demo`` creates."""

    username: str
    role: Role
    display_name: str
    skills: tuple[tuple[str, int], ...] = ()
    """Tellers: proficiency 1–5 per business type."""
    elder_care: bool = False
    """Tellers: designated elder-care teller."""


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "teller1",
        Role.TELLER,
        "Teller Li",
        (
            ("activation", 5),
            ("card_review", 4),
            ("corporate_willingness", 3),
            ("info_update", 4),
            ("password_reset", 4),
        ),
        elder_care=True,
    ),
    DemoAccount(
        "teller2",
        Role.TELLER,
        "Teller Wang",
        (
            ("activation", 3),
            ("card_review", 5),
            ("corporate_willingness", 5),
            ("info_update", 3),
            ("password_reset", 5),
        ),
    ),
    DemoAccount("super1", Role.SUPERVISOR, "Supervisor Zhang"),
    DemoAccount("audit1", Role.AUDITOR, "Auditor Chen"),
    DemoAccount("field1", Role.FIELD, "Field Officer Zhao"),
)


PASSWORD_CHECKS_AT_ONCE = 2
"""scrypt checks running at once (each ≈ 50 ms of a core and 16 MiB); more wait their turn."""
IN_FLIGHT_PER_ADDRESS = 4
"""Sign-ins one address may have being checked at once; one per name and address. Without this a
burst of simultaneous guesses would all pass the throttle before the first failure is counted."""
BUSY_RETRY_SECONDS = 1.0


class AccountService:
    """Staff sign-in for every entry point (HTTP and WebSocket): one throttle, scrypt off the loop."""

    def __init__(
        self,
        storage: Storage,
        throttle: SignInThrottle | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._storage = storage
        self._throttle = throttle or SignInThrottle()
        self._clock = clock
        self._checks = asyncio.Semaphore(PASSWORD_CHECKS_AT_ONCE)
        self._in_flight: set[tuple[str, str]] = set()
        self._in_flight_per_address: Counter[str] = Counter()
        # Hash checked for unknown users so that a wrong user name costs as long as a wrong password.
        self._decoy_hash = hash_password(secrets.token_urlsafe(16))

    async def authenticate(
        self, role: str, username: str | None, password: str | None, address: str
    ) -> Identity | SignInThrottled | None:
        """The identity for valid, enabled credentials whose account has ``role``; ``None`` when
        refused; :class:`SignInThrottled` when the throttle did not let the attempt be checked."""
        if not username or not password or role == Role.CUSTOMER.value:
            return None
        result = await self.sign_in(username, password, address)
        if isinstance(result, Identity) and result.role.value != role:
            logger.info("login refused for role %s", role)
            return None
        return result

    async def sign_in(self, username: str, password: str, address: str) -> Identity | SignInThrottled | None:
        """Check a staff member's credentials from ``address`` through the sign-in throttle.

        ``None`` for wrong credentials (counted as a failure), :class:`SignInThrottled` when the
        attempt was not checked at all (too many failures, or the same name and address already
        being checked)."""
        wait = self._throttle.retry_after(username, address, self._clock())
        if wait > 0:
            return SignInThrottled(wait)
        pair = (username, address)
        if pair in self._in_flight or self._in_flight_per_address[address] >= IN_FLIGHT_PER_ADDRESS:
            return SignInThrottled(BUSY_RETRY_SECONDS)
        self._in_flight.add(pair)
        self._in_flight_per_address[address] += 1
        try:
            identity = await self._check(username, password)
        finally:
            self._in_flight.discard(pair)
            self._in_flight_per_address[address] -= 1
            if self._in_flight_per_address[address] <= 0:
                del self._in_flight_per_address[address]
        if identity is None:
            self._throttle.failed(username, address, self._clock())
        else:
            self._throttle.succeeded(username, address, self._clock())
        return identity

    async def _check(self, username: str, password: str) -> Identity | None:
        """The identity for valid credentials of an enabled staff account, whatever its role."""
        account = await self._storage.get_account(username)
        encoded = account.password_hash if account else self._decoy_hash
        async with self._checks:
            ok = await asyncio.to_thread(verify_password, password, encoded)
        if not ok or account is None or account.disabled:
            return None
        return Identity(
            Role(account.role),
            account.username,
            account.display_name,
            skills=account.skills,
            elder_care=account.elder_care,
        )


async def seed_demo_accounts(storage: Storage, password: str) -> list[DemoAccount]:
    """Create (or reset the password of) every demo account."""
    for account in DEMO_ACCOUNTS:
        encoded = await asyncio.to_thread(hash_password, password)
        await storage.put_account(account.username, account.role.value, account.display_name, encoded)
        if account.role is Role.TELLER:
            await storage.set_teller_skills(account.username, dict(account.skills), account.elder_care)
    return list(DEMO_ACCOUNTS)
