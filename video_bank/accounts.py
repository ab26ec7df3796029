"""Staff accounts: authentication of staff ``hello`` messages and the demo accounts."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass

from signaling.identity import Identity, Role
from video_bank.passwords import hash_password, verify_password
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


class AccountService:
    """Checks staff credentials against stored scrypt hashes (off the event loop)."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        # Hash checked for unknown users so that a wrong user name costs as long as a wrong password.
        self._decoy_hash = hash_password(secrets.token_urlsafe(16))

    async def authenticate(self, role: str, username: str | None, password: str | None) -> Identity | None:
        """The identity for valid, enabled credentials whose account has ``role``; otherwise ``None``."""
        if not username or not password or role == Role.CUSTOMER.value:
            return None
        identity = await self.authenticate_staff(username, password)
        if identity is None or identity.role.value != role:
            logger.info("login refused for role %s", role)
            return None
        return identity

    async def authenticate_staff(self, username: str, password: str) -> Identity | None:
        """The identity for valid credentials of an enabled staff account, whatever its role."""
        if not username or not password:
            return None
        account = await self._storage.get_account(username)
        encoded = account.password_hash if account else self._decoy_hash
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
