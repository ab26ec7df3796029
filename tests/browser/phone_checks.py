"""What every moment of the customer's phone must satisfy, checked on the live page (issue 17).

At each step :func:`check_step` looks at the page at 390×844 and at 360×640: the elements the
customer must act on or read lie wholly inside the viewport without scrolling, nothing is wider than
the screen, every visible tap target is at least 44 px (48 px in large print), and it saves a
screenshot of what the customer sees to ``tests/artifacts/``. :func:`reading_times` reads the page's
``step-log`` (when each text was shown and hidden, in ``performance.now()`` milliseconds).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.browser.harness import ARTIFACTS_DIR

if TYPE_CHECKING:
    from playwright.async_api import Page

with contextlib.suppress(ImportError):
    from playwright.async_api import expect

PHONE_SIZES = ({"width": 390, "height": 844}, {"width": 360, "height": 640})
"""The issue's phone, then a small one."""
MIN_TARGET_PX = 44
MIN_TARGET_LARGE_PX = 48
MIN_READ_MS = 2000

JS_LAYOUT = """
(ids) => {
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
      && e.closest('[hidden]') === null;
  };
  const describe = (e) => `${e.localName}[data-testid=${e.dataset.testid ?? ''}]`;
  const outside = [];
  for (const id of ids) {
    const found = [...document.querySelectorAll(`[data-testid="${id}"]`)];
    if (found.length !== 1) {
      outside.push(`${id}: ${found.length} elements carry this id`);
      continue;
    }
    let e = found[0];
    if (e.type === 'checkbox' && e.closest('label')) e = e.closest('label');
    const r = e.getBoundingClientRect();
    const [x0, y0, x1, y1] = [r.left, r.top, r.right, r.bottom].map(Math.round);
    const where = `${x0},${y0} to ${x1},${y1}`;
    if (!visible(e)) {
      outside.push(`${id}: not shown`);
      continue;
    }
    if (r.top < -0.5 || r.left < -0.5 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5) {
      outside.push(`${id}: ${where} outside ${innerWidth}x${innerHeight}`);
      continue;
    }
    // Not cut off by a box that clips (a scroll area, the stage) ...
    for (let a = e.parentElement; a; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
      const c = a.getBoundingClientRect();
      const cut = r.top < c.top - 0.5 || r.bottom > c.bottom + 0.5;
      if (cut || r.left < c.left - 0.5 || r.right > c.right + 0.5) {
        outside.push(`${id}: ${where} cut off by ${describe(a)}.${a.className}`);
        break;
      }
    }
    // ... nor covered at its middle by something else (videos may carry the check's prompt).
    if (e.localName !== 'video') {
      const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      if (top && !e.contains(top) && !top.contains(e)) {
        outside.push(`${id}: covered by ${describe(top)}`);
      }
    }
  }
  const large = document.documentElement.dataset.elderly === 'on';
  const least = large ? 48 : 44;
  const small = [];
  for (let e of document.body.querySelectorAll(
      'button, input, select, textarea, a[href], [role=button]')) {
    if (!visible(e)) continue;
    if ((e.type === 'checkbox' || e.type === 'radio') && e.closest('label')) e = e.closest('label');
    const r = e.getBoundingClientRect();
    if (r.width < least - 0.5 || r.height < least - 0.5) {
      small.push(`${describe(e)} ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return {
    outside, small, large,
    scrollWidth: document.documentElement.scrollWidth, innerWidth, innerHeight,
    scrollY: window.scrollY,
  };
}
"""

JS_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
"""Resolves after two rendered frames: the layout after a resize has been applied."""

JS_READINGS = """
() => [...document.querySelectorAll('[data-testid="step-log"] li')].map((li) => ({...li.dataset}))
"""


@dataclass(frozen=True, slots=True)
class StepCheck:
    """What :func:`check_step` saw at one size."""

    size: str
    large_print: bool
    screenshot: str


async def check_step(
    page: Page, walk: str, step: str, ids: list[str], *, small: list[str] | None = None
) -> list[StepCheck]:
    """Check the page at each phone size with the elements ``ids`` as the ones that must be in view
    (``small``: those of the 360×640 screen, when a form taller than it is filled from the top)."""
    seen: list[StepCheck] = []
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    for size in PHONE_SIZES:
        await page.set_viewport_size(size)
        await page.evaluate(JS_FRAMES)
        wanted = ids if small is None or size is PHONE_SIZES[0] else small
        layout: dict[str, Any] = await page.evaluate(JS_LAYOUT, wanted)
        name = f"phone-{walk}-{step}-{size['width']}x{size['height']}.png"
        await page.screenshot(path=str(ARTIFACTS_DIR / name), scale="css")  # light: also taken mid-check
        where = f"{walk} / {step} at {size['width']}x{size['height']}"
        assert not layout["outside"], f"{where}: not in view without scrolling: {layout['outside']}"
        assert layout["scrollWidth"] <= layout["innerWidth"], f"{where}: wider than the screen"
        assert not layout["small"], f"{where}: tap targets too small: {layout['small']}"
        seen.append(StepCheck(f"{size['width']}x{size['height']}", bool(layout["large"]), name))
    await page.set_viewport_size(PHONE_SIZES[0])
    await page.evaluate(JS_FRAMES)
    return seen


async def reading_times(page: Page) -> list[dict[str, str]]:
    """Every entry of the page's ``step-log``: source, kind, code, shown-at, hidden-at, hidden-by."""
    entries: list[dict[str, str]] = await page.evaluate(JS_READINGS)
    return entries


def assert_read_long_enough(entries: list[dict[str, str]]) -> None:
    """No text was replaced by the next one before :data:`MIN_READ_MS`."""
    short = [
        f"{e['source']} {e['code']}: {int(e['hiddenAt']) - int(e['shownAt'])} ms"
        for e in entries
        if e.get("hiddenBy") == "next"
        and e["kind"] in ("result", "info")
        and int(e["hiddenAt"]) - int(e["shownAt"]) < MIN_READ_MS
    ]
    assert not short, f"replaced before it could be read: {short}"


async def expect_text(page: Page, code: str, timeout: int) -> None:
    """The step's text line shows the message ``code`` (after the texts before it were read)."""
    await expect(page.get_by_test_id("flow-text")).to_have_attribute("data-code", code, timeout=timeout)
