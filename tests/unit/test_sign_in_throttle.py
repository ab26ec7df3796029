"""The staff sign-in throttle: exponential waits per name+address, per address and per name, no lock-out
of a real user at their usual address, and a table that a flood of junk names cannot reset."""

from __future__ import annotations

from video_bank.sign_in_throttle import FULL_RETRY_SECONDS, SignInThrottle, ThrottlePolicy

HOME = "10.0.0.5"
ATTACKER = "203.0.113.9"


def fail(throttle: SignInThrottle, name: str, address: str, times: int, now: float = 0.0) -> None:
    for _ in range(times):
        assert throttle.retry_after(name, address, now) == 0, "an attempt that should be allowed was refused"
        throttle.failed(name, address, now)


def test_waits_double_after_the_free_failures_of_one_name_at_one_address() -> None:
    throttle = SignInThrottle(ThrottlePolicy(pair_free=5, max_delay=900))
    fail(throttle, "audit1", ATTACKER, 5)
    assert throttle.retry_after("audit1", ATTACKER, 0) == 1.0
    waits = []
    now = 1.0
    for _ in range(12):
        throttle.failed("audit1", ATTACKER, now)
        wait = throttle.retry_after("audit1", ATTACKER, now)
        waits.append(wait)
        now += wait
    assert waits[:5] == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert waits[-1] == 900.0, "the wait is capped: never a permanent lock"
    # The same name elsewhere and another name here are not held up by this pair.
    assert throttle.retry_after("audit1", HOME, now) == 0
    assert throttle.retry_after("teller1", ATTACKER, now) == 0


def test_a_success_clears_the_name_but_not_the_address() -> None:
    throttle = SignInThrottle(ThrottlePolicy(pair_free=3, address_free=6))
    fail(throttle, "audit1", ATTACKER, 3)
    assert throttle.retry_after("audit1", ATTACKER, 0) > 0
    throttle.succeeded("audit1", ATTACKER, 1)
    assert throttle.retry_after("audit1", ATTACKER, 1) == 0
    fail(throttle, "x1", ATTACKER, 2, now=1)
    fail(throttle, "x2", ATTACKER, 1, now=1)
    # six failures from this address in all (three before the success count too): it waits now.
    assert throttle.retry_after("anyone", ATTACKER, 1) == 1.0


def test_spraying_many_names_from_one_address_is_slowed_down() -> None:
    throttle = SignInThrottle(ThrottlePolicy(address_free=30))
    for i in range(30):
        fail(throttle, f"name{i}", ATTACKER, 1)
    assert throttle.retry_after("name-new", ATTACKER, 0) == 1.0
    assert throttle.retry_after("name-new", HOME, 0) == 0


def test_a_distributed_guesser_cannot_lock_the_real_user_out_of_their_usual_address() -> None:
    throttle = SignInThrottle(ThrottlePolicy(name_free=100))
    throttle.succeeded("audit1", HOME, 0)  # the auditor's workstation, known from an earlier sign-in
    for i in range(100):
        fail(throttle, "audit1", f"198.51.100.{i}", 1)
    assert throttle.retry_after("audit1", "192.0.2.77", 0) == 1.0, "a new place now waits for this name"
    assert throttle.retry_after("audit1", HOME, 0) == 0, "the usual workstation is not held up"


def test_counters_are_forgotten_a_day_after_the_last_failure() -> None:
    policy = ThrottlePolicy(pair_free=2, forget_after=3600, max_delay=900)
    throttle = SignInThrottle(policy)
    fail(throttle, "audit1", ATTACKER, 2)
    assert throttle.retry_after("audit1", ATTACKER, 0) == 1.0
    assert throttle.retry_after("audit1", ATTACKER, 3600) == 0
    throttle.failed("audit1", ATTACKER, 3600)
    assert throttle.retry_after("audit1", ATTACKER, 3600) == 0, "the count started again from one"


def test_a_flood_of_junk_names_does_not_reset_a_throttling_counter() -> None:
    throttle = SignInThrottle(ThrottlePolicy(pair_free=3, address_free=10_000, max_entries=50))
    fail(throttle, "audit1", ATTACKER, 3)
    assert throttle.retry_after("audit1", ATTACKER, 0) == 1.0
    for i in range(500):  # each junk name from its own address: two fresh counters per attempt
        address = f"100.64.{i // 250}.{i % 250}"
        if throttle.retry_after(f"junk{i}", address, 0) == 0:
            throttle.failed(f"junk{i}", address, 0)
    assert len(throttle) <= 50
    assert throttle.retry_after("audit1", ATTACKER, 0) == 1.0, "the flood evicted a throttling counter"


def test_when_only_throttling_counters_fill_the_table_new_places_wait() -> None:
    throttle = SignInThrottle(ThrottlePolicy(pair_free=1, address_free=1, name_free=1, max_entries=12))
    for i in range(4):  # every failure creates three counters, all throttling at once
        fail(throttle, f"n{i}", f"a{i}", 1)
    assert len(throttle) == 12
    assert throttle.retry_after("fresh", "somewhere", 0) == FULL_RETRY_SECONDS
    # A name and address whose counters exist are judged by their own waits only.
    assert throttle.retry_after("n0", "a0", 10) == 0
