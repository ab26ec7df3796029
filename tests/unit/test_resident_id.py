"""Resident ID numbers: check character, birth date, age."""

from __future__ import annotations

import datetime as dt

import pytest

from signaling.resident_id import ResidentId, ResidentIdError, check_character

TODAY = dt.date(2026, 11, 22)


def valid(prefix17: str) -> str:
    return prefix17 + check_character(prefix17)


def test_the_published_example_number_is_valid_with_check_character_x() -> None:
    resident = ResidentId.parse("11010519491231002X", TODAY)
    assert resident.birth_date == dt.date(1949, 12, 31)
    assert resident.age(TODAY) == 76


def test_lower_case_x_and_surrounding_spaces_are_accepted() -> None:
    assert ResidentId.parse(" 11010519491231002x ", TODAY).number == "11010519491231002X"


@pytest.mark.parametrize("last", list("0123456789X"))
def test_every_wrong_check_character_is_refused(last: str) -> None:
    number = "11010519491231002" + last
    if last == "X":
        assert ResidentId.parse(number, TODAY)
        return
    with pytest.raises(ResidentIdError, match="check character"):
        ResidentId.parse(number, TODAY)


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("11010519490230002", "not a real date"),  # 30 February
        ("11010519491332002", "not a real date"),
        ("11010520991231002", "impossible"),  # born in the future
        ("11010518991231002", "impossible"),
    ],
)
def test_impossible_birth_dates_are_refused(prefix: str, reason: str) -> None:
    with pytest.raises(ResidentIdError, match=reason):
        ResidentId.parse(valid(prefix), TODAY)


@pytest.mark.parametrize(
    "raw", ["", "1101051949123100", "11010519491231002XX", "1101051949123100AX", "X" * 18]
)
def test_malformed_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ResidentIdError, match="17 digits"):
        ResidentId.parse(raw, TODAY)


@pytest.mark.parametrize(
    ("birth", "age"),
    [("19661122", 60), ("19661123", 59), ("19661121", 60), ("20000229", 26)],
)
def test_age_counts_completed_years(birth: str, age: int) -> None:
    assert ResidentId.parse(valid(f"110105{birth}001"), TODAY).age(TODAY) == age


def test_the_masked_form_hides_the_birth_date() -> None:
    masked = ResidentId.parse("11010519491231002X", TODAY).masked
    assert masked == "110*************2X"
    assert "1949" not in masked
