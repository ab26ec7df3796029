"""Storage migration 5: accounts may have the role ``field``; an older database keeps its accounts
and teller skills through the rebuild."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from video_bank import storage as storage_module
from video_bank.storage import SqliteStorage


async def test_upgrading_a_version_3_database_keeps_accounts_and_skills_and_allows_field_officers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.sqlite3"
    current = storage_module.MIGRATIONS
    monkeypatch.setattr(storage_module, "MIGRATIONS", current[:3])
    old = await SqliteStorage.open(path)
    await old.put_account("teller9", "teller", "Teller Nine", "hash-9")
    await old.set_teller_skills("teller9", {"activation": 5, "card_review": 2}, True)
    await old.close()
    with closing(sqlite3.connect(path)) as db, pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO accounts VALUES ('f', 'field', 'F', 'h', 0, 0, 0)")

    monkeypatch.setattr(storage_module, "MIGRATIONS", current)
    upgraded = await SqliteStorage.open(path)
    try:
        await upgraded.put_account("field9", "field", "Field Nine", "hash-f")
        teller = await upgraded.get_account("teller9")
        field = await upgraded.get_account("field9")
        assert teller is not None and field is not None
        assert (teller.role, teller.elder_care, dict(teller.skills)) == (
            "teller",
            True,
            {"activation": 5, "card_review": 2},
        )
        assert field.role == "field"
    finally:
        await upgraded.close()
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(current)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("INSERT INTO accounts VALUES ('x', 'customer', 'X', 'h', 0, 0, 0)")
