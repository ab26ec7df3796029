"""The aiohttp WebSocket handler for ``/ws``: checks the origin, reads frames, hands them to the service."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from signaling.service import SignalingService

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
    ws = web.WebSocketResponse(heartbeat=heartbeat_seconds, max_msg_size=max_message_bytes)
    await ws.prepare(request)
    conn = await service.open(ws, address)
    try:
        async for frame in ws:
            if frame.type is WSMsgType.TEXT:
                await service.on_text(conn, frame.data)
            elif frame.type is WSMsgType.BINARY:
                await service.on_binary(conn)
            elif frame.type is WSMsgType.ERROR:
                logger.info("connection %s failed: %s", conn.id, type(ws.exception()).__name__)
    finally:
        await service.closed(conn)
    return ws
