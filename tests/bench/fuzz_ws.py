"""Fuzzing benchmark: 100,000 hostile frames from the JSON Schemas at a real server, beside a real call.

    .venv/bin/python -m tests.bench.fuzz_ws [--frames 100000] [--distinct 4000] [--connections 40]
        [--per-connection 30] [--seconds 900]

(``.venv/bin/python tests/bench/fuzz_ws.py`` works too.) Everything runs on 127.0.0.1 and stops by
itself: the server is ``python -m video_bank serve --port 0`` in a child process on a temporary data
dir (tests/support/server_process.py), stopped with SIGTERM — and killed by its PID if it does not
exit — at the end; sending stops after ``--frames`` frames or ``--seconds``, whichever comes first.

1. **Corpus**: ``--distinct`` frames drawn (derandomized, so the same every run) from
   tests/support/schema_fuzz.py: mutated messages of every client type, broken JSON, invalid UTF-8,
   binary frames, frames around ``max_message_bytes`` and frames that break RFC 6455. Drawing with
   Hypothesis costs milliseconds a frame, so the corpus is sent round and round until ``--frames``
   have been written; a frame naming "the pair's session" names the live call's real id.
2. **The call beside**: teller1 (auto-accept) and a customer are paired by the server and share the
   customer's screen. Every 50 ms during the fuzzing the teller sends a pointer and the customer a
   batch of co-browse events; each must get exactly the other's message, in order, and nothing else.
3. **Fuzzing**: ``--connections`` sockets at a time; each opens, half of them say ``hello`` as a
   customer first, and writes its ``--per-connection`` frames back to back without waiting (a flood),
   reading all the while; then an empty binary frame whose answer shows that everything before it was
   answered, and the client closes. Most sockets are closed by the server first: 4008 after 20 refused
   messages, 4001 for a message before ``hello``, 1002/1007/1009 for a broken frame.
4. **Figures**: frames written (by kind), answers (``error`` codes), server tracebacks and error lines
   in its log (goal 0), close codes seen with how each is judged — expected: a documented policy code
   (4001, 4008, 4029) or the code of the first broken frame the socket sent; anything else, 1006
   (no close frame) included, is unexpected (goal 0) — the call's messages delivered (goal all) and
   their delivery time, and the server's resident memory before and after (and its peak).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import WSMsgType

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import hypothesis  # noqa: E402
from hypothesis import HealthCheck, Phase, given  # noqa: E402

from tests.support.call_beside import round_messages, share_screen  # noqa: E402
from tests.support.schema_fuzz import (  # noqa: E402
    BINARY_REFUSAL,
    SESSION_IDS,
    Frame,
    documented_close_codes,
    documented_error_codes,
    expected_outcome,
    wire_frame,
    with_session,
)
from tests.support.server_process import Server, run_cli, serve_fixture  # noqa: E402

PASSWORD = "fuzz-bench-password"  # a throw-away demo account on a temporary data dir
MAX_BYTES = 128 * 1024  # the server's default max_message_bytes
POLICY_CLOSES = {4001: "hello missing", 4008: "too many refusals", 4029: "rate limited"}
PAIR_INTERVAL = 0.05
REPLY_TIMEOUT = 30.0
CLOSE_MEANING = {
    1000: "normal (the client closed)",
    1002: "protocol error",
    1006: "abnormal: no close frame",
    1007: "invalid UTF-8",
    1009: "frame too big",
    1011: "server error",
    4001: "hello missing",
    4008: "abuse (20 refusals)",
    4009: "reading too slowly",
    4029: "rate limited",
}


# --- corpus -------------------------------------------------------------------------------------------------


def build_corpus(size: int) -> list[Frame]:
    """``size`` frames drawn from the schemas, the same every run."""
    drawn: list[Frame] = []

    @hypothesis.settings(
        max_examples=size,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(frame=wire_frame(MAX_BYTES, SESSION_IDS))
    def collect(frame: Frame) -> None:
        drawn.append(frame)

    collect()
    return drawn


# --- the well-behaved call ----------------------------------------------------------------------------------


class Peer:
    """A well-behaved client whose reader queues every message."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type is WSMsgType.TEXT:
                self.inbox.put_nowait(json.loads(message.data))

    async def send(self, **message: Any) -> None:
        await self.ws.send_json(message)

    async def until(self, kind: str) -> dict[str, Any]:
        while (message := await asyncio.wait_for(self.inbox.get(), REPLY_TIMEOUT))["type"] != kind:
            pass
        return message

    async def close(self) -> None:
        await self.ws.close()
        await self.reader


@dataclass
class Call:
    """The call beside the fuzzing and what it delivered."""

    customer: Peer
    teller: Peer
    session_id: str
    sent: int = 0
    delivered: int = 0
    wrong: list[str] = field(default_factory=list)
    """Messages that arrived instead of the one expected (goal: none)."""
    latency: list[float] = field(default_factory=list)
    rounds: int = 0

    async def exchange(self) -> None:
        """One round: the teller points, the customer sends a batch of events (``seq`` increases)."""
        self.rounds += 1
        guide, batch = round_messages(self.session_id, self.rounds)
        started = time.perf_counter()
        await self.teller.send(**guide)
        await self.customer.send(**batch)
        self.sent += 2
        for peer, want in ((self.customer, guide), (self.teller, batch)):
            try:
                got = await asyncio.wait_for(peer.inbox.get(), REPLY_TIMEOUT)
            except TimeoutError:
                self.wrong.append(f"nothing within {REPLY_TIMEOUT:.0f} s")
                continue
            if got == want:
                self.delivered += 1
            else:
                self.wrong.append(str(got.get("type")))
        self.latency.append(time.perf_counter() - started)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.exchange()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PAIR_INTERVAL)


async def start_call(http: aiohttp.ClientSession, url: str) -> Call:
    teller = Peer(await http.ws_connect(url))
    await teller.send(type="hello", protocol=1, role="teller", username="teller1", password=PASSWORD)
    await teller.until("teller_state")
    await teller.send(type="set_state", state="available", auto_accept=True)
    await teller.until("teller_state")
    customer = Peer(await http.ws_connect(url))
    await customer.send(type="hello", protocol=1, role="customer")
    await customer.until("welcome")
    await customer.send(type="join_queue", display_name="Wang Fang", business="activation")
    sid = (await customer.until("session_started"))["session_id"]
    await teller.until("session_started")
    await share_screen(customer, teller, sid)
    for peer in (customer, teller):  # the business flow's opening messages
        while not peer.inbox.empty():
            peer.inbox.get_nowait()
    return Call(customer, teller, sid)


# --- fuzzing sockets ----------------------------------------------------------------------------------------

EXPECTED = "expected"
FAILED = "failed connection"
UNEXPECTED = "UNEXPECTED"


def judge(code: int | None, breaking: list[int], reset_while_sending: bool) -> str:
    """How a server close is judged. Expected: a policy code (4001, 4008, 4029) or the code of the first
    broken frame the socket sent. Failed connection: 1006 where the socket sent a broken frame and met a
    reset while it was still sending — on 1002, 1007 and 1009 aiohttp *fails* the connection (RFC 6455
    § 7.1.7): it closes TCP right after its close frame, unread data makes the kernel reset it, and a
    client that writes into the reset loses the close frame it had. Anything else is unexpected."""
    if code in POLICY_CLOSES or (breaking and code == breaking[0]):
        return EXPECTED
    if code == 1006 and breaking and reset_while_sending:
        return FAILED
    return UNEXPECTED


@dataclass
class Tally:
    """What the fuzzing sockets sent and got."""

    written: Counter[str] = field(default_factory=Counter)
    """Frames written, by kind."""
    hellos: int = 0
    connections: int = 0
    answers: Counter[str] = field(default_factory=Counter)
    """Messages received, by type (``error`` by code)."""
    closes: Counter[tuple[int | None, str]] = field(default_factory=Counter)
    """(close code, verdict) per socket the server closed: :data:`EXPECTED`, :data:`FAILED` or
    :data:`UNEXPECTED`."""
    client_closed: int = 0
    hung: int = 0
    """Sockets whose answers stopped without a close (goal 0)."""
    refused: int = 0
    """Connections refused at the upgrade (429/503)."""

    @property
    def frames(self) -> int:
        return sum(self.written.values())


async def fuzz_socket(
    http: aiohttp.ClientSession, url: str, hello_first: bool, frames: list[Frame], tally: Tally
) -> None:
    """One flooding socket: optional hello, the frames back to back, then the sentinel."""
    try:
        ws = await http.ws_connect(url, max_msg_size=0)
    except aiohttp.WSServerHandshakeError:
        tally.refused += 1
        return
    tally.connections += 1
    sentinels_due = 1 + sum(f.opcode == WSMsgType.BINARY and len(f.payload) <= MAX_BYTES for f in frames)
    done = asyncio.Event()

    async def read() -> None:
        nonlocal sentinels_due
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            tally.answers[f"error {data['code']}" if data["type"] == "error" else data["type"]] += 1
            if data.get("message") == BINARY_REFUSAL:
                sentinels_due -= 1
                if sentinels_due == 0:
                    done.set()

    reader = asyncio.create_task(read())
    reset_while_sending = False
    try:
        if hello_first:
            await ws.send_json({"type": "hello", "protocol": 1, "role": "customer"})
            tally.hellos += 1
        for frame in frames:
            await ws.send_frame(frame.payload, frame.opcode)  # type: ignore[arg-type]
            tally.written[frame.kind] += 1
        await ws.send_bytes(b"")
    except (aiohttp.ClientConnectionResetError, ConnectionError):
        reset_while_sending = True  # the server closed the socket while we were still sending
    finished = asyncio.ensure_future(done.wait())
    await asyncio.wait([finished, reader], timeout=REPLY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    finished.cancel()
    if reader.done():
        breaking = [c for f in frames if (c := expected_outcome(f, MAX_BYTES).close) is not None]
        tally.closes[(ws.close_code, judge(ws.close_code, breaking[:1], reset_while_sending))] += 1
    elif done.is_set():
        tally.client_closed += 1
        await ws.close()
    else:
        tally.hung += 1
        await ws.close()
    with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
        await reader


async def fuzz(
    url: str, corpus: list[Frame], session_id: str, args: argparse.Namespace, tally: Tally
) -> float:
    """Send ``args.frames`` frames over sockets of ``args.per_connection`` (nine in ten of them signed in
    as customers first); returns the seconds taken."""
    frames = itertools.cycle([with_session(frame, session_id) for frame in corpus])
    sockets = itertools.count()
    deadline = time.monotonic() + args.seconds
    started = time.perf_counter()

    async def worker(http: aiohttp.ClientSession) -> None:
        # Sockets closed early leave frames unwritten: go on until enough were written.
        while tally.frames < args.frames and time.monotonic() < deadline:
            batch = [next(frames) for _ in range(args.per_connection)]
            await fuzz_socket(http, url, next(sockets) % 10 != 0, batch, tally)

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(worker(http) for _ in range(args.connections)))
    return time.perf_counter() - started


# --- figures ------------------------------------------------------------------------------------------------


def rss_kib(pid: int, field_name: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field_name}")


def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def report(
    args: argparse.Namespace,
    corpus: list[Frame],
    corpus_seconds: float,
    seconds: float,
    tally: Tally,
    call: Call,
    server: Server,
    rss: tuple[int, int, int],
) -> None:
    log = server.stderr
    tracebacks = sum(line.startswith("Traceback") for line in log)
    error_lines = [line for line in log if " ERROR " in line or " CRITICAL " in line]
    unexpected = sum(n for (_, verdict), n in tally.closes.items() if verdict == UNEXPECTED)
    failed = sum(n for (_, verdict), n in tally.closes.items() if verdict == FAILED)
    print(f"corpus: {len(corpus):,} distinct frames drawn from the schemas in {corpus_seconds:.1f} s")
    kinds = ", ".join(f"{k} {n:,}" for k, n in tally.written.most_common())
    print(
        f"messages sent: {tally.frames:,} in {seconds:.1f} s ({tally.frames / seconds:,.0f}/s) over "
        f"{tally.connections:,} connections, {args.connections} at a time ({kinds}); "
        f"plus {tally.hellos:,} hellos"
    )
    answers = ", ".join(f"{k} {n:,}" for k, n in sorted(tally.answers.items()))
    print(f"answers: {answers}")
    undocumented = [
        k for k in tally.answers if k.startswith("error ") and k[6:] not in documented_error_codes()
    ]
    print(
        f"server_error answers: {tally.answers['error server_error']} (goal 0); "
        f"undocumented error codes: {len(undocumented)} (goal 0)"
    )
    print(f"server tracebacks: {tracebacks} (goal 0); server ERROR lines: {len(error_lines)} (goal 0)")
    for line in error_lines[:5]:
        print(f"    {line[:200]}")
    print(
        f"unexpected close codes: {unexpected} (goal 0); sockets that hung: {tally.hung} (goal 0); "
        f"failed connections seen as 1006: {failed} (aiohttp, see {FAILED!r} below)"
    )
    print("  close code | sockets | meaning                       | judged")
    for (code, verdict), n in sorted(tally.closes.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])):
        documented = "documented" if code in documented_close_codes() else "not in docs/protocol.md"
        documented = "never sent: the client's own report" if code == 1006 else documented
        meaning = CLOSE_MEANING.get(code or 0, "?")
        print(f"  {code!s:>10} | {n:7,} | {meaning:29} | {verdict}, {documented}")
    print(f"  {'(client)':>10} | {tally.client_closed:7,} | closed by the client after every answer")
    if tally.refused:
        print(f"  connections refused at the upgrade: {tally.refused}")
    lat = call.latency
    print(
        f"well-behaved pair: {call.delivered:,} of {call.sent:,} messages delivered (goal all), "
        f"{len(call.wrong)} wrong or missing; round trip p50 {ms(lat, 50):.1f} ms, "
        f"p99 {ms(lat, 99):.1f} ms, max {1000 * max(lat):.1f} ms, mean {1000 * statistics.mean(lat):.1f} ms"
    )
    before, after, peak = rss
    print(
        f"server RSS: before {before / 1024:.1f} MiB, after {after / 1024:.1f} MiB "
        f"({(after - before) / 1024:+.1f} MiB), peak {peak / 1024:.1f} MiB"
    )


async def main_async(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    corpus = build_corpus(args.distinct)
    corpus_seconds = time.perf_counter() - began
    with tempfile.TemporaryDirectory(prefix="fuzz-ws-") as tmp:
        data = Path(tmp) / "data"
        seeded = await asyncio.to_thread(
            run_cli, "seed-demo", "--password", PASSWORD, "--data-dir", str(data)
        )
        if seeded.returncode != 0:
            raise SystemExit(f"seed-demo failed: {seeded.stderr}")
        starts = serve_fixture()
        start = await anext(starts)
        try:
            server = await start("--port", "0", "--data-dir", str(data), env={"PYTHONUNBUFFERED": "1"})
            pid = server.process.pid
            async with aiohttp.ClientSession() as http:
                call = await start_call(http, server.ws_url)
                rss_before = rss_kib(pid)
                stop = asyncio.Event()
                beside = asyncio.create_task(call.run(stop))
                tally = Tally()
                seconds = await fuzz(server.ws_url, corpus, call.session_id, args, tally)
                stop.set()
                await beside
                await call.exchange()  # one last round after the fuzzing ended
                rss_after, rss_peak = rss_kib(pid), rss_kib(pid, "VmHWM")
                await call.customer.close()
                await call.teller.close()
            await server.stop()
            report(
                args, corpus, corpus_seconds, seconds, tally, call, server, (rss_before, rss_after, rss_peak)
            )
        finally:
            with contextlib.suppress(StopAsyncIteration):
                await anext(starts)  # kills the server by its process if it is still running


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Hostile frames from the schemas at a server on 127.0.0.1.")
    parser.add_argument("--frames", type=int, default=100_000, help="frames to send in all")
    parser.add_argument("--distinct", type=int, default=2000, help="frames drawn from the schemas")
    parser.add_argument("--connections", type=int, default=40, help="fuzzing sockets at a time (≤ 48)")
    parser.add_argument("--per-connection", type=int, default=20, help="frames per fuzzing socket")
    parser.add_argument("--seconds", type=float, default=900.0, help="stop sending after this long")
    args = parser.parse_args(argv)
    if not 1 <= args.connections <= 48:
        parser.error("--connections must be 1–48 (the server allows 50 sockets per address; the call has 2)")
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
