"""SqliteStorage on real files: schema and migrations, accounts, sessions, and the append-only event log."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from video_bank.errors import StorageError
from video_bank.storage import MIGRATIONS, AccountRecord, SessionRecord, SqliteStorage

LATEST = len(MIGRATIONS)
COLUMNS = "(seq, session_id, at, kind, actor, data)"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "video_bank.sqlite3"


@pytest.fixture
async def storage(db_path: Path) -> AsyncIterator[SqliteStorage]:
    opened = await SqliteStorage.open(db_path)
    yield opened
    await opened.close()


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to the file, bypassing SqliteStorage (autocommit)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        yield db


def user_version(path: Path) -> int:
    with raw(path) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def sqlite_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sqlite")]


# --- schema -------------------------------------------------------------------------------------------


async def test_open_creates_the_parent_directories_and_the_latest_schema(db_path: Path) -> None:
    storage = await SqliteStorage.open(db_path)
    await storage.close()

    assert user_version(db_path) == LATEST
    with raw(db_path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"accounts", "sessions", "events"} <= tables


async def test_reopening_keeps_the_data_and_the_schema_version(db_path: Path) -> None:
    first = await SqliteStorage.open(db_path)
    await first.put_account("teller1", "teller", "Teller Li", "scrypt$hash")
    await first.append_event(1.0, "login", None, "teller1", {})
    await first.close()

    second = await SqliteStorage.open(db_path)
    try:
        assert await second.get_account("teller1") is not None
        assert len(await second.events()) == 1
        assert await second.count_accounts() == 1
    finally:
        await second.close()
    assert user_version(db_path) == LATEST


async def test_a_version_1_database_is_migrated_and_keeps_its_rows(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with raw(db_path) as db:
        db.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version=1; COMMIT;")
        db.execute(
            "INSERT INTO events (session_id, at, kind, actor, data) VALUES ('s1', 1.5, 'old', NULL, '{}')"
        )

    storage = await SqliteStorage.open(db_path)
    try:
        events = await storage.events()
    finally:
        await storage.close()

    assert user_version(db_path) == LATEST
    assert [(e.seq, e.session_id, e.kind) for e in events] == [(1, "s1", "old")]


async def test_a_database_from_a_newer_program_is_refused_and_left_alone(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with raw(db_path) as db:
        db.execute(f"PRAGMA user_version={LATEST + 1}")
    threads_before = sqlite_threads()

    with pytest.raises(StorageError, match="newer"):
        await SqliteStorage.open(db_path)

    assert user_version(db_path) == LATEST + 1
    with raw(db_path) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == []
    assert sqlite_threads() == threads_before, "the refused open left its worker thread running"


@pytest.fixture
def not_a_database(db_path: Path) -> Path:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not a sqlite database, just some text that is long enough" * 10)
    return db_path


async def test_a_file_that_is_not_a_database_is_refused_with_storage_error(not_a_database: Path) -> None:
    threads_before = sqlite_threads()

    with pytest.raises(StorageError):
        await SqliteStorage.open(not_a_database)

    assert sqlite_threads() == threads_before


# --- accounts -----------------------------------------------------------------------------------------


async def test_an_unknown_account_is_none(storage: SqliteStorage) -> None:
    assert await storage.get_account("nobody") is None
    assert await storage.count_accounts() == 0


async def test_a_stored_account_reads_back(storage: SqliteStorage) -> None:
    await storage.put_account("teller1", "teller", "Teller Li", "scrypt$14$8$1$c2FsdA==$aGFzaA==")

    assert await storage.get_account("teller1") == AccountRecord(
        username="teller1",
        role="teller",
        display_name="Teller Li",
        password_hash="scrypt$14$8$1$c2FsdA==$aGFzaA==",
        disabled=False,
    )
    assert await storage.count_accounts() == 1


async def test_putting_an_existing_account_replaces_role_name_and_hash(storage: SqliteStorage) -> None:
    await storage.put_account("u1", "teller", "Old Name", "old-hash")
    await storage.put_account("u2", "auditor", "Other", "other-hash")

    await storage.put_account("u1", "supervisor", "New Name", "new-hash")

    assert await storage.get_account("u1") == AccountRecord("u1", "supervisor", "New Name", "new-hash", False)
    assert await storage.get_account("u2") == AccountRecord("u2", "auditor", "Other", "other-hash", False)
    assert await storage.count_accounts() == 2


async def test_an_account_with_an_unknown_role_is_refused(storage: SqliteStorage) -> None:
    with pytest.raises(StorageError):
        await storage.put_account("eve", "root", "Eve", "hash")

    assert await storage.get_account("eve") is None


# --- sessions -----------------------------------------------------------------------------------------


async def test_an_opened_session_reads_back_without_an_end(storage: SqliteStorage) -> None:
    await storage.open_session("s1", "activation", "Ada Lovelace", "teller1", 100.25)

    assert await storage.get_session("s1") == SessionRecord(
        id="s1",
        business="activation",
        customer_name="Ada Lovelace",
        teller="teller1",
        started_at=100.25,
        ended_at=None,
        outcome=None,
    )
    assert await storage.get_session("s2") is None


async def test_the_first_close_of_a_session_wins(storage: SqliteStorage) -> None:
    await storage.open_session("s1", "card_review", "Grace", "teller2", 10.0)

    await storage.close_session("s1", 20.0, "customer_hangup")
    await storage.close_session("s1", 30.0, "teller_lost")

    session = await storage.get_session("s1")
    assert session is not None
    assert (session.ended_at, session.outcome) == (20.0, "customer_hangup")


async def test_closing_one_session_leaves_the_others_open(storage: SqliteStorage) -> None:
    await storage.open_session("s1", "activation", "A", "teller1", 1.0)
    await storage.open_session("s2", "activation", "B", "teller2", 2.0)

    await storage.close_session("s1", 3.0, "teller_hangup")

    other = await storage.get_session("s2")
    assert other is not None
    assert other.ended_at is None


async def test_closing_an_unknown_session_creates_nothing(storage: SqliteStorage, db_path: Path) -> None:
    await storage.close_session("ghost", 1.0, "customer_hangup")

    assert await storage.get_session("ghost") is None
    with raw(db_path) as db:
        assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


async def test_a_session_id_cannot_be_opened_twice(storage: SqliteStorage) -> None:
    await storage.open_session("s1", "activation", "A", "teller1", 1.0)

    with pytest.raises(StorageError):
        await storage.open_session("s1", "info_update", "B", "teller2", 2.0)

    session = await storage.get_session("s1")
    assert session is not None
    assert (session.business, session.customer_name) == ("activation", "A")


# --- events -------------------------------------------------------------------------------------------


async def test_events_come_back_in_the_order_they_were_appended(storage: SqliteStorage) -> None:
    # Submitted concurrently: the single worker thread must still keep submission order.
    await asyncio.gather(
        *(storage.append_event(float(i), f"kind-{i}", "s1", "teller1", {"i": i}) for i in range(50))
    )

    events = await storage.events()

    assert [e.kind for e in events] == [f"kind-{i}" for i in range(50)]
    assert [e.data for e in events] == [{"i": i} for i in range(50)]
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)


async def test_events_can_be_listed_for_one_session(storage: SqliteStorage) -> None:
    await storage.append_event(1.0, "queued", None, None, {})
    await storage.append_event(2.0, "started", "s1", None, {})
    await storage.append_event(3.0, "started", "s2", None, {})
    await storage.append_event(4.0, "ended", "s1", "teller1", {})

    only_s1 = await storage.events("s1")
    everything = await storage.events()

    assert [(e.at, e.kind) for e in only_s1] == [(2.0, "started"), (4.0, "ended")]
    assert [e.session_id for e in everything] == [None, "s1", "s2", "s1"]
    assert await storage.events("s3") == []


async def test_event_data_round_trips_as_json(storage: SqliteStorage) -> None:
    data = {
        "name": "Zoë 张",
        "position": 3,
        "wait": 12.5,
        "flags": [True, False, None],
        "nested": {"reason": "customer_hangup", "codes": [4008, 1009]},
        "quote": 'a "quoted" \\ value',
    }

    await storage.append_event(1700000000.123456, "state", "s1", "system", data)
    (event,) = await storage.events()

    assert event.data == data
    assert event.at == 1700000000.123456
    assert (event.session_id, event.kind, event.actor) == ("s1", "state", "system")


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE events SET kind='forged' WHERE seq=1",
        "UPDATE events SET data='{}'",
        "DELETE FROM events WHERE seq=1",
        "DELETE FROM events",
        f"INSERT OR REPLACE INTO events {COLUMNS} VALUES (1, 's1', 1.0, 'forged', NULL, '{{}}')",
        f"REPLACE INTO events {COLUMNS} VALUES (2, 's1', 2.0, 'forged', NULL, '{{}}')",
        f"INSERT INTO events {COLUMNS} VALUES (1, 's1', 1.0, 'forged', NULL, '{{}}')"
        " ON CONFLICT (seq) DO UPDATE SET kind='forged'",
    ],
)
async def test_the_database_itself_refuses_to_change_or_remove_logged_events(
    db_path: Path, tamper: str
) -> None:
    storage = await SqliteStorage.open(db_path)
    await storage.append_event(1.0, "started", "s1", None, {"n": 1})
    await storage.append_event(2.0, "ended", "s1", None, {"n": 2})
    before = await storage.events()
    await storage.close()

    with raw(db_path) as db, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute(tamper)

    reopened = await SqliteStorage.open(db_path)
    try:
        assert await reopened.events() == before
    finally:
        await reopened.close()


async def test_the_log_still_accepts_appends_from_a_raw_connection(db_path: Path) -> None:
    storage = await SqliteStorage.open(db_path)
    await storage.append_event(1.0, "started", "s1", None, {})
    await storage.close()

    with raw(db_path) as db:
        db.execute(
            "INSERT INTO events (session_id, at, kind, actor, data) VALUES ('s1', 2.0, 'ended', NULL, '{}')"
        )

    reopened = await SqliteStorage.open(db_path)
    try:
        assert [(e.seq, e.kind) for e in await reopened.events()] == [(1, "started"), (2, "ended")]
    finally:
        await reopened.close()


# --- lifecycle ----------------------------------------------------------------------------------------


async def test_a_closed_storage_raises_storage_error_and_closes_again_quietly(db_path: Path) -> None:
    storage = await SqliteStorage.open(db_path)
    await storage.close()

    with pytest.raises(StorageError, match="closed"):
        await storage.get_account("teller1")
    with pytest.raises(StorageError, match="closed"):
        await storage.append_event(1.0, "late", None, None, {})
    await storage.close()


async def test_closing_stops_the_worker_thread(db_path: Path) -> None:
    threads_before = sqlite_threads()
    storage = await SqliteStorage.open(db_path)
    assert len(sqlite_threads()) == len(threads_before) + 1

    await storage.close()

    assert sqlite_threads() == threads_before
