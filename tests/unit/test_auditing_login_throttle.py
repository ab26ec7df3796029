"""Failed HTTP sign-ins: a pause after five failures per user name, cleared by a success."""

from __future__ import annotations

from video_bank.auditing.login_throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_five_failures_pause_that_name_until_the_window_passes() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock, max_failures=5, window=900)
    for _ in range(4):
        throttle.failed("audit1")
        clock.now += 10
    assert throttle.retry_after("audit1") == 0
    throttle.failed("audit1")
    assert throttle.retry_after("audit1") == 900 - 40
    assert throttle.retry_after("teller1") == 0  # other names are not affected
    clock.now = 900
    assert throttle.retry_after("audit1") == 0  # the first failure left the window


def test_a_success_clears_the_count_and_memory_stays_bounded() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock, max_failures=2, window=60, max_names=3)
    throttle.failed("audit1")
    throttle.succeeded("audit1")
    throttle.failed("audit1")
    assert throttle.retry_after("audit1") == 0
    for name in ("a", "b", "c", "d"):
        throttle.failed(name)
        throttle.failed(name)
    assert throttle.retry_after("a") == 0  # dropped as the oldest
    assert throttle.retry_after("d") == 60
