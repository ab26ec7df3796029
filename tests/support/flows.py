"""Protocol-client helpers for business flows: send ``flow_input``, read the flow traffic a
:class:`~tests.support.media_party.Party` keeps apart (``flow_state``, ``flow_message`` and the errors
answering ``flow_input``), and snapshot core banking to prove what changed."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from tests.support.media_party import Party

CORE_TABLES = (
    "core_customers",
    "core_social_security_cards",
    "core_debit_accounts",
    "core_corporate_applications",
    "core_willingness_answers",
)


async def flow_input(party: Party, kind: str, **fields: Any) -> None:
    """Send one input of the party's current session's flow."""
    assert party.session_id is not None, f"{party.name} is not in a session"
    await party.send(type="flow_input", session_id=party.session_id, kind=kind, fields=fields)


async def flow_next(party: Party, timeout: float = 10.0) -> dict[str, Any]:
    """The next piece of flow traffic for ``party``."""
    try:
        return await asyncio.wait_for(party.flow_inbox.get(), timeout)
    except TimeoutError:
        raise AssertionError(f"{party.name}: no flow message within {timeout} s") from None


async def flow_until(party: Party, message_type: str, code: str | None = None) -> dict[str, Any]:
    """Skip flow traffic until a message of ``message_type`` (and ``code``, for messages and errors)."""
    while True:
        message = await flow_next(party)
        if message["type"] == message_type and (code is None or message.get("code") == code):
            return message


async def state_at(party: Party, step: str | None, status: str = "in_progress") -> dict[str, Any]:
    """Skip flow traffic until a ``flow_state`` at ``step`` with ``status``."""
    while True:
        state = await flow_until(party, "flow_state")
        if state.get("step") == step and state["status"] == status:
            return state


async def refused(party: Party, code: str) -> dict[str, Any]:
    """The next error answering a flow input, which must carry ``code``."""
    error = await flow_until(party, "error")
    assert (error["code"], error["ref_type"]) == (code, "flow_input"), error
    return error


def drain(party: Party) -> list[dict[str, Any]]:
    """Everything of the flow already received, without waiting."""
    out = []
    while not party.flow_inbox.empty():
        out.append(party.flow_inbox.get_nowait())
    return out


Row = dict[str, Any]
Snapshot = dict[str, dict[tuple[Any, ...], Row]]
KEY_COLUMNS = {"core_willingness_answers": 3}
"""Tables whose primary key has more than the first column."""


def core_banking_rows(db_path: Path) -> Snapshot:
    """Every row of every core-banking table by primary key (read through a second connection)."""
    out: Snapshot = {}
    with closing(sqlite3.connect(db_path)) as db:
        for table in CORE_TABLES:
            cursor = db.execute(f"SELECT * FROM {table}")
            names = [c[0] for c in cursor.description]
            width = KEY_COLUMNS.get(table, 1)
            out[table] = {tuple(row[:width]): dict(zip(names, row, strict=True)) for row in cursor}
    return out


def changes(before: Snapshot, after: Snapshot) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """Per table and row key, the changed columns as ``(old, new)``; a new row maps every column to
    ``(None, value)``; a deleted row is ``{"deleted": True}``. Unchanged tables are left out."""
    out: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    for table in CORE_TABLES:
        old, new = before[table], after[table]
        diff: dict[tuple[Any, ...], dict[str, Any]] = {}
        for key in old.keys() | new.keys():
            if key not in new:
                diff[key] = {"deleted": True}
                continue
            was = old.get(key, {})
            moved = {c: (was.get(c), v) for c, v in new[key].items() if was.get(c) != v}
            if moved:
                diff[key] = moved
        if diff:
            out[table] = diff
    return out
