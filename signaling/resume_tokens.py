"""Resume tokens: what lets a client that lost its socket take its place back (docs/protocol.md, "Resume").

A token is issued for one *subject*: a leg of a live session, or a customer's place in line. It is
``<grant id>.<secret>``: the grant id finds the grant, the secret proves it. The server keeps only
the SHA-256 of the secret and compares it with :func:`hmac.compare_digest`, so neither a dictionary
lookup nor a string comparison on the secret leaks how much of a guess was right.

Rules:

- **Single use, rotated.** Redeeming a token consumes its grant; the caller issues a new token for
  the same subject at once (:meth:`ResumeBook.issue`), which also retires any earlier one.
- **Bound to a leg.** A token only re-attaches the leg it was issued for: the customer's token is
  refused on a teller's connection and the other way round, *without* consuming it (the rightful
  holder may still use it).
- **Ends with its subject.** When a session ends (or a waiting customer's place is given up) its
  grants are retired; a later attempt is told that the call is over rather than "unknown token".

Retired grant ids are remembered for :data:`RETIRED_SECONDS` so that a refusal can say *why*
(``used``: a newer token replaced it; ``ended``: the call or the wait is over). Tokens are secrets:
never logged, never in ``repr``.

Pure: no clock, no I/O; the caller passes ``now`` and supplies the random source.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from signaling.errors import PeerError
from signaling.session import Leg

RETIRED_SECONDS = 600.0
"""How long a retired grant id is remembered to explain a refusal."""
TOKEN_PATTERN = re.compile(r"^([A-Za-z0-9_-]{8,64})\.([A-Za-z0-9_-]{16,128})$")
"""The wire form of a resume token (the same pattern is in ``signaling/schemas/resume.json``)."""

SubjectKind = Literal["session", "queue"]
RefusalReason = Literal["malformed", "unknown", "used", "ended", "other_leg"]


@dataclass(frozen=True, slots=True)
class Subject:
    """What a token re-attaches."""

    kind: SubjectKind
    """``session``: a leg of a live call; ``queue``: a customer's place in line."""
    id: str
    """The session id, or the id of the customer's task in line."""
    leg: Leg
    """Which party: ``customer`` (the customer's phone or the field tablet) or ``teller``."""


class ResumeRefused(PeerError):
    """A ``resume`` the server will not honour; ``params["reason"]`` says why (a :data:`RefusalReason`)."""

    code = "resume_refused"

    def __init__(self, reason: RefusalReason, message: str) -> None:
        super().__init__(message, "resume", {"reason": reason})
        self.reason: RefusalReason = reason


_REFUSALS: dict[RefusalReason, str] = {
    "malformed": "that is not a resume token",
    "unknown": "that resume token is not valid (the call or the wait may have ended)",
    "used": "that resume token was used already; a newer one replaced it",
    "ended": "the call or the wait this token belonged to is over",
    "other_leg": "that resume token belongs to the other party of the call",
}


def refused(reason: RefusalReason) -> ResumeRefused:
    """The refusal for ``reason``, with its plain-language message."""
    return ResumeRefused(reason, _REFUSALS[reason])


@dataclass(frozen=True, slots=True)
class _Grant:
    subject: Subject
    digest: bytes = field(repr=False)
    """SHA-256 of the secret part."""


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("ascii")).digest()


class ResumeBook:
    """The resume grants of one signaling node."""

    def __init__(self, new_id: Callable[[], str], new_secret: Callable[[], str]) -> None:
        """``new_id``: a fresh grant id; ``new_secret``: at least 16 unpredictable URL-safe characters."""
        self._new_id = new_id
        self._new_secret = new_secret
        self._grants: dict[str, _Grant] = {}
        self._by_subject: dict[Subject, str] = {}
        self._retired: dict[str, tuple[RefusalReason, float]] = {}

    def __len__(self) -> int:
        """Grants that can still be redeemed."""
        return len(self._grants)

    def issue(self, subject: Subject, now: float) -> str:
        """A new token for ``subject``; an earlier token of the same subject can no longer be used."""
        self._retire_subject(subject, "used", now)
        grant_id, secret = self._new_id(), self._new_secret()
        token = f"{grant_id}.{secret}"
        if TOKEN_PATTERN.fullmatch(token) is None or grant_id in self._grants:
            raise ValueError("the id or secret source gave an unusable value")
        self._grants[grant_id] = _Grant(subject, _digest(secret))
        self._by_subject[subject] = grant_id
        return token

    def check(self, token: str, leg: Leg) -> Subject:
        """The subject ``token`` re-attaches for a connection on ``leg``; raises :class:`ResumeRefused`.

        Nothing is consumed: call :meth:`redeem` once the caller has checked the rest."""
        match = TOKEN_PATTERN.fullmatch(token)
        if match is None:
            raise refused("malformed")
        grant_id, secret = match.groups()
        grant = self._grants.get(grant_id)
        if grant is None:
            retired = self._retired.get(grant_id)
            raise refused(retired[0] if retired is not None else "unknown")
        if not hmac.compare_digest(grant.digest, _digest(secret)):
            raise refused("unknown")
        if grant.subject.leg != leg:
            raise refused("other_leg")
        return grant.subject

    def redeem(self, token: str, leg: Leg, now: float) -> Subject:
        """Check ``token`` (as :meth:`check`) and consume it: it will not work a second time."""
        subject = self.check(token, leg)
        self._retire_subject(subject, "used", now)
        return subject

    def retire(self, subject: Subject, now: float) -> None:
        """``subject`` is over (the session ended, the wait was given up): its token stops working."""
        self._retire_subject(subject, "ended", now)

    def forget_before(self, now: float) -> None:
        """Drop the explanations of grants retired more than :data:`RETIRED_SECONDS` ago."""
        horizon = now - RETIRED_SECONDS
        for grant_id in [g for g, (_, at) in self._retired.items() if at < horizon]:
            del self._retired[grant_id]

    def _retire_subject(self, subject: Subject, reason: RefusalReason, now: float) -> None:
        grant_id = self._by_subject.pop(subject, None)
        if grant_id is not None:
            del self._grants[grant_id]
            self._retired[grant_id] = (reason, now)
