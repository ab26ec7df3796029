"""Short-lived TURN credentials in the "TURN REST API" scheme that coturn checks with ``use-auth-secret``.

Pure functions: no clock, no I/O. A credential is

- ``username = "<expiry>:<leg id>"``, where ``expiry`` is a Unix time in whole seconds, and
- ``password = base64(HMAC-SHA1(shared secret, username))``.

The TURN server shares the secret: it recomputes the password from the username it is given and
refuses a username whose expiry has passed, so nothing about a credential is stored anywhere. The
leg id only names who the credential was issued to (it shows in the TURN server's log); it never
contains ``:``, the separator coturn splits the username at.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from dataclasses import dataclass, field

SEPARATOR = ":"
"""Between expiry and leg id (coturn's default ``rest-api-separator``)."""
LEG_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
"""What a leg id may look like: session ids, leg names and connection ids joined by dots."""


@dataclass(frozen=True, slots=True)
class TurnCredential:
    """A username/password pair for one leg's TURN allocations, valid until :attr:`expires_at`."""

    username: str
    """``"<expiry>:<leg id>"``."""
    password: str = field(repr=False)
    """base64 HMAC-SHA1 of the username under the shared secret; a secret, never in ``repr`` or logs."""
    expires_at: int
    """Unix time (seconds) after which the TURN server refuses the username for new requests."""


def turn_password(secret: str, username: str) -> str:
    """The password the TURN server expects for ``username`` under ``secret``."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def issue_turn_credential(secret: str, leg_id: str, now: float, ttl_seconds: int) -> TurnCredential:
    """A credential for ``leg_id`` that expires ``ttl_seconds`` after ``now`` (Unix seconds).

    The expiry is rounded up to the next whole second, so the credential never lives shorter than asked.
    """
    if not secret:
        raise ValueError("the shared secret is empty")
    if not LEG_ID.fullmatch(leg_id):
        raise ValueError("a leg id is 1-128 characters of A-Z a-z 0-9 . _ -")
    if ttl_seconds <= 0:
        raise ValueError("the lifetime must be positive")
    expires_at = math.ceil(now) + ttl_seconds
    username = f"{expires_at}{SEPARATOR}{leg_id}"
    return TurnCredential(username, turn_password(secret, username), expires_at)


def expiry_of(username: str) -> int | None:
    """The expiry written in a REST username, or ``None`` when it has none."""
    head, separator, _ = username.partition(SEPARATOR)
    return int(head) if separator and head.isdigit() else None
