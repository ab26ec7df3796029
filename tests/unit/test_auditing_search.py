"""Searching records by their signed metadata: query parsing and every filter."""

from __future__ import annotations

import dataclasses

import pytest

from video_bank.auditing.errors import BadRequestError
from video_bank.auditing.search import RecordQuery, RecordSummary, matches, parse_query, search

HOUR_US = 3_600_000_000
T0 = 1_790_000_000_000_000  # 2026-09-21T...


def record(record_id: str, start_h: float, **overrides: object) -> RecordSummary:
    base = RecordSummary(
        record_id=record_id,
        business="activation",
        teller="teller1",
        customer_id=None,
        start_us=T0 + int(start_h * HOUR_US),
        end_us=T0 + int(start_h * HOUR_US) + HOUR_US // 4,
        opened_at_us=T0 + int(start_h * HOUR_US),
        outcome="completed",
        verification=None,
        recovered=False,
        legal_hold=False,
        chunk_count=3,
        streams=("customer", "teller"),
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


RECORDS = [
    record("a", 0, verification="pass", customer_id="C-1"),
    record("b", 1, teller="teller2", business="password_reset", verification="fail"),
    record("c", 2, verification="review", customer_id="C-2"),
    record("d", 3),
]


def ids(found: list[RecordSummary]) -> list[str]:
    return [r.record_id for r in found]


def test_an_empty_query_returns_everything_newest_first() -> None:
    assert ids(search(RECORDS, parse_query({}))) == ["d", "c", "b", "a"]


def test_time_range_keeps_records_that_overlap_it() -> None:
    # b runs 1:00-1:15, c 2:00-2:15: a range 1:10-2:05 overlaps both, nothing else.
    query = RecordQuery(from_us=T0 + HOUR_US + HOUR_US // 6, to_us=T0 + 2 * HOUR_US + HOUR_US // 12)
    assert ids(search(RECORDS, query)) == ["c", "b"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"teller": "teller2"}, ["b"]),
        ({"customer_id": "C-2"}, ["c"]),
        ({"business": "password_reset"}, ["b"]),
        ({"verification": "pass"}, ["a"]),
        ({"verification": "fail"}, ["b"]),
        ({"verification": "review"}, ["c"]),
        ({"verification": "none"}, ["d"]),
        ({"teller": "teller1", "verification": "review"}, ["c"]),
        ({"teller": "teller2", "verification": "pass"}, []),
        ({"teller": "", "business": "  "}, ["d", "c", "b", "a"]),
    ],
)
def test_each_filter_narrows_the_result(params: dict[str, str], expected: list[str]) -> None:
    assert ids(search(RECORDS, parse_query(params))) == expected


def test_times_are_iso_or_epoch_seconds_and_iso_without_offset_is_utc() -> None:
    assert parse_query({"from": "2026-01-01T00:00:00Z"}).from_us == 1_767_225_600_000_000
    assert parse_query({"from": "2026-01-01T00:00:00"}).from_us == 1_767_225_600_000_000
    assert parse_query({"to": "1767225600.5"}).to_us == 1_767_225_600_500_000


def test_limit_caps_the_result() -> None:
    assert ids(search(RECORDS, parse_query({"limit": "2"}))) == ["d", "c"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "yesterday"}, "'from' is not a time"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "'from' is after 'to'"),
        ({"verification": "passed"}, "'verification' must be one of"),
        ({"limit": "0"}, "'limit' must be"),
        ({"limit": "ten"}, "'limit' must be a whole number"),
        ({"teller": "x" * 65}, "'teller' must be"),
        ({"customer_id": "C\x001"}, "'customer_id' must be"),
        ({"sort": "asc"}, "unknown search parameter(s): sort"),
    ],
)
def test_bad_queries_get_a_clear_error(params: dict[str, str], message: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        parse_query(params)
    assert message in str(caught.value)


def test_a_record_outside_the_range_does_not_match() -> None:
    assert not matches(RECORDS[0], RecordQuery(from_us=RECORDS[0].end_us + 1))
    assert not matches(RECORDS[0], RecordQuery(to_us=RECORDS[0].start_us - 1))
    assert matches(RECORDS[0], RecordQuery(from_us=RECORDS[0].end_us, to_us=RECORDS[0].end_us))
