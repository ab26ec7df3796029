"""The access log's hash chain: appending, checking, and detecting every kind of tampering."""

from __future__ import annotations

import json

import pytest

from video_bank.auditing.access_log import (
    GENESIS,
    AccessEntry,
    check_chain,
    check_reason,
    line_hash,
    next_entry,
)
from video_bank.auditing.errors import BadRequestError


def build(count: int) -> list[bytes]:
    lines: list[bytes] = []
    for n in range(count):
        entry = next_entry(
            lines[-1] if lines else None,
            at_us=1_000_000 * (n + 1),
            auditor="audit1",
            record_id=f"rec{n}",
            reason=f"complaint case 2026-{n:03d} 投诉",
        )
        lines.append(entry.line())
    return lines


def test_entries_are_numbered_and_each_hashes_the_previous_line() -> None:
    lines = build(3)
    entries = [AccessEntry.parse(line) for line in lines]
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev == GENESIS
    assert entries[1].prev == line_hash(lines[0]) and entries[2].prev == line_hash(lines[1])
    assert entries[2].reason == "complaint case 2026-002 投诉"
    check = check_chain(lines)
    assert check.intact and check.entries == 3 and check.head == line_hash(lines[2])


def test_an_empty_log_is_intact_with_the_genesis_head() -> None:
    check = check_chain([])
    assert check.intact and check.head == GENESIS


def _edit(line: bytes, **changes: object) -> bytes:
    obj = json.loads(line) | changes
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda ls: [ls[0], _edit(ls[1], reason="routine check"), ls[2]], "entry 3: does not follow entry 2"),
        (lambda ls: [ls[0], ls[2]], "entry 2"),
        (lambda ls: [ls[1], ls[0], ls[2]], "entry 1"),
        (lambda ls: [ls[0], ls[1], ls[1]], "entry 3"),
        (lambda ls: [ls[0], ls[1], ls[2] + b" "], "entry 3: not canonical JSON"),
        (lambda ls: [ls[0], b"{}", ls[2]], "entry 2: not an access-log entry"),
        (lambda ls: [_edit(ls[0], auditor="someone"), ls[1], ls[2]], "entry 2: does not follow entry 1"),
    ],
    ids=[
        "edited reason",
        "deleted entry",
        "reordered",
        "duplicated",
        "extra byte",
        "garbage",
        "edited auditor",
    ],
)
def test_any_change_breaks_the_chain(tamper, problem: str) -> None:  # type: ignore[no-untyped-def]
    check = check_chain(tamper(build(3)))
    assert not check.intact
    assert any(problem in p for p in check.problems), check.problems


def test_a_rewritten_chain_changes_the_head() -> None:
    lines = build(3)
    rewritten = build(2)
    rewritten.append(
        next_entry(
            rewritten[-1], at_us=3_000_000, auditor="audit1", record_id="rec2", reason="other reason"
        ).line()
    )
    assert check_chain(rewritten).intact
    assert check_chain(rewritten).head != check_chain(lines).head


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        (None, "a reason (text) is required"),
        ("   ", "state the reason"),
        ("why", "at least 5"),
        ("x" * 501, "too long"),
        ("case\n123", "control characters"),
        ("case\u202e123", "control characters"),
    ],
)
def test_a_reason_must_be_stated(reason: object, message: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        check_reason(reason)
    assert message in str(caught.value)


def test_reasons_are_trimmed() -> None:
    assert check_reason("  complaint 42  ") == "complaint 42"
