"""A supervisor silently monitors a live video call from the supervisor page.

The customer (camera: obama.jpg) and the teller (camera: biden.jpg) hold a real call through the
server in their own Chromiums; the supervisor, in a third Chromium (its camera is never opened),
monitors it from the live-sessions table. The test proves that the monitoring panel shows both
parties' moving pictures, each in its place, and carries both voices; that the call goes on
unchanged meanwhile; that stopping and the end of the call both end the panel in plain words; and
that the server's event log records who monitored.

A second, media-less session (two WebSocket bots: a customer and ``teller2``) sits in the table to
show that only one session can be monitored at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import numpy as np
import pytest

from tests.browser.harness import (
    DEMO_SUPERVISOR,
    DEMO_TELLER,
    CameraClips,
    LaunchParty,
    LiveServer,
    Party,
    save_screenshot,
)
from tests.browser.steps import (
    WAIT_MS,
    accept_offer,
    assert_no_page_problems,
    expect_in_call,
    join_queue,
    open_customer_page,
    sign_in_and_go_available,
    sign_in_supervisor,
)
from tests.browser.test_video_call import (
    FRAMES_TO_SEE,
    JS_GRAB_RGBA,
    JS_MOVED_ON,
    JS_VIDEO_PROGRESS,
    Grey,
    clip_thumbnail,
    expect_remote_shows,
    similarity,
)
from tests.support.y4m import read_y4m

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

with contextlib.suppress(ImportError):  # without playwright the fixtures skip (fail in CI)
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

CUSTOMER_NAME = "Zhao Guilan"
BOT_CUSTOMER_NAME = "Qian Wei"
BUSINESS = "activation"
BOT_TELLER = "teller2"
EVENT_POLL_SECONDS = 0.1
"""Interval of the bounded poll of the server's event log."""

JS_START_AUDIO_METER = """
(video) => {
  // The loudest sample heard so far on the video's audio track, kept in data-audio-peak.
  const context = new AudioContext();
  const source = context.createMediaStreamSource(new MediaStream(video.srcObject.getAudioTracks()));
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let peak = 0;
  video.dataset.audioPeak = '0';
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    for (const sample of samples) peak = Math.max(peak, Math.abs(sample));
    video.dataset.audioPeak = String(peak);
  }, 20);
  video.addEventListener('emptied', () => { clearInterval(timer); void context.close(); }, {once: true});
  void context.resume();  // the page had clicks, so audio may run; if not, the bounded wait fails
}
"""
AUDIBLE_PEAK = 0.01
"""A peak above this (full scale = 1) means a voice is coming through, not digital silence."""


JS_VIDEO_STATE = """
(video) => {
  const track = video.srcObject ? video.srcObject.getVideoTracks()[0] : undefined;
  return {
    frames: Number(video.dataset.frames || 0),
    time: video.currentTime,
    width: video.videoWidth,
    readyState: video.readyState,
    paused: video.paused,
    track: track ? `${track.readyState}${track.muted ? ' muted (no packets)' : ''}` : 'none',
  };
}
"""


JS_KEEP_PEER_CONNECTIONS = """
(() => {
  // Diagnostics only: remember the page's peer connections so that a failure can show their stats.
  const Original = window.RTCPeerConnection;
  const kept = [];
  window.__peerConnections = kept;
  window.RTCPeerConnection = class extends Original {
    constructor(...args) {
      super(...args);
      kept.push(this);
    }
  };
})();
"""

JS_INBOUND_VIDEO_STATS = """
async () => {
  const found = [];
  for (const pc of window.__peerConnections || []) {
    if (pc.connectionState === 'closed') continue;
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        found.push({mid: s.mid, packets: s.packetsReceived, lost: s.packetsLost, frames: s.framesReceived,
          decoded: s.framesDecoded, keyframes: s.keyFramesDecoded, dropped: s.framesDropped,
          freezes: s.freezeCount, plis: s.pliCount, nacks: s.nackCount});
      }
    });
  }
  return found;
}
"""


@dataclass(slots=True)
class SignalingBot:
    """A media-less participant on the live server's ``/ws``: enough to hold a session open."""

    http: aiohttp.ClientSession
    ws: aiohttp.ClientWebSocketResponse
    received: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    reader: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, server: LiveServer, role: str, username: str | None = None) -> SignalingBot:
        http = aiohttp.ClientSession()
        try:
            ws = await http.ws_connect(f"{server.base_url}/ws")
        except aiohttp.ClientError:
            await http.close()
            raise
        bot = cls(http, ws)
        bot.reader = asyncio.create_task(bot._read())  # also answers the server's pings
        hello: dict[str, Any] = {"type": "hello", "protocol": 1, "role": role}
        if username is not None:
            hello |= {"username": username, "password": server.demo_password}
        await bot.send(hello)
        await bot.until("welcome")
        return bot

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_json(message)

    async def until(self, kind: str, **fields: Any) -> dict[str, Any]:
        """The first message of type ``kind`` with ``fields`` received so far or later (bounded)."""

        def found() -> dict[str, Any] | None:
            for message in self.received:
                if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
                    return message
            return None

        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: found() is not None), WAIT_MS / 1000)
        message = found()
        assert message is not None
        return message

    async def close(self) -> None:
        await self.ws.close()
        if self.reader is not None:
            await self.reader
        await self.http.close()

    async def _read(self) -> None:
        async for frame in self.ws:
            if frame.type is aiohttp.WSMsgType.TEXT:
                async with self.arrived:
                    self.received.append(json.loads(frame.data))
                    self.arrived.notify_all()


@contextlib.asynccontextmanager
async def media_less_session(server: LiveServer) -> AsyncIterator[None]:
    """A second live session, between two bots (``teller2`` takes it at once, nobody sends media)."""
    teller = await SignalingBot.connect(server, "teller", BOT_TELLER)
    customer = await SignalingBot.connect(server, "customer")
    try:
        await teller.send({"type": "set_state", "state": "available", "auto_accept": True})
        await teller.until("teller_state", state="available")
        await customer.send({"type": "join_queue", "display_name": BOT_CUSTOMER_NAME, "business": BUSINESS})
        await customer.until("session_started")
        yield
    finally:
        await customer.close()
        await teller.close()


def session_row(supervisor: Party, customer_name: str) -> Locator:
    return supervisor.page.get_by_test_id("session-table").locator(
        "tr[data-session-id]", has_text=customer_name
    )


async def expect_moving(page: Page, video: Locator) -> None:
    """``video`` has a picture and presents at least FRAMES_TO_SEE new frames while we watch."""
    name = await video.get_attribute("data-testid")
    handle = await video.element_handle(timeout=WAIT_MS)
    start = {"frames": 0, "time": 0.0, "more": 1}
    try:
        await page.wait_for_function(JS_MOVED_ON, arg=[handle, start], timeout=WAIT_MS)
        start = {**await video.evaluate(JS_VIDEO_PROGRESS), "more": FRAMES_TO_SEE}
        await page.wait_for_function(JS_MOVED_ON, arg=[handle, start], timeout=WAIT_MS)
    except PlaywrightTimeoutError:
        state = await video.evaluate(JS_VIDEO_STATE)
        stats = await page.evaluate(JS_INBOUND_VIDEO_STATS)
        raise AssertionError(
            f"{name} does not move: from {start} to {state}; inbound video {stats}"
        ) from None
    progress = await video.evaluate(JS_VIDEO_PROGRESS)
    assert progress["audioTracks"] == 1, f"{name} carries no voice"


@functools.cache
def first_frame_thumbnail(clip: Path) -> Grey:
    """The thumbnail of a camera clip's first frame (the clips move only a little)."""
    return clip_thumbnail(read_y4m(clip).frame_bgr(0))


async def expect_shows(video: Locator, party: Party, other: Party) -> None:
    """The picture in ``video`` is ``party``'s camera, not ``other``'s and not black."""
    rgba = await video.evaluate(JS_GRAB_RGBA)
    pixels = np.array(rgba, dtype=np.uint8).reshape(120, 160, 4)
    shown = clip_thumbnail(np.ascontiguousarray(pixels[:, :, 2::-1]))  # RGBA -> BGR
    assert shown.mean() > 20, f"the {party.name}'s monitor video is black (mean grey {shown.mean():.1f})"
    right = similarity(shown, await asyncio.to_thread(first_frame_thumbnail, party.clip))
    wrong = similarity(shown, await asyncio.to_thread(first_frame_thumbnail, other.clip))
    scores = f"similarity to the {party.name}'s camera {right:.2f}, to the {other.name}'s {wrong:.2f}"
    assert right > 0.8, f"the {party.name}'s monitor video does not show the {party.name}: {scores}"
    assert right > wrong, f"the {party.name}'s monitor video shows the {other.name}: {scores}"


async def expect_audible(page: Page, video: Locator) -> None:
    """Sound arrives on ``video``'s audio track (measured with Web Audio, whether muted or not)."""
    await video.evaluate(JS_START_AUDIO_METER)
    await page.wait_for_function(
        "([video, peak]) => Number(video.dataset.audioPeak || 0) > peak",
        arg=[await video.element_handle(), AUDIBLE_PEAK],
        timeout=WAIT_MS,
    )


async def start_monitoring(supervisor: Party, customer_name: str) -> Locator:
    """Press Monitor on the row of ``customer_name``'s call; return the panel once it is live."""
    page = supervisor.page
    button = session_row(supervisor, customer_name).get_by_test_id("monitor-button")
    await expect(button).to_be_enabled(timeout=WAIT_MS)
    await button.click()
    panel = page.get_by_test_id("monitor-panel")
    await expect(panel).to_be_visible(timeout=WAIT_MS)
    await expect(panel).to_have_attribute("data-state", "live", timeout=WAIT_MS)
    await expect(panel).to_have_attribute("data-muted", "true")
    await expect(button).to_be_disabled()
    await expect(page.get_by_test_id("monitor-stop")).to_be_enabled()
    return panel


async def monitoring_events(server: LiveServer, expected: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The ``monitoring_*`` events of the server's log, once there are ``expected`` (bounded wait)."""
    database = server.data_dir / "video_bank.sqlite3"
    deadline = time.monotonic() + WAIT_MS / 1000

    def read() -> list[tuple[str, str, str, dict[str, Any]]]:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            rows = db.execute(
                "SELECT session_id, kind, actor, data FROM events WHERE kind LIKE 'monitoring_%' ORDER BY seq"
            )
            return [(session, kind, actor, json.loads(data)) for session, kind, actor, data in rows]

    while True:
        events = await asyncio.to_thread(read)
        if len(events) >= expected or time.monotonic() > deadline:
            return events
        await asyncio.sleep(EVENT_POLL_SECONDS)


async def test_a_supervisor_silently_watches_and_hears_a_live_call_then_stops_and_sees_it_end(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    teller = await launch_party("teller", camera_clips.teller)
    customer = await launch_party("customer", camera_clips.customer)
    supervisor = await launch_party("supervisor", camera_clips.teller)  # the page never opens it
    for party in (teller, customer, supervisor):
        await party.page.add_init_script(JS_KEEP_PEER_CONNECTIONS)
    await sign_in_and_go_available(teller, live_server)
    await open_customer_page(customer, live_server)
    await join_queue(customer, CUSTOMER_NAME, business=BUSINESS)
    await accept_offer(teller, CUSTOMER_NAME)
    await expect_in_call(customer, teller, CUSTOMER_NAME)
    for party in (customer, teller):
        await expect_moving(party.page, party.page.get_by_test_id("remote-video"))

    await sign_in_supervisor(supervisor, live_server)
    page = supervisor.page
    row = session_row(supervisor, CUSTOMER_NAME)
    await expect(row).to_have_attribute("data-state", "active", timeout=WAIT_MS)
    session_id = await row.get_attribute("data-session-id")
    assert session_id

    async with media_less_session(live_server):
        other_button = session_row(supervisor, BOT_CUSTOMER_NAME).get_by_test_id("monitor-button")
        await expect(other_button).to_be_enabled(timeout=WAIT_MS)

        # Monitoring: both parties, each in its place, moving and audible; the call is unaffected.
        panel = await start_monitoring(supervisor, CUSTOMER_NAME)
        await expect(panel).to_have_attribute("data-session-id", session_id)
        await expect(other_button).to_be_disabled()
        await expect(row).to_have_attribute("data-monitored", "true")
        business = page.get_by_test_id("monitor-business")
        await expect(business).to_have_attribute("data-business", "activation")
        await expect(business).not_to_be_empty()  # its name in the page language
        await expect(page.get_by_test_id("monitor-customer")).to_have_text(CUSTOMER_NAME)
        await expect(page.get_by_test_id("monitor-teller")).to_contain_text(DEMO_TELLER)
        customer_video = page.get_by_test_id("monitor-customer-video")
        teller_video = page.get_by_test_id("monitor-teller-video")
        for video in (customer_video, teller_video):
            await expect_moving(page, video)
            assert await video.evaluate("v => v.muted"), "monitor videos start muted"
        await expect_shows(customer_video, customer, teller)
        await expect_shows(teller_video, teller, customer)
        await page.get_by_test_id("monitor-unmute").click()
        await expect(panel).to_have_attribute("data-muted", "false")
        for video in (customer_video, teller_video):
            assert await video.evaluate("v => !v.muted && !v.paused"), "sound on plays both voices"
            await expect_audible(page, video)
        for party in (customer, teller):
            await expect_moving(party.page, party.page.get_by_test_id("remote-video"))
        await expect_remote_shows(customer, teller)
        await expect_remote_shows(teller, customer)
        await save_screenshot(supervisor, "supervisor-monitoring")

        # Stop: the panel says so and the buttons come back.
        await page.get_by_test_id("monitor-stop").click()
        await expect(panel).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
        await expect(panel).to_have_attribute("data-reason", "stopped")
        await expect(page.get_by_test_id("monitor-status")).not_to_be_empty()  # says why, in words
        for video in (customer_video, teller_video):
            assert await video.evaluate("v => v.srcObject === null")
        await expect(other_button).to_be_enabled(timeout=WAIT_MS)
        await expect(row).not_to_have_attribute("data-monitored", "true")
        for party in (customer, teller):
            await expect_moving(party.page, party.page.get_by_test_id("remote-video"))
        await save_screenshot(supervisor, "supervisor-monitoring-stopped")

        # Again, and the teller hangs up: the panel says the call ended.
        await start_monitoring(supervisor, CUSTOMER_NAME)
        await expect(other_button).to_be_disabled()
        await expect_moving(page, customer_video)
        await expect_moving(page, teller_video)
        await teller.page.get_by_test_id("hangup-button").click()
        await expect(panel).to_have_attribute("data-state", "ended", timeout=WAIT_MS)
        await expect(panel).to_have_attribute("data-reason", "session_ended")
        await expect(page.get_by_test_id("monitor-status")).not_to_be_empty()
        await expect(page.get_by_test_id("monitor-close")).to_be_visible()
        await expect(other_button).to_be_enabled(timeout=WAIT_MS)
        await expect(row).to_have_count(0, timeout=WAIT_MS)
        await save_screenshot(supervisor, "supervisor-monitoring-ended")
        await page.get_by_test_id("monitor-close").click()
        await expect(panel).to_be_hidden()

    events = await monitoring_events(live_server, expected=4)
    assert events == [
        (session_id, "monitoring_started", DEMO_SUPERVISOR, {}),
        (session_id, "monitoring_stopped", DEMO_SUPERVISOR, {"reason": "stopped"}),
        (session_id, "monitoring_started", DEMO_SUPERVISOR, {}),
        (session_id, "monitoring_stopped", DEMO_SUPERVISOR, {"reason": "session_ended"}),
    ], events
    assert_no_page_problems(supervisor, teller, customer)
