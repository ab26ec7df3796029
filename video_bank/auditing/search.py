"""Searching sealed records by their signed metadata: time range, teller, customer, business, verification.

Pure: :func:`parse_query` turns URL query parameters into a :class:`RecordQuery` (or a clear
:class:`BadRequestError`), :func:`summarize` turns a verified manifest into a :class:`RecordSummary`,
and :func:`search` filters and orders summaries. The adapter reads manifests (checking their
signatures) and calls these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from video_bank.auditing.errors import BadRequestError
from video_bank.records.model import Manifest

VerificationFilter = Literal["pass", "review", "fail", "none"]
VERIFICATION_VALUES: tuple[VerificationFilter, ...] = ("pass", "review", "fail", "none")
"""``none``: no verification ran in the session."""
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
QUERY_KEYS = frozenset({"from", "to", "teller", "customer_id", "business", "verification", "limit"})
_TEXT = re.compile(r"[\x20-\x7e]{1,64}")


@dataclass(frozen=True, slots=True)
class RecordQuery:
    """What an auditor searches for; every field set narrows the result."""

    from_us: int | None = None
    """Records whose time range ends at or after this time (µs since the epoch)."""
    to_us: int | None = None
    """Records whose time range starts at or before this time."""
    teller: str | None = None
    """Teller account name, exact."""
    customer_id: str | None = None
    """The bank's customer id, exact."""
    business: str | None = None
    """Business type, exact."""
    verification: VerificationFilter | None = None
    """The session's last verification outcome, or ``none``."""
    limit: int = DEFAULT_LIMIT
    """At most this many results, newest first."""

    def __post_init__(self) -> None:
        if self.from_us is not None and self.to_us is not None and self.from_us > self.to_us:
            raise BadRequestError("'from' is after 'to'")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise BadRequestError(f"'limit' must be 1..{MAX_LIMIT}")


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """One sealed record as search results show it (from its signed manifest)."""

    record_id: str
    business: str
    teller: str | None
    customer_id: str | None
    start_us: int
    end_us: int
    opened_at_us: int
    outcome: str | None
    verification: str | None
    """``pass``, ``review``, ``fail``, or ``None`` when no verification ran."""
    recovered: bool
    legal_hold: bool
    chunk_count: int
    streams: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON object the API returns."""
        return {
            "record_id": self.record_id,
            "business": self.business,
            "teller": self.teller,
            "customer_id": self.customer_id,
            "start_us": self.start_us,
            "end_us": self.end_us,
            "opened_at_us": self.opened_at_us,
            "outcome": self.outcome,
            "verification": self.verification,
            "recovered": self.recovered,
            "legal_hold": self.legal_hold,
            "chunk_count": self.chunk_count,
            "streams": list(self.streams),
        }


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def summarize(manifest: Manifest, *, legal_hold: bool = False) -> RecordSummary:
    """The search view of a verified manifest.

    The customer id comes from the session metadata, or from the summary when it became known
    during the session; the verification outcome from the summary's ``verification``.
    """
    summary = manifest.summary
    verification = _str_or_none(summary.get("verification"))
    return RecordSummary(
        record_id=manifest.record_id,
        business=manifest.session.business,
        teller=manifest.session.teller,
        customer_id=manifest.session.customer_id or _str_or_none(summary.get("customer_id")),
        start_us=manifest.start_us,
        end_us=manifest.end_us,
        opened_at_us=manifest.opened_at_us,
        outcome=_str_or_none(summary.get("outcome")),
        verification=verification if verification in VERIFICATION_VALUES else None,
        recovered=manifest.recovered,
        legal_hold=legal_hold,
        chunk_count=len(manifest.chunks),
        streams=tuple(manifest.streams),
    )


def parse_time(value: str, name: str) -> int:
    """Seconds since the epoch (``1763800000.5``) or ISO 8601 (``2026-11-22T15:00:00Z``) → µs.

    ISO times without an offset are taken as UTC.
    """
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise BadRequestError(f"'{name}' is not a time (ISO 8601 or seconds since the epoch)") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        seconds = parsed.timestamp()
    if not 0 <= seconds < 2**40 or seconds != seconds:
        raise BadRequestError(f"'{name}' is out of range")
    return round(seconds * 1_000_000)


def _text(value: str, name: str) -> str:
    text = value.strip()
    if not _TEXT.fullmatch(text):
        raise BadRequestError(f"'{name}' must be 1-64 printable ASCII characters")
    return text


def parse_query(params: Mapping[str, str]) -> RecordQuery:
    """A query from URL parameters; empty parameters are ignored, unknown ones refused."""
    unknown = sorted(set(params) - QUERY_KEYS)
    if unknown:
        raise BadRequestError(f"unknown search parameter(s): {', '.join(unknown)}")
    given = {key: value for key, value in params.items() if value.strip()}
    verification: VerificationFilter | None = None
    if "verification" in given:
        verification = next((v for v in VERIFICATION_VALUES if v == given["verification"]), None)
        if verification is None:
            raise BadRequestError(f"'verification' must be one of {', '.join(VERIFICATION_VALUES)}")
    limit = DEFAULT_LIMIT
    if "limit" in given:
        if not given["limit"].isdigit():
            raise BadRequestError("'limit' must be a whole number")
        limit = int(given["limit"])
    return RecordQuery(
        from_us=parse_time(given["from"], "from") if "from" in given else None,
        to_us=parse_time(given["to"], "to") if "to" in given else None,
        teller=_text(given["teller"], "teller") if "teller" in given else None,
        customer_id=_text(given["customer_id"], "customer_id") if "customer_id" in given else None,
        business=_text(given["business"], "business") if "business" in given else None,
        verification=verification,
        limit=limit,
    )


def matches(record: RecordSummary, query: RecordQuery) -> bool:
    """Whether ``record`` satisfies every filter of ``query``."""
    if query.from_us is not None and record.end_us < query.from_us:
        return False
    if query.to_us is not None and record.start_us > query.to_us:
        return False
    if query.teller is not None and record.teller != query.teller:
        return False
    if query.customer_id is not None and record.customer_id != query.customer_id:
        return False
    if query.business is not None and record.business != query.business:
        return False
    if query.verification is not None:
        wanted = None if query.verification == "none" else query.verification
        if record.verification != wanted:
            return False
    return True


def search(records: Iterable[RecordSummary], query: RecordQuery) -> list[RecordSummary]:
    """The records matching ``query``, newest first (by start, then id), at most ``query.limit``."""
    found = [r for r in records if matches(r, query)]
    found.sort(key=lambda r: (r.start_us, r.record_id), reverse=True)
    return found[: query.limit]
