"""Resume tokens: single use, rotated, bound to one leg, explained when refused, never in ``repr``."""

from __future__ import annotations

import itertools

import pytest

from signaling.resume_tokens import RETIRED_SECONDS, ResumeBook, ResumeRefused, Subject

CUSTOMER = Subject("session", "session-0001", "customer")
TELLER = Subject("session", "session-0001", "teller")


def book() -> ResumeBook:
    ids = (f"grant-{n:04d}" for n in itertools.count(1))
    secrets = (f"secret-{n:012d}" for n in itertools.count(1))
    return ResumeBook(lambda: next(ids), lambda: next(secrets))


def reason(b: ResumeBook, token: str, leg: str = "customer") -> str:
    with pytest.raises(ResumeRefused) as refused:
        b.redeem(token, leg, 10.0)  # type: ignore[arg-type]
    assert refused.value.code == "resume_refused"
    assert refused.value.params is not None
    return str(refused.value.params["reason"])


def test_a_token_takes_back_its_own_subject_once() -> None:
    b = book()
    token = b.issue(CUSTOMER, 1.0)
    assert b.redeem(token, "customer", 2.0) == CUSTOMER
    assert reason(b, token) == "used"
    assert len(b) == 0


def test_issuing_again_rotates_the_token_and_the_old_one_is_stale() -> None:
    b = book()
    first = b.issue(CUSTOMER, 1.0)
    second = b.issue(CUSTOMER, 2.0)
    assert first != second
    assert reason(b, first) == "used"
    assert b.redeem(second, "customer", 3.0) == CUSTOMER


def test_the_other_legs_token_is_refused_and_stays_usable_by_its_holder() -> None:
    b = book()
    teller_token = b.issue(TELLER, 1.0)
    assert reason(b, teller_token, "customer") == "other_leg"
    assert b.redeem(teller_token, "teller", 2.0) == TELLER


def test_a_wrong_secret_is_unknown_and_does_not_consume_the_grant() -> None:
    b = book()
    token = b.issue(CUSTOMER, 1.0)
    grant, secret = token.split(".")
    forged = f"{grant}.{'x' * len(secret)}"
    assert reason(b, forged) == "unknown"
    assert b.redeem(token, "customer", 2.0) == CUSTOMER


@pytest.mark.parametrize(
    "token", ["", "no-dot-here", "a.b", "grant-0001.short", "g r a n t.secret-000000000001"]
)
def test_malformed_tokens_are_refused_as_such(token: str) -> None:
    assert reason(book(), token) == "malformed"


def test_a_retired_subject_says_the_call_is_over_and_the_explanation_is_forgotten_later() -> None:
    b = book()
    token = b.issue(CUSTOMER, 1.0)
    b.retire(CUSTOMER, 5.0)
    assert reason(b, token) == "ended"
    b.forget_before(5.0 + RETIRED_SECONDS + 1)
    assert reason(b, token) == "unknown"


def test_tokens_are_kept_only_as_digests_and_never_shown() -> None:
    b = book()
    token = b.issue(CUSTOMER, 1.0)
    secret = token.split(".")[1]
    assert secret not in repr(b.__dict__)
    with pytest.raises(ResumeRefused) as refused:
        b.redeem(token, "teller", 2.0)
    assert secret not in str(refused.value) and token not in repr(refused.value.params)


def test_an_unusable_random_source_is_a_bug_not_a_token() -> None:
    b = ResumeBook(lambda: "id", lambda: "s")
    with pytest.raises(ValueError, match="unusable"):
        b.issue(CUSTOMER, 1.0)
