"""TURN REST credentials and the ICE plan built from settings, checked against HMAC computed directly."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from aiortc import RTCBundlePolicy, RTCIceTransportPolicy

from video_bank.config import IceServer, Settings
from video_bank.media.ice import IcePlan, leg_id
from video_bank.turn_credentials import expiry_of, issue_turn_credential, turn_password

SECRET = "north-wind-turn-secret"
NOW = 1_796_680_200.25


def hmac_sha1_base64(secret: str, message: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message.encode(), hashlib.sha1).digest()).decode()


def test_a_fixed_vector_matches_openssl() -> None:
    # printf '%s' '1796680800:sess-1234.customer' \
    #   | openssl dgst -sha1 -hmac 'north-wind-turn-secret' -binary | base64
    assert turn_password(SECRET, "1796680800:sess-1234.customer") == "0fDAl7CpUR7PJNcGvV3lvdYWkLA="


def test_the_username_is_expiry_colon_leg_and_the_password_its_hmac_under_the_secret() -> None:
    credential = issue_turn_credential(SECRET, "sess-1234.customer", NOW, 600)

    assert credential.username == "1796680801:sess-1234.customer"  # 600 s after NOW, rounded up
    assert credential.expires_at == 1_796_680_801
    assert credential.password == hmac_sha1_base64(SECRET, credential.username)
    assert expiry_of(credential.username) == credential.expires_at


def test_each_leg_and_each_moment_gets_its_own_password() -> None:
    customer = issue_turn_credential(SECRET, "s1.customer", NOW, 600)
    teller = issue_turn_credential(SECRET, "s1.teller", NOW, 600)
    later = issue_turn_credential(SECRET, "s1.customer", NOW + 1, 600)
    other_secret = issue_turn_credential(SECRET + "x", "s1.customer", NOW, 600)

    assert len({customer.password, teller.password, later.password, other_secret.password}) == 4


def test_the_password_never_shows_in_repr() -> None:
    credential = issue_turn_credential(SECRET, "s1.customer", NOW, 600)

    assert credential.password not in repr(credential)
    assert credential.username in repr(credential)


@pytest.mark.parametrize("leg", ["", "s1:customer", "s1 customer", "ü", "x" * 129])
def test_a_leg_id_outside_the_safe_alphabet_is_refused(leg: str) -> None:
    with pytest.raises(ValueError, match="leg id"):
        issue_turn_credential(SECRET, leg, NOW, 600)


def test_an_empty_secret_or_a_non_positive_lifetime_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        issue_turn_credential("", "s1.customer", NOW, 600)
    with pytest.raises(ValueError, match="lifetime"):
        issue_turn_credential(SECRET, "s1.customer", NOW, 0)


def test_expiry_of_a_username_without_one_is_none() -> None:
    assert expiry_of("alice") is None
    assert expiry_of("soon:alice") is None
    assert expiry_of("1796680800:alice") == 1_796_680_800


# --- the ICE plan -------------------------------------------------------------------------------------

TURN_URLS = ("turn:turn.bank.example:3478?transport=udp", "turns:turn.bank.example:443?transport=tcp")
STUN = IceServer(urls=("stun:stun.bank.example:3478",))


def plan(policy: str = "all") -> IcePlan:
    settings = Settings(
        ice_servers=(STUN,),
        turn_urls=TURN_URLS,
        turn_secret=SECRET,
        turn_ttl_seconds=300,
        ice_transport_policy=policy,  # type: ignore[arg-type]
    )
    return IcePlan.from_settings(settings)


def test_a_browser_leg_gets_the_turn_servers_with_its_own_fresh_credential_and_the_policy() -> None:
    servers, policy = plan("relay").for_browser(leg_id("s1", "customer"), NOW)

    turn, stun = servers
    assert turn["urls"] == list(TURN_URLS)
    assert turn["username"] == f"{1_796_680_201 + 300}:s1.customer"
    assert turn["credential"] == hmac_sha1_base64(SECRET, turn["username"])
    assert stun == {"urls": ["stun:stun.bank.example:3478"]}
    assert policy == "relay"


def test_the_hub_uses_turn_with_its_own_credential_only_under_the_relay_policy() -> None:
    relay = plan("relay").for_hub(leg_id("s1", "teller"), NOW)
    direct = plan("all").for_hub(leg_id("s1", "teller"), NOW)

    assert relay.iceTransportPolicy is RTCIceTransportPolicy.RELAY
    assert relay.iceServers is not None
    turn = relay.iceServers[0]
    assert turn.urls == list(TURN_URLS)
    assert turn.username == f"{1_796_680_201 + 300}:s1.teller.hub"
    assert turn.credential == hmac_sha1_base64(SECRET, str(turn.username))
    assert direct.iceTransportPolicy is RTCIceTransportPolicy.ALL
    assert direct.iceServers is not None
    assert [s.urls for s in direct.iceServers] == [["stun:stun.bank.example:3478"]]


def test_the_hub_keeps_the_bundle_policy_it_asks_for() -> None:
    configuration = plan("relay").for_hub("s1.monitor.c1", NOW, RTCBundlePolicy.MAX_BUNDLE)

    assert configuration.bundlePolicy is RTCBundlePolicy.MAX_BUNDLE


def test_without_turn_settings_every_leg_gets_the_static_servers_and_no_credential() -> None:
    bare = IcePlan.from_settings(Settings(ice_servers=(STUN,)))

    assert bare.for_browser("s1.customer", NOW) == ([{"urls": ["stun:stun.bank.example:3478"]}], "all")
    assert bare.for_hub("s1.customer", NOW).iceServers is not None


def test_the_plan_never_shows_the_secret() -> None:
    assert SECRET not in repr(plan())


def test_default_plan_has_no_servers_so_no_public_stun_server_is_contacted() -> None:
    configuration = IcePlan().for_hub("s1.customer", NOW)

    assert configuration.iceServers == []
