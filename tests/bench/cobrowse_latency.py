"""Co-browse benchmark: customer change → teller mirror updated, and bytes for a guided activation.

    .venv/bin/python tests/bench/cobrowse_latency.py [--samples 200] [--pace 1.0]

Runs ``python -m video_bank serve`` on 127.0.0.1 with a temporary data dir and two headless Chromium
(Debian's ``/usr/bin/chromium`` through Playwright, fake cameras): a customer at 390×844 and a teller.
They are paired, the teller asks to see the screen and the customer allows.

1. **Latency**, sequential: the customer's page changes its app (alternately: a keystroke-like value
   change in a normal field, and a change of screen); the teller's page notices the change in its
   mirror with a MutationObserver. Both timestamps are ``performance.timeOrigin + performance.now()``
   — the same system clock, sub-millisecond — so their difference is the whole path: serializer,
   WebSocket, server parse + schema + desk + event log + record, WebSocket, mirror. p50/p95/max in
   ms. Goal of issue 7: p95 ≤ 150 ms.
2. **Bytes for a guided activation**: a scripted activation at a person's pace (``--pace`` seconds
   between steps; typing at 5 keys per second): home → social-security card → activate card, the
   teller asks to see the screen, the customer allows (the snapshot is counted), the teller pushes the
   activate-card screen and highlights the card-number field, the customer types the holder's
   name and a 16-digit card number, enters a 6-digit PIN on the pad, and submits. Every WebSocket
   frame each page sends and receives is counted; the customer's upstream bytes per minute is the
   figure that matters on a phone's data plan.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from playwright.async_api import Page, async_playwright

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.browser.conftest import CHROMIUM_ARGS, CUSTOMER_VIEWPORT, TELLER_VIEWPORT  # noqa: E402
from tests.support.faces import face_path  # noqa: E402
from tests.support.y4m import write_y4m  # noqa: E402

CHROMIUM = os.environ.get("VIDEO_BANK_CHROMIUM", "/usr/bin/chromium")
WAIT_MS = 30_000

JS_WATCH = """
() => {
  const doc = document.querySelector('[data-testid="cobrowse-view"]').contentDocument;
  window.__seen = [];
  const observer = new MutationObserver(() => {
    const app = doc.querySelector('[data-testid="app"]');
    const field = doc.querySelector('[data-testid="app-holder"]');
    window.__seen.push({at: performance.timeOrigin + performance.now(),
      screen: app ? app.getAttribute('data-screen') : '', value: field ? field.value : ''});
  });
  observer.observe(doc.body, {subtree: true, childList: true, attributes: true, characterData: true});
}
"""

JS_CHANGE = """
([kind, marker]) => {
  const at = performance.timeOrigin + performance.now();
  if (kind === 'value') {
    const field = document.querySelector('[data-testid="app-holder"]');
    field.value = marker;
    field.dispatchEvent(new Event('input', {bubbles: true}));
  } else {
    const id = marker === 'help' ? 'app-go-help' : 'app-back';
    document.querySelector(`[data-testid="${id}"]`).click();
  }
  return at;
}
"""

JS_WAIT_SEEN = """
([kind, marker, after]) => window.__seen.find((s) => s.at >= after &&
  (kind === 'value' ? s.value === marker : s.screen === marker))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(data_dir: Path, password: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "VIDEO_BANK_DEMO_PASSWORD": password}
    log = (data_dir.parent / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "video_bank", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(data_dir)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


class Traffic:
    """Bytes of WebSocket frames one page sent and received."""

    def __init__(self, page: Page) -> None:
        self.sent = 0
        self.received = 0
        self.counting = False
        page.on("websocket", self._watch)

    def _watch(self, ws: Any) -> None:
        ws.on("framesent", lambda payload: self._add("sent", payload))
        ws.on("framereceived", lambda payload: self._add("received", payload))

    def _add(self, direction: str, payload: str | bytes) -> None:
        if self.counting:
            size = len(payload.encode()) if isinstance(payload, str) else len(payload)
            setattr(self, direction, getattr(self, direction) + size)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--pace", type=float, default=1.0, help="seconds between steps of the activation")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cobrowse-bench-") as tmp:
        folder = Path(tmp)
        password = secrets.token_urlsafe(12)
        process, url = start_server(folder / "data", password)
        try:
            async with async_playwright() as pw:
                clips = {
                    "customer": write_y4m(face_path("obama.jpg"), folder / "c.y4m"),
                    "teller": write_y4m(face_path("biden.jpg"), folder / "t.y4m"),
                }
                pages = {}
                for name, viewport in (("customer", CUSTOMER_VIEWPORT), ("teller", TELLER_VIEWPORT)):
                    context = await pw.chromium.launch_persistent_context(
                        str(folder / f"profile-{name}"), executable_path=CHROMIUM, headless=True,
                        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={clips[name]}"],
                        viewport=viewport, permissions=["camera", "microphone"],
                    )  # fmt: skip
                    pages[name] = context.pages[0] if context.pages else await context.new_page()
                await run(pages["customer"], pages["teller"], url, password, args)
        finally:
            process.terminate()
            process.wait(timeout=10)


async def run(c: Page, t: Page, url: str, password: str, args: argparse.Namespace) -> None:
    traffic_c, traffic_t = Traffic(c), Traffic(t)
    await t.goto(f"{url}/teller/")
    await t.get_by_test_id("username").fill("teller1")
    await t.get_by_test_id("password").fill(password)
    await t.get_by_test_id("login-button").click()
    await t.get_by_test_id("call-status").and_(t.locator("[data-state=away]")).wait_for(timeout=WAIT_MS)
    await t.get_by_test_id("auto-accept").set_checked(True)
    await t.get_by_test_id("state-available").click()
    await c.goto(f"{url}/customer/")
    await c.get_by_test_id("display-name").fill("Bench Customer")
    await c.get_by_test_id("business-select").select_option("activation")
    await c.get_by_test_id("join-button").click()
    await c.locator('[data-testid=call-status][data-state="in-call"]').wait_for(timeout=WAIT_MS)
    await t.locator("[data-testid=cobrowse-request]:enabled").wait_for(timeout=WAIT_MS)
    await t.get_by_test_id("cobrowse-request").click()
    await c.get_by_test_id("cobrowse-allow").click()
    await t.locator('[data-testid=cobrowse-status][data-state="sharing"]').wait_for(timeout=WAIT_MS)
    await t.frame_locator('[data-testid="cobrowse-view"]').get_by_test_id("app").wait_for(state="attached")
    await t.evaluate(JS_WATCH)

    # 1. latency: alternately a value typed in a (hidden) normal field and a change of screen
    latencies: dict[str, list[float]] = {"value": [], "screen": []}
    screen = "home"
    for i in range(args.samples):
        if i % 2 == 0:
            kind, marker = "value", f"Name {i}"
        else:
            kind, marker = "screen", "help" if screen == "home" else "home"
            screen = marker
        started = await c.evaluate(JS_CHANGE, [kind, marker])
        seen = await t.wait_for_function(JS_WAIT_SEEN, arg=[kind, marker, started], timeout=WAIT_MS)
        latencies[kind].append((await seen.json_value())["at"] - started)
    every = sorted(latencies["value"] + latencies["screen"])
    print(f"latency, customer change -> teller mirror updated ({len(every)} samples, loopback):")
    for name, values in (("value change", latencies["value"]), ("screen change", latencies["screen"]),
                         ("all", every)):  # fmt: skip
        values = sorted(values)
        p50 = statistics.median(values)
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        print(f"  {name:14s} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {values[-1]:6.1f} ms")

    # 2. a guided activation at a person's pace
    if screen != "home":
        await c.get_by_test_id("app-back").click()
    await c.locator('[data-testid=app][data-screen="home"]').wait_for()
    await c.get_by_test_id("cobrowse-stop").click()
    await t.locator('[data-testid=cobrowse-status][data-state="stopped"]').wait_for(timeout=WAIT_MS)
    traffic_c.counting = traffic_t.counting = True
    started_at = time.monotonic()
    pause = args.pace
    await t.get_by_test_id("cobrowse-request").click()
    await c.get_by_test_id("cobrowse-allow").click()
    await t.frame_locator('[data-testid="cobrowse-view"]').get_by_test_id("app").wait_for(state="attached")
    await asyncio.sleep(pause)
    await c.get_by_test_id("app-go-social_security").click()
    await asyncio.sleep(pause)  # a person reads the screen
    await t.get_by_test_id("cobrowse-push-screen").select_option("activate_card")
    await t.get_by_test_id("cobrowse-push").click()
    await c.get_by_test_id("cobrowse-push-open").click()
    await asyncio.sleep(pause)
    await t.get_by_test_id("cobrowse-highlight").click()
    view = t.frame_locator('[data-testid="cobrowse-view"]')
    box = await view.get_by_test_id("app-card-number").bounding_box()
    assert box is not None
    await t.mouse.click(box["x"] + 10, box["y"] + 10)
    await asyncio.sleep(pause)
    await c.get_by_test_id("app-holder").press_sequentially("Zhang Guiying", delay=200)
    await asyncio.sleep(pause)
    await c.get_by_test_id("app-card-number").press_sequentially("6222020200112233", delay=200)
    await asyncio.sleep(pause)
    for digit in "741085":
        await c.get_by_test_id(f"pin-key-{digit}").click()
        await asyncio.sleep(0.3)
    await asyncio.sleep(pause)
    await c.get_by_test_id("app-submit-activate").click()
    await t.wait_for_function("() => true")
    elapsed = time.monotonic() - started_at
    traffic_c.counting = traffic_t.counting = False
    per_minute = 60.0 / elapsed
    print(f"guided activation ({elapsed:.1f} s at a person's pace):")
    print(f"  customer sent {traffic_c.sent} B ({traffic_c.sent * per_minute / 1024:.1f} KiB/min), "
          f"received {traffic_c.received} B")  # fmt: skip
    print(f"  teller received {traffic_t.received} B ({traffic_t.received * per_minute / 1024:.1f} KiB/min), "
          f"sent {traffic_t.sent} B")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
