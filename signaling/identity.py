"""Who is on a connection: role and, for staff, the account."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Roles of the security model (DESIGN.md)."""

    CUSTOMER = "customer"
    TELLER = "teller"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"
    FIELD = "field"
    """A field officer's tablet: logs in with an account and takes the customer's place in a call
    (remote card review, with the customer present)."""

    @property
    def is_staff(self) -> bool:
        """Staff log in with an account; customers do not."""
        return self is not Role.CUSTOMER

    @property
    def is_customer_side(self) -> bool:
        """Joins the queue and takes the customer's leg of a call (customers and field officers)."""
        return self in (Role.CUSTOMER, Role.FIELD)


@dataclass(frozen=True, slots=True)
class Identity:
    """An authenticated party."""

    role: Role
    """What this party may do."""
    username: str | None = None
    """Staff account name; ``None`` for customers."""
    display_name: str = ""
    """Name shown to the other party."""
    skills: tuple[tuple[str, int], ...] = ()
    """Tellers: (business, proficiency 1–5) pairs."""
    elder_care: bool = False
    """Tellers: designated for elderly customers."""

    def __post_init__(self) -> None:
        if self.role.is_staff and not self.username:
            raise ValueError("staff identities need a username")


@dataclass(frozen=True, slots=True)
class SignInThrottled:
    """A staff sign-in that was not checked because of too many recent failures."""

    retry_after: float
    """Seconds before the next attempt may be checked."""
