"""The supervisor's service figures and chart drawn in Chromium from a whole day's figures (made up
here, shaped like a busy counter: a midday peak, a quiet quarter hour, the 60+ line served faster),
without a server day behind them: the pass rate reads like the seed's audit figure, every quarter
hour is one slot carrying its figures, and a quarter hour without figures has none. The screenshots
``supervisor-day-<lang>.png`` show what a manager sees. test_supervisor_chart.py draws real calls."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from tests.browser.harness import CameraClips, LaunchParty, LiveServer, save_screenshot
from tests.browser.steps import assert_no_page_problems

with contextlib.suppress(ImportError):  # without playwright the fixtures skip (fail in CI)
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

APPROVED, REJECTED = 1565, 83
"""The seed's remote video audits: 1,565 of 1,648 passed (94.96 %)."""
QUIET = 16
"""The quarter hour (from 08:00) in which nobody was answered or gave up."""

DRAW = """
async ([intervals, approved, rejected]) => {
  const {ServiceView} = await import('/supervisor/service.js');
  const {WaitChart} = await import('/supervisor/wait-chart.js');
  document.getElementById('login-form').hidden = true;
  document.getElementById('dashboard').hidden = false;
  document.querySelector('[data-testid="wait-chart"] svg')?.remove();  // the page's own, still empty
  const day = new Date();
  day.setHours(8, 0, 0, 0);
  const start = day.getTime() / 1000;
  const at = start + intervals.length * 900 - 300;
  const period = (answered) => ({
    answered, abandoned: 40, service_level: 0.87, abandon_rate: 0.03, average_wait_seconds: 14.2,
    average_wait_elderly_seconds: 2.4, average_handle_seconds: 131, reviews_approved: approved,
    reviews_rejected: rejected, review_pass_rate: approved / (approved + rejected),
  });
  const service = {
    threshold_seconds: 20, last_15_minutes: period(60), today: period(1500), interval_seconds: 900,
    intervals: intervals.map((figures, index) => ({start: start + index * 900, ...figures})),
  };
  new ServiceView().render(service);
  new WaitChart().render(service, at);
}
"""


def lane(answered: int, wait: float, level: float) -> dict[str, Any]:
    if not answered:
        return {"answered": 0, "abandoned": 0, "service_level": None, "average_wait_seconds": None}
    return {"answered": answered, "abandoned": 1, "service_level": level, "average_wait_seconds": wait}


def busy_day(quarters: int = 36) -> list[dict[str, Any]]:
    """08:00 to 17:00: waits rise to a peak around 11:30 and again after lunch; the 60+ line waits
    a few seconds; one quiet quarter hour."""
    out = []
    for q in range(quarters):
        load = max(0.0, 1 - abs(q - 14) / 10) + 0.6 * max(0.0, 1 - abs(q - 26) / 6)
        standard = 0 if q == QUIET else 20 + int(30 * load)
        elderly = 0 if q == QUIET else 2 + q % 3
        level = round(max(0.55, 0.98 - 0.4 * load), 4)
        out.append(
            {
                "service_level": None if q == QUIET else level,
                "standard": lane(standard, round(6 + 30 * load, 1), level),
                "elderly": lane(elderly, round(1.5 + 2 * load, 1), round(min(1.0, level + 0.1), 4)),
            }
        )
    return out


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_a_whole_day_reads_at_a_glance(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips, lang: str
) -> None:
    supervisor = await launch_party("supervisor", camera_clips.teller)
    page = supervisor.page
    await page.goto(f"{live_server.base_url}/supervisor/" + ("" if lang == "zh-CN" else "?lang=en"))
    await expect(page.get_by_test_id("login-button")).to_be_visible()
    day = busy_day()
    await page.evaluate(DRAW, [day, APPROVED, REJECTED])

    rate = page.get_by_test_id("review-pass-rate")
    await expect(rate).to_have_attribute("data-value", str(APPROVED / (APPROVED + REJECTED)))
    await expect(rate).to_have_attribute("data-approved", str(APPROVED))
    await expect(rate).to_have_attribute("data-rejected", str(REJECTED))
    await expect(page.locator("#review-pass-rate-value")).to_have_text("94.96\u00a0%")

    chart = page.get_by_test_id("wait-chart")
    await expect(chart).to_have_attribute("data-state", "drawn")
    await expect(chart).to_have_attribute("data-intervals", str(len(day)))
    answered = sum(q["standard"]["answered"] + q["elderly"]["answered"] for q in day)
    await expect(chart).to_have_attribute("data-answered", str(answered))
    slots = chart.locator("g.slot")
    await expect(slots).to_have_count(len(day))
    quiet = slots.nth(QUIET)
    for name in ("data-standard-wait", "data-elderly-wait", "data-service-level"):
        await expect(quiet).to_have_attribute(name, "")
    assert await quiet.locator("rect.bar").count() == 0
    peak = slots.nth(14)
    assert (
        float(await peak.get_attribute("data-standard-wait") or "nan")
        == day[14]["standard"]["average_wait_seconds"]
    )
    await expect(peak).to_have_attribute("data-elderly-answered", str(day[14]["elderly"]["answered"]))
    assert await peak.locator("rect.bar").count() == 2, "the 60+ bar beside the others"
    await save_screenshot(supervisor, f"supervisor-day-{lang}")
    assert_no_page_problems(supervisor)
