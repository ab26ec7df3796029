"""The command line, run as real ``python -m video_bank`` processes (tests/support/server_process.py)."""

from __future__ import annotations

import asyncio
import ipaddress
import signal
import sqlite3
import ssl
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography import x509

from tests.support.server_process import (
    REPLY_TIMEOUT,
    Serve,
    Server,
    generated_passwords,
    run_cli,
    serve_fixture,
)
from video_bank.accounts import DEMO_ACCOUNTS
from video_bank.passwords import verify_password
from video_bank.storage import SqliteStorage


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    async for start in serve_fixture():
        yield start


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REPLY_TIMEOUT)) as session:
        yield session


async def staff_hello(
    http: aiohttp.ClientSession, server: Server, username: str, password: str, **ws_options: Any
) -> dict[str, Any]:
    """Open /ws, say hello as a teller and return the server's first reply."""
    async with http.ws_connect(server.ws_url, **ws_options) as ws:
        await ws.send_json(
            {"type": "hello", "protocol": 1, "role": "teller", "username": username, "password": password}
        )
        reply: dict[str, Any] = await ws.receive_json(timeout=REPLY_TIMEOUT)
        return reply


# --- serve --------------------------------------------------------------------------------------------


async def test_serve_on_a_free_port_answers_healthz(
    serve: Serve, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    server = await serve(
        "--port", "0", "--data-dir", str(tmp_path / "data"), env={"VIDEO_BANK_DEMO_PASSWORD": "pw-1"}
    )

    async with http.get(f"{server.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}
    assert (tmp_path / "data" / "video_bank.sqlite3").is_file()


@pytest.mark.parametrize("page", ["customer", "teller"])
async def test_serve_delivers_the_html_page(
    serve: Serve, http: aiohttp.ClientSession, tmp_path: Path, page: str
) -> None:
    server = await serve(
        "--port", "0", "--data-dir", str(tmp_path / "data"), env={"VIDEO_BANK_DEMO_PASSWORD": "pw-1"}
    )

    async with http.get(f"{server.url}/{page}/") as response:
        body = await response.text()
        assert response.status == 200
        assert response.content_type == "text/html"
    assert body.lstrip().lower().startswith("<!doctype html")


async def test_demo_teller_logs_in_with_the_password_from_the_environment(
    serve: Serve, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    secret = "env-demo-password-5150"
    server = await serve(
        "--port", "0", "--data-dir", str(tmp_path / "data"), env={"VIDEO_BANK_DEMO_PASSWORD": secret}
    )

    welcome = await staff_hello(http, server, "teller1", secret)
    refused = await staff_hello(http, server, "teller1", secret + "x")

    assert welcome["type"] == "welcome"
    assert welcome["role"] == "teller"
    assert welcome["display_name"] == "Teller Li"
    assert refused["type"] == "error"
    assert refused["code"] == "auth_failed"
    # A password the operator chose is never echoed.
    assert generated_passwords(server.stdout) == []
    assert await server.stop() == 0
    assert not any(secret in line for line in server.stdout + server.stderr)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_stop_signal_right_after_listening_exits_cleanly_with_status_0(
    serve: Serve, tmp_path: Path, sig: signal.Signals
) -> None:
    server = await serve(
        "--port", "0", "--data-dir", str(tmp_path / "data"), env={"VIDEO_BANK_DEMO_PASSWORD": "pw-1"}
    )

    assert await server.stop(sig) == 0
    assert not any("Traceback" in line for line in server.stderr), "\n".join(server.stderr)


async def test_sigterm_closes_open_websockets_with_going_away_and_exits_0(
    serve: Serve, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    server = await serve(
        "--port", "0", "--data-dir", str(tmp_path / "data"), env={"VIDEO_BANK_DEMO_PASSWORD": "pw-1"}
    )

    async with http.ws_connect(server.ws_url) as ws:
        await ws.send_json({"type": "hello", "protocol": 1, "role": "customer"})
        assert (await ws.receive_json(timeout=REPLY_TIMEOUT))["type"] == "welcome"
        # Read while the server shuts down: aiohttp reports a close frame that was never read as 1006.
        closing = asyncio.create_task(ws.receive(timeout=REPLY_TIMEOUT))

        assert await server.stop() == 0
        message = await closing

    assert message.type is aiohttp.WSMsgType.CLOSE
    assert message.data == aiohttp.WSCloseCode.GOING_AWAY


async def test_first_start_on_an_empty_data_dir_prints_a_working_password_once_and_never_again(
    serve: Serve, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    data = str(tmp_path / "data")

    first = await serve("--port", "0", "--data-dir", data)
    (password,) = generated_passwords(first.stdout)
    assert (await staff_hello(http, first, "teller1", password))["type"] == "welcome"
    assert await first.stop() == 0

    second = await serve("--port", "0", "--data-dir", data)
    assert generated_passwords(second.stdout) == []
    assert not any(password in line for line in second.stdout)
    assert (await staff_hello(http, second, "teller1", password))["type"] == "welcome"


async def test_an_empty_demo_password_variable_still_prints_the_generated_password(
    serve: Serve, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    server = await serve(
        "--port", "0", "--data-dir", str(tmp_path / "data"), env={"VIDEO_BANK_DEMO_PASSWORD": ""}
    )

    (password,) = generated_passwords(server.stdout)
    assert (await staff_hello(http, server, "teller1", password))["type"] == "welcome"


async def test_two_instances_with_their_own_data_dirs_run_side_by_side(
    serve: Serve, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    a = await serve(
        "--port", "0", "--data-dir", str(tmp_path / "a"), env={"VIDEO_BANK_DEMO_PASSWORD": "pw-a"}
    )
    b = await serve(
        "--port", "0", "--data-dir", str(tmp_path / "b"), env={"VIDEO_BANK_DEMO_PASSWORD": "pw-b"}
    )

    assert a.port != b.port
    for server in (a, b):
        async with http.get(f"{server.url}/healthz") as response:
            assert response.status == 200
    assert (await staff_hello(http, a, "teller1", "pw-a"))["type"] == "welcome"
    assert (await staff_hello(http, b, "teller1", "pw-b"))["type"] == "welcome"
    assert (await staff_hello(http, a, "teller1", "pw-b"))["type"] == "error"
    assert (await staff_hello(http, b, "teller1", "pw-a"))["type"] == "error"
    assert (tmp_path / "a" / "video_bank.sqlite3").is_file()
    assert (tmp_path / "b" / "video_bank.sqlite3").is_file()
    assert await a.stop() == 0
    assert await b.stop() == 0


async def test_a_port_already_in_use_fails_with_one_line_and_status_1(serve: Serve, tmp_path: Path) -> None:
    first = await serve(
        "--port", "0", "--data-dir", str(tmp_path / "a"), env={"VIDEO_BANK_DEMO_PASSWORD": "pw-1"}
    )

    second = await asyncio.to_thread(
        run_cli,
        "serve",
        "--port",
        str(first.port),
        "--data-dir",
        str(tmp_path / "b"),
        env={"VIDEO_BANK_DEMO_PASSWORD": "pw-1"},
    )

    assert second.returncode == 1
    assert "Traceback" not in second.stderr
    assert second.stderr.splitlines()[-1].startswith(f"video_bank: cannot listen on 127.0.0.1:{first.port}")


# --- TLS ----------------------------------------------------------------------------------------------


def certificate_names(cert_file: Path) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) in the certificate's subjectAltName."""
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return san.get_values_for_type(x509.DNSName), [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]


async def test_self_signed_creates_a_certificate_in_the_data_dir_and_serves_https_with_it(
    serve: Serve, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    server = await serve(
        "--port", "0", "--data-dir", str(data), "--self-signed", env={"VIDEO_BANK_DEMO_PASSWORD": "pw-tls"}
    )
    cert_file = data / "tls" / "self-signed-cert.pem"
    assert server.url.startswith("https://")

    dns_names, ip_addresses = certificate_names(cert_file)
    assert "localhost" in dns_names
    assert ipaddress.ip_address("127.0.0.1") in map(ipaddress.ip_address, ip_addresses)

    trusting = ssl.create_default_context(cafile=str(cert_file))
    async with http.get(f"{server.url}/healthz", ssl=trusting) as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"  # HSTS over TLS
        assert response.headers["Server"] == "video_bank"
    assert (await staff_hello(http, server, "teller1", "pw-tls", ssl=trusting))["type"] == "welcome"

    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await http.get(f"{server.url}/healthz", ssl=ssl.create_default_context())


# --- seed-demo ----------------------------------------------------------------------------------------


async def stored_passwords_match(data_dir: Path, password: str) -> dict[str, bool]:
    """For every demo account, whether ``password`` is its stored password."""
    storage = await SqliteStorage.open(data_dir / "video_bank.sqlite3")
    try:
        result = {}
        for account in DEMO_ACCOUNTS:
            record = await storage.get_account(account.username)
            assert record is not None, account.username
            assert record.role == account.role.value
            result[account.username] = verify_password(password, record.password_hash)
        return result
    finally:
        await storage.close()


ALL_DEMO = {"teller1", "teller2", "super1", "audit1", "field1"}


async def test_seed_demo_resets_every_demo_password(tmp_path: Path) -> None:
    data = tmp_path / "data"

    first = await asyncio.to_thread(run_cli, "seed-demo", "--password", "first-pw", "--data-dir", str(data))
    second = await asyncio.to_thread(run_cli, "seed-demo", "--password", "second-pw", "--data-dir", str(data))

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert all(name in second.stdout for name in ALL_DEMO)
    assert "second-pw" not in second.stdout
    assert generated_passwords(second.stdout.splitlines()) == []
    assert await stored_passwords_match(data, "second-pw") == dict.fromkeys(ALL_DEMO, True)
    assert await stored_passwords_match(data, "first-pw") == dict.fromkeys(ALL_DEMO, False)


async def test_serve_does_not_reseed_a_data_dir_that_has_accounts(
    serve: Serve, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    data = str(tmp_path / "data")
    seeded = await asyncio.to_thread(run_cli, "seed-demo", "--password", "seeded-pw", "--data-dir", data)
    assert seeded.returncode == 0, seeded.stderr

    server = await serve("--port", "0", "--data-dir", data, env={"VIDEO_BANK_DEMO_PASSWORD": "ignored-pw"})

    assert (await staff_hello(http, server, "teller1", "seeded-pw"))["type"] == "welcome"
    assert (await staff_hello(http, server, "teller1", "ignored-pw"))["type"] == "error"


@pytest.mark.parametrize("password_args", [[], ["--password", ""]], ids=["no --password", "empty --password"])
async def test_seed_demo_without_a_password_prints_the_generated_one(
    tmp_path: Path, password_args: list[str]
) -> None:
    data = tmp_path / "data"

    result = await asyncio.to_thread(run_cli, "seed-demo", *password_args, "--data-dir", str(data))

    assert result.returncode == 0, result.stderr
    (password,) = generated_passwords(result.stdout.splitlines())
    assert await stored_passwords_match(data, password) == dict.fromkeys(ALL_DEMO, True)


def test_the_data_dir_flag_overrides_the_environment(tmp_path: Path) -> None:
    result = run_cli(
        "seed-demo",
        "--password",
        "pw",
        "--data-dir",
        str(tmp_path / "flag"),
        env={"VIDEO_BANK_DATA_DIR": str(tmp_path / "env")},
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "flag" / "video_bank.sqlite3").is_file()
    assert not (tmp_path / "env").exists()


def test_the_data_dir_comes_from_the_environment_without_the_flag(tmp_path: Path) -> None:
    result = run_cli("seed-demo", "--password", "pw", env={"VIDEO_BANK_DATA_DIR": str(tmp_path / "env")})

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env" / "video_bank.sqlite3").is_file()


# --- bad configuration --------------------------------------------------------------------------------


@pytest.fixture
def some_file(tmp_path: Path) -> Path:
    path = tmp_path / "cert.pem"
    path.write_text("not really a certificate")
    return path


BAD_CONFIGURATIONS = [
    pytest.param(["serve", "--port", "70000"], {}, "port", id="--port 70000"),
    pytest.param(["serve", "--port", "abc"], {}, "--port", id="--port abc"),
    pytest.param(["serve", "--prot", "8080"], {}, "--prot", id="misspelt flag"),
    pytest.param(["serve"], {"VIDEO_BANK_PORT": "abc"}, "port", id="VIDEO_BANK_PORT=abc"),
    pytest.param(["serve"], {"VIDEO_BANK_NOPE": "1"}, "VIDEO_BANK_NOPE", id="VIDEO_BANK_NOPE=1"),
    pytest.param(["serve", "--tls-cert", "{some_file}"], {}, "tls_cert", id="--tls-cert without key"),
    pytest.param(
        ["serve", "--self-signed", "--tls-cert", "{some_file}", "--tls-key", "{some_file}"],
        {},
        "self_signed",
        id="--self-signed with --tls-cert",
    ),
    pytest.param(["serve", "--log-level", "loud"], {}, "log_level", id="--log-level loud"),
    pytest.param(
        ["serve"],
        {"VIDEO_BANK_ICE_SERVERS": "stun.l.google.com:19302"},
        "ice_servers",
        id="ICE without scheme",
    ),
    pytest.param(
        ["serve"],
        {"VIDEO_BANK_ICE_TRANSPORT_POLICY": "relay"},
        "ice_transport_policy",
        id="relay without TURN",
    ),
    pytest.param(
        ["serve"], {"VIDEO_BANK_TURN_URLS": "turn:turn.bank.example"}, "turn_secret", id="TURN, no secret"
    ),
    pytest.param(
        ["serve"],
        {"VIDEO_BANK_TURN_URLS": "turn:turn.bank.example", "VIDEO_BANK_TURN_SECRET_FILE": "/no/such/file"},
        "turn_secret_file",
        id="TURN secret file missing",
    ),
    pytest.param(
        ["seed-demo", "--password", "pw"], {"VIDEO_BANK_NOPE": "1"}, "VIDEO_BANK_NOPE", id="seed-demo"
    ),
]


@pytest.mark.parametrize(("args", "env", "setting"), BAD_CONFIGURATIONS)
def test_bad_configuration_fails_at_start_with_status_2_and_one_line_naming_the_setting(
    tmp_path: Path, some_file: Path, args: list[str], env: dict[str, str], setting: str
) -> None:
    data = tmp_path / "data"
    argv = [a.format(some_file=some_file) for a in args]

    result = run_cli(*argv, "--data-dir", str(data), env=env)

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("video_bank: ")
    assert setting in lines[0]
    assert result.stdout == ""
    assert not data.exists(), "configuration must be checked before anything is written"


def test_a_database_from_a_newer_version_stops_serve_with_one_line_and_status_1(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with closing(sqlite3.connect(data / "video_bank.sqlite3")) as db:
        db.execute("PRAGMA user_version=999")

    result = run_cli("serve", "--port", "0", "--data-dir", str(data), env={"VIDEO_BANK_DEMO_PASSWORD": "pw"})

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("video_bank: ")
    assert "newer" in result.stderr.splitlines()[-1]
