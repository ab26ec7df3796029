"""Retention in pure code: periods in calendar years, policies per business type, the sweep's decision,
and the hash-chained retention log."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from video_bank.records.errors import RecordInputError
from video_bank.records.retention import (
    BUSINESS_TYPES,
    RetentionAction,
    RetentionPeriod,
    RetentionPolicy,
    check_log,
    decide,
    log_line,
)


def us(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp()) * 1_000_000  # type: ignore[misc]


def test_by_default_every_business_type_keeps_records_five_years() -> None:
    policy = RetentionPolicy()

    for business in (*BUSINESS_TYPES, "something_new"):
        name, period = policy.class_for(business)
        assert (name, period) == ("standard", RetentionPeriod(years=5))


def test_five_years_are_calendar_years() -> None:
    assert RetentionPeriod(years=5).until(us(2026, 3, 15, 10, 30)) == us(2031, 3, 15, 10, 30)


def test_a_leap_day_plus_whole_years_ends_on_the_first_of_march_never_earlier() -> None:
    assert RetentionPeriod(years=1).until(us(2028, 2, 29, 12)) == us(2029, 3, 1, 12)


def test_days_add_to_years() -> None:
    assert RetentionPeriod(years=1, days=10).until(us(2026, 1, 1)) == us(2027, 1, 11)


def test_a_policy_file_sets_classes_per_business_type() -> None:
    policy = RetentionPolicy.from_json(
        json.dumps(
            {
                "default": "standard",
                "classes": {"standard": {"years": 5}, "extended": {"years": 10}, "short": {"days": 30}},
                "business": {"corporate_willingness": "extended", "password_reset": "short"},
            }
        ).encode()
    )

    assert policy.class_for("corporate_willingness") == ("extended", RetentionPeriod(years=10))
    assert policy.class_for("password_reset") == ("short", RetentionPeriod(days=30))
    assert policy.class_for("activation") == ("standard", RetentionPeriod(years=5))


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"business": {"activation": "missing"}}, "undefined retention class 'missing'"),
        ({"default": "nope"}, "default retention class 'nope' is not defined"),
        ({"classes": {"standard": {"months": 3}}}, "'years' and/or 'days'"),
        ({"classes": {"standard": {"years": -1}}}, "whole number"),
        ({"classes": {"Standard": {"years": 1}}, "default": "Standard"}, "retention class 'Standard'"),
        ({"retention": {}}, "unknown field"),
    ],
)
def test_a_bad_policy_file_is_refused_with_a_clear_message(document: dict[str, object], message: str) -> None:
    with pytest.raises(RecordInputError, match=message):
        RetentionPolicy.from_json(json.dumps(document).encode())


def test_not_json_is_refused() -> None:
    with pytest.raises(RecordInputError, match="not valid JSON"):
        RetentionPolicy.from_json(b"{nope")


@pytest.mark.parametrize(
    ("now", "hold", "action"),
    [
        (99, False, RetentionAction.KEEP),
        (99, True, RetentionAction.KEEP),
        (100, False, RetentionAction.SHRED),
        (100, True, RetentionAction.HOLD),
        (10**9, True, RetentionAction.HOLD),
    ],
)
def test_the_sweep_shreds_expired_records_unless_they_are_on_legal_hold(
    now: int, hold: bool, action: RetentionAction
) -> None:
    assert decide(retain_until_us=100, legal_hold=hold, now_us=now) is action


def test_the_retention_log_is_a_hash_chain_that_shows_edits_and_deletions() -> None:
    lines: list[bytes] = []
    for n in range(3):
        lines.append(log_line(lines[-1] if lines else None, {"action": "shredded", "record_id": f"r{n}"}))
    log = b"\n".join(lines) + b"\n"

    assert check_log(log) == []
    assert check_log(log.replace(b'"r1"', b'"rX"')) == ["retention log line 3 does not follow line 2"]
    assert check_log(b"\n".join([lines[0], lines[2]]) + b"\n") == [
        "retention log line 2 does not follow line 1"
    ]
    assert check_log(b"\n".join(lines[1:]) + b"\n") == ["retention log line 1 does not follow line 0"]
