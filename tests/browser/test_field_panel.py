"""The tablet's review panel (web_client/field/review-panel.js) driven with the card review's flow
traffic in Chromium, without a call: what it sends, and the state it shows in ``data-*`` — the ID
number sent by itself once, typed again after a refusal, the card under review checked against the
card in hand, the outcome with its reason, and a review that ends undecided. The whole review with
the server is in test_field.py."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from tests.browser.harness import CameraClips, LaunchParty, LiveServer
from tests.browser.steps import assert_no_page_problems

with contextlib.suppress(ImportError):  # without playwright the fixtures skip (fail in CI)
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

DRIVE = """
async ([card, traffic]) => {
  const {ReviewPanel} = await import('/field/review-panel.js');
  const sent = [];
  const panel = new ReviewPanel({send: (kind, fields) => (sent.push({kind, fields}), true)});
  panel.prepare({name: 'Zhao Lei', residentId: '640104198611030038', card});
  panel.reset();
  const root = document.querySelector('[data-testid="review-panel"]');
  const hook = (id) => document.querySelector(`[data-testid="${id}"]`);
  const views = [];
  for (const [kind, message] of traffic) {
    if (kind === 'state') panel.showState(message);
    else if (kind === 'message') panel.showMessage(message);
    else if (kind === 'error') panel.showError(message.code, message.message);
    else if (kind === 'ended') panel.ended();
    views.push({
      status: root.dataset.status,
      step: root.dataset.step,
      steps: [...hook('review-steps').children].map((li) => [li.dataset.step, li.dataset.state]),
      consent: !hook('consent').hidden,
      identify: !hook('identify').hidden,
      error: hook('flow-error').dataset.code,
      card: hook('review-card').hidden ? null : hook('review-card').dataset.card,
      matches: hook('review-card').dataset.matches,
      outcome: hook('review-outcome').hidden ? null : hook('review-outcome').dataset.outcome,
      reason: hook('review-outcome').dataset.reason,
      sent: sent.length,
    });
  }
  return {sent, views};
}
"""

STEPS = ("consent", "identification", "verification", "review_card")


def state(step: str | None, expected: list[str], status: str = "in_progress") -> list[Any]:
    at = STEPS.index(step) if step else len(STEPS)
    steps = [
        {"step": s, "state": "done" if i < at else ("current" if i == at else "pending")}
        for i, s in enumerate(STEPS)
    ]
    message = {"type": "flow_state", "session_id": "s" * 12, "business": "card_review", "status": status}
    return ["state", message | {"step": step, "steps": steps, "expected": expected}]


def message(code: str, **data: Any) -> list[Any]:
    return [
        "message",
        {"type": "flow_message", "session_id": "s" * 12, "code": code, "text": "", "data": data},
    ]


async def drive(
    launch_party: LaunchParty, live_server: LiveServer, clip: Any, card: str, traffic: list[Any]
) -> Any:
    party = await launch_party("field", clip)
    await party.page.goto(f"{live_server.base_url}/field/?lang=en")
    await expect(party.page.get_by_test_id("call-status")).to_have_attribute("data-state", "offline")
    result = await party.page.evaluate(DRIVE, [card, traffic])
    assert_no_page_problems(party)
    return result


async def test_the_panel_sends_the_id_once_and_shows_the_card_and_a_rejection_with_its_reason(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    traffic = [
        state("consent", ["consent"]),
        state("identification", ["identify"]),
        ["error", {"code": "customer_not_found", "message": "no customer has this ID number"}],
        state("identification", ["identify"]),
        state("verification", []),
        state("review_card", []),
        message("wait_for_teller", cards=["****2022"]),
        message("card_rejected", card="****2022", reason="documents_incomplete"),
        state(None, ["rated"], "completed"),
    ]
    result = await drive(launch_party, live_server, camera_clips.customer, "6217001290000002022", traffic)
    consent, identify, refused, retype, verifying, reviewing, card, rejected, done = result["views"]
    assert consent["consent"] and not consent["identify"]
    assert result["sent"][0] == {"kind": "identify", "fields": {"resident_id": "640104198611030038"}}
    assert identify["sent"] == 1 and not identify["identify"], "the form's ID number goes by itself"
    assert refused["error"] == "customer_not_found" and refused["identify"], "then it is typed again"
    assert retype["sent"] == 1, "a refused ID number is not sent again by itself"
    assert verifying["steps"][2] == ["verification", "current"]
    assert reviewing["card"] is None
    assert (card["card"], card["matches"]) == ("****2022", "true")
    assert (rejected["outcome"], rejected["reason"]) == ("rejected", "documents_incomplete")
    assert (done["status"], done["outcome"]) == ("completed", "rejected")


async def test_the_panel_warns_when_the_teller_reviews_another_card_and_an_undecided_end(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    traffic = [
        state("review_card", []),
        message("wait_for_teller", cards=["****2022"]),
        ["ended", None],
    ]
    other_card = "6217001290000003038"  # the officer typed another card
    result = await drive(launch_party, live_server, camera_clips.customer, other_card, traffic)
    _, card, ended = result["views"]
    assert (card["card"], card["matches"]) == ("****2022", "false")
    assert (ended["outcome"], ended["reason"]) == ("ended", "")
    assert result["sent"] == []
