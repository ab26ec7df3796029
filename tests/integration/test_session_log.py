"""One event, two sinks: the plaintext event log and the encrypted record's timeline cannot diverge.

Every event of a session is logged through :class:`~video_bank.session_log.SessionLog`: its plaintext
view goes to the database and, only once the database took it, the whole event to the record. The
first tests drive the session log on a real SQLite database with a sink standing in for the
recording desk; the last runs a whole recorded call through the real app (a business with a
core-banking change, co-browsing, rating and wrap-up) and compares the sealed record's timeline,
opened with the auditor's key, with the session's plaintext log, event by event.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import PartyFactory
from tests.integration.test_cobrowse_ws import SNAPSHOT
from tests.integration.test_flows_e2e import PIN, finish, vault_of, verified_flow
from tests.support.flows import flow_input, flow_until
from tests.support.records import sealed_timeline
from video_bank import appkeys
from video_bank.core_banking import demo
from video_bank.core_banking.pin_vault import LocalKeyVault, ScryptCost
from video_bank.core_banking.store import CHANGE_EVENT, ChangeContext, CoreBankingStore
from video_bank.errors import StorageError
from video_bank.event_redaction import plaintext_view
from video_bank.records.encoding import to_us
from video_bank.session_log import SessionEvent, SessionLog
from video_bank.storage import SqliteStorage

SESSION = "sess_log_0001"
T0 = 1_800_000_000.0
VAULT = LocalKeyVault.from_keys(LocalKeyVault.generate_key(), cost=ScryptCost(log2_n=4, r=1, p=1))


@dataclass
class Sink:
    """Stands in for the recording desk: what the session log hands on, in order."""

    heard: list[tuple[str, Any]] = field(default_factory=list)
    broken: bool = False

    def session_opening(self, session_id: str) -> None:
        self.heard.append(("opening", session_id))

    def append(self, event: SessionEvent, *, record_only: bool) -> None:
        if self.broken:
            raise RuntimeError("the sink is broken")
        self.heard.append(("record_only" if record_only else "event", event))

    def events(self) -> list[SessionEvent]:
        return [item for what, item in self.heard if what != "opening"]


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    opened = await SqliteStorage.open(tmp_path / "db.sqlite3")
    yield opened
    await opened.close()


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def log(storage: SqliteStorage, sink: Sink) -> SessionLog:
    session_log = SessionLog(storage)
    session_log.subscribe(sink)
    return session_log


async def test_an_event_goes_whole_to_the_record_and_through_the_redaction_rule_to_the_database(
    log: SessionLog, storage: SqliteStorage, sink: Sink
) -> None:
    await log.open_session(SESSION, "activation", "Wang Xiulan", "teller1", T0)
    await log.append_event(T0 + 1, "session_started", SESSION, "teller1", {"business": "activation"})
    await log.append_event(T0 + 2, "cobrowse_snapshot", SESSION, "customer", SNAPSHOT)
    await log.append_event(T0 + 3, "login", None, "teller2", {"role": "teller"})

    assert sink.heard[0] == ("opening", SESSION)
    assert [(e.at, e.kind, e.actor, dict(e.data)) for e in sink.events()] == [
        (T0 + 1, "session_started", "teller1", {"business": "activation"}),
        (T0 + 2, "cobrowse_snapshot", "customer", SNAPSHOT),  # the screen, whole: only in the record
    ]
    rows = await storage.events()
    assert [(r.at, r.kind, r.session_id, r.actor) for r in rows] == [
        (T0 + 1, "session_started", SESSION, "teller1"),
        (T0 + 2, "cobrowse_snapshot", SESSION, "customer"),
        (T0 + 3, "login", None, "teller2"),
    ]
    assert rows[0].data == {"business": "activation"}
    assert rows[1].data == plaintext_view("cobrowse_snapshot", SNAPSHOT)
    assert "app-address" not in json.dumps(rows[1].data) and rows[1].data["nodes"] == 3


async def test_record_only_entries_never_reach_the_plaintext_log(
    log: SessionLog, storage: SqliteStorage, sink: Sink
) -> None:
    keyframes = {"attempt": "n1", "keyframes": [{"at": T0, "jpeg_base64": "/9j/AA=="}]}
    await log.record_only(T0, "verification_keyframes", SESSION, None, keyframes)
    [(what, event)] = sink.heard
    assert what == "record_only" and event.kind == "verification_keyframes"
    assert await storage.events() == []


async def test_an_event_the_database_refuses_never_reaches_the_record(
    log: SessionLog, sink: Sink, tmp_path: Path
) -> None:
    with closing(sqlite3.connect(tmp_path / "db.sqlite3")) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.kind = 'flow_started'"
            " BEGIN SELECT RAISE(ABORT, 'log unavailable'); END"
        )
    with pytest.raises(StorageError, match="log unavailable"):
        await log.append_event(T0, "flow_started", SESSION, "system", {})
    assert sink.events() == []


async def test_a_core_banking_change_reaches_the_record_once_committed_and_never_when_rolled_back(
    log: SessionLog, storage: SqliteStorage, sink: Sink, tmp_path: Path
) -> None:
    store = await CoreBankingStore.open(storage, log)
    await demo.seed_demo_customers(store, VAULT, T0)  # back office: no session, not recorded
    assert sink.events() == []
    context = ChangeContext(T0 + 10, SESSION, "teller1")
    change = await store.activate_card(demo.PENSIONER_CARD.id, "scrypt$fake-hash", context)
    [recorded] = sink.events()
    [logged] = [e for e in await storage.events(SESSION) if e.kind == CHANGE_EVENT]
    assert (recorded.at, recorded.kind, recorded.actor) == (logged.at, logged.kind, logged.actor)
    assert dict(recorded.data) == logged.data == change.as_event()

    with closing(sqlite3.connect(tmp_path / "db.sqlite3")) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.kind = 'core_banking_changed'"
            " BEGIN SELECT RAISE(ABORT, 'log unavailable'); END"
        )
    with pytest.raises(StorageError, match="log unavailable"):
        await store.reset_account_password(demo.DEBIT_ACCOUNT_ID, "scrypt$other", context)
    assert sink.events() == [recorded]  # rolled back: in neither sink


async def test_a_broken_record_sink_neither_undoes_nor_fails_the_logged_write(
    log: SessionLog, storage: SqliteStorage, sink: Sink, caplog: pytest.LogCaptureFixture
) -> None:
    sink.broken = True
    await log.append_event(T0, "session_started", SESSION, "teller1", {"business": "activation"})
    assert [r.kind for r in await storage.events(SESSION)] == ["session_started"]
    assert "a session_started event could not be recorded" in caplog.text


# --- a whole recorded call ------------------------------------------------------------------------


@pytest.fixture
async def bank(client: TestClient) -> None:
    store = await CoreBankingStore.open(client.app[appkeys.STORAGE])
    await demo.seed_demo_customers(store, vault_of(client), time.time())


async def test_every_event_of_a_call_in_the_plaintext_log_is_in_its_record_and_screen_content_only_there(
    client: TestClient, party: PartyFactory, bank: None, auditor_key: rsa.RSAPrivateKey
) -> None:
    customer, teller = await verified_flow(client, party, "password_reset")
    sid = customer.session_id
    assert sid is not None
    # The customer shares their screen and types into it while the teller guides them.
    await teller.send(type="cobrowse_request", session_id=sid)
    assert (await customer.until("cobrowse_state"))["state"] == "requested"
    assert (await teller.until("cobrowse_state"))["state"] == "requested"
    await customer.send(type="cobrowse_consent", session_id=sid, scope="view", allow=True)
    assert (await teller.until("cobrowse_state"))["state"] == "sharing"
    await customer.send(type="cobrowse_snapshot", session_id=sid, **SNAPSHOT)
    await teller.until("cobrowse_snapshot")
    typed = [{"kind": "input", "id": 2, "value": "5 Guangming Lane"}]
    await customer.send(type="cobrowse_events", session_id=sid, seq=1, events=typed)
    await teller.until("cobrowse_events")
    # The business itself: a core-banking change, then rating and wrap-up within the call.
    await flow_until(teller, "flow_message", "confirm_account")
    await flow_input(teller, "account_confirmed", account_id=demo.DEBIT_ACCOUNT_ID)
    await flow_until(customer, "flow_message", "enter_password")
    await flow_input(customer, "secret_entered", secret=PIN, confirmation=PIN)
    await finish(customer, teller, "password_reset")
    await customer.send(type="hangup", session_id=sid)
    await teller.until("session_ended")

    timeline = await sealed_timeline(client.app, sid, auditor_key)
    logged = await client.app[appkeys.STORAGE].events(sid)
    # One event, two sinks: the same events in the same order, at the same microsecond, by the same
    # actor; what the plaintext log holds of each is the one redaction rule applied to the record's.
    assert [(to_us(e.at), e.kind, e.actor, e.data) for e in logged] == [
        (t.at_us, t.kind, t.actor, plaintext_view(t.kind, t.data)) for t in timeline
    ]
    kinds = [e.kind for e in logged]
    for kind in ("session_started", "flow_started", CHANGE_EVENT, "cobrowse_snapshot", "cobrowse_events"):
        assert kind in kinds, kind
    assert "session_ended" in kinds
    # The screen's content is in the record only.
    in_record = json.dumps([dict(t.data) for t in timeline], ensure_ascii=False)
    in_log = json.dumps([e.data for e in logged], ensure_ascii=False)
    for content in ("5 Guangming Lane", "app-address"):
        assert content in in_record and content not in in_log
