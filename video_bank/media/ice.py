"""How each peer connection of a call finds its path: ICE servers, per-leg TURN credentials, policy.

Settings name the bank's TURN servers and the secret it shares with them (docs/turn.md). Nothing
here hands out a long-lived password: each leg of a call — the customer's or teller's browser, a
supervisor's monitor, and the hub's own end of each — gets its own credential when its peer
connection is made, valid for ``turn_ttl_seconds`` (:mod:`video_bank.turn_credentials`).

- Browsers get the static servers from settings plus the TURN servers with their leg's credential,
  and the transport policy (in ``session_started`` / ``monitor_started``, docs/protocol.md).
- The hub uses TURN only under the ``relay`` policy: then it gathers relay candidates alone and
  every packet of the call passes the TURN server. Under ``all`` the hub is reached directly (a
  browser behind a strict firewall still relays through TURN to the hub's own address), and it makes
  no allocation of its own. aiortc uses one TURN URL: the first ``turn:``/``turns:`` of the list.

Leg ids are ``<session id>.<leg>`` for the browsers (``customer``, ``teller``,
``monitor.<connection id>``) and the same with ``.hub`` for the hub's end, so the TURN server's log
can be matched with the session's record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer, RTCIceTransportPolicy

from video_bank.config import IceServer, IceTransportPolicy, Settings
from video_bank.turn_credentials import issue_turn_credential

HUB_SUFFIX = ".hub"
"""Appended to a leg id for the hub's own end of that leg."""


@dataclass(frozen=True, slots=True)
class IcePlan:
    """The ICE configuration of every peer connection, from settings."""

    servers: tuple[IceServer, ...] = ()
    """Static STUN/TURN servers from settings, given to every peer connection as they are."""
    turn_urls: tuple[str, ...] = ()
    """TURN servers that take short-lived credentials made with :attr:`turn_secret`."""
    turn_secret: str | None = field(default=None, repr=False)
    """Shared with the TURN servers; never shown in ``repr`` or logs."""
    turn_ttl_seconds: int = 600
    """Lifetime of each issued credential."""
    transport_policy: IceTransportPolicy = "all"
    """``relay``: browsers and hub use relay candidates only."""

    def __post_init__(self) -> None:
        if bool(self.turn_urls) != bool(self.turn_secret):
            raise ValueError("TURN URLs and the TURN secret go together")

    @classmethod
    def from_settings(cls, settings: Settings) -> IcePlan:
        """The plan for the configured servers and policy."""
        return cls(
            servers=settings.ice_servers,
            turn_urls=settings.turn_urls,
            turn_secret=settings.turn_secret,
            turn_ttl_seconds=settings.turn_ttl_seconds,
            transport_policy=settings.ice_transport_policy,
        )

    @property
    def relays_only(self) -> bool:
        """Every peer connection uses TURN relays only."""
        return self.transport_policy == "relay"

    def servers_for(self, leg_id: str, now: float) -> tuple[IceServer, ...]:
        """The ICE servers of one leg, with a TURN credential issued for it at ``now`` (Unix seconds)."""
        if not self.turn_urls or self.turn_secret is None:
            return self.servers
        credential = issue_turn_credential(self.turn_secret, leg_id, now, self.turn_ttl_seconds)
        turn = IceServer(urls=self.turn_urls, username=credential.username, credential=credential.password)
        return (turn, *self.servers)

    def for_browser(self, leg_id: str, now: float) -> tuple[list[dict[str, Any]], IceTransportPolicy]:
        """``RTCConfiguration.iceServers`` and ``iceTransportPolicy`` for a browser's leg."""
        return [s.to_browser() for s in self.servers_for(leg_id, now)], self.transport_policy

    def for_hub(
        self, leg_id: str, now: float, bundle_policy: RTCBundlePolicy = RTCBundlePolicy.BALANCED
    ) -> RTCConfiguration:
        """The aiortc configuration of the hub's end of a leg (TURN only under the relay policy)."""
        servers = self.servers_for(leg_id + HUB_SUFFIX, now) if self.relays_only else self.servers
        return RTCConfiguration(
            iceServers=[
                RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential) for s in servers
            ],
            iceTransportPolicy=RTCIceTransportPolicy.RELAY if self.relays_only else RTCIceTransportPolicy.ALL,
            bundlePolicy=bundle_policy,
        )


def leg_id(session_id: str, party: str) -> str:
    """The id a credential of ``party`` (``customer``, ``teller``, ``monitor.<connection id>``) in
    ``session_id`` is issued to."""
    return f"{session_id}.{party}"
