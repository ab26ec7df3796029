"""Chinese resident identity numbers (GB 11643-1999): validation and the holder's birth date and age.

18 characters: 6-digit address code, 8-digit birth date (YYYYMMDD), 3-digit sequence, and a check
character computed with ISO 7064 MOD 11-2 over the first 17 digits (``X`` stands for 10).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_FORMAT = re.compile(r"^[0-9]{17}[0-9X]$")
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK = "10X98765432"


class ResidentIdError(ValueError):
    """The number is not a valid resident ID; the message says why in plain language."""


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A validated resident ID number."""

    number: str
    """The 18 characters, upper case."""
    birth_date: dt.date
    """Date of birth encoded in digits 7–14."""

    @classmethod
    def parse(cls, raw: str, today: dt.date) -> ResidentId:
        """Validate ``raw``; raise :class:`ResidentIdError` with a plain reason when it is not valid."""
        number = raw.strip().upper()
        if not _FORMAT.match(number):
            raise ResidentIdError("a resident ID number has 17 digits followed by a digit or X")
        try:
            birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            raise ResidentIdError("the birth date in the ID number is not a real date") from None
        if birth > today or birth.year < 1900:
            raise ResidentIdError("the birth date in the ID number is impossible")
        if check_character(number[:17]) != number[17]:
            raise ResidentIdError("the ID number's check character is wrong; please check the number")
        return cls(number, birth)

    def age(self, today: dt.date) -> int:
        """Completed years on ``today``."""
        years = today.year - self.birth_date.year
        if (today.month, today.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    @property
    def masked(self) -> str:
        """Safe to show or log: first 3 and last 2 characters only."""
        return f"{self.number[:3]}{'*' * 13}{self.number[-2:]}"
