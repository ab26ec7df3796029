"""HTTP hardening for every response and request: headers, the Host allow-list, the metrics token.

- Every response: a strict Content-Security-Policy and friends (pages whose response is not yet sent),
  ``Server: video_bank`` without versions, and ``Strict-Transport-Security`` when served over TLS.
- Every request: its ``Host`` must name this server (``allowed_hosts``), else 421 Misdirected
  Request — a page on another site that rebinds its DNS name to this server cannot talk to it.
  With no list configured, a server bound to a loopback address answers loopback names only.
- ``/metrics`` asks for ``Authorization: Bearer <metrics_token>`` when a token is configured.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from video_bank.config import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
SERVER_HEADER = "video_bank"
HSTS = "max-age=31536000"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Strict CSP and friends on every HTTP response not yet sent by its handler."""
    response = await handler(request)
    if not response.prepared:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()")
        response.headers.setdefault("Cache-Control", "no-cache")
    return response


async def server_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response as it is sent (errors and WebSocket upgrades included): no versions in
    ``Server``; HSTS over TLS."""
    response.headers["Server"] = SERVER_HEADER
    if request.secure:
        response.headers["Strict-Transport-Security"] = HSTS


def allowed_hosts(settings: Settings) -> frozenset[str] | None:
    """Host names this server answers to; ``None``: any."""
    if settings.allowed_hosts:
        return frozenset(settings.allowed_hosts)
    if settings.host == "localhost" or _is_loopback_address(settings.host):
        return LOOPBACK_HOSTS
    return None


def _is_loopback_address(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """The host part of a ``Host`` header value (lower case, IPv6 in brackets, no port)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_check(allowed: frozenset[str] | None) -> Middleware:
    """A middleware answering 421 to requests whose ``Host`` is not in ``allowed``."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if allowed is not None and host_name(request.host) not in allowed:
            raise web.HTTPMisdirectedRequest(text="this server does not answer to that host name")
        return await handler(request)

    return check


def metrics_authorized(request: web.Request, token: str | None) -> bool:
    """Whether the request may read ``/metrics`` (always, when no token is configured)."""
    if token is None:
        return True
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
