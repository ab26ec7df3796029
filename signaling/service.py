"""The signaling adapter: owns the sockets, feeds the switchboard, carries out its effects.

Each connection has a bounded outbox drained by its own writer task, so a slow reader can never block
the switchboard or another connection: when the outbox overflows the socket is closed with 4009.
Only the connection's handler reads its socket (``endpoint``), and so only the handler closes it: the
writer asks for the close (:attr:`Connection.close_requested`) after the frames queued before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import replace
from typing import Any, Literal

from aiohttp import web

from signaling import effects as fx
from signaling.desks import DeskBoard, Sender, SessionDesk, SessionInfo, SessionRecorder
from signaling.errors import BadJson, CloseCode, MediaRejected, PeerError, ServerFault
from signaling.messages import Answer, ErrorMessage, ServerMessage, encode, parse_client_message
from signaling.ports import (
    Authenticator,
    CallbackPort,
    EventObserver,
    EventStore,
    FeedbackStore,
    MediaInputError,
    MediaPort,
)
from signaling.session import Leg
from signaling.switchboard import Switchboard

logger = logging.getLogger(__name__)

OUTBOX_LIMIT = 256
"""Messages queued for one socket before it is considered too slow and closed."""
TICK_SECONDS = 1.0


class Connection:
    """One WebSocket with its outbox and writer task."""

    def __init__(self, conn_id: str, ws: web.WebSocketResponse, address: str = "") -> None:
        self.id = conn_id
        self.ws = ws
        self.address = address
        """The client's network address (for the sign-in throttle; never logged with a name)."""
        self.faults = 0
        """Server faults while handling this connection's messages (only the first is logged in full)."""
        self._outbox: asyncio.Queue[str | tuple[int, str]] = asyncio.Queue(maxsize=OUTBOX_LIMIT)
        self.close_requested: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        """Set to (close code, reason) once every frame queued before the close has been written (or at
        once for a reader too slow to wait for): the handler then closes the socket with the closing
        handshake, reading and dropping what the client still sends until its close frame."""
        self._writer = asyncio.create_task(self._write_loop(), name=f"ws-writer-{conn_id}")
        self._closing = False

    def send(self, text: str) -> bool:
        """Queue a frame; False when the outbox is full."""
        if self._closing:
            return True
        try:
            self._outbox.put_nowait(text)
        except asyncio.QueueFull:
            return False
        return True

    def close(self, code: int, reason: str) -> None:
        """Close after the frames already queued (immediately if the outbox is full)."""
        if self._closing:
            return
        self._closing = True
        try:
            self._outbox.put_nowait((code, reason))
        except asyncio.QueueFull:
            self._writer.cancel()
            self._request_close(code, reason)

    def _request_close(self, code: int, reason: str) -> None:
        if not self.close_requested.done():
            self.close_requested.set_result((code, reason))

    async def _write_loop(self) -> None:
        try:
            while True:
                item = await self._outbox.get()
                if isinstance(item, tuple):
                    self._request_close(*item)
                    return
                await self.ws.send_str(item)
        except (ConnectionError, RuntimeError):
            return  # the socket is gone; the handler task notices and disconnects
        except Exception as error:
            # Whatever broke this writer, the socket must not stay open and silent: close it, so the
            # handler ends and the switchboard forgets the connection at once (no ghost teller).
            logger.error("connection %s: sending failed (%s); closing it", self.id, type(error).__name__)
            self._closing = True
            self._request_close(CloseCode.INTERNAL_ERROR, "server error")

    async def stop(self) -> None:
        """Stop the writer (after the socket has closed); never raises but for its own cancellation."""
        self._writer.cancel()
        await asyncio.gather(self._writer, return_exceptions=True)


class SignalingService:
    """Runs one :class:`Switchboard` against real sockets, the media hub, storage and accounts."""

    def __init__(
        self,
        switchboard: Switchboard,
        *,
        media: MediaPort,
        store: EventStore,
        recorder: SessionRecorder,
        authenticator: Authenticator,
        callbacks: CallbackPort,
        feedback: FeedbackStore | None = None,
        observer: EventObserver | None = None,
        desks: Iterable[SessionDesk] = (),
        clock: Callable[[], float] = time.time,
        max_connections: int = 2000,
        max_connections_per_address: int = 50,
        refuse_unrecorded: bool = True,
    ) -> None:
        self._refuse_unrecorded = refuse_unrecorded
        self.switchboard = switchboard
        self._max_connections = max_connections
        self._max_per_address = max_connections_per_address
        self._per_address: Counter[str] = Counter()
        self._media = media
        self._store = store
        self._auth = authenticator
        self._callbacks = callbacks
        self._feedback = feedback
        self._observer = observer
        self._desks = DeskBoard(desks)
        self._recorder = recorder
        self._opening: dict[str, asyncio.Event] = {}
        recorder.bind(self)
        for desk in self._desks.desks:
            desk.bind(self)
        self._input_started = time.perf_counter()
        self._clock = clock
        self._conns: dict[str, Connection] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._stopped = False
        media.set_listener(self._on_media_state)

    # --- lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Put back in line what an earlier run left booked, then start the periodic queue refresh."""
        pending = await self._callbacks.pending_callbacks()
        await self.apply(self.switchboard.restore_callbacks(pending, self._clock()))
        self._ticker = asyncio.create_task(self._tick_loop(), name="signaling-ticker")

    async def stop(self) -> None:
        """End every session, tell everyone, close every socket with GOING_AWAY (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        await self.apply(self.switchboard.shutdown(self._clock()))
        for conn in list(self._conns.values()):
            conn.close(CloseCode.GOING_AWAY, "server shutting down")
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    # --- connections (called by the endpoint) ------------------------------------------------------

    def refusal(self, address: str) -> tuple[int, str] | None:
        """Why a new socket from ``address`` would be refused (HTTP status, text), or ``None``."""
        if self._stopped:
            return 503, "the server is shutting down"
        if len(self._conns) >= self._max_connections:
            return 503, "the server holds as many connections as it may; try again shortly"
        if self._per_address[address] >= self._max_per_address:
            return 429, "too many connections from your address"
        return None

    async def open(self, ws: web.WebSocketResponse, address: str = "") -> Connection:
        """Register a new socket from ``address`` (the client's network address)."""
        conn = Connection(secrets.token_urlsafe(9), ws, address)
        self._conns[conn.id] = conn
        self._per_address[address] += 1
        await self.apply(self.switchboard.connect(conn.id, self._clock()))
        return conn

    async def on_text(self, conn: Connection, text: str) -> None:
        """One text frame from a client: refused with an ``error`` message, never a broken handler."""
        self._input_started = time.perf_counter()
        now = self._clock()
        ref_type: str | None = None
        try:
            message = parse_client_message(text)
            ref_type = message.TYPE
            effects = self.switchboard.receive(conn.id, message, now)
        except PeerError as error:
            effects = self.switchboard.reject(conn.id, error, error.ref_type, now)
        except Exception:
            effects = self._fault(conn, ref_type, now)
        await self._shielded(self.apply(effects))

    def _fault(self, conn: Connection, ref_type: str | None, now: float) -> list[fx.Effect]:
        """Our bug met a client's input: log it (a traceback once per connection); answer ``server_error``."""
        conn.faults += 1
        if conn.faults == 1:
            logger.exception("connection %s: handling %s failed", conn.id, ref_type or "a frame")
        else:
            logger.error("connection %s: handling %s failed again", conn.id, ref_type or "a frame")
        fault = ServerFault("the server could not handle that")
        return self.switchboard.reject(conn.id, fault, ref_type, now)

    async def on_binary(self, conn: Connection) -> None:
        """Binary frames are not part of protocol v1."""
        error = BadJson("binary frames are not accepted; send JSON text")
        await self.apply(self.switchboard.reject(conn.id, error, None, self._clock()))

    async def closed(self, conn: Connection) -> None:
        """The socket is closed (by either side, or the heartbeat found it dead).

        The switchboard forgets the connection before anything else is awaited, so that nothing can
        keep a dead connection in the routing."""
        if self._conns.pop(conn.id, None) is not None:
            self._per_address[conn.address] -= 1
            if self._per_address[conn.address] <= 0:
                del self._per_address[conn.address]
        effects = self.switchboard.disconnect(conn.id, self._clock())
        await self._shielded(self._after_close(conn, effects))

    async def _after_close(self, conn: Connection, effects: list[fx.Effect]) -> None:
        await conn.stop()
        await self.apply(effects)

    async def _shielded(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` to the end even if the handler awaiting it is cancelled (a server may cancel a
        socket's handler when its connection drops): effects are never left half carried out."""
        await asyncio.shield(self._spawn(work))

    @property
    def open_connections(self) -> int:
        """Sockets currently registered."""
        return len(self._conns)

    # --- the session link (what session desks may do) ---------------------------------------------

    def now(self) -> float:
        """Server time."""
        return self._clock()

    def _leg_conn(self, session_id: str, leg: Leg) -> Connection | None:
        session = self.switchboard.session(session_id)
        if session is None:
            # After the call only the teller wrapping it up is reachable (to record the wrap-up code).
            conn_id = self.switchboard.wrap_up_conn(session_id) if leg == "teller" else None
        else:
            conn_id = session.customer_conn if leg == "customer" else session.teller_conn
        return self._conns.get(conn_id) if conn_id is not None else None

    def connected(self, session_id: str, leg: Leg) -> bool:
        """Whether that party of a live session (or the teller wrapping up an ended one) has a
        connection now."""
        return self._leg_conn(session_id, leg) is not None

    def send(self, session_id: str, leg: Leg, message: ServerMessage) -> bool:
        """Send to one party of a live session, or to the teller wrapping up an ended one; ``False``
        when that party is not connected."""
        conn = self._leg_conn(session_id, leg)
        if conn is None:
            return False
        return self._deliver(conn, message)

    @staticmethod
    def _deliver(conn: Connection, message: ServerMessage) -> bool:
        """Queue a message on a connection; a slow reader is closed (4009), an unencodable message
        is dropped with one log line and the socket lives on."""
        try:
            text = encode(message)
        except ValueError:
            logger.error("connection %s: a %s message could not be encoded; dropped", conn.id, message.TYPE)
            return False
        if not conn.send(text):
            logger.warning("closing slow connection %s", conn.id)
            conn.close(CloseCode.TOO_SLOW, "reading too slowly")
            return False
        return True

    async def log(
        self, at: float, kind: str, session_id: str, actor: str | None, data: dict[str, Any]
    ) -> None:
        """Append to the event log and the session's record timeline."""
        await self.apply([fx.LogEvent(at, kind, session_id, actor, data)])

    async def record(
        self, at: float, kind: str, session_id: str, actor: str | None, data: dict[str, Any]
    ) -> None:
        """Append to the session's encrypted record timeline only."""
        await self._store.record_only(at, kind, session_id, actor, data)

    # --- effects --------------------------------------------------------------------------------------

    async def apply(self, effects: Iterable[fx.Effect]) -> None:
        """Carry out effects in order. A failing effect is logged and does not stop the others.

        Desks hear of a session opened in this batch after the whole batch, so that the session's
        ``session_started`` event comes first in its log and timeline."""
        opened: list[SessionInfo] = []
        for effect in effects:
            try:
                if isinstance(effect, fx.SessionOpened):
                    opened.append(await self._open_session(effect))
                else:
                    await self._apply_one(effect)
            except Exception:
                logger.exception("effect %s failed", type(effect).__name__)
        for info in opened:
            try:
                for desk in self._desks.desks:
                    try:
                        await desk.session_opened(info)
                    except Exception:
                        logger.exception("%s failed to open a session", type(desk).__name__)
            finally:
                self._opening.pop(info.session_id).set()
        for info in opened:
            if not info.recorded and self._refuse_unrecorded:
                logger.error("session %s ended: it could not be recorded", info.session_id)
                await self.apply(self.switchboard.end_session(info.session_id, "not_recorded", self._clock()))

    async def _open_session(self, opened: fx.SessionOpened) -> SessionInfo:
        # The parties were told before this effect: their first in-session messages wait until the
        # session row exists and every desk knows the session (set once the desks are told). The
        # recording desk hears of it here, before the session's first event is logged.
        self._opening[opened.session_id] = asyncio.Event()
        info = SessionInfo(
            opened.session_id,
            opened.business,
            opened.kind,
            opened.customer_name,
            opened.teller_username,
            opened.elderly,
            opened.started_at,
        )
        try:
            await self._store.open_session(
                opened.session_id,
                opened.business,
                opened.customer_name,
                opened.teller_username,
                opened.started_at,
            )
            recorded = await self._recorder.session_opened(info)
        except BaseException:
            self._opening.pop(opened.session_id).set()
            raise
        return replace(info, recorded=recorded)

    async def _apply_one(self, effect: fx.Effect) -> None:
        match effect:
            case fx.Send(conn_id, message):
                conn = self._conns.get(conn_id)
                if conn is not None:
                    self._deliver(conn, message)
            case fx.Close(conn_id, code, reason):
                conn = self._conns.get(conn_id)
                if conn is not None:
                    conn.close(code, reason)
            case fx.Authenticate(conn_id, role, username, password):
                conn = self._conns.get(conn_id)
                address = conn.address if conn is not None else ""
                result = await self._auth.authenticate(role, username, password, address)
                await self.apply(self.switchboard.authenticated(conn_id, result, self._clock()))
            case fx.NegotiateMedia(conn_id, session_id, leg, sdp):
                await self._negotiate(conn_id, session_id, leg, sdp)
            case fx.AddCandidate(conn_id, session_id, leg, candidate, sdp_mid, index):
                try:
                    await self._media.add_candidate(session_id, leg, candidate, sdp_mid, index)
                except MediaInputError as error:
                    rejected = MediaRejected(str(error))
                    await self.apply(self.switchboard.media_rejected(conn_id, rejected, "ice", self._clock()))
            case fx.NegotiateMonitor(conn_id, session_id, sdp):
                try:
                    answer = await self._media.negotiate_monitor(session_id, conn_id, sdp)
                except MediaInputError as error:
                    rejected = MediaRejected(str(error))
                    await self.apply(
                        self.switchboard.media_rejected(conn_id, rejected, "offer", self._clock())
                    )
                else:
                    await self.apply([fx.Send(conn_id, Answer(session_id, answer))])
            case fx.CloseMonitor(conn_id, session_id):
                await self._media.close_monitor(session_id, conn_id)
            case fx.OpenMedia(session_id):
                self._media.open_session(session_id)
            case fx.CloseMedia(session_id):
                await self._media.close_session(session_id)
            case fx.SessionClosed(session_id, ended_at, outcome):
                # A session may end in the instant it is being opened (a party hangs up or drops):
                # the desks hear of the close after they heard of the opening, without holding up
                # the effects behind this one; the recording desk, last, seals the record.
                opening = self._opening.get(session_id)
                if opening is None:
                    await self._close_desks(session_id, outcome, ended_at)
                    try:
                        await self._store.close_session(session_id, ended_at, outcome)
                    finally:
                        await self._recorder.session_closed(session_id, outcome, ended_at)
                else:
                    self._spawn(self._close_desks(session_id, outcome, ended_at, after=opening, seal=True))
                    await self._store.close_session(session_id, ended_at, outcome)
            case fx.PartyJoined(session_id, leg):
                opening = self._opening.get(session_id)
                if opening is not None:
                    await opening.wait()
                for desk in self._desks.desks:
                    try:
                        await desk.party_joined(session_id, leg)
                    except Exception:
                        logger.exception("%s failed to catch up a party", type(desk).__name__)
            case fx.InSession(conn_id, session_id, leg, role, username, message):
                opening = self._opening.get(session_id)
                if opening is not None:
                    await opening.wait()
                try:
                    desk = self._desks.desk_for(message.TYPE)
                    await desk.handle(session_id, Sender(conn_id, leg, role, username), message)
                except PeerError as error:
                    await self.apply(self.switchboard.reject(conn_id, error, message.TYPE, self._clock()))
            case fx.LegLost() | fx.LegResumed():
                await self._tell_leg_listeners(effect)
            case fx.LogEvent(at, kind, session_id, actor, data):
                # The supervisor's figures learn what the flows decided (card reviews) from their log.
                self.switchboard.stats.observe(at, kind, data)
                if self._observer is not None:
                    self._observer.observe(kind, data, time.perf_counter() - self._input_started)
                await self._store.append_event(at, kind, session_id, actor, data)
            case fx.Paired(business, lane, waited):
                if self._observer is not None:
                    data = {"business": business, "lane": lane, "waited_seconds": waited}
                    self._observer.observe("paired", data, time.perf_counter() - self._input_started)
            case fx.StoreFeedback(conn_id, session_id, business, rating, comment, at):
                try:
                    if self._feedback is None:
                        raise RuntimeError("no feedback store configured")
                    stored = await self._feedback.record_rating(
                        session_id, business, None, rating, comment, at
                    )
                except Exception:
                    logger.exception("the rating of session %s could not be stored", session_id)
                    failed = ErrorMessage("server_error", "the rating could not be stored", "feedback")
                    await self.apply([fx.Send(conn_id, failed)])
                    return
                await self.apply(self.switchboard.feedback_stored(effect, stored, self._clock()))
            case fx.StoreCallback(reservation, created_at):
                await self._callbacks.store_callback(reservation, created_at)
            case fx.UpdateCallback(reservation_id, status, at, teller, session_id, link_hash):
                await self._callbacks.update_callback(
                    reservation_id, status, at, teller, session_id, link_hash
                )
            case fx.NotifyCallback(reservation_id, token, teller_name, at):
                await self._callbacks.notify_callback(reservation_id, token, teller_name, at)

    async def _tell_leg_listeners(self, effect: fx.LegLost | fx.LegResumed) -> None:
        """The desks that care hear that a party's connection was lost, or that it is back."""
        opening = self._opening.get(effect.session_id)
        if opening is not None:
            await opening.wait()
        for listener in self._desks.leg_listeners:
            hook = listener.leg_lost if isinstance(effect, fx.LegLost) else listener.leg_resumed
            try:
                await hook(effect.session_id, effect.leg, effect.at)
            except Exception:
                logger.exception("%s failed on a %s", type(listener).__name__, type(effect).__name__)

    async def _close_desks(
        self,
        session_id: str,
        outcome: str,
        ended_at: float,
        *,
        after: asyncio.Event | None = None,
        seal: bool = False,
    ) -> None:
        """Tell every desk the session is over (after its opening, when given), then, with ``seal``,
        the recording desk."""
        if after is not None:
            await after.wait()
        for desk in self._desks.desks:
            try:
                await desk.session_closed(session_id, outcome, ended_at)
            except Exception:
                logger.exception("%s failed to close a session", type(desk).__name__)
        if seal:
            await self._recorder.session_closed(session_id, outcome, ended_at)

    async def _negotiate(self, conn_id: str, session_id: str, leg: Leg, sdp: str) -> None:
        try:
            answer = await self._media.negotiate(session_id, leg, sdp)
        except MediaInputError as error:
            rejected = MediaRejected(str(error))
            await self.apply(self.switchboard.media_rejected(conn_id, rejected, "offer", self._clock()))
            return
        await self.apply([fx.Send(conn_id, Answer(session_id, answer))])

    def _on_media_state(self, session_id: str, leg: Leg, state: Literal["connected", "failed"]) -> None:
        effects = self.switchboard.media_state(session_id, leg, state, self._clock())
        self._spawn(self.apply(effects))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _tick_loop(self) -> None:
        """Tick at least every second, and exactly when an offer, wrap-up or routing step is due."""
        while True:
            now = self._clock()
            deadline = self.switchboard.next_deadline(now)
            wait = TICK_SECONDS if deadline is None else min(TICK_SECONDS, max(0.005, deadline - now))
            await asyncio.sleep(wait)
            self._input_started = time.perf_counter()
            await self.apply(self.switchboard.tick(self._clock()))
