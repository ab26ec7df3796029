"""Settings: one frozen value built at start-up from ``VIDEO_BANK_*`` environment variables and CLI flags.

CLI flags override the environment; both override the embedded defaults, which need nothing but a
writable data directory. Invalid values raise :class:`ConfigError` whose message names the setting,
so the CLI can fail with one line.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import ipaddress
import json
import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from signaling.routing_config import RoutingConfigError, load_routing
from signaling.service_hours import (
    DEFAULT_SERVICE_HOURS,
    DEFAULT_TIME_ZONE,
    ServiceHours,
    ServiceHoursError,
    parse_time_zone,
)
from video_bank.errors import ConfigError

ENV_PREFIX = "VIDEO_BANK_"
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_ICE_SCHEMES = ("stun", "stuns", "turn", "turns")
IceTransportPolicy = Literal["all", "relay"]
ICE_TRANSPORT_POLICIES: tuple[IceTransportPolicy, ...] = ("all", "relay")
TURN_TTL_RANGE = (60, 86400)
"""Shortest and longest lifetime of a TURN credential, in seconds."""
TURN_SECRET_MIN_CHARS = 16
_TURN_URL = re.compile(
    r"(?P<scheme>turns?):(?P<host>[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?(?:\?transport=(?P<transport>udp|tcp))?"
)
"""A TURN URL (RFC 7065) that browsers and aiortc both read: host name or IPv4 address, no IPv6 literal."""
_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:]+\]")
"""A host name or IPv4 address in lower case, or a bracketed IPv6 address (as in a ``Host`` header)."""


@dataclass(frozen=True, slots=True)
class IceServer:
    """One entry of the WebRTC ICE configuration, used by the hub and sent to browsers."""

    urls: tuple[str, ...]
    """``stun:``/``turn:`` URLs of one server."""
    username: str | None = None
    """TURN user name."""
    credential: str | None = field(default=None, repr=False)
    """TURN password; a secret, never shown in ``repr`` or logs."""

    def __post_init__(self) -> None:
        if not self.urls:
            raise ConfigError("ice_servers", "an ICE server needs at least one URL")
        for url in self.urls:
            scheme, colon, rest = url.partition(":")
            if scheme not in _ICE_SCHEMES or not colon or not rest:
                raise ConfigError("ice_servers", f"{url!r} is not a stun:/turn: URL")

    def to_browser(self) -> dict[str, Any]:
        """The ``RTCIceServer`` dictionary a browser expects."""
        out: dict[str, Any] = {"urls": list(self.urls)}
        if self.username is not None:
            out["username"] = self.username
        if self.credential is not None:
            out["credential"] = self.credential
        return out


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads from its environment, validated once."""

    host: str = "127.0.0.1"
    """Address the HTTP server binds."""
    port: int = 8080
    """TCP port of the HTTP server."""
    data_dir: Path = Path("var")
    """Directory for the database, TLS material and records; created at start."""
    database_url: str = ""
    """``sqlite:///path``; empty means ``sqlite:///<data_dir>/video_bank.sqlite3``."""
    ice_servers: tuple[IceServer, ...] = ()
    """ICE servers for the hub and browsers; empty means host candidates only."""
    tls_cert: Path | None = None
    """PEM certificate chain for HTTPS; with ``tls_key``."""
    tls_key: Path | None = None
    """PEM private key for HTTPS."""
    self_signed: bool = False
    """Generate (once, into the data dir) a self-signed certificate and serve HTTPS."""
    log_level: str = "INFO"
    """Python logging level name."""
    demo_password: str | None = field(default=None, repr=False)
    """Password for demo accounts seeded into an empty data dir; random when unset. Secret."""
    allowed_origins: tuple[str, ...] = ()
    """Extra ``Origin`` values allowed to open the WebSocket (same-origin is always allowed)."""
    max_message_bytes: int = 128 * 1024
    """Largest accepted WebSocket frame; larger frames close the socket with 1009."""
    heartbeat_seconds: float = 10.0
    """WebSocket ping interval; a socket missing its pong is treated as lost."""
    resume_grace_seconds: float = 30.0
    """How long a party whose connection dropped keeps its leg of the call (or its place in line) to
    resume it (docs/protocol.md, "Resume"); 0 ends the call at once, as before resume existed."""
    queue_update_seconds: float = 5.0
    """Waiting customers get a fresh position/ETA at least this often."""
    default_handle_seconds: float = 135.0
    """Handle time assumed for the wait estimate until real calls have been measured."""
    routing_file: Path | None = None
    """TOML routing policy (docs/routing.md); ``None`` uses the default shipped with the package."""
    reference_key: str | None = field(default=None, repr=False)
    """32-byte key (64 hex digits or URL-safe base64) encrypting reference photos at rest. Secret.

    Unset: a key generated once into ``<data_dir>/keys/reference.key`` (embedded default; a bank
    provides it from its secret store)."""
    pin_key: str | None = field(default=None, repr=False)
    """32-byte key (64 hex digits or URL-safe base64) of the PIN vault: card PINs and account passwords
    are stored sealed with it (docs/pin-vault.md). Secret.

    Unset: keys generated once into ``<data_dir>/keys/pin-vault.keys`` (mode 0600; embedded default; a
    bank provides the key from its secret store, away from the database)."""
    pin_previous_keys: tuple[str, ...] = field(default=(), repr=False)
    """Earlier PIN-vault keys still opened while stored values are re-wrapped (``pins rewrap``) under
    ``pin_key``; comma-separated in the environment. Secret."""
    verification_workers: int = 0
    """Face-analysis worker processes; 0 means one per CPU core."""
    verification_preload: bool = True
    """``serve`` starts the face-analysis workers at start-up (each loads dlib's models, a few seconds)
    rather than at the first verification."""
    verification_fps: float = 15.0
    """Frames analysed per second in each identity check at most (2-30). A lower cap serves more checks
    per core; below about 5 the checks pause and may end ``busy`` (docs/verification.md)."""
    match_accept: float | None = None
    """Face-match distance at or below which the check accepts (``None``: the calibrated default,
    docs/verification.md). A bank may set its own operating point."""
    match_review: float | None = None
    """Distance up to which a teller reviews (above: reject); ``None``: the calibrated default."""
    review_four_eyes: bool = False
    """A second staff member (another teller or a supervisor, with their own password) must confirm a
    teller's resolution of a ``review`` identity check before it counts."""
    test_mode: bool = False
    """Explicit test mode: allows ``verification_seed``. Refused with production settings (a non-loopback
    address or a TLS certificate)."""
    verification_seed: int | None = None
    """Test mode only: a fixed seed for the liveness challenges, so a pre-recorded clip can answer them."""
    turn_urls: tuple[str, ...] = ()
    """``turn:``/``turns:`` URLs of the bank's TURN servers (coturn with ``use-auth-secret``); every leg of
    a call gets short-lived credentials for them (docs/turn.md). Empty: no TURN relay is offered."""
    turn_secret: str | None = field(default=None, repr=False)
    """The secret shared with the TURN servers (coturn's ``static-auth-secret``). Secret: from
    ``VIDEO_BANK_TURN_SECRET`` or the file named by ``VIDEO_BANK_TURN_SECRET_FILE``."""
    turn_ttl_seconds: int = 600
    """How long an issued TURN credential may open new allocations (a running call outlives it)."""
    ice_transport_policy: IceTransportPolicy = "all"
    """``all``: any path, TURN only as a fallback; ``relay``: the pages and the hub use TURN relays only."""
    max_connections: int = 2000
    """WebSocket connections this server holds at most; more are refused with HTTP 503."""
    max_connections_per_address: int = 50
    """WebSocket connections from one client address at most; more are refused with HTTP 429."""
    allowed_hosts: tuple[str, ...] = ()
    """Host names (``Host`` header, without the port) this server answers to; any other gets 421, which
    defeats DNS rebinding. Empty: loopback names only when bound to a loopback address, else any."""
    metrics_token: str | None = field(default=None, repr=False)
    """Bearer token required by ``/metrics`` (Prometheus ``authorization``); unset: open. Secret."""
    unrecorded_calls: Literal["refuse", "restrict"] = "refuse"
    """A call whose record cannot be opened (no auditor key, disk full): ``refuse`` ends it at once
    (reason ``not_recorded``); ``restrict`` lets the parties talk but refuses every business action."""
    service_hours: str = DEFAULT_SERVICE_HOURS
    """Daily hours tellers answer, ``HH:MM-HH:MM`` in ``time_zone`` (``00:00-24:00``: round the clock);
    call-back windows lie inside them."""
    time_zone: str = DEFAULT_TIME_ZONE
    """The bank's time zone (IANA name, or ``UTC+08:00``): service hours, "today", ages and dates."""

    def __post_init__(self) -> None:
        if not self.host:
            raise ConfigError("host", "must not be empty")
        if not 0 <= self.port <= 65535:
            raise ConfigError("port", f"{self.port} is not a TCP port (0-65535)")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ConfigError("tls_cert", "tls_cert and tls_key must be given together")
        if self.self_signed and self.tls_cert is not None:
            raise ConfigError("self_signed", "use either --self-signed or --tls-cert/--tls-key, not both")
        for name in ("tls_cert", "tls_key", "routing_file"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise ConfigError(name, f"{path} is not a readable file")
        if self.routing_file is not None:
            try:
                load_routing(Path(self.routing_file))
            except RoutingConfigError as error:
                raise ConfigError("routing_file", f"{self.routing_file}: {error}") from None
        if self.log_level not in _LOG_LEVELS:
            raise ConfigError("log_level", f"{self.log_level!r} is not one of {', '.join(_LOG_LEVELS)}")
        if self.database_url and (
            not self.database_url.startswith("sqlite:///") or self.database_url == "sqlite:///"
        ):
            raise ConfigError("database_url", "only sqlite:///PATH is supported by this version")
        if self.max_message_bytes < 4096:
            raise ConfigError("max_message_bytes", "must be at least 4096")
        for name in ("heartbeat_seconds", "queue_update_seconds", "default_handle_seconds"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise ConfigError(name, "must be a positive number")
        if not math.isfinite(self.resume_grace_seconds) or not 0 <= self.resume_grace_seconds <= 600:
            raise ConfigError("resume_grace_seconds", "must be between 0 and 600 seconds")
        if self.reference_key is not None and len(key_bytes(self.reference_key)) != 32:
            raise ConfigError("reference_key", "must be 32 bytes as 64 hex digits or URL-safe base64")
        for name, keys in (("pin_key", (self.pin_key,)), ("pin_previous_keys", self.pin_previous_keys)):
            if any(k is not None and len(key_bytes(k)) != 32 for k in keys):
                raise ConfigError(name, "each key must be 32 bytes as 64 hex digits or URL-safe base64")
        if self.pin_previous_keys and self.pin_key is None:
            raise ConfigError("pin_previous_keys", "previous PIN-vault keys need the current one in pin_key")
        if self.verification_workers < 0:
            raise ConfigError("verification_workers", "must be 0 (one per core) or more")
        if not (math.isfinite(self.verification_fps) and 2 <= self.verification_fps <= 30):
            raise ConfigError("verification_fps", "must be a number within 2-30")
        accept, review = self.match_accept, self.match_review
        for name, value in (("match_accept", accept), ("match_review", review)):
            if value is not None and not (math.isfinite(value) and 0 < value < 1.2):
                raise ConfigError(name, "must be a face-match distance within 0-1.2")
        if accept is not None and review is not None and accept > review:
            raise ConfigError("match_review", "must not be below match_accept")
        if self.verification_seed is not None and not self.test_mode:
            raise ConfigError("verification_seed", "a fixed challenge seed needs test_mode")
        if self.test_mode and (self.tls_cert is not None or not _is_loopback(self.host)):
            raise ConfigError(
                "test_mode", "test mode is refused with production settings (non-loopback host or TLS)"
            )
        try:
            parse_time_zone(self.time_zone)
        except ServiceHoursError as error:
            raise ConfigError("time_zone", str(error)) from None
        try:
            ServiceHours.parse(self.service_hours, self.time_zone)
        except ServiceHoursError as error:
            raise ConfigError("service_hours", str(error)) from None
        for origin in self.allowed_origins:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError("allowed_origins", f"{origin!r} is not an origin like https://host:port")
        self._check_turn()
        for name in ("max_connections", "max_connections_per_address"):
            if getattr(self, name) < 1:
                raise ConfigError(name, "must be at least 1")
        for host in self.allowed_hosts:
            if not _HOST_NAME.fullmatch(host):
                raise ConfigError("allowed_hosts", f"{host!r} is not a host name or address (no port)")
        token = self.metrics_token
        if token is not None and (len(token) < 16 or not token.isprintable() or " " in token):
            raise ConfigError("metrics_token", "must be at least 16 printable characters without spaces")
        if self.unrecorded_calls not in ("refuse", "restrict"):
            raise ConfigError("unrecorded_calls", f"{self.unrecorded_calls!r} is not refuse or restrict")

    def _check_turn(self) -> None:
        for url in self.turn_urls:
            match = _TURN_URL.fullmatch(url)
            if match is None or not 0 < int(match["port"] or 3478) < 65536:
                raise ConfigError("turn_urls", f"{url!r} is not a URL like turn:host:3478?transport=udp")
            if match["scheme"] == "turns" and match["transport"] == "udp":
                raise ConfigError("turn_urls", f"{url!r}: turns: runs over TCP (no TURN over DTLS)")
        if self.turn_secret is not None:
            if len(self.turn_secret) < TURN_SECRET_MIN_CHARS:
                raise ConfigError("turn_secret", f"must be at least {TURN_SECRET_MIN_CHARS} characters")
            if not self.turn_secret.isprintable() or any(c.isspace() for c in self.turn_secret):
                raise ConfigError("turn_secret", "must be printable characters without spaces")
            if not self.turn_urls:
                raise ConfigError("turn_urls", "a TURN secret is set but no TURN server URL")
        elif self.turn_urls:
            raise ConfigError("turn_secret", "TURN URLs need the shared secret (or turn_secret_file)")
        low, high = TURN_TTL_RANGE
        if not low <= self.turn_ttl_seconds <= high:
            raise ConfigError("turn_ttl_seconds", f"must be between {low} and {high} seconds")
        if self.ice_transport_policy not in ICE_TRANSPORT_POLICIES:
            raise ConfigError(
                "ice_transport_policy",
                f"{self.ice_transport_policy!r} is not one of {', '.join(ICE_TRANSPORT_POLICIES)}",
            )
        static_turn = any(
            s.username and s.credential and any(u.startswith("turn") for u in s.urls)
            for s in self.ice_servers
        )
        if self.ice_transport_policy == "relay" and not (self.turn_urls or static_turn):
            raise ConfigError("ice_transport_policy", "relay needs a TURN server (turn_urls and turn_secret)")

    @property
    def zone(self) -> dt.tzinfo:
        """The bank's time zone (``time_zone``): the one clock setting of the switchboard's "today",
        the service hours and call-back windows, and the flows' dates."""
        return parse_time_zone(self.time_zone)

    @property
    def hours(self) -> ServiceHours:
        """The service hours in the bank's time zone."""
        return ServiceHours.parse(self.service_hours, self.zone)

    @property
    def sqlite_path(self) -> Path:
        """File of the SQLite database."""
        if self.database_url:
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.data_dir / "video_bank.sqlite3"

    @property
    def uses_tls(self) -> bool:
        """Whether the server speaks HTTPS."""
        return self.self_signed or self.tls_cert is not None

    @property
    def public_url(self) -> str:
        """Base URL to print for people to open."""
        scheme = "https" if self.uses_tls else "http"
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host  # noqa: S104
        return f"{scheme}://{host}:{self.port}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(name, f"{raw!r} is not a boolean (true/false)")


def parse_ice_servers(raw: str) -> tuple[IceServer, ...]:
    """Parse ``VIDEO_BANK_ICE_SERVERS``: a JSON list of RTCIceServer objects or comma-separated URLs."""
    raw = raw.strip()
    if not raw:
        return ()
    if not raw.startswith("["):
        return tuple(IceServer(urls=(url.strip(),)) for url in raw.split(",") if url.strip())
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError("ice_servers", f"not valid JSON ({exc.msg})") from None
    servers = []
    for item in items if isinstance(items, list) else [None]:
        if not isinstance(item, dict) or "urls" not in item:
            raise ConfigError("ice_servers", 'each entry must be an object with "urls"')
        urls = item["urls"]
        urls = [urls] if isinstance(urls, str) else urls
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise ConfigError("ice_servers", '"urls" must be a string or a list of strings')
        username, credential = item.get("username"), item.get("credential")
        if not all(v is None or isinstance(v, str) for v in (username, credential)):
            raise ConfigError("ice_servers", '"username" and "credential" must be strings')
        servers.append(IceServer(urls=tuple(urls), username=username, credential=credential))
    return tuple(servers)


def key_bytes(text: str) -> bytes:
    """A key's bytes from 64 hex digits or URL-safe base64 (empty when it is neither)."""
    text = text.strip()
    try:
        if len(text) == 64:
            return bytes.fromhex(text)
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        return b""


def _convert(name: str, raw: str) -> Any:
    """Turn one environment string into the type of setting ``name``."""
    try:
        if name in (
            "port",
            "max_message_bytes",
            "verification_workers",
            "turn_ttl_seconds",
            "max_connections",
            "max_connections_per_address",
        ):
            return int(raw)
        if name == "verification_seed":
            return int(raw) if raw.strip() else None
        if name in ("match_accept", "match_review"):
            return float(raw) if raw.strip() else None
        if name in (
            "heartbeat_seconds",
            "resume_grace_seconds",
            "queue_update_seconds",
            "default_handle_seconds",
            "verification_fps",
        ):
            return float(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a number") from None
    if name in ("data_dir", "tls_cert", "tls_key", "routing_file"):
        return Path(raw) if raw else None
    if name in ("self_signed", "test_mode", "verification_preload", "review_four_eyes"):
        return _parse_bool(name, raw)
    if name == "ice_servers":
        return parse_ice_servers(raw)
    if name in ("allowed_origins", "turn_urls"):
        return tuple(o.strip() for o in raw.split(",") if o.strip())
    if name == "allowed_hosts":
        return tuple(h.strip().lower() for h in raw.split(",") if h.strip())
    if name == "log_level":
        return raw.strip().upper()
    if name in ("ice_transport_policy", "unrecorded_calls"):
        return raw.strip().lower()
    if name in ("demo_password", "reference_key", "turn_secret", "pin_key", "metrics_token"):
        return raw or None  # set but empty is the same as unset
    if name == "pin_previous_keys":
        return tuple(k.strip() for k in raw.split(",") if k.strip())
    return raw


def _read_secret_file(name: str, raw: str) -> str:
    """A secret kept in a file: its text without the final line break (never shown in an error)."""
    try:
        text = Path(raw).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(name, f"{raw} cannot be read ({type(exc).__name__})") from None
    secret = text.removesuffix("\n").removesuffix("\r")
    if not secret:
        raise ConfigError(name, f"{raw} is empty")
    return secret


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build :class:`Settings` from ``env`` (default ``os.environ``) and explicit overrides.

    ``overrides`` whose value is ``None`` are ignored, so CLI flags that were not given fall through
    to the environment. Unknown ``VIDEO_BANK_*`` variables are an error: a typo must not silently
    leave a default in place. ``VIDEO_BANK_TURN_SECRET_FILE`` names a file holding ``turn_secret``
    (a secret store's mounted file), as an alternative to the variable itself.
    """
    env = os.environ if env is None else env
    names = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    for key, raw in env.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key.removeprefix(ENV_PREFIX).lower()
        if name == "turn_secret_file":
            if f"{ENV_PREFIX}TURN_SECRET" in env:
                raise ConfigError(name, "give the TURN secret or the file holding it, not both")
            values["turn_secret"] = _read_secret_file(name, raw)
            continue
        if name not in names:
            raise ConfigError(key, "unknown setting")
        values[name] = _convert(name, raw)
    values.update({k: v for k, v in overrides.items() if v is not None})
    if values.get("data_dir") is None:
        values.pop("data_dir", None)
    return Settings(**values)


def with_port(settings: Settings, port: int) -> Settings:
    """The same settings with another port (used once a free port was bound)."""
    return replace(settings, port=port)


def configure_logging(level: str) -> None:
    """Structured, one-line-per-event logging for the entry point (library modules only get loggers)."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # aiortc/aioice log SDP and candidates at DEBUG; keep them quiet whatever our level is.
    for noisy in ("aiortc", "aioice", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
