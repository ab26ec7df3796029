"""The access log in the application's database (table ``access_log``, storage migration 4).

The next line is computed from the last one inside one ``BEGIN IMMEDIATE`` transaction, so two
openings at once still form one chain. The table refuses UPDATE, DELETE and out-of-order inserts.
"""

from __future__ import annotations

import sqlite3

from video_bank.auditing.access_log import AccessEntry, ChainCheck, check_chain, next_entry
from video_bank.auditing.errors import AccessLogError
from video_bank.errors import StorageError
from video_bank.storage import SqliteStorage


class AccessLogStore:
    """Appends to and reads the access log."""

    def __init__(self, storage: SqliteStorage) -> None:
        self._storage = storage

    async def append(self, *, at_us: int, auditor: str, record_id: str, reason: str) -> AccessEntry:
        """Log one opening; returns the entry as stored."""

        def _append(db: sqlite3.Connection) -> AccessEntry:
            row = db.execute("SELECT line FROM access_log ORDER BY seq DESC LIMIT 1").fetchone()
            previous = row[0].encode("ascii") if row else None
            entry = next_entry(previous, at_us=at_us, auditor=auditor, record_id=record_id, reason=reason)
            db.execute(
                "INSERT INTO access_log (seq, at_us, auditor, record_id, line) VALUES (?, ?, ?, ?, ?)",
                (entry.seq, entry.at_us, entry.auditor, entry.record_id, entry.line().decode("ascii")),
            )
            return entry

        try:
            return await self._storage.run(_append, transaction=True)
        except StorageError as error:
            raise AccessLogError("the access log could not be written; the record was not opened") from error

    async def lines(self) -> list[bytes]:
        """Every stored line, in order."""

        def _lines(db: sqlite3.Connection) -> list[bytes]:
            return [row[0].encode("ascii") for row in db.execute("SELECT line FROM access_log ORDER BY seq")]

        try:
            return await self._storage.run(_lines)
        except StorageError as error:
            raise AccessLogError("the access log could not be read") from error

    async def check(self) -> ChainCheck:
        """Check the whole chain."""
        return check_chain(await self.lines())
