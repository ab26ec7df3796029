"""Settings: embedded defaults, ``VIDEO_BANK_*`` parsing, override precedence, validation, secret masking."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from signaling.service_hours import DEFAULT_ZONE, ServiceHours, bank_date
from video_bank.config import IceServer, Settings, load_settings, parse_ice_servers, with_port
from video_bank.errors import ConfigError
from video_bank.flows import create_flow

# --- defaults -----------------------------------------------------------------------------------------


def test_defaults_listen_on_loopback_port_8080_with_data_under_var() -> None:
    settings = Settings()

    assert settings.host == "127.0.0.1"
    assert settings.port == 8080
    assert settings.data_dir == Path("var")
    assert settings.sqlite_path == Path("var") / "video_bank.sqlite3"
    assert settings.log_level == "INFO"
    assert settings.demo_password is None
    assert not settings.uses_tls
    assert settings.public_url == "http://127.0.0.1:8080"


def test_defaults_use_no_ice_servers_so_no_public_stun_server_is_contacted() -> None:
    assert Settings().ice_servers == ()
    assert load_settings({}).ice_servers == ()


def test_an_environment_without_video_bank_variables_gives_the_defaults() -> None:
    assert load_settings({"PORT": "1", "HOST": "example.com", "HOME": "/root"}) == Settings()


def test_sqlite_database_lives_inside_the_data_dir(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).sqlite_path == tmp_path / "video_bank.sqlite3"


def test_database_url_moves_the_sqlite_file_out_of_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path}/elsewhere.db")

    assert settings.sqlite_path == tmp_path / "elsewhere.db"


def test_settings_are_frozen() -> None:
    settings = Settings()

    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.port = 1  # type: ignore[misc]


def test_with_port_changes_only_the_port() -> None:
    settings = Settings(host="0.0.0.0", log_level="DEBUG")

    moved = with_port(settings, 9123)

    assert moved == dataclasses.replace(settings, port=9123)
    assert settings.port == 8080


def test_public_url_names_loopback_for_a_wildcard_bind_and_https_with_tls() -> None:
    assert Settings(host="0.0.0.0", port=9000).public_url == "http://127.0.0.1:9000"
    assert Settings(port=8443, self_signed=True).public_url == "https://127.0.0.1:8443"


# --- environment parsing ------------------------------------------------------------------------------


@pytest.fixture
def pem_files(tmp_path: Path) -> tuple[Path, Path]:
    """Two files that exist (their content is not read by Settings)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("cert")
    key.write_text("key")
    return cert, key


def test_every_setting_is_parsed_from_its_environment_variable(pem_files: tuple[Path, Path]) -> None:
    cert, key = pem_files
    routing = cert.parent / "routing.toml"  # read and checked when the settings are built
    routing.write_text((Path(__file__).parents[2] / "signaling" / "routing.toml").read_text())
    # One non-default value for every field: (raw environment string, expected parsed value).
    cases: dict[str, tuple[str, Any]] = {
        "host": ("0.0.0.0", "0.0.0.0"),
        "port": ("9000", 9000),
        "data_dir": ("/srv/video_bank", Path("/srv/video_bank")),
        "database_url": ("sqlite:////srv/db/vb.sqlite3", "sqlite:////srv/db/vb.sqlite3"),
        "ice_servers": (
            "stun:stun.internal:3478, turn:turn.internal",
            (IceServer(urls=("stun:stun.internal:3478",)), IceServer(urls=("turn:turn.internal",))),
        ),
        "tls_cert": (str(cert), cert),
        "tls_key": (str(key), key),
        "self_signed": ("false", False),  # True conflicts with tls_cert; parsed separately below
        "log_level": ("debug", "DEBUG"),
        "demo_password": ("s3cret-demo", "s3cret-demo"),
        "allowed_origins": (
            "https://bank.example, http://10.0.0.2:8080",
            ("https://bank.example", "http://10.0.0.2:8080"),
        ),
        "max_message_bytes": ("65536", 65536),
        "heartbeat_seconds": ("2.5", 2.5),
        "resume_grace_seconds": ("12", 12.0),
        "queue_update_seconds": ("1", 1.0),
        "default_handle_seconds": ("90.5", 90.5),
        "routing_file": (str(routing), routing),
        "reference_key": ("ab" * 32, "ab" * 32),
        "pin_key": ("cd" * 32, "cd" * 32),
        "pin_previous_keys": ("ef" * 32 + ", " + "12" * 32, ("ef" * 32, "12" * 32)),
        "verification_workers": ("3", 3),
        "verification_preload": ("false", False),
        "verification_fps": ("4", 4.0),
        "review_four_eyes": ("true", True),
        "match_accept": ("0.45", 0.45),
        "match_review": ("0.55", 0.55),
        "test_mode": ("false", False),  # True is refused with this host and TLS; tested below
        "verification_seed": ("", None),
        "turn_urls": (
            "turn:turn.bank.example:3478?transport=udp, turns:turn.bank.example:443?transport=tcp",
            ("turn:turn.bank.example:3478?transport=udp", "turns:turn.bank.example:443?transport=tcp"),
        ),
        "turn_secret": ("a-shared-turn-secret-0815", "a-shared-turn-secret-0815"),
        "turn_ttl_seconds": ("300", 300),
        "ice_transport_policy": ("Relay", "relay"),
        "max_connections": ("500", 500),
        "max_connections_per_address": ("10", 10),
        "allowed_hosts": ("Bank.Example, 10.0.0.2", ("bank.example", "10.0.0.2")),
        "metrics_token": ("a-metrics-token-0815", "a-metrics-token-0815"),
        "unrecorded_calls": ("Restrict", "restrict"),
        "service_hours": ("09:00-17:30", "09:00-17:30"),
        "time_zone": ("Europe/Berlin", "Europe/Berlin"),
    }
    assert set(cases) == {f.name for f in dataclasses.fields(Settings)}, "a setting has no env test"
    env = {f"VIDEO_BANK_{name.upper()}": raw for name, (raw, _) in cases.items()}

    settings = load_settings(env)

    for name, (_, expected) in cases.items():
        assert getattr(settings, name) == expected, name
    assert settings.sqlite_path == Path("/srv/db/vb.sqlite3")
    assert settings.uses_tls


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("TRUE", True),
        ("yes", True),
        (" on ", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("off", False),
        ("", False),
    ],
)
def test_self_signed_accepts_the_usual_boolean_spellings(raw: str, expected: bool) -> None:
    assert load_settings({"VIDEO_BANK_SELF_SIGNED": raw}).self_signed is expected


def test_an_empty_data_dir_variable_keeps_the_default() -> None:
    assert load_settings({"VIDEO_BANK_DATA_DIR": ""}).data_dir == Path("var")


def test_an_empty_demo_password_variable_means_unset() -> None:
    assert load_settings({"VIDEO_BANK_DEMO_PASSWORD": ""}).demo_password is None


def test_ice_servers_parse_from_json_with_turn_credentials() -> None:
    raw = (
        '[{"urls": ["turn:turn.internal:3478", "turns:turn.internal:5349"],'
        ' "username": "vb", "credential": "turn-pass"},'
        ' {"urls": "stun:stun.internal"}]'
    )

    servers = parse_ice_servers(raw)

    assert servers == (
        IceServer(
            urls=("turn:turn.internal:3478", "turns:turn.internal:5349"),
            username="vb",
            credential="turn-pass",
        ),
        IceServer(urls=("stun:stun.internal",)),
    )
    assert [s.to_browser() for s in servers] == [
        {
            "urls": ["turn:turn.internal:3478", "turns:turn.internal:5349"],
            "username": "vb",
            "credential": "turn-pass",
        },
        {"urls": ["stun:stun.internal"]},
    ]


@pytest.mark.parametrize("raw", ["", "   ", "[]", " , "])
def test_empty_ice_server_lists_mean_host_candidates_only(raw: str) -> None:
    assert parse_ice_servers(raw) == ()


# --- precedence ---------------------------------------------------------------------------------------


def test_explicit_overrides_beat_the_environment(tmp_path: Path) -> None:
    env = {"VIDEO_BANK_PORT": "9000", "VIDEO_BANK_DATA_DIR": "/from/env", "VIDEO_BANK_HOST": "10.0.0.1"}

    settings = load_settings(env, port=9100, data_dir=tmp_path)

    assert settings.port == 9100
    assert settings.data_dir == tmp_path
    assert settings.host == "10.0.0.1"


def test_overrides_that_are_none_fall_through_to_the_environment() -> None:
    env = {"VIDEO_BANK_PORT": "9000", "VIDEO_BANK_DATA_DIR": "/from/env", "VIDEO_BANK_SELF_SIGNED": "yes"}

    settings = load_settings(env, port=None, data_dir=None, self_signed=None, host=None)

    assert settings.port == 9000
    assert settings.data_dir == Path("/from/env")
    assert settings.self_signed is True
    assert settings.host == "127.0.0.1"


def test_a_false_override_is_not_treated_as_absent() -> None:
    settings = load_settings({"VIDEO_BANK_SELF_SIGNED": "true"}, self_signed=False)

    assert settings.self_signed is False


# --- invalid configuration ----------------------------------------------------------------------------


_SECRET = {"VIDEO_BANK_TURN_SECRET": "a-shared-turn-secret-0815"}

INVALID_ENVIRONMENTS: list[tuple[dict[str, str], str]] = [
    ({"VIDEO_BANK_NOPE": "1"}, "VIDEO_BANK_NOPE"),
    ({"VIDEO_BANK_HOST": ""}, "host"),
    ({"VIDEO_BANK_PORT": "abc"}, "port"),
    ({"VIDEO_BANK_PORT": "70000"}, "port"),
    ({"VIDEO_BANK_PORT": "-1"}, "port"),
    ({"VIDEO_BANK_LOG_LEVEL": "loud"}, "log_level"),
    ({"VIDEO_BANK_SELF_SIGNED": "maybe"}, "self_signed"),
    ({"VIDEO_BANK_DATABASE_URL": "postgresql://db/vb"}, "database_url"),
    ({"VIDEO_BANK_DATABASE_URL": "sqlite:///"}, "database_url"),
    ({"VIDEO_BANK_MAX_MESSAGE_BYTES": "100"}, "max_message_bytes"),
    ({"VIDEO_BANK_MAX_MESSAGE_BYTES": "lots"}, "max_message_bytes"),
    ({"VIDEO_BANK_HEARTBEAT_SECONDS": "0"}, "heartbeat_seconds"),
    ({"VIDEO_BANK_HEARTBEAT_SECONDS": "nan"}, "heartbeat_seconds"),
    ({"VIDEO_BANK_RESUME_GRACE_SECONDS": "-1"}, "resume_grace_seconds"),
    ({"VIDEO_BANK_RESUME_GRACE_SECONDS": "601"}, "resume_grace_seconds"),
    ({"VIDEO_BANK_QUEUE_UPDATE_SECONDS": "-1"}, "queue_update_seconds"),
    ({"VIDEO_BANK_QUEUE_UPDATE_SECONDS": "inf"}, "queue_update_seconds"),
    ({"VIDEO_BANK_DEFAULT_HANDLE_SECONDS": "soon"}, "default_handle_seconds"),
    ({"VIDEO_BANK_ICE_SERVERS": "stun.l.google.com:19302"}, "ice_servers"),
    ({"VIDEO_BANK_ICE_SERVERS": "https://turn.example"}, "ice_servers"),
    ({"VIDEO_BANK_ICE_SERVERS": "stun"}, "ice_servers"),
    ({"VIDEO_BANK_ICE_SERVERS": "[not json"}, "ice_servers"),
    ({"VIDEO_BANK_ICE_SERVERS": '[{"url": "stun:x"}]'}, "ice_servers"),
    ({"VIDEO_BANK_ICE_SERVERS": '["stun:x"]'}, "ice_servers"),
    ({"VIDEO_BANK_ICE_SERVERS": '[{"urls": []}]'}, "ice_servers"),
    ({"VIDEO_BANK_ICE_SERVERS": '[{"urls": 5}]'}, "ice_servers"),
    ({"VIDEO_BANK_ICE_SERVERS": '[{"urls": null}]'}, "ice_servers"),
    ({"VIDEO_BANK_ICE_SERVERS": '[{"urls": "turn:x", "credential": 5}]'}, "ice_servers"),
    ({"VIDEO_BANK_ALLOWED_ORIGINS": "bank.example"}, "allowed_origins"),
    ({"VIDEO_BANK_TURN_URLS": "turn:t.example"}, "turn_secret"),
    ({"VIDEO_BANK_TURN_SECRET": "a-shared-turn-secret-0815"}, "turn_urls"),
    ({"VIDEO_BANK_TURN_URLS": "stun:t.example", **_SECRET}, "turn_urls"),
    ({"VIDEO_BANK_TURN_URLS": "https://t.example", **_SECRET}, "turn_urls"),
    ({"VIDEO_BANK_TURN_URLS": "turn:[::1]:3478", **_SECRET}, "turn_urls"),
    ({"VIDEO_BANK_TURN_URLS": "turn:t.example:99999", **_SECRET}, "turn_urls"),
    ({"VIDEO_BANK_TURN_URLS": "turn:t.example?transport=sctp", **_SECRET}, "turn_urls"),
    ({"VIDEO_BANK_TURN_URLS": "turns:t.example:443?transport=udp", **_SECRET}, "turn_urls"),
    ({"VIDEO_BANK_TURN_URLS": "turn:t.example", "VIDEO_BANK_TURN_SECRET": "short"}, "turn_secret"),
    (
        {"VIDEO_BANK_TURN_URLS": "turn:t.example", "VIDEO_BANK_TURN_SECRET": "with space 0123456"},
        "turn_secret",
    ),
    ({"VIDEO_BANK_TURN_TTL_SECONDS": "59"}, "turn_ttl_seconds"),
    ({"VIDEO_BANK_TURN_TTL_SECONDS": "86401"}, "turn_ttl_seconds"),
    ({"VIDEO_BANK_TURN_TTL_SECONDS": "10m"}, "turn_ttl_seconds"),
    ({"VIDEO_BANK_ICE_TRANSPORT_POLICY": "none"}, "ice_transport_policy"),
    ({"VIDEO_BANK_ICE_TRANSPORT_POLICY": "relay"}, "ice_transport_policy"),
    (
        {"VIDEO_BANK_ICE_TRANSPORT_POLICY": "relay", "VIDEO_BANK_ICE_SERVERS": "turn:t.example"},
        "ice_transport_policy",
    ),
    (
        {"VIDEO_BANK_TURN_SECRET_FILE": "/no/such/secret", "VIDEO_BANK_TURN_URLS": "turn:t.example"},
        "turn_secret_file",
    ),
    ({"VIDEO_BANK_TURN_SECRET_FILE": "/etc/hostname", **_SECRET}, "turn_secret_file"),
    ({"VIDEO_BANK_TLS_CERT": "/no/such/cert.pem", "VIDEO_BANK_TLS_KEY": "/no/such/key.pem"}, "tls_cert"),
    ({"VIDEO_BANK_MAX_CONNECTIONS": "0"}, "max_connections"),
    ({"VIDEO_BANK_MAX_CONNECTIONS_PER_ADDRESS": "many"}, "max_connections_per_address"),
    ({"VIDEO_BANK_ALLOWED_HOSTS": "bank.example:443"}, "allowed_hosts"),
    ({"VIDEO_BANK_METRICS_TOKEN": "short"}, "metrics_token"),
    ({"VIDEO_BANK_UNRECORDED_CALLS": "ignore"}, "unrecorded_calls"),
]


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        pytest.param(env, setting, id=" ".join(f"{k}={v}" for k, v in env.items()))
        for env, setting in INVALID_ENVIRONMENTS
    ],
)
def test_each_invalid_environment_value_is_refused_naming_its_setting(
    env: dict[str, str], setting: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)

    assert caught.value.setting == setting
    message = str(caught.value)
    assert setting in message
    assert "\n" not in message


def test_a_tls_certificate_without_its_key_is_refused_naming_tls_cert(pem_files: tuple[Path, Path]) -> None:
    cert, key = pem_files

    with pytest.raises(ConfigError, match="tls_cert") as only_cert:
        load_settings({}, tls_cert=cert)
    with pytest.raises(ConfigError, match="tls_key") as only_key:
        load_settings({}, tls_key=key)

    assert only_cert.value.setting == only_key.value.setting == "tls_cert"


def test_a_missing_tls_key_file_is_refused_naming_tls_key(
    pem_files: tuple[Path, Path], tmp_path: Path
) -> None:
    cert, _ = pem_files

    with pytest.raises(ConfigError) as caught:
        load_settings({}, tls_cert=cert, tls_key=tmp_path / "missing.pem")

    assert caught.value.setting == "tls_key"


def test_self_signed_together_with_a_certificate_is_refused(pem_files: tuple[Path, Path]) -> None:
    cert, key = pem_files

    with pytest.raises(ConfigError) as caught:
        load_settings({"VIDEO_BANK_SELF_SIGNED": "1"}, tls_cert=cert, tls_key=key)

    assert caught.value.setting == "self_signed"


def test_an_invalid_override_is_refused_naming_its_setting() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"VIDEO_BANK_PORT": "9000"}, port=70000)

    assert caught.value.setting == "port"
    assert "70000" in str(caught.value)


def test_an_unknown_variable_is_refused_even_next_to_valid_ones() -> None:
    with pytest.raises(ConfigError, match="VIDEO_BANK_PROT"):
        load_settings({"VIDEO_BANK_PORT": "9000", "VIDEO_BANK_PROT": "9001"})


# --- secrets ------------------------------------------------------------------------------------------


def test_repr_and_str_never_show_the_demo_password_or_turn_credential() -> None:
    settings = load_settings(
        {
            "VIDEO_BANK_DEMO_PASSWORD": "demo-secret-4711",
            "VIDEO_BANK_ICE_SERVERS": (
                '[{"urls": "turn:t.internal", "username": "vb", "credential": "turn-secret-0815"}]'
            ),
        }
    )
    assert settings.demo_password == "demo-secret-4711"
    assert settings.ice_servers[0].credential == "turn-secret-0815"

    for shown in (repr(settings), str(settings), repr(settings.ice_servers), f"{settings!r}"):
        assert "demo-secret-4711" not in shown
        assert "turn-secret-0815" not in shown
    # Non-secret values remain visible, so the repr is still useful in a log.
    assert "turn:t.internal" in repr(settings)
    assert "port=8080" in repr(settings)


def test_a_fixed_challenge_seed_needs_test_mode_and_test_mode_refuses_production_settings(
    pem_files: tuple[Path, Path],
) -> None:
    cert, key = pem_files
    seeded = load_settings({"VIDEO_BANK_TEST_MODE": "true", "VIDEO_BANK_VERIFICATION_SEED": "7"})
    assert seeded.test_mode and seeded.verification_seed == 7
    with pytest.raises(ConfigError, match="verification_seed"):
        load_settings({"VIDEO_BANK_VERIFICATION_SEED": "7"})
    with pytest.raises(ConfigError, match="test_mode"):
        load_settings({"VIDEO_BANK_TEST_MODE": "true", "VIDEO_BANK_HOST": "0.0.0.0"})
    with pytest.raises(ConfigError, match="test_mode"):
        load_settings(
            {"VIDEO_BANK_TEST_MODE": "true", "VIDEO_BANK_TLS_CERT": str(cert), "VIDEO_BANK_TLS_KEY": str(key)}
        )


# --- TURN -----------------------------------------------------------------------------------------------


def test_turn_defaults_offer_no_relay_any_path_and_ten_minute_credentials() -> None:
    settings = Settings()

    assert settings.turn_urls == ()
    assert settings.turn_secret is None
    assert settings.turn_ttl_seconds == 600
    assert settings.ice_transport_policy == "all"


def test_the_turn_secret_is_read_from_a_file_without_its_line_break(tmp_path: Path) -> None:
    secret_file = tmp_path / "turn.secret"
    secret_file.write_text("a-shared-turn-secret-from-a-file\n")

    settings = load_settings(
        {"VIDEO_BANK_TURN_URLS": "turn:t.example", "VIDEO_BANK_TURN_SECRET_FILE": str(secret_file)}
    )

    assert settings.turn_secret == "a-shared-turn-secret-from-a-file"


def test_an_empty_turn_secret_file_is_refused_naming_it(tmp_path: Path) -> None:
    secret_file = tmp_path / "turn.secret"
    secret_file.write_text("\n")

    with pytest.raises(ConfigError) as caught:
        load_settings(
            {"VIDEO_BANK_TURN_URLS": "turn:t.example", "VIDEO_BANK_TURN_SECRET_FILE": str(secret_file)}
        )

    assert caught.value.setting == "turn_secret_file"


def test_relay_policy_is_accepted_with_turn_servers_or_a_static_turn_server_with_credentials() -> None:
    with_rest = load_settings(
        {**_SECRET, "VIDEO_BANK_TURN_URLS": "turn:t.example", "VIDEO_BANK_ICE_TRANSPORT_POLICY": "relay"}
    )
    with_static = load_settings(
        {
            "VIDEO_BANK_ICE_SERVERS": '[{"urls": "turn:t.example", "username": "u", "credential": "p"}]',
            "VIDEO_BANK_ICE_TRANSPORT_POLICY": "relay",
        }
    )

    assert with_rest.ice_transport_policy == with_static.ice_transport_policy == "relay"


def test_the_turn_secret_never_shows_in_repr_or_in_an_error(tmp_path: Path) -> None:
    secret = "turn-secret-never-shown-4711"
    settings = load_settings({"VIDEO_BANK_TURN_URLS": "turn:t.example", "VIDEO_BANK_TURN_SECRET": secret})

    assert settings.turn_secret == secret
    assert secret not in repr(settings)
    assert "turn:t.example" in repr(settings)
    with pytest.raises(ConfigError) as caught:
        load_settings({"VIDEO_BANK_TURN_URLS": "turn:t.example", "VIDEO_BANK_TURN_SECRET": secret + " x"})
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("SERVICE_HOURS", "8-20"),
        ("SERVICE_HOURS", "20:00-08:00"),
        ("SERVICE_HOURS", "08:00-24:30"),
        ("TIME_ZONE", "Mars/Olympus_Mons"),
        ("TIME_ZONE", "UTC+15"),
    ],
)
def test_service_hours_and_time_zone_are_checked_at_start(name: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=name.lower()):
        load_settings({f"VIDEO_BANK_{name}": raw})


def test_one_time_zone_setting_dates_the_switchboards_day_and_the_flows_alike() -> None:
    settings = load_settings({"VIDEO_BANK_TIME_ZONE": "UTC-05:00"})
    at = dt.datetime(2026, 9, 2, 2, 0, tzinfo=dt.UTC).timestamp()  # 1 September, 21:00 at the bank
    flow = create_flow("activation", "sess-zone", zone=settings.zone)
    assert settings.hours.local_date(at) == bank_date(at, flow.zone) == dt.date(2026, 9, 1)
    assert settings.hours.day_start(at) == dt.datetime(2026, 9, 1, 5, 0, tzinfo=dt.UTC).timestamp()


def test_unconfigured_the_switchboard_and_the_flows_share_one_default_zone() -> None:
    assert Settings().zone is DEFAULT_ZONE
    assert create_flow("activation", "sess-zone").zone is ServiceHours.round_the_clock().zone is DEFAULT_ZONE


def test_the_service_hours_setting_gives_hours_in_the_banks_time_zone() -> None:
    hours = load_settings(
        {"VIDEO_BANK_SERVICE_HOURS": "08:30-20:00", "VIDEO_BANK_TIME_ZONE": "UTC+08:00"}
    ).hours
    assert (hours.opens, hours.closes, hours.text) == (8 * 60 + 30, 20 * 60, "08:30-20:00")
    assert hours.zone.utcoffset(None) == dt.timedelta(hours=8)
