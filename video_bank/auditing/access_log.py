"""The access log: who opened which record, when and why, as an append-only hash chain.

Pure. Each entry is stored as one line of canonical JSON holding the entry's fields and ``prev``,
the SHA-256 (hex) of the previous line's bytes (64 zeros for the first). Editing, deleting,
inserting or reordering a line breaks the chain at that point, which :func:`check_chain` reports
(the database also refuses UPDATE and DELETE, see ``storage.py`` migration 4; the chain is what
proves it to someone who does not trust the database). The chain head (hash of the last line) can
be noted out of band to detect truncation of the tail.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from video_bank.auditing.errors import BadRequestError
from video_bank.records.encoding import canonical_json

GENESIS = "0" * 64
"""``prev`` of the first entry."""
FORMAT = "video_bank.access-log/1"
MIN_REASON = 5
MAX_REASON = 500
Action = Literal["open"]
_HEX64 = re.compile(r"[0-9a-f]{64}")
_FIELDS = frozenset({"format", "seq", "at_us", "auditor", "record_id", "action", "reason", "prev"})


def check_reason(reason: Any) -> str:
    """A stated reason, trimmed; 5-500 characters, no control characters."""
    if not isinstance(reason, str):
        raise BadRequestError("a reason (text) is required to open a record")
    text = reason.strip()
    if len(text) < MIN_REASON:
        raise BadRequestError(f"state the reason for opening the record (at least {MIN_REASON} characters)")
    if len(text) > MAX_REASON:
        raise BadRequestError(f"the reason is too long (at most {MAX_REASON} characters)")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text):
        raise BadRequestError("the reason contains control characters")
    return text


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One opening of a record."""

    seq: int
    """Position in the log, 1, 2, 3, ..."""
    at_us: int
    """Server time, µs since the epoch."""
    auditor: str
    """The auditor's account name."""
    record_id: str
    """The record opened."""
    action: Action
    """What was done (``open``)."""
    reason: str
    """Why, as the auditor stated it."""
    prev: str
    """SHA-256 hex of the previous line (``GENESIS`` for the first)."""

    def to_json(self) -> dict[str, Any]:
        """The fields as a JSON object."""
        return {
            "format": FORMAT,
            "seq": self.seq,
            "at_us": self.at_us,
            "auditor": self.auditor,
            "record_id": self.record_id,
            "action": self.action,
            "reason": self.reason,
            "prev": self.prev,
        }

    def line(self) -> bytes:
        """The stored line: canonical JSON."""
        return canonical_json(self.to_json())

    @classmethod
    def parse(cls, line: bytes) -> AccessEntry:
        """Parse a stored line; :class:`ValueError` naming the problem when it is malformed."""
        try:
            obj = json.loads(line.decode("ascii"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValueError("not canonical JSON") from None
        if not isinstance(obj, dict) or set(obj) != _FIELDS or obj["format"] != FORMAT:
            raise ValueError("not an access-log entry")
        entry = cls(
            seq=obj["seq"],
            at_us=obj["at_us"],
            auditor=obj["auditor"],
            record_id=obj["record_id"],
            action=obj["action"],
            reason=obj["reason"],
            prev=obj["prev"],
        )
        ints_ok = all(type(v) is int for v in (entry.seq, entry.at_us))
        strs_ok = all(isinstance(v, str) for v in (entry.auditor, entry.record_id, entry.reason, entry.prev))
        if not ints_ok or not strs_ok or entry.action != "open" or not _HEX64.fullmatch(entry.prev):
            raise ValueError("an access-log field has the wrong type")
        if entry.line() != line:
            raise ValueError("not canonical JSON")
        return entry


def line_hash(line: bytes) -> str:
    """SHA-256 hex of a stored line: the next entry's ``prev``."""
    return hashlib.sha256(line).hexdigest()


def next_entry(
    previous_line: bytes | None, *, at_us: int, auditor: str, record_id: str, reason: str
) -> AccessEntry:
    """The entry that follows ``previous_line`` (``None``: the log is empty)."""
    if previous_line is None:
        seq, prev = 1, GENESIS
    else:
        seq, prev = AccessEntry.parse(previous_line).seq + 1, line_hash(previous_line)
    return AccessEntry(
        seq=seq,
        at_us=at_us,
        auditor=auditor,
        record_id=record_id,
        action="open",
        reason=check_reason(reason),
        prev=prev,
    )


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The result of checking the whole log."""

    entries: int
    """Lines checked."""
    head: str
    """Hash of the last line (``GENESIS`` for an empty log)."""
    problems: tuple[str, ...]
    """Every break found, one line each; empty when intact."""

    @property
    def intact(self) -> bool:
        """No problem found."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """For the API."""
        return {
            "intact": self.intact,
            "entries": self.entries,
            "head": self.head,
            "problems": list(self.problems),
        }


def check_chain(lines: Sequence[bytes]) -> ChainCheck:
    """Check every line parses, numbers run 1, 2, 3, ... and each ``prev`` is the hash of the line before."""
    problems: list[str] = []
    expected_prev = GENESIS
    for number, line in enumerate(lines, start=1):
        try:
            entry = AccessEntry.parse(line)
        except ValueError as error:
            problems.append(f"entry {number}: {error}")
        else:
            if entry.seq != number:
                problems.append(f"entry {number}: numbered {entry.seq}")
            if entry.prev != expected_prev:
                problems.append(f"entry {number}: does not follow entry {number - 1} (altered or removed)")
        expected_prev = line_hash(line)
    return ChainCheck(len(lines), expected_prev, tuple(problems))
