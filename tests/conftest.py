"""Shared fixtures: a real app on a temporary data dir with demo accounts, and signaling clients."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from tests.support.media_party import Party  # noqa: E402
from video_bank.accounts import seed_demo_accounts  # noqa: E402
from video_bank.app import create_app  # noqa: E402
from video_bank.config import Settings  # noqa: E402
from video_bank.records.keyring import KeyRing  # noqa: E402
from video_bank.storage import SqliteStorage  # noqa: E402

DEMO_PASSWORD = "demo-password-for-tests"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded defaults on a fresh data dir, with a short heartbeat so dead sockets are found fast.

    No resume grace period: a lost socket ends its call at once, as the tests written before resume
    expect; the resume tests (``tests/integration/test_resume*.py``) set their own."""
    return Settings(
        data_dir=tmp_path / "data", heartbeat_seconds=0.5, service_hours="00:00-24:00", resume_grace_seconds=0
    )


@pytest.fixture(scope="session")
def auditor_key() -> rsa.RSAPrivateKey:
    """One auditor key pair for the whole run (3072-bit generation is slow)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


@pytest.fixture
async def client(
    settings: Settings, auditor_key: rsa.RSAPrivateKey, aiohttp_client: Callable[..., Awaitable[TestClient]]
) -> TestClient:
    """The real application on a test server, with demo accounts and an auditor key: sessions are recorded."""
    storage = await SqliteStorage.open(settings.sqlite_path)
    await seed_demo_accounts(storage, DEMO_PASSWORD)
    await storage.close()
    KeyRing(settings.data_dir / "keys").add_auditor("auditor", auditor_key.public_key())
    return await aiohttp_client(create_app(settings))


PartyFactory = Callable[..., Awaitable[Party]]


@pytest.fixture
def party(client: TestClient) -> PartyFactory:
    """Open a socket and say hello: ``await party("teller", "teller1")`` or ``await party("customer")``."""

    async def make(role: str, username: str | None = None, **ws_options: object) -> Party:
        ws = await client.ws_connect("/ws", **ws_options)  # type: ignore[arg-type]
        p = Party(ws, username or role)
        hello: dict[str, object] = {"type": "hello", "protocol": 1, "role": role}
        if username:
            hello |= {"username": username, "password": DEMO_PASSWORD}
        await p.send(**hello)
        p.welcome = await p.expect("welcome")
        if role == "teller":
            await p.expect("teller_state")
        return p

    return make
