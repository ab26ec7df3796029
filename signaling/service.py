"""The signaling adapter: owns the sockets, feeds the switchboard, carries out its effects.

Each connection has a bounded outbox drained by its own writer task, so a slow reader can never block
the switchboard or another connection: when the outbox overflows the socket is closed with 4009.
Only the connection's handler task reads its socket (``endpoint``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Literal

from aiohttp import web

from signaling import effects as fx
from signaling.desks import DeskBoard, Sender, SessionDesk, SessionInfo
from signaling.errors import BadJson, CloseCode, MediaRejected, PeerError
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

    def __init__(self, conn_id: str, ws: web.WebSocketResponse) -> None:
        self.id = conn_id
        self.ws = ws
        self._outbox: asyncio.Queue[str | tuple[int, str]] = asyncio.Queue(maxsize=OUTBOX_LIMIT)
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
            asyncio.create_task(self.ws.close(code=code, message=reason.encode()))  # noqa: RUF006

    async def _write_loop(self) -> None:
        while True:
            item = await self._outbox.get()
            if isinstance(item, tuple):
                code, reason = item
                await self.ws.close(code=code, message=reason.encode())
                return
            try:
                await self.ws.send_str(item)
            except (ConnectionResetError, RuntimeError):
                return  # the socket is gone; the handler task notices and disconnects

    async def stop(self) -> None:
        """Stop the writer (after the socket has closed)."""
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer


class SignalingService:
    """Runs one :class:`Switchboard` against real sockets, the media hub, storage and accounts."""

    def __init__(
        self,
        switchboard: Switchboard,
        *,
        media: MediaPort,
        store: EventStore,
        authenticator: Authenticator,
        callbacks: CallbackPort,
        feedback: FeedbackStore | None = None,
        observer: EventObserver | None = None,
        desks: Iterable[SessionDesk] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.switchboard = switchboard
        self._media = media
        self._store = store
        self._auth = authenticator
        self._callbacks = callbacks
        self._feedback = feedback
        self._observer = observer
        self._desks = DeskBoard(desks)
        self._opening: dict[str, asyncio.Event] = {}
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

    def start(self) -> None:
        """Start the periodic queue refresh."""
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

    async def open(self, ws: web.WebSocketResponse) -> Connection:
        """Register a new socket."""
        conn = Connection(secrets.token_urlsafe(9), ws)
        self._conns[conn.id] = conn
        await self.apply(self.switchboard.connect(conn.id, self._clock()))
        return conn

    async def on_text(self, conn: Connection, text: str) -> None:
        """One text frame from a client."""
        self._input_started = time.perf_counter()
        now = self._clock()
        try:
            message = parse_client_message(text)
        except PeerError as error:
            await self.apply(self.switchboard.reject(conn.id, error, error.ref_type, now))
            return
        await self.apply(self.switchboard.receive(conn.id, message, now))

    async def on_binary(self, conn: Connection) -> None:
        """Binary frames are not part of protocol v1."""
        error = BadJson("binary frames are not accepted; send JSON text")
        await self.apply(self.switchboard.reject(conn.id, error, None, self._clock()))

    async def closed(self, conn: Connection) -> None:
        """The socket is closed (by either side, or the heartbeat found it dead)."""
        self._conns.pop(conn.id, None)
        await conn.stop()
        await self.apply(self.switchboard.disconnect(conn.id, self._clock()))

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
            return None
        conn_id = session.customer_conn if leg == "customer" else session.teller_conn
        return self._conns.get(conn_id) if conn_id is not None else None

    def connected(self, session_id: str, leg: Leg) -> bool:
        """Whether that party of a live session has a connection now."""
        return self._leg_conn(session_id, leg) is not None

    def send(self, session_id: str, leg: Leg, message: ServerMessage) -> bool:
        """Send to one party of a live session; ``False`` when that party is not connected."""
        conn = self._leg_conn(session_id, leg)
        if conn is None:
            return False
        if not conn.send(encode(message)):
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

    async def _open_session(self, opened: fx.SessionOpened) -> SessionInfo:
        # The parties were told before this effect: their first in-session messages wait until the
        # session row exists and every desk knows the session (set once the desks are told).
        self._opening[opened.session_id] = asyncio.Event()
        try:
            await self._store.open_session(
                opened.session_id,
                opened.business,
                opened.customer_name,
                opened.teller_username,
                opened.started_at,
            )
        except BaseException:
            self._opening.pop(opened.session_id).set()
            raise
        return SessionInfo(
            opened.session_id,
            opened.business,
            opened.kind,
            opened.customer_name,
            opened.teller_username,
            opened.elderly,
            opened.started_at,
        )

    async def _apply_one(self, effect: fx.Effect) -> None:
        match effect:
            case fx.Send(conn_id, message):
                conn = self._conns.get(conn_id)
                if conn is not None and not conn.send(encode(message)):
                    logger.warning("closing slow connection %s", conn_id)
                    conn.close(CloseCode.TOO_SLOW, "reading too slowly")
            case fx.Close(conn_id, code, reason):
                conn = self._conns.get(conn_id)
                if conn is not None:
                    conn.close(code, reason)
            case fx.Authenticate(conn_id, role, username, password):
                identity = await self._auth.authenticate(role, username, password)
                await self.apply(self.switchboard.authenticated(conn_id, identity, self._clock()))
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
                for desk in self._desks.desks:
                    try:
                        await desk.session_closed(session_id, outcome, ended_at)
                    except Exception:
                        logger.exception("%s failed to close a session", type(desk).__name__)
                await self._store.close_session(session_id, ended_at, outcome)
            case fx.InSession(conn_id, session_id, leg, role, username, message):
                opening = self._opening.get(session_id)
                if opening is not None:
                    await opening.wait()
                try:
                    desk = self._desks.desk_for(message.TYPE)
                    await desk.handle(session_id, Sender(conn_id, leg, role, username), message)
                except PeerError as error:
                    await self.apply(self.switchboard.reject(conn_id, error, message.TYPE, self._clock()))
            case fx.LogEvent(at, kind, session_id, actor, data):
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
            case fx.StoreCallback(reservation_id, business, name, phone, start, end, created_at):
                await self._callbacks.store_callback(
                    reservation_id, business, name, phone, start, end, created_at
                )
            case fx.UpdateCallback(reservation_id, status, at, teller, session_id):
                await self._callbacks.update_callback(reservation_id, status, at, teller, session_id)
            case fx.NotifyCallback(reservation_id, token, teller_name, at):
                await self._callbacks.notify_callback(reservation_id, token, teller_name, at)

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

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _tick_loop(self) -> None:
        """Tick at least every second, and exactly when an offer, wrap-up or routing step is due."""
        while True:
            now = self._clock()
            deadline = self.switchboard.next_deadline(now)
            wait = TICK_SECONDS if deadline is None else min(TICK_SECONDS, max(0.005, deadline - now))
            await asyncio.sleep(wait)
            self._input_started = time.perf_counter()
            await self.apply(self.switchboard.tick(self._clock()))
