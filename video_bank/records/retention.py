"""Retention: how long a record is kept, by business type, and what the sweep does with each record.

Pure: the sweep adapter (:mod:`video_bank.records.sweep`) gathers the facts and applies the decisions.

A policy maps business types to *retention classes*, each a period in calendar years plus days,
counted from the end of the session. The class and the resulting ``retain_until`` time are written
into the signed manifest at seal, so a later policy change applies to new records only and nobody
can shorten a sealed record's life by editing a file. Policy file (``<data dir>/retention.json``,
optional)::

    {"default": "standard",
     "classes": {"standard": {"years": 5}, "extended": {"years": 10}},
     "business": {"corporate_willingness": "extended"}}
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from signaling.businesses import BUSINESSES
from video_bank.records.encoding import canonical_json, parse_json_object
from video_bank.records.errors import RecordInputError, RecordIntegrityError

CLASS_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
DEFAULT_CLASS = "standard"
DEFAULT_YEARS = 5
BUSINESS_TYPES: tuple[str, ...] = BUSINESSES
"""The business types (signaling/businesses.py); all of them keep the default 5 years unless configured."""


@dataclass(frozen=True, slots=True)
class RetentionPeriod:
    """How long a record is kept after its session ended."""

    years: int = 0
    """Calendar years (29 February plus one year is 1 March)."""
    days: int = 0
    """Additional days of 86,400 s."""

    def __post_init__(self) -> None:
        for name in ("years", "days"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1000 * 366:
                raise RecordInputError(f"retention {name} must be a whole number from 0")

    def until(self, start_us: int) -> int:
        """The end of retention for a session that ended at ``start_us`` (microseconds since the epoch)."""
        start = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=start_us)
        year = start.year + self.years
        try:
            shifted = start.replace(year=year)
        except ValueError:  # 29 February into a common year: keep at least the full period
            shifted = start.replace(year=year, month=3, day=1)
        shifted += timedelta(days=self.days)
        return (shifted - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)

    def to_json(self) -> dict[str, int]:
        """``{"years": y, "days": d}``."""
        return {"years": self.years, "days": self.days}

    @classmethod
    def from_json(cls, value: Any, what: str) -> RetentionPeriod:
        """Parse ``{"years": y, "days": d}`` (either may be left out)."""
        if not isinstance(value, dict) or not value or set(value) - {"years", "days"}:
            raise RecordInputError(f"{what} must be an object with 'years' and/or 'days'")
        return cls(years=value.get("years", 0), days=value.get("days", 0))


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Retention classes and which business type uses which."""

    classes: Mapping[str, RetentionPeriod] = field(
        default_factory=lambda: MappingProxyType({DEFAULT_CLASS: RetentionPeriod(years=DEFAULT_YEARS)})
    )
    """Class name to period."""
    business: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Business type to class name; types not listed use ``default_class``."""
    default_class: str = DEFAULT_CLASS
    """Class of business types not listed."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", MappingProxyType(dict(self.classes)))
        object.__setattr__(self, "business", MappingProxyType(dict(self.business)))
        for name in self.classes:
            if not CLASS_NAME.fullmatch(name):
                raise RecordInputError(f"retention class {name!r}: use 1-64 characters of a-z, 0-9, '_', '-'")
        if self.default_class not in self.classes:
            raise RecordInputError(f"the default retention class {self.default_class!r} is not defined")
        for business, name in self.business.items():
            if name not in self.classes:
                raise RecordInputError(f"business type {business!r} uses undefined retention class {name!r}")

    def class_for(self, business: str) -> tuple[str, RetentionPeriod]:
        """The retention class name and period for ``business``."""
        name = self.business.get(business, self.default_class)
        return name, self.classes[name]

    @classmethod
    def from_json(cls, data: bytes) -> RetentionPolicy:
        """Parse a policy file (see the module docstring)."""
        try:
            value = parse_json_object(data, "retention policy")
        except RecordIntegrityError as error:
            raise RecordInputError(str(error)) from None
        unknown = set(value) - {"default", "classes", "business"}
        if unknown:
            raise RecordInputError(f"retention policy: unknown field(s) {', '.join(sorted(unknown))}")
        classes_raw = value.get("classes", {DEFAULT_CLASS: {"years": DEFAULT_YEARS}})
        business_raw = value.get("business", {})
        default = value.get("default", DEFAULT_CLASS)
        if not isinstance(classes_raw, dict) or not isinstance(business_raw, dict):
            raise RecordInputError("retention policy: 'classes' and 'business' must be objects")
        if not isinstance(default, str) or not all(isinstance(v, str) for v in business_raw.values()):
            raise RecordInputError("retention policy: class names must be strings")
        classes = {
            name: RetentionPeriod.from_json(period, f"retention class {name!r}")
            for name, period in classes_raw.items()
        }
        return cls(classes=classes, business=business_raw, default_class=default)


class RetentionAction(enum.Enum):
    """What the sweep does with one sealed record."""

    KEEP = "keep"
    """Retention has not expired."""
    SHRED = "shred"
    """Expired: destroy the wrapped keys and delete the chunks."""
    HOLD = "hold"
    """Expired but on legal hold: keep, and log that it was kept."""


def decide(retain_until_us: int, legal_hold: bool, now_us: int) -> RetentionAction:
    """The sweep's decision for a sealed record."""
    if now_us < retain_until_us:
        return RetentionAction.KEEP
    return RetentionAction.HOLD if legal_hold else RetentionAction.SHRED


LOG_GENESIS = "0" * 64
"""``prev`` of the first line of the retention log."""


def log_line(previous_line: bytes | None, entry: Mapping[str, Any]) -> bytes:
    """The next line of the hash-chained retention log (without the newline).

    Each line is canonical JSON of ``entry`` plus ``prev``: the SHA-256 of the previous line's bytes,
    so deleting or editing a line breaks every later one.
    """
    prev = hashlib.sha256(previous_line).hexdigest() if previous_line is not None else LOG_GENESIS
    if "prev" in entry:
        raise RecordInputError("'prev' is reserved in retention log entries")
    return canonical_json(dict(entry) | {"prev": prev})


def check_log(data: bytes) -> list[str]:
    """Problems in a retention log's hash chain (empty when it is intact)."""
    problems: list[str] = []
    previous: bytes | None = None
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        try:
            entry = parse_json_object(line, f"retention log line {number}")
        except RecordIntegrityError as error:
            problems.append(str(error))
            previous = line
            continue
        expected = hashlib.sha256(previous).hexdigest() if previous is not None else LOG_GENESIS
        if entry.get("prev") != expected:
            problems.append(f"retention log line {number} does not follow line {number - 1}")
        previous = line
    return problems
