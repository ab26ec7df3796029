"""The customer page reads the service hours and the bank's time zone from the server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp.test_utils import TestClient

from video_bank.app import create_app
from video_bank.config import Settings


async def test_the_service_hours_setting_is_served_to_the_pages(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[TestClient]]
) -> None:
    settings = Settings(data_dir=tmp_path / "data", service_hours="08:30-19:00", time_zone="Asia/Urumqi")
    client = await aiohttp_client(create_app(settings))
    response = await client.get("/api/service-hours")
    assert response.status == 200
    assert await response.json() == {"opens": "08:30", "closes": "19:00", "time_zone": "Asia/Urumqi"}
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
