"""Personal data at rest is readable by the service's own user only (issue 11, item 5).

The database and its WAL hold names, call-back phone numbers and the event log; records, keys and
reference photos sit beside them. The data dir is 0700 and every file in it 0600, also when the data
dir and database existed before with wider modes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from aiohttp.test_utils import TestClient

from tests.conftest import PartyFactory
from tests.integration.test_signaling_ws import call
from video_bank import appkeys
from video_bank.config import Settings
from video_bank.data_dir import secure_data_dir
from video_bank.storage import SqliteStorage


def too_open(data_dir: Path) -> list[str]:
    """Everything under ``data_dir`` (and itself) that a group or other user could read or enter."""
    found = []
    for path in [data_dir, *data_dir.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(data_dir.parent)} {oct(mode)}")
    return found


async def test_the_data_dir_and_every_file_in_it_are_private(
    client: TestClient, party: PartyFactory, settings: Settings
) -> None:
    customer, teller = await call(party)
    await customer.send(type="hangup", session_id=customer.session_id)
    await teller.until("session_ended")
    assert await client.app[appkeys.STORAGE].get_session(customer.session_id or "") is not None
    assert (settings.data_dir / "video_bank.sqlite3-wal").exists()
    assert too_open(settings.data_dir) == []


async def test_a_data_dir_and_database_created_with_wider_modes_are_narrowed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    storage = await SqliteStorage.open(data / "video_bank.sqlite3")
    await storage.close()
    for name in os.listdir(data):
        os.chmod(data / name, 0o644)
    secure_data_dir(data)
    storage = await SqliteStorage.open(data / "video_bank.sqlite3")
    await storage.close()
    assert too_open(data) == []
