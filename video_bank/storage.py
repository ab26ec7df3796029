"""Storage: staff accounts, sessions and the append-only session event log.

One interface (:class:`Storage`), one embedded implementation (:class:`SqliteStorage`). SQLite calls
run on one dedicated thread, in submission order, so the event loop never waits on disk and events
keep their order. The schema is created and migrated at open; the event log refuses UPDATE and DELETE
at the database level.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from signaling.ports import CallbackReservation
from video_bank.data_dir import DIR_MODE, FILE_MODE, create_private_file
from video_bank.errors import StorageError

T = TypeVar("T")

LOST_OUTCOME = "server_lost"
"""Outcome of a session that was live when the process serving it died (set at the next start, or by
``records recover``)."""

MIGRATIONS: tuple[str, ...] = (
    # 1: accounts, sessions, event log
    """
    CREATE TABLE accounts (
        username      TEXT PRIMARY KEY,
        role          TEXT NOT NULL CHECK (role IN ('teller', 'supervisor', 'auditor', 'admin')),
        display_name  TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at    REAL NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE sessions (
        id            TEXT PRIMARY KEY,
        business      TEXT NOT NULL,
        customer_name TEXT NOT NULL,
        teller        TEXT NOT NULL,
        started_at    REAL NOT NULL,
        ended_at      REAL,
        outcome       TEXT
    );
    CREATE INDEX sessions_started ON sessions (started_at);
    CREATE TABLE events (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT,
        at         REAL NOT NULL,
        kind       TEXT NOT NULL,
        actor      TEXT,
        data       TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX events_session ON events (session_id, seq);
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    """,
    # 2: INSERT OR REPLACE deletes the old row without firing DELETE triggers (recursive_triggers is
    # off), which would let anyone overwrite an event; refuse inserts that reuse a sequence number.
    """
    CREATE TRIGGER events_append_only_replace BEFORE INSERT ON events
        WHEN EXISTS (SELECT 1 FROM events WHERE seq = NEW.seq)
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    """,
    # 3: routing — teller skills and elder-care flag; callback reservations; notification outbox
    """
    ALTER TABLE accounts ADD COLUMN elder_care INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE teller_skills (
        username    TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
        business    TEXT NOT NULL,
        proficiency INTEGER NOT NULL CHECK (proficiency BETWEEN 1 AND 5),
        PRIMARY KEY (username, business)
    );
    CREATE TABLE callbacks (
        id           TEXT PRIMARY KEY,
        business     TEXT NOT NULL,
        display_name TEXT NOT NULL,
        phone        TEXT NOT NULL,
        window_start REAL NOT NULL,
        window_end   REAL NOT NULL,
        status       TEXT NOT NULL,
        created_at   REAL NOT NULL,
        updated_at   REAL NOT NULL,
        teller       TEXT,
        session_id   TEXT
    );
    CREATE INDEX callbacks_status ON callbacks (status, window_start);
    CREATE TABLE outbox (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        channel    TEXT NOT NULL,
        recipient  TEXT NOT NULL,
        body       TEXT NOT NULL,
        created_at REAL NOT NULL,
        sent_at    REAL
    );
    """,
    # 4: auditors' access log (video_bank.auditing.access_log): one hash-chained line per opening of a
    # record; append-only, numbered without gaps.
    """
    CREATE TABLE access_log (
        seq       INTEGER PRIMARY KEY,
        at_us     INTEGER NOT NULL,
        auditor   TEXT NOT NULL,
        record_id TEXT NOT NULL,
        line      TEXT NOT NULL
    );
    CREATE INDEX access_log_record ON access_log (record_id, seq);
    CREATE TRIGGER access_log_append_only_update BEFORE UPDATE ON access_log
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
    CREATE TRIGGER access_log_append_only_delete BEFORE DELETE ON access_log
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
    CREATE TRIGGER access_log_append_only_insert BEFORE INSERT ON access_log
        WHEN NEW.seq IS NULL OR NEW.seq != coalesce((SELECT max(seq) FROM access_log), 0) + 1
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
    """,
    # 5: role 'field' (a field officer's tablet in remote card review). SQLite cannot change a CHECK,
    # so the accounts table is rebuilt; dropping it cascades to teller_skills, which is kept aside.
    """
    CREATE TEMP TABLE teller_skills_kept AS SELECT * FROM teller_skills;
    CREATE TABLE accounts_v5 (
        username      TEXT PRIMARY KEY,
        role          TEXT NOT NULL CHECK (role IN ('teller', 'supervisor', 'auditor', 'admin', 'field')),
        display_name  TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at    REAL NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0,
        elder_care    INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO accounts_v5 (username, role, display_name, password_hash, created_at, disabled, elder_care)
        SELECT username, role, display_name, password_hash, created_at, disabled, elder_care FROM accounts;
    DROP TABLE accounts;
    ALTER TABLE accounts_v5 RENAME TO accounts;
    INSERT INTO teller_skills SELECT * FROM teller_skills_kept;
    DROP TABLE teller_skills_kept;
    """,
    # 6: call-backs survive a restart: the customer's place in line, lane and language, and the hashes
    # of the cancel and link tokens (never the tokens); outbox messages name what they belong to, so a
    # text with a one-time link can be redacted once the link is spent.
    """
    ALTER TABLE callbacks ADD COLUMN queued_at REAL;
    ALTER TABLE callbacks ADD COLUMN elderly INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE callbacks ADD COLUMN language TEXT;
    ALTER TABLE callbacks ADD COLUMN cancel_hash TEXT;
    ALTER TABLE callbacks ADD COLUMN link_hash TEXT;
    ALTER TABLE outbox ADD COLUMN reference TEXT;
    CREATE INDEX outbox_reference ON outbox (reference);
    """,
)


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """A staff account as stored."""

    username: str
    """Login name."""
    role: str
    """teller, supervisor, auditor, admin or field."""
    display_name: str
    """Name shown to customers and colleagues."""
    password_hash: str
    """scrypt hash (see :mod:`video_bank.passwords`)."""
    disabled: bool
    """Disabled accounts cannot log in."""
    elder_care: bool = False
    """Designated elder-care teller."""
    skills: tuple[tuple[str, int], ...] = ()
    """(business, proficiency 1–5) pairs."""


@dataclass(frozen=True, slots=True)
class CallbackRecord:
    """A callback reservation as stored."""

    id: str
    business: str
    display_name: str
    phone: str = field(repr=False)
    window_start: float = 0.0
    window_end: float = 0.0
    status: str = "booked"
    """booked, calling, answered, missed, cancelled or expired."""
    teller: str | None = None
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A notification waiting for (or handed to) the bank's delivery channel."""

    id: int
    channel: str
    recipient: str = field(repr=False)
    body: str = field(repr=False)
    created_at: float = 0.0
    sent_at: float | None = None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One session row."""

    id: str
    business: str
    customer_name: str
    teller: str
    started_at: float
    ended_at: float | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One event-log entry."""

    seq: int
    """Position in the log (strictly increasing)."""
    session_id: str | None
    at: float
    """Server time."""
    kind: str
    actor: str | None
    data: dict[str, Any]


class Storage(Protocol):
    """What the application needs from a database (SQLite now; PostgreSQL behind the same interface)."""

    async def close(self) -> None: ...
    async def count_accounts(self) -> int: ...
    async def get_account(self, username: str) -> AccountRecord | None: ...
    async def put_account(self, username: str, role: str, display_name: str, password_hash: str) -> None: ...
    async def open_session(
        self, session_id: str, business: str, customer_name: str, teller: str, started_at: float
    ) -> None: ...
    async def close_session(self, session_id: str, ended_at: float, outcome: str) -> None: ...
    async def get_session(self, session_id: str) -> SessionRecord | None: ...
    async def close_dangling_sessions(
        self, outcome: str, session_ids: Sequence[str] | None = None
    ) -> list[str]: ...
    async def append_event(
        self, at: float, kind: str, session_id: str | None, actor: str | None, data: dict[str, Any]
    ) -> None: ...
    async def events(self, session_id: str | None = None) -> list[EventRecord]: ...
    async def set_teller_skills(self, username: str, skills: dict[str, int], elder_care: bool) -> None: ...
    async def put_callback(self, reservation: CallbackReservation, created_at: float) -> None: ...
    async def update_callback(
        self,
        reservation_id: str,
        status: str,
        at: float,
        teller: str | None,
        session_id: str | None,
        link_hash: str | None = None,
    ) -> None: ...
    async def get_callback(self, reservation_id: str) -> CallbackRecord | None: ...
    async def pending_callbacks(self) -> list[CallbackReservation]: ...
    async def add_outbox(
        self, channel: str, recipient: str, body: str, at: float, reference: str | None = None
    ) -> int: ...
    async def redact_outbox(self, reference: str, body: str) -> int: ...
    async def outbox(self) -> list[OutboxMessage]: ...


def insert_event(
    db: sqlite3.Connection,
    at: float,
    kind: str,
    session_id: str | None,
    actor: str | None,
    data: Mapping[str, Any],
) -> None:
    """Append one row to the event log on ``db`` (inside a caller's transaction, or on its own)."""
    payload = json.dumps(dict(data), separators=(",", ":"), ensure_ascii=False)
    db.execute(
        "INSERT INTO events (session_id, at, kind, actor, data) VALUES (?, ?, ?, ?, ?)",
        (session_id, at, kind, actor, payload),
    )


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN … COMMIT, or ROLLBACK on any error (the connection runs in autocommit mode)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class SqliteStorage:
    """:class:`Storage` on a SQLite file, accessed from one worker thread."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._db: sqlite3.Connection | None = None
        self._closed = False

    @classmethod
    async def open(cls, path: Path) -> SqliteStorage:
        """Open (creating and migrating) the database at ``path``."""
        storage = cls(path)
        try:
            await storage._run(storage._connect)
        except BaseException:
            storage._shutdown()
            raise
        return storage

    def _connect(self) -> None:
        self._path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        # 0600 before SQLite opens it: its WAL and shared-memory files copy the database file's mode.
        create_private_file(self._path)
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.chmod(f"{self._path}{suffix}", FILE_MODE)
        db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA secure_delete=ON")  # replaced or deleted content is overwritten, not left
            db.execute("PRAGMA busy_timeout=5000")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise StorageError(
                    f"database schema {version} is newer than this program ({len(MIGRATIONS)})"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                db.executescript(f"BEGIN; {script}; PRAGMA user_version={number}; COMMIT;")
        except BaseException:
            db.close()  # rolls back a half-applied migration
            raise
        self._db = db

    def _shutdown(self) -> None:
        self._closed = True
        self._executor.shutdown(wait=True)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise StorageError("storage is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except sqlite3.Error as exc:
            raise StorageError(f"database error: {exc}") from exc

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StorageError("storage is closed")
        return self._db

    async def run(self, fn: Callable[[sqlite3.Connection], T], *, transaction: bool = False) -> T:
        """Run ``fn(connection)`` on the database thread, after every call submitted before it.

        For stores of other components that share this database (core banking). With
        ``transaction``, ``fn`` runs inside BEGIN IMMEDIATE … COMMIT and anything it raises rolls
        the transaction back. ``sqlite3`` errors surface as :class:`StorageError`.
        """

        def _call() -> T:
            db = self._conn()
            if not transaction:
                return fn(db)
            with _transaction(db):
                return fn(db)

        return await self._run(_call)

    async def close(self) -> None:
        """Close the database and its thread; closing again does nothing."""
        if self._closed:
            return

        def _close() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        try:
            await self._run(_close)
        finally:
            self._shutdown()

    # --- accounts ---------------------------------------------------------------------------------

    async def count_accounts(self) -> int:
        """Number of staff accounts."""
        return await self._run(
            lambda: int(self._conn().execute("SELECT count(*) FROM accounts").fetchone()[0])
        )

    async def get_account(self, username: str) -> AccountRecord | None:
        """An account by name."""

        def _get() -> AccountRecord | None:
            row = (
                self._conn()
                .execute(
                    "SELECT username, role, display_name, password_hash, disabled, elder_care"
                    " FROM accounts WHERE username=?",
                    (username,),
                )
                .fetchone()
            )
            if row is None:
                return None
            skills = self._conn().execute(
                "SELECT business, proficiency FROM teller_skills WHERE username=? ORDER BY business",
                (username,),
            )
            return AccountRecord(
                row[0],
                row[1],
                row[2],
                row[3],
                disabled=bool(row[4]),
                elder_care=bool(row[5]),
                skills=tuple((b, int(level)) for b, level in skills),
            )

        return await self._run(_get)

    async def put_account(self, username: str, role: str, display_name: str, password_hash: str) -> None:
        """Create an account or replace its role, name and password."""

        def _put() -> None:
            self._conn().execute(
                "INSERT INTO accounts (username, role, display_name, password_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (username) DO UPDATE SET role=excluded.role,"
                " display_name=excluded.display_name, password_hash=excluded.password_hash",
                (username, role, display_name, password_hash, time.time()),
            )

        await self._run(_put)

    async def set_teller_skills(self, username: str, skills: dict[str, int], elder_care: bool) -> None:
        """Replace a teller's skills and elder-care flag (one transaction)."""

        def _set() -> None:
            db = self._conn()
            with _transaction(db):
                db.execute("UPDATE accounts SET elder_care=? WHERE username=?", (int(elder_care), username))
                db.execute("DELETE FROM teller_skills WHERE username=?", (username,))
                db.executemany(
                    "INSERT INTO teller_skills (username, business, proficiency) VALUES (?, ?, ?)",
                    [(username, business, level) for business, level in sorted(skills.items())],
                )

        await self._run(_set)

    # --- callbacks and the outbox ------------------------------------------------------------------

    async def put_callback(self, reservation: CallbackReservation, created_at: float) -> None:
        """Store a new callback reservation."""
        r = reservation
        await self._run(
            lambda: self._conn().execute(
                "INSERT INTO callbacks (id, business, display_name, phone, window_start, window_end, status,"
                " created_at, updated_at, queued_at, elderly, language, cancel_hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    r.id,
                    r.business,
                    r.display_name,
                    r.phone,
                    r.window_start,
                    r.window_end,
                    r.status,
                    created_at,
                    created_at,
                    r.queued_at,
                    int(r.elderly),
                    r.language,
                    r.cancel_hash,
                ),
            )
        )

    async def update_callback(
        self,
        reservation_id: str,
        status: str,
        at: float,
        teller: str | None,
        session_id: str | None,
        link_hash: str | None = None,
    ) -> None:
        """Record a reservation's new status (teller, session and link kept when not given; a
        reservation that is no longer ``calling`` has no live link)."""
        await self._run(
            lambda: self._conn().execute(
                "UPDATE callbacks SET status=?, updated_at=?, teller=coalesce(?, teller),"
                " session_id=coalesce(?, session_id),"
                " link_hash=CASE WHEN ?='calling' THEN coalesce(?, link_hash) ELSE NULL END WHERE id=?",
                (status, at, teller, session_id, status, link_hash, reservation_id),
            )
        )

    async def pending_callbacks(self) -> list[CallbackReservation]:
        """Reservations still ``booked`` or ``calling``, oldest place in line first."""

        def _pending() -> list[CallbackReservation]:
            rows = self._conn().execute(
                "SELECT id, business, display_name, phone, window_start, window_end,"
                " coalesce(queued_at, created_at), elderly, language, coalesce(cancel_hash, ''), status"
                " FROM callbacks WHERE status IN ('booked', 'calling')"
                " ORDER BY coalesce(queued_at, created_at)"
            )
            return [
                CallbackReservation(
                    r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), r[8], r[9], status=r[10]
                )
                for r in rows
            ]

        return await self._run(_pending)

    async def get_callback(self, reservation_id: str) -> CallbackRecord | None:
        """A reservation by id."""

        def _get() -> CallbackRecord | None:
            row = (
                self._conn()
                .execute(
                    "SELECT id, business, display_name, phone, window_start, window_end, status, teller,"
                    " session_id FROM callbacks WHERE id=?",
                    (reservation_id,),
                )
                .fetchone()
            )
            return CallbackRecord(*row) if row else None

        return await self._run(_get)

    async def add_outbox(
        self, channel: str, recipient: str, body: str, at: float, reference: str | None = None
    ) -> int:
        """Queue a notification for delivery; returns its id. ``reference``: what it is about (e.g. a
        call-back reservation), so that it can be redacted later."""

        def _add() -> int:
            cursor = self._conn().execute(
                "INSERT INTO outbox (channel, recipient, body, created_at, reference) VALUES (?, ?, ?, ?, ?)",
                (channel, recipient, body, at, reference),
            )
            return int(cursor.lastrowid or 0)

        return await self._run(_add)

    async def redact_outbox(self, reference: str, body: str) -> int:
        """Replace the body of every notification about ``reference`` (e.g. once a one-time link in
        it is spent); returns how many."""

        def _redact() -> int:
            db = self._conn()
            cursor = db.execute(
                "UPDATE outbox SET body=? WHERE reference=? AND body != ?", (body, reference, body)
            )
            if cursor.rowcount:
                # The old text lives on in the WAL until a checkpoint: move it into the database file
                # (where secure_delete zeroes the replaced content) and empty the WAL.
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return cursor.rowcount

        return await self._run(_redact)

    async def outbox(self) -> list[OutboxMessage]:
        """Every queued notification, oldest first."""

        def _list() -> list[OutboxMessage]:
            rows = self._conn().execute(
                "SELECT id, channel, recipient, body, created_at, sent_at FROM outbox ORDER BY id"
            )
            return [OutboxMessage(*row) for row in rows]

        return await self._run(_list)

    # --- sessions and events ------------------------------------------------------------------------

    async def open_session(
        self, session_id: str, business: str, customer_name: str, teller: str, started_at: float
    ) -> None:
        """Create a session row."""
        await self._run(
            lambda: self._conn().execute(
                "INSERT INTO sessions (id, business, customer_name, teller, started_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (session_id, business, customer_name, teller, started_at),
            )
        )

    async def close_session(self, session_id: str, ended_at: float, outcome: str) -> None:
        """Record the end of a session (first end wins)."""
        await self._run(
            lambda: self._conn().execute(
                "UPDATE sessions SET ended_at=?, outcome=? WHERE id=? AND ended_at IS NULL",
                (ended_at, outcome, session_id),
            )
        )

    async def close_dangling_sessions(
        self, outcome: str, session_ids: Sequence[str] | None = None
    ) -> list[str]:
        """Close session rows that a process which died left open (all, or those of ``session_ids``),
        as ended at their last logged event (their start if none); returns the ids closed."""

        def close() -> list[str]:
            db = self._conn()
            with _transaction(db):
                rows = db.execute("SELECT id FROM sessions WHERE ended_at IS NULL ORDER BY started_at")
                ids = [r[0] for r in rows if session_ids is None or r[0] in session_ids]
                for session_id in ids:
                    db.execute(
                        "UPDATE sessions SET outcome=?, ended_at=coalesce("
                        "(SELECT max(at) FROM events WHERE session_id=sessions.id), started_at)"
                        " WHERE id=? AND ended_at IS NULL",
                        (outcome, session_id),
                    )
            return ids

        return await self._run(close)

    async def get_session(self, session_id: str) -> SessionRecord | None:
        """A session row."""

        def _get() -> SessionRecord | None:
            row = (
                self._conn()
                .execute(
                    "SELECT id, business, customer_name, teller, started_at, ended_at, outcome"
                    " FROM sessions WHERE id=?",
                    (session_id,),
                )
                .fetchone()
            )
            return SessionRecord(*row) if row else None

        return await self._run(_get)

    async def append_event(
        self, at: float, kind: str, session_id: str | None, actor: str | None, data: dict[str, Any]
    ) -> None:
        """Append one event (as given: :mod:`video_bank.session_log` decides what a session's event
        may keep in plain text)."""
        await self._run(lambda: insert_event(self._conn(), at, kind, session_id, actor, data))

    async def events(self, session_id: str | None = None) -> list[EventRecord]:
        """The log in order, all of it or one session's."""

        def _list() -> list[EventRecord]:
            sql = "SELECT seq, session_id, at, kind, actor, data FROM events"
            params: tuple[Any, ...] = ()
            if session_id is not None:
                sql += " WHERE session_id=?"
                params = (session_id,)
            rows = self._conn().execute(sql + " ORDER BY seq", params).fetchall()
            return [EventRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

        return await self._run(_list)
