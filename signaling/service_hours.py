"""The bank's service hours and time zone: when tellers answer, and which call-back windows to offer.

Pure: server times (epoch seconds) in, server times out. One pair of hours holds for every day of
the week (the customer page's help says so: "every day 8:00–20:00"), in the bank's time zone — the
same zone the business flows use for dates such as "born in the future". A call-back window always
lies inside one day's service hours.

Settings: ``VIDEO_BANK_SERVICE_HOURS`` (``08:00-20:00``; ``00:00-24:00`` is round the clock) and
``VIDEO_BANK_TIME_ZONE`` (an IANA name such as ``Asia/Shanghai``, or a fixed offset ``UTC+08:00``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "Asia/Shanghai"
DEFAULT_SERVICE_HOURS = "08:00-20:00"
MINUTES_PER_DAY = 24 * 60
QUARTER_HOUR = 15 * 60
CALLBACK_LENGTH = 2 * 3600.0
"""A call-back window is at most this long (the "as soon as possible" one, and "later today")."""
SHORTEST_OFFERED = 30 * 60.0
"""A window the page offers is at least this long; shorter remnants of a day are not offered."""
MORNING = (8 * 60, 12 * 60)
AFTERNOON = (14 * 60, 18 * 60)
"""The next service day's half-day windows (minutes of the day), clipped to the service hours."""

WindowKind = Literal["soon", "later_today", "next_morning", "next_afternoon"]

_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$")


class ServiceHoursError(ValueError):
    """A service-hours or time-zone setting that cannot be used (the message says why)."""


def parse_time_zone(text: str) -> dt.tzinfo:
    """An IANA zone (``Asia/Shanghai``), ``UTC``, or a fixed offset (``UTC+08:00``, ``+8``)."""
    name = text.strip()
    if name.upper() in ("UTC", "GMT", "Z"):
        return dt.UTC
    offset = _OFFSET.match(name.upper())
    if offset:
        sign, hours, minutes = offset.groups()
        delta = dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta > dt.timedelta(hours=14):
            raise ServiceHoursError(f"{text!r} is not a UTC offset (at most ±14:00)")
        return dt.timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ServiceHoursError(
            f"{text!r} is not a known time zone (an IANA name such as Asia/Shanghai, or UTC+08:00)"
        ) from None


DEFAULT_ZONE: dt.tzinfo = parse_time_zone(DEFAULT_TIME_ZONE)
"""The bank's time zone when none is configured (``VIDEO_BANK_TIME_ZONE`` sets it)."""


def bank_date(at: float, zone: dt.tzinfo) -> dt.date:
    """The bank's calendar date at server time ``at``: the one rule for "today" (the switchboard's
    figures, call-back windows) and for the flows' dates (ages, "born in the future")."""
    return dt.datetime.fromtimestamp(at, zone).date()


@dataclass(frozen=True, slots=True)
class CallbackWindow:
    """One call-back time the customer may choose."""

    kind: WindowKind
    """``soon`` (as soon as a teller is free), ``later_today``, ``next_morning``, ``next_afternoon``."""
    start: float
    """Earliest call time, epoch seconds."""
    end: float
    """Latest call time, epoch seconds."""


@dataclass(frozen=True, slots=True)
class ServiceHours:
    """Daily service hours in one time zone."""

    opens: int
    """Minutes after local midnight when service starts (0–1439)."""
    closes: int
    """Minutes after local midnight when it ends (after ``opens``; 1440 is midnight at the day's end)."""
    zone: dt.tzinfo
    """The bank's time zone."""

    def __post_init__(self) -> None:
        if not 0 <= self.opens < self.closes <= MINUTES_PER_DAY:
            raise ServiceHoursError("service hours must open before they close, within one day")

    @classmethod
    def parse(cls, hours: str, zone: str | dt.tzinfo) -> ServiceHours:
        """From ``HH:MM-HH:MM`` and a zone name (see :func:`parse_time_zone`)."""
        found = _HOURS.match(hours)
        if not found:
            raise ServiceHoursError(f"{hours!r} is not like 08:00-20:00")
        oh, om, ch, cm = (int(part) for part in found.groups())
        if oh > 23 or om > 59 or cm > 59 or ch > 24 or (ch == 24 and cm):
            raise ServiceHoursError(f"{hours!r} is not a pair of clock times")
        tz = parse_time_zone(zone) if isinstance(zone, str) else zone
        return cls(oh * 60 + om, ch * 60 + cm, tz)

    @classmethod
    def round_the_clock(cls, zone: dt.tzinfo | None = None) -> ServiceHours:
        """Service at any time (the default of a bare :class:`~signaling.switchboard.Switchboard`)."""
        return cls(0, MINUTES_PER_DAY, zone or DEFAULT_ZONE)

    @property
    def always_open(self) -> bool:
        """Round the clock: days join, so a window may run past midnight."""
        return self.opens == 0 and self.closes == MINUTES_PER_DAY

    @property
    def text(self) -> str:
        """``08:00-20:00``."""
        return f"{_clock(self.opens)}-{_clock(self.closes)}"

    def public(self) -> dict[str, str]:
        """What pages show and format times with: ``opens``, ``closes`` and ``time_zone`` as a
        browser's ``Intl.DateTimeFormat`` takes it (an IANA name, ``UTC`` or ``+08:00``)."""
        zone = self.zone
        if isinstance(zone, ZoneInfo):
            name = zone.key
        else:
            offset = zone.utcoffset(None) or dt.timedelta(0)
            minutes = int(offset.total_seconds() // 60)
            sign = "-" if minutes < 0 else "+"
            name = "UTC" if minutes == 0 else f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        return {"opens": _clock(self.opens), "closes": _clock(self.closes), "time_zone": name}

    # --- calendar ---------------------------------------------------------------------------------

    def local_date(self, at: float) -> dt.date:
        """The bank's calendar date at server time ``at``."""
        return bank_date(at, self.zone)

    def day_start(self, at: float) -> float:
        """Epoch seconds of the bank's local midnight before ``at``."""
        return self._at(self.local_date(at), 0)

    def interval(self, day: dt.date) -> tuple[float, float]:
        """That day's service hours as epoch seconds."""
        return self._at(day, self.opens), self._at(day, self.closes)

    def is_open(self, at: float) -> bool:
        """Whether ``at`` is inside service hours."""
        if self.always_open:
            return True
        start, end = self.interval(self.local_date(at))
        return start <= at < end

    def within(self, start: float, end: float) -> bool:
        """Whether the window ``start``–``end`` lies inside one day's service hours."""
        if end <= start:
            return False
        if self.always_open:
            return True
        opens, closes = self.interval(self.local_date(start))
        return opens <= start and end <= closes

    def next_interval(self, at: float) -> tuple[float, float]:
        """The service hours that contain ``at``, or else the next ones."""
        day = self.local_date(at)
        for _ in range(3):
            opens, closes = self.interval(day)
            if at < closes:
                return opens, closes
            day += dt.timedelta(days=1)
        raise AssertionError("service hours are at least one minute a day")  # pragma: no cover

    # --- call-back windows --------------------------------------------------------------------------

    def soonest_window(self, now: float, shortest: float) -> tuple[float, float]:
        """As soon as possible: from now (or the next opening) for up to two hours, inside service
        hours; a remnant of the day shorter than ``shortest`` moves to the next day's opening."""
        if self.always_open:
            return now, now + CALLBACK_LENGTH
        opens, closes = self.next_interval(now)
        start = max(now, opens)
        if closes - start < shortest:
            opens, closes = self.next_interval(closes)
            start = opens
        return start, min(start + CALLBACK_LENGTH, closes)

    def callback_windows(self, now: float) -> tuple[CallbackWindow, ...]:
        """The windows a waiting customer may choose from, each inside service hours."""
        start, end = self.soonest_window(now, SHORTEST_OFFERED)
        windows = [CallbackWindow("soon", start, end)]
        if self.is_open(now):
            later = math.ceil((now + 3600) / QUARTER_HOUR) * QUARTER_HOUR
            later_end = later + CALLBACK_LENGTH
            if not self.always_open:
                later_end = min(later_end, self.interval(self.local_date(now))[1])
            if later_end - later >= SHORTEST_OFFERED:
                windows.append(CallbackWindow("later_today", later, later_end))
        tomorrow = self.local_date(now) + dt.timedelta(days=1)
        halves: tuple[tuple[WindowKind, tuple[int, int]], ...] = (
            ("next_morning", MORNING),
            ("next_afternoon", AFTERNOON),
        )
        for kind, (first, last) in halves:
            begin, finish = max(first, self.opens), min(last, self.closes)
            if (finish - begin) * 60 >= SHORTEST_OFFERED:
                windows.append(CallbackWindow(kind, self._at(tomorrow, begin), self._at(tomorrow, finish)))
        return tuple(windows)

    def _at(self, day: dt.date, minutes: int) -> float:
        """Epoch seconds of ``minutes`` after local midnight of ``day`` (1440: the next midnight)."""
        midnight = dt.datetime.combine(day, dt.time.min, self.zone)
        if minutes >= MINUTES_PER_DAY:
            midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, self.zone)
            minutes -= MINUTES_PER_DAY
        return (midnight + dt.timedelta(minutes=minutes)).timestamp()


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
