"""The aiohttp WebSocket handler for ``/ws``: checks the origin, reads frames, hands them to the service.

The handler is the only reader of its socket and so also the one that closes it when the server
decides to (:attr:`~signaling.service.Connection.close_requested`), with the closing handshake.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from signaling.service import Connection, SignalingService

logger = logging.getLogger(__name__)


DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_key(scheme: str, netloc: str) -> tuple[str, str, int | None]:
    parts = urlsplit(f"{scheme}://{netloc}")
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return ("", "", None)
    return (scheme, (parts.hostname or "").lower(), port)


def origin_allowed(request: web.Request, allowed: tuple[str, ...]) -> bool:
    """Same-origin browsers (same scheme, host and port) and listed origins may connect; clients that
    send no Origin are not browsers."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin in allowed:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in DEFAULT_PORTS or not parts.netloc:
        return False
    return _origin_key(parts.scheme, parts.netloc) == _origin_key(request.scheme, request.host)


async def handle_websocket(
    request: web.Request,
    service: SignalingService,
    *,
    allowed_origins: tuple[str, ...],
    heartbeat_seconds: float,
    max_message_bytes: int,
) -> web.WebSocketResponse:
    """Serve one signaling socket until it closes."""
    if not origin_allowed(request, allowed_origins):
        raise web.HTTPForbidden(text="origin not allowed")
    address = request.remote or ""
    refusal = service.refusal(address)
    if refusal is not None:
        status, text = refusal
        raise web.HTTPTooManyRequests(text=text) if status == 429 else web.HTTPServiceUnavailable(text=text)
    # aiohttp refuses a frame of max_msg_size bytes or more; ours are refused only over the limit.
    ws = web.WebSocketResponse(heartbeat=heartbeat_seconds, max_msg_size=max_message_bytes + 1)
    await ws.prepare(request)
    conn = await service.open(ws, address)
    reader = _FrameReader(ws, service, conn)
    try:
        await asyncio.wait((reader.task, conn.close_requested), return_when=asyncio.FIRST_COMPLETED)
    finally:
        try:
            await reader.stop()
        finally:
            await service.closed(conn)
    if conn.close_requested.done() and not ws.closed:
        # The closing handshake, from the one task that reads the socket: send the close frame, then
        # read (and drop) until the client's close frame, at most aiohttp's close timeout. Closing the
        # TCP connection while the client still sends would reset it, and the client's stack might
        # then report 1006 instead of our code. No drain: a client too slow to read cannot hold it.
        code, reason = conn.close_requested.result()
        await ws.close(code=code, message=reason.encode(), drain=False)
    return ws


class _FrameReader:
    """Reads the socket's frames into the service until the client closes or a close is requested."""

    def __init__(self, ws: web.WebSocketResponse, service: SignalingService, conn: Connection) -> None:
        self._ws = ws
        self._service = service
        self._conn = conn
        self._receiving = False
        self.task = asyncio.create_task(self._read(), name=f"ws-reader-{conn.id}")

    async def _read(self) -> None:
        ws, service, conn = self._ws, self._service, self._conn
        while not conn.close_requested.done():
            self._receiving = True
            try:
                frame = await ws.receive()
            finally:
                self._receiving = False
            if frame.type is WSMsgType.TEXT:
                await service.on_text(conn, frame.data)
            elif frame.type is WSMsgType.BINARY:
                await service.on_binary(conn)
            elif frame.type is WSMsgType.ERROR:
                logger.info("connection %s failed: %s", conn.id, type(ws.exception()).__name__)
            elif frame.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                return

    async def stop(self) -> None:
        """Stop reading: at once while waiting for a frame (a frame the client sent after the close was
        decided is dropped), after the frame in hand while handling one."""
        if self._receiving:
            self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        if not self.task.cancelled() and (error := self.task.exception()) is not None:
            raise error
