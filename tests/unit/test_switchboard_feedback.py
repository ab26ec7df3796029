"""The customer's rating after a call: one-time token, once per session, only after the end and for a
limited time, from any socket of that customer — never someone else's session."""

from __future__ import annotations

import pytest

from signaling import effects as fx
from signaling.feedback import FEEDBACK_WINDOW_SECONDS, FeedbackBook, FeedbackClosed, InvalidFeedback
from signaling.feedback_messages import Feedback, FeedbackRecorded
from signaling.messages import ErrorMessage, Hangup, JoinQueue, SessionStarted
from tests.unit.test_switchboard import Harness

TOKEN = "t" * 32


def test_a_ticket_is_spent_once_after_the_end_and_within_the_window() -> None:
    book = FeedbackBook(window_seconds=600)
    book.issue("s1", TOKEN, "activation")
    with pytest.raises(FeedbackClosed):
        book.redeem("s1", TOKEN, 10.0)  # still live
    book.ended("s1", 100.0)
    with pytest.raises(InvalidFeedback):
        book.redeem("s1", "x" * 32, 110.0)
    with pytest.raises(InvalidFeedback):
        book.redeem("s2", TOKEN, 110.0)
    assert book.redeem("s1", TOKEN, 700.0).business == "activation"
    with pytest.raises(InvalidFeedback):
        book.redeem("s1", TOKEN, 710.0)  # spent


def test_a_late_rating_is_refused_and_old_tickets_are_forgotten() -> None:
    book = FeedbackBook(window_seconds=600)
    for session in ("s1", "s2", "s3"):
        book.issue(session, TOKEN, "activation")
    book.ended("s1", 100.0)
    book.ended("s2", 500.0)
    with pytest.raises(FeedbackClosed):
        book.redeem("s1", TOKEN, 701.0)
    book.forget_expired(1_101.0)
    assert len(book) == 1  # s3 is live; s2's window passed


def call(h: Harness) -> tuple[str, str]:
    """A customer served at once by an auto-accepting teller; returns (session id, feedback token)."""
    h.teller("t1")
    h.customer("c1")
    h.send("c1", JoinQueue(display_name="Ann", business="password_reset"))
    started: SessionStarted = h.last("c1", SessionStarted)
    assert started.feedback_token is not None and len(started.feedback_token) >= 16
    assert h.last("t1", SessionStarted).feedback_token is None  # only the customer rates
    return started.session_id, started.feedback_token


def rate(h: Harness, conn: str, session_id: str, token: str, rating: int = 5) -> list[fx.Effect]:
    return h.send(
        conn, Feedback(session_id=session_id, feedback_token=token, rating=rating, comment="Very kind teller")
    )


@pytest.mark.parametrize("who", ["c1", "t1"])
def test_after_a_hang_up_the_customer_rates_the_session_once(who: str) -> None:
    h = Harness()
    session_id, token = call(h)
    h.send(who, Hangup(session_id=session_id))
    stored = [e for e in rate(h, "c1", session_id, token) if isinstance(e, fx.StoreFeedback)]
    assert [(s.session_id, s.business, s.rating, s.comment) for s in stored] == [
        (session_id, "password_reset", 5, "Very kind teller")
    ]
    rate(h, "c1", session_id, token)
    assert h.last("c1", ErrorMessage).code == "invalid_feedback"


def test_a_customer_whose_connection_was_lost_rates_from_a_new_socket() -> None:
    h = Harness()
    session_id, token = call(h)
    h.run(h.sb.disconnect("c1", h.now))
    h.customer("c1-again")
    assert any(isinstance(e, fx.StoreFeedback) for e in rate(h, "c1-again", session_id, token, 2))


def test_nobody_rates_a_live_call_another_session_or_with_a_wrong_token() -> None:
    h = Harness()
    session_id, token = call(h)
    rate(h, "c1", session_id, token)  # in the call: not a message of that state
    assert h.last("c1", ErrorMessage).code == "not_allowed"
    h.customer("other")
    rate(h, "other", session_id, token)
    assert h.last("other", ErrorMessage).code == "feedback_closed"  # right token, but the call is on
    h.send("c1", Hangup(session_id=session_id))
    rate(h, "other", session_id, "w" * 32)
    assert h.last("other", ErrorMessage).code == "invalid_feedback"
    rate(h, "other", "session-9999", token)
    assert h.last("other", ErrorMessage).code == "invalid_feedback"
    assert not h.of_type(fx.StoreFeedback)


def test_a_rating_after_the_window_is_refused() -> None:
    h = Harness()
    session_id, token = call(h)
    h.send("c1", Hangup(session_id=session_id))
    h.now += FEEDBACK_WINDOW_SECONDS + 1
    rate(h, "c1", session_id, token)
    assert h.last("c1", ErrorMessage).code == "feedback_closed"
    assert not h.of_type(fx.StoreFeedback)


def test_the_stored_rating_is_confirmed_and_logged_without_the_comment() -> None:
    h = Harness()
    session_id, token = call(h)
    h.send("c1", Hangup(session_id=session_id))
    (store,) = [e for e in rate(h, "c1", session_id, token, 4) if isinstance(e, fx.StoreFeedback)]
    out = h.run(h.sb.feedback_stored(store, True, h.now))
    assert h.last("c1", FeedbackRecorded) == FeedbackRecorded(session_id)
    (logged,) = [e for e in out if isinstance(e, fx.LogEvent)]
    assert (logged.kind, logged.session_id) == ("customer_feedback", session_id)
    assert logged.data == {"score": 4, "has_comment": True, "business": "password_reset"}
    assert "Very kind" not in repr(out)


def test_a_session_rated_during_the_call_is_not_rated_twice() -> None:
    h = Harness()
    session_id, token = call(h)
    h.send("c1", Hangup(session_id=session_id))
    (store,) = [e for e in rate(h, "c1", session_id, token) if isinstance(e, fx.StoreFeedback)]
    h.run(h.sb.feedback_stored(store, False, h.now))
    assert h.last("c1", ErrorMessage).code == "feedback_closed"
    assert not h.messages("c1", FeedbackRecorded)
