"""Signaling load benchmark: a real server, 1,000 queued customers and 200 tellers as WebSocket bots.

    .venv/bin/python tests/bench/signaling_load.py [--customers 1000] [--tellers 200] [--rounds 100]
        [--burst-seconds 15] [--max-connections 10000] [--profile]

Everything runs on 127.0.0.1 and stops by itself (every phase is bounded in count and in time).
The server is ``python -m video_bank serve --port 0`` in a child process on a temporary data dir
into which this script first writes the teller accounts (skills 4–5 in every business, one in five
designated elder-care) with :class:`~video_bank.storage.SqliteStorage`. The bots are aiohttp clients
in this process, without media.

How to read the output:

0. **The switchboard alone**: the same line and tellers fed straight into
   :class:`~signaling.switchboard.Switchboard` in this process, timing (thread CPU time) the call
   that handles the teller becoming free and the encoding of the messages it returns. No socket or
   disk is involved, so this is the floor under the end-to-end latency below.
1. **Pairing latency**, sequential: with the line full (``--customers`` waiting, a fifth of them
   elderly), one teller at a time becomes free — first ``set_state available`` (auto-accept), then,
   after a hang-up, ``wrap_up_done`` — and the bot times from sending that message until the
   ``session_started`` of *both* the teller and the paired customer have arrived (the later of the
   two). The customer re-joins the line after the call, so its length stays constant. p50/p99/max in
   milliseconds, per kind of trigger and together. Goal of issue 3: p99 ≤ 5 ms.
2. **Burst**: all tellers cycle at once (hang up at once, wrap-up done at once) for a fixed time;
   pairings per second, latency under load, frames per second in each direction (every frame the
   server receives or sends is counted by the bots), and the server's CPU over the window (from
   ``/proc/PID/stat``: user + system, in cores).
3. **Memory**: the server's resident set (``VmRSS``) before the customers connected and with all of
   them waiting, per connection.
4. **Connection ramp** on a fresh server: idle customers (``hello`` answered by ``welcome``, nothing
   else) are added in steps until ``--max-connections`` or the first failure, then held for more than
   two heartbeat intervals while the bots answer the server's pings; reports how many are still
   open, RSS per connection and the CPU the idle connections cost. Goal: ≥ 5,000 connections at
   ≤ 50 KB each.
5. With ``--profile``, py-spy samples the server during the sequential pairings and during the
   burst, and the heaviest functions are listed (self time, and total time of project, asyncio and
   aiohttp functions).

Bot and server share the machine: the bots' own CPU time and the load average are printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from signaling.messages import BUSINESSES  # noqa: E402
from signaling.resident_id import check_character  # noqa: E402
from video_bank.passwords import hash_password  # noqa: E402
from video_bank.storage import SqliteStorage  # noqa: E402

PASSWORD = "load-bench-password"  # a throw-away account on a temporary data dir
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/")
PY_SPY = Path("/tmp/spy/bin/py-spy")  # where the development machine has it
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REPLY_TIMEOUT = 30.0


# --- set-up -------------------------------------------------------------------------------------------------


def raise_fd_limit() -> int:
    """Raise this process's open-file soft limit to the hard limit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def teller_name(i: int) -> str:
    return f"bench{i:03d}"


async def seed_tellers(data_dir: Path, count: int) -> None:
    """Create ``count`` teller accounts in the data dir's database before the server starts."""
    storage = await SqliteStorage.open(data_dir / "video_bank.sqlite3")
    try:
        encoded = await asyncio.to_thread(hash_password, PASSWORD)  # one hash, shared: set-up speed
        for i in range(count):
            name = teller_name(i)
            await storage.put_account(name, "teller", f"Bench Teller {i}", encoded)
            skills = {b: 4 + (i + k) % 2 for k, b in enumerate(BUSINESSES)}
            await storage.set_teller_skills(name, skills, elder_care=i % 5 == 0)
    finally:
        await storage.close()


def elderly_resident_id(n: int) -> str:
    """A valid resident ID number of someone born in 1950 (aged 60 or more)."""
    first17 = f"110101{1950}{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + check_character(first17)


@dataclass
class Server:
    """The ``serve`` child process."""

    process: asyncio.subprocess.Process
    port: int
    log: Path
    drain: asyncio.Task[None]

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server so far (all threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def rss_kib(self) -> int:
        """Resident set size in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def threads(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
        return 0

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self.drain.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.drain
        return self.process.returncode or 0


def _child_limits() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def start_server(data_dir: Path, log: Path) -> Server:
    """Start ``python -m video_bank serve --port 0`` and wait for its "listening on" line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEO_BANK_")}
    env["VIDEO_BANK_LOG_LEVEL"] = "WARNING"
    env["PYTHONUNBUFFERED"] = "1"
    with log.open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "video_bank",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            preexec_fn=_child_limits,  # only setrlimit, before exec
        )
    assert process.stdout is not None
    port = None
    deadline = time.monotonic() + 60
    while port is None:
        line = await asyncio.wait_for(process.stdout.readline(), max(0.1, deadline - time.monotonic()))
        if not line:
            raise RuntimeError(f"server exited before listening; see {log}")
        match = LISTENING.search(line.decode())
        if match:
            port = int(match.group(1))

    async def drain() -> None:
        assert process.stdout is not None
        while await process.stdout.readline():
            pass

    return Server(process, port, log, asyncio.create_task(drain()))


# --- bots ---------------------------------------------------------------------------------------------------


@dataclass
class Traffic:
    """Frames counted by the bots (what the server received and sent)."""

    sent: int = 0
    received: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    unexpected_closes: Counter[str] = field(default_factory=Counter)


class Bot:
    """One WebSocket client. Its reader task answers pings (aiohttp does that while reading) and
    resolves waiters registered with :meth:`expect`; queue updates are only counted, not parsed."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, traffic: Traffic, name: str) -> None:
        self.ws = ws
        self.name = name
        self.traffic = traffic
        self.waiters: dict[str, asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        self.on_message: Callable[[Bot, str, dict[str, Any], float], None] | None = None
        self.closing = False
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                arrived = time.perf_counter()
                if frame.type is not aiohttp.WSMsgType.TEXT:
                    continue
                self.traffic.received += 1
                text: str = frame.data
                if text.startswith('{"type":"queue_update"'):  # the bulk of the traffic: not parsed
                    self.traffic.by_type["queue_update"] += 1
                    waiter = self.waiters.pop("queue_update", None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result((arrived, {}))
                    continue
                data = json.loads(text)
                kind = data["type"]
                self.traffic.by_type[kind] += 1
                waiter = self.waiters.pop(kind, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result((arrived, data))
                if self.on_message is not None:
                    self.on_message(self, kind, data, arrived)
        except (aiohttp.ClientError, ConnectionError):
            pass
        finally:
            if not self.closing:
                code = self.ws.close_code
                self.traffic.unexpected_closes[str(code)] += 1
            for waiter in self.waiters.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError(f"{self.name} closed ({self.ws.close_code})"))

    def expect(self, kind: str) -> asyncio.Future[tuple[float, dict[str, Any]]]:
        """A future for the next message of ``kind`` (register before sending the request)."""
        future: asyncio.Future[tuple[float, dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self.waiters[kind] = future
        return future

    async def send(self, message: dict[str, Any]) -> float:
        """Send one message; returns the time just before it went out."""
        self.traffic.sent += 1
        started = time.perf_counter()
        await self.ws.send_str(json.dumps(message, separators=(",", ":")))
        return started

    async def close(self) -> None:
        self.closing = True
        with contextlib.suppress(Exception):
            await self.ws.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.reader


async def connect(http: aiohttp.ClientSession, url: str, traffic: Traffic, name: str) -> Bot:
    ws = await http.ws_connect(
        url, autoping=True, max_msg_size=0, timeout=aiohttp.ClientWSTimeout(ws_close=5)
    )
    return Bot(ws, traffic, name)


async def customer_hello(http: aiohttp.ClientSession, url: str, traffic: Traffic, name: str) -> Bot:
    bot = await connect(http, url, traffic, name)
    welcome = bot.expect("welcome")
    await bot.send({"type": "hello", "protocol": 1, "role": "customer"})
    await asyncio.wait_for(welcome, REPLY_TIMEOUT)
    return bot


async def teller_hello(http: aiohttp.ClientSession, url: str, traffic: Traffic, i: int) -> Bot:
    bot = await connect(http, url, traffic, teller_name(i))
    state = bot.expect("teller_state")
    await bot.send(
        {"type": "hello", "protocol": 1, "role": "teller", "username": teller_name(i), "password": PASSWORD}
    )
    await asyncio.wait_for(state, REPLY_TIMEOUT)
    return bot


def join_message(n: int) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "join_queue",
        "display_name": f"Customer {n}",
        "business": BUSINESSES[n % len(BUSINESSES)],
    }
    if n % 5 == 0:
        message["resident_id"] = elderly_resident_id(n)
    return message


async def bounded(limit: int, jobs: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Run coroutine factories with at most ``limit`` at a time; exceptions are returned, not raised."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return await asyncio.gather(*(one(j) for j in jobs), return_exceptions=True)


# --- measurements ----------------------------------------------------------------------------------------


def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def latency_line(label: str, values: list[float]) -> str:
    if not values:
        return f"  {label:32} (none)"
    return (
        f"  {label:32} n={len(values):5}  p50 {ms(values, 50):7.2f} ms  p90 {ms(values, 90):7.2f} ms"
        f"  p99 {ms(values, 99):7.2f} ms  max {1000 * max(values):7.2f} ms"
    )


@dataclass
class Pairings:
    """Session starts seen by customers, by session id, so a teller's pairing can find its customer."""

    customer_started: dict[str, float] = field(default_factory=dict)
    waiters: dict[str, asyncio.Future[float]] = field(default_factory=dict)

    def customer_told(self, session_id: str, at: float) -> None:
        waiter = self.waiters.pop(session_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(at)
        else:
            self.customer_started[session_id] = at

    async def customer_time(self, session_id: str) -> float:
        if session_id in self.customer_started:
            return self.customer_started.pop(session_id)
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters[session_id] = future
        return await asyncio.wait_for(future, REPLY_TIMEOUT)


def customer_behaviour(pairings: Pairings, numbers: dict[str, int]) -> Callable[..., None]:
    """Customers note their session start, and join the line again as soon as their call ends."""

    def on_message(bot: Bot, kind: str, data: dict[str, Any], arrived: float) -> None:
        if kind == "session_started":
            pairings.customer_told(data["session_id"], arrived)
        elif kind == "session_ended":
            numbers[bot.name] += 1
            rejoin = join_message(int(bot.name[1:]))
            asyncio.get_running_loop().create_task(bot.send(rejoin))

    return on_message


async def pair_once(
    teller: Bot, pairings: Pairings, message: dict[str, Any]
) -> tuple[float, float, float, str]:
    """Send ``message`` (the teller becomes free) and wait until both sides were told; returns the
    teller's and the customer's delay and the later of the two, in seconds, and the session id."""
    started_teller = teller.expect("session_started")
    sent = await teller.send(message)
    teller_at, data = await asyncio.wait_for(started_teller, REPLY_TIMEOUT)
    customer_at = await pairings.customer_time(data["session_id"])
    return teller_at - sent, customer_at - sent, max(teller_at, customer_at) - sent, data["session_id"]


async def hang_up(teller: Bot, session_id: str) -> None:
    """The teller ends the call; returns once the teller is wrapping up."""
    wrapping = teller.expect("teller_state")
    await teller.send({"type": "hangup", "session_id": session_id})
    await asyncio.wait_for(wrapping, REPLY_TIMEOUT)


async def quiet(traffic: Traffic, gap: float = 0.03, limit: float = 2.0) -> None:
    """Wait until no frame arrived for ``gap`` seconds (the server's fan-out has been read)."""
    end = time.monotonic() + limit
    seen = traffic.received
    while time.monotonic() < end:
        await asyncio.sleep(gap)
        if traffic.received == seen:
            return
        seen = traffic.received


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- phase 0: the switchboard alone -------------------------------------------------------------------------


def core_phase(customers: int, tellers: int, rounds: int) -> None:
    """Time the pure switchboard (no sockets, no storage): the floor under any pairing latency."""
    import secrets

    from signaling import effects as fx
    from signaling.identity import Identity, Role
    from signaling.messages import Hangup, Hello, JoinQueue, SessionStarted, SetState, WrapUpDone, encode
    from signaling.routing_config import load_routing
    from signaling.switchboard import Switchboard

    board = Switchboard(new_id=lambda: secrets.token_urlsafe(12), ice_servers=[], routing=load_routing())
    now = time.time()
    for i in range(tellers):
        conn = f"T{i}"
        board.connect(conn, now)
        board.receive(conn, Hello("teller", teller_name(i), PASSWORD), now)
        skills = tuple((b, 4 + (i + k) % 2) for k, b in enumerate(BUSINESSES))
        identity = Identity(Role.TELLER, teller_name(i), f"Bench Teller {i}", skills, i % 5 == 0)
        board.authenticated(conn, identity, now)

    def join(n: int) -> JoinQueue:
        m = join_message(n)
        return JoinQueue(m["display_name"], m["business"], m.get("resident_id"))

    for n in range(customers):
        board.connect(f"c{n}", now)
        board.receive(f"c{n}", Hello("customer"), now)
        board.receive(f"c{n}", join(n), now)

    decide: list[float] = []
    encode_time: list[float] = []
    sends: list[int] = []

    def pair(conn: str, message: Any) -> str:
        nonlocal now
        now += 0.05
        started = time.thread_time()
        effects = board.receive(conn, message, now)
        middle = time.thread_time()
        frames = [encode(e.message) for e in effects if isinstance(e, fx.Send)]
        encode_time.append(time.thread_time() - middle)
        decide.append(middle - started)
        sends.append(len(frames))
        found = [
            e.message for e in effects if isinstance(e, fx.Send) and isinstance(e.message, SessionStarted)
        ]
        if not found:
            raise RuntimeError("no pairing")
        return found[0].session_id

    def end(conn: str, session_id: str) -> None:
        nonlocal now
        customer = next(c for c in board.session(session_id).conns() if c != conn)  # type: ignore[union-attr]
        board.receive(conn, Hangup(session_id), now)
        board.receive(customer, join(int(customer[1:])), now)

    for r in range(rounds):
        conn = f"T{r % tellers}"
        end(conn, pair(conn, SetState("available", auto_accept=True)))
        end(conn, pair(conn, WrapUpDone()))
        board.receive(conn, SetState("away", reason="break"), now)
    total = [a + b for a, b in zip(decide, encode_time, strict=True)]
    print(f"== 0. The switchboard alone (no sockets, no storage): {customers} in line, {tellers} tellers ==")
    print("   (CPU time of the thread, so other processes on the machine do not count)")
    print(latency_line("Switchboard.receive (pairing)", decide))
    print(latency_line("  + encoding its messages", total))
    print(
        f"  {statistics.mean(sends):.0f} messages per pairing (the paired pair's, the teller's state"
        f" and one queue_update per customer whose position moved)"
    )
    print()


# --- phases -------------------------------------------------------------------------------------------------


async def pairing_phase(args: argparse.Namespace, work: Path) -> None:
    data_dir = work / "pairing"
    data_dir.mkdir()
    await seed_tellers(data_dir, args.tellers)
    server = await start_server(data_dir, work / "pairing-server.log")
    traffic = Traffic()
    pairings = Pairings()
    rejoins: Counter[str] = Counter()
    profiler: Profiler | None = None
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    try:
        async with aiohttp.ClientSession(connector=connector) as http:
            print(f"server pid {server.pid} on port {server.port}; load average {load_average()}")
            t0 = time.perf_counter()
            tellers = await bounded(
                20, [lambda i=i: teller_hello(http, server.ws_url, traffic, i) for i in range(args.tellers)]
            )
            failed = [t for t in tellers if isinstance(t, BaseException)]
            if failed:
                raise RuntimeError(f"{len(failed)} tellers could not log in: {failed[0]!r}")
            print(f"{len(tellers)} tellers logged in in {time.perf_counter() - t0:.1f} s (scrypt per login)")
            await quiet(traffic, 0.2)
            rss_before, threads_before = server.rss_kib(), server.threads()

            t0 = time.perf_counter()
            behaviour = customer_behaviour(pairings, rejoins)

            async def customer(n: int) -> Bot:
                bot = await customer_hello(http, server.ws_url, traffic, f"c{n}")
                bot.on_message = behaviour
                waiting = bot.expect("queue_update")
                await bot.send(join_message(n))
                await asyncio.wait_for(waiting, REPLY_TIMEOUT)
                return bot

            customers = await bounded(50, [lambda n=n: customer(n) for n in range(args.customers)])
            failed = [c for c in customers if isinstance(c, BaseException)]
            if failed:
                raise RuntimeError(f"{len(failed)} customers could not join: {failed[0]!r}")
            print(f"{len(customers)} customers waiting after {time.perf_counter() - t0:.1f} s")
            await quiet(traffic, 0.3)
            rss_full, threads_full = server.rss_kib(), server.threads()
            per_conn = (rss_full - rss_before) * 1024 / args.customers
            print(
                f"server RSS {rss_before / 1024:.1f} MiB with {args.tellers} tellers"
                f" -> {rss_full / 1024:.1f} MiB with {args.customers} customers waiting:"
                f" {per_conn / 1000:.1f} KB per waiting customer"
                f" (threads {threads_before} -> {threads_full})"
            )

            # --- 1. sequential pairings ---
            print()
            print(f"== 1. Pairing latency, one teller at a time, {args.customers} in line ==")
            by_kind: dict[str, list[float]] = {"set_state available": [], "wrap_up_done": []}
            teller_side: list[float] = []
            customer_side: list[float] = []
            profiler = Profiler(args.profile and args.have_py_spy, server.pid, work / "sequential.txt")
            profiler.start()
            cpu0, wall0, frames0 = server.cpu_seconds(), time.perf_counter(), traffic.received + traffic.sent
            deadline = time.monotonic() + args.phase_limit
            rounds = 0
            for r in range(args.rounds):
                if time.monotonic() > deadline:
                    break
                teller = tellers[r % len(tellers)]
                for kind, message in (
                    ("set_state available", {"type": "set_state", "state": "available", "auto_accept": True}),
                    ("wrap_up_done", {"type": "wrap_up_done"}),
                ):
                    t_side, c_side, both, session_id = await pair_once(teller, pairings, message)
                    by_kind[kind].append(both)
                    teller_side.append(t_side)
                    customer_side.append(c_side)
                    await quiet(traffic)
                    await hang_up(teller, session_id)
                    await quiet(traffic)
                away = teller.expect("teller_state")
                await teller.send({"type": "set_state", "state": "away", "reason": "break"})
                await asyncio.wait_for(away, REPLY_TIMEOUT)
                rounds += 1
            cpu1, wall1 = server.cpu_seconds(), time.perf_counter()
            everything = by_kind["set_state available"] + by_kind["wrap_up_done"]
            for kind, values in by_kind.items():
                print(latency_line(f"after {kind}", values))
            print(latency_line("both told (all)", everything))
            print(latency_line("  teller told", teller_side))
            print(latency_line("  customer told", customer_side))
            frames = traffic.received + traffic.sent - frames0
            print(
                f"  {rounds} rounds in {wall1 - wall0:.1f} s; {frames} frames"
                f" ({frames / max(1, len(everything)):.0f} per pairing incl. hang-up and re-join);"
                f" server CPU {cpu1 - cpu0:.1f} s = {1000 * (cpu1 - cpu0) / max(1, len(everything)):.0f} ms"
                f" per pairing (incl. hang-up and re-join); load average {load_average()}"
            )
            await profiler.stop("where the server's time goes during the sequential pairings")

            # --- 2. burst ---
            print()
            print(f"== 2. Burst: all {len(tellers)} tellers cycle at once for {args.burst_seconds:.0f} s ==")
            profiler = Profiler(args.profile and args.have_py_spy, server.pid, work / "burst.txt")
            profiler.start()
            burst = await burst_phase(tellers, traffic, pairings, server, args.burst_seconds)
            print(burst)
            await profiler.stop("where the server's time goes during the burst")
            print(f"  unexpected closes: {dict(traffic.unexpected_closes) or 'none'}")
            print(f"  frames by type received by the bots: {dict(traffic.by_type.most_common())}")

            await bounded(100, [b.close for b in customers + tellers])
    finally:
        if profiler is not None:
            profiler.kill()
        code = await server.stop()
        print(f"server stopped with status {code}; load average {load_average()}")


async def burst_phase(
    tellers: list[Bot], traffic: Traffic, pairings: Pairings, server: Server, seconds: float
) -> str:
    """Every teller: available (auto-accept) → paired → hang up → wrap-up done → paired → … for
    ``seconds``; whatever is still in flight then is cancelled and counted, not waited for."""
    latencies: list[float] = []
    waiting: set[str] = set()

    async def cycle(teller: Bot) -> None:
        message: dict[str, Any] = {"type": "set_state", "state": "available", "auto_accept": True}
        while True:
            waiting.add(teller.name)
            _, _, both, session_id = await pair_once(teller, pairings, message)
            waiting.discard(teller.name)
            latencies.append(both)
            await hang_up(teller, session_id)
            message = {"type": "wrap_up_done"}

    cpu0, wall0 = server.cpu_seconds(), time.perf_counter()
    sent0, received0, bot_cpu0 = traffic.sent, traffic.received, own_cpu()
    tasks = [asyncio.create_task(cycle(t)) for t in tellers]
    done, pending = await asyncio.wait(tasks, timeout=seconds)
    cpu1, wall1 = server.cpu_seconds(), time.perf_counter()
    sent, received, bot_cpu = traffic.sent - sent0, traffic.received - received0, own_cpu() - bot_cpu0
    completed, unpaired = len(latencies), len(waiting)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    failed = Counter(type(t.exception()).__name__ for t in done if not t.cancelled() and t.exception())
    elapsed = wall1 - wall0
    cpu = cpu1 - cpu0
    lines = [
        latency_line("becomes free -> both told", latencies),
        f"  {completed} pairings completed in {elapsed:.1f} s = {completed / elapsed:.1f} pairings/s;"
        f" at the end {unpaired} tellers were free and not yet told of their next customer"
        f"{'; failed: ' + str(dict(failed)) if failed else ''}",
        f"  frames: server received {sent / elapsed:,.0f}/s, sent {received / elapsed:,.0f}/s,"
        f" total {(sent + received) / elapsed:,.0f}/s",
        f"  server CPU {cpu / elapsed:.2f} cores = {1000 * cpu / max(1, completed):.0f} ms per pairing"
        f" (incl. hang-up and re-join), {1e6 * cpu / max(1, sent + received):.0f} µs per frame in or out;"
        f" bot CPU {bot_cpu / elapsed:.2f} cores; load average {load_average()}",
    ]
    return "\n".join(lines)


class Profiler:
    """py-spy sampling the server from :meth:`start` to :meth:`stop` (SIGINT makes it write)."""

    def __init__(self, enabled: bool, pid: int, output: Path) -> None:
        self.enabled = enabled
        self.pid = pid
        self.output = output
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if not self.enabled:
            return
        command = [str(PY_SPY), "record", "--pid", str(self.pid), "--rate", "200", "--format", "raw"]
        command += ["--output", str(self.output), "--nonblocking"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def stop(self, title: str) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            await asyncio.to_thread(self.process.wait, 60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process = None
        print(f"  -- {title} (py-spy, 200 Hz, samples of the server's busy threads) --")
        print(summarise_profile(self.output))

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()


def summarise_profile(path: Path, top: int = 18) -> str:
    """Self and total sample shares per function from py-spy's raw (collapsed) output."""
    if not path.exists():
        return "  (py-spy wrote nothing: is ptrace allowed?)"
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [simplify_frame(f) for f in stack.split(";")]
        samples += count
        own[frames[-1]] += count
        for name in set(frames):
            total[name] += count
    if not samples:
        return "  (no samples)"
    lines = [f"  {samples} samples; self time:"]
    lines += [f"    {100 * n / samples:5.1f}%  {name}" for name, n in own.most_common(top)]
    lines.append("  total time (the function and what it calls), project code below the request handler:")
    ours = [(n, c) for n, c in total.most_common() if is_interesting(n)]
    lines += [f"    {100 * c / samples:5.1f}%  {name}" for name, c in ours[:top]]
    return "\n".join(lines)


WRAPPERS = ("<module>", "main (video_bank/cli.py)", "websocket (video_bank/app.py)", "security_headers")


def simplify_frame(frame: str) -> str:
    """``function (path/to/file.py:123)`` → ``function (file.py)``."""
    match = re.match(r"(.*) \((.*?):?\d*\)$", frame.strip())
    if not match:
        return frame.strip()
    function, path = match.groups()
    parts = Path(path.rstrip(":")).parts
    short = "/".join(parts[-2:]) if len(parts) >= 2 else path
    return f"{function} ({short})"


def is_interesting(name: str) -> bool:
    """Project functions, without the entry point and request-handler frames every sample passes."""
    ours = "signaling/" in name or "video_bank/" in name
    return ours and not any(w in name for w in WRAPPERS) and not name.startswith("handle_websocket")


async def ramp_phase(args: argparse.Namespace, work: Path) -> None:
    data_dir = work / "ramp"
    data_dir.mkdir()
    server = await start_server(data_dir, work / "ramp-server.log")
    traffic = Traffic()
    bots: list[Bot] = []
    connector = aiohttp.TCPConnector(limit=0)
    print()
    print(f"== 4. Connection ramp on a fresh server (pid {server.pid}), idle customers after hello ==")
    try:
        async with aiohttp.ClientSession(connector=connector) as http:
            warm = await bounded(
                10, [lambda n=n: customer_hello(http, server.ws_url, traffic, f"w{n}") for n in range(20)]
            )
            bots += [b for b in warm if isinstance(b, Bot)]
            await asyncio.sleep(0.5)
            rss0 = server.rss_kib()
            base = len(bots)
            deadline = time.monotonic() + args.ramp_limit
            failures: list[BaseException] = []
            print(f"  {'connections':>11} {'RSS MiB':>8} {'KB/conn':>8} {'step s':>7}")
            while len(bots) - base < args.max_connections and time.monotonic() < deadline and not failures:
                step = min(args.ramp_step, args.max_connections - (len(bots) - base))
                t0 = time.perf_counter()
                made = await bounded(
                    100,
                    [
                        lambda n=n: customer_hello(http, server.ws_url, traffic, f"r{n}")
                        for n in range(len(bots), len(bots) + step)
                    ],
                )
                bots += [b for b in made if isinstance(b, Bot)]
                failures += [b for b in made if isinstance(b, BaseException)]
                rss = server.rss_kib()
                held = len(bots) - base
                print(
                    f"  {held:>11} {rss / 1024:>8.1f} {(rss - rss0) * 1024 / held / 1000:>8.1f}"
                    f" {time.perf_counter() - t0:>7.2f}"
                )
            if failures:
                kinds = Counter(type(f).__name__ + ": " + str(f)[:80] for f in failures)
                print(f"  stopped at the first failures: {dict(kinds.most_common(3))}")
            held = len(bots) - base
            cpu0, t0 = server.cpu_seconds(), time.perf_counter()
            print(
                f"  holding {held} idle connections for {args.hold_seconds:.0f} s (heartbeat every 10 s) ..."
            )
            await asyncio.sleep(args.hold_seconds)
            cpu1, t1 = server.cpu_seconds(), time.perf_counter()
            alive = sum(1 for b in bots[base:] if not b.ws.closed)
            rss = server.rss_kib()
            print(
                f"  after the hold: {alive} of {held} still open; unexpected closes"
                f" {dict(traffic.unexpected_closes) or 'none'}; server RSS {rss / 1024:.1f} MiB"
                f" (baseline {rss0 / 1024:.1f} MiB with {base})"
                f" = {(rss - rss0) * 1024 / max(1, held) / 1000:.1f} KB per connection;"
                f" idle CPU {(cpu1 - cpu0) / (t1 - t0):.3f} cores; open fds"
                f" {len(os.listdir(f'/proc/{server.pid}/fd'))}"
            )
            await bounded(200, [b.close for b in bots])
    finally:
        code = await server.stop()
        print(f"  server stopped with status {code}; load average {load_average()}")


async def main_async(args: argparse.Namespace) -> None:
    limit = raise_fd_limit()
    print(
        f"signaling load benchmark, {dt.datetime.now().isoformat(timespec='seconds')},"
        f" {os.cpu_count()} cores, Python {sys.version.split()[0]}, aiohttp {aiohttp.__version__},"
        f" fd limit {limit}"
    )
    core_phase(args.customers, args.tellers, min(args.rounds, 50))
    work = Path(tempfile.mkdtemp(prefix="vb-load-"))
    try:
        if not args.skip_pairing:
            await asyncio.wait_for(pairing_phase(args, work), args.phase_limit * 3 + 300)
        if args.max_connections > 0:
            await asyncio.wait_for(ramp_phase(args, work), args.ramp_limit + args.hold_seconds + 120)
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Signaling load against a real server on 127.0.0.1.")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--tellers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=100, help="sequential rounds (two pairings each)")
    parser.add_argument(
        "--phase-limit", type=float, default=120.0, help="time limit of the sequential rounds"
    )
    parser.add_argument("--burst-seconds", type=float, default=15.0)
    parser.add_argument("--max-connections", type=int, default=10000, help="0 skips the ramp")
    parser.add_argument("--ramp-step", type=int, default=1000)
    parser.add_argument("--ramp-limit", type=float, default=120.0, help="time limit of the ramp")
    parser.add_argument("--hold-seconds", type=float, default=25.0)
    parser.add_argument("--skip-pairing", action="store_true")
    parser.add_argument("--profile", action="store_true", help="sample the server with py-spy (needs ptrace)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dirs and server logs")
    args = parser.parse_args(argv)
    args.have_py_spy = PY_SPY.is_file()
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
