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


def core_banking_rows(db_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every core-banking table, in a stable order (read through a second connection)."""
    with closing(sqlite3.connect(db_path)) as db:
        return {
            table: sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr) for table in CORE_TABLES
        }


def changed_rows(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> dict[str, tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Per table, (rows gone, rows new) between two snapshots; tables without change left out."""
    out = {}
    for table in CORE_TABLES:
        gone = [row for row in before[table] if row not in after[table]]
        new = [row for row in after[table] if row not in before[table]]
        if gone or new:
            out[table] = (gone, new)
    return out
