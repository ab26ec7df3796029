"""Core banking on a real SQLite file: schema, transactional writes with masked before/after diffs in the
event log, and flows run through the executor — including a search of everything stored and logged
after an activation for the PIN."""

from __future__ import annotations

import itertools
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from video_bank.core_banking import demo
from video_bank.core_banking.errors import ConflictError, NotFoundError
from video_bank.core_banking.models import (
    ApplicationStatus,
    CardReviewReason,
    CardStatus,
    Secret,
    WillingnessAnswer,
)
from video_bank.core_banking.pin_vault import FORMAT, LocalKeyVault, ScryptCost, card_subject
from video_bank.core_banking.store import CHANGE_EVENT, MIGRATIONS, ChangeContext, CoreBankingStore
from video_bank.errors import StorageError
from video_bank.flows import FlowExecutor, FlowReport, create_flow
from video_bank.flows.inputs import (
    AnswerConfirmed,
    ApplicationChosen,
    CardConfirmed,
    ConsentGiven,
    FinalConfirmation,
    FlowInput,
    IdentityClaimed,
    QuestionAnswered,
    Rated,
    SecretEntered,
    VerificationDecided,
    WrapUpChosen,
)
from video_bank.flows.script import DEFAULT_SCRIPT
from video_bank.flows.steps import Actor, Disposition, FlowStatus, Step
from video_bank.storage import SqliteStorage

PIN = "385921"
VAULT = LocalKeyVault.from_keys(LocalKeyVault.generate_key(), cost=ScryptCost(log2_n=4, r=1, p=1))
"""A real PIN vault with cheap inner hashing (the construction is the same)."""
SESSION = "sess_int_1"
T0 = 1_800_000_000.0
"""Server times are small steps from here: no timestamp text can contain the PIN's digits."""
CORE_TABLES = (
    "core_customers",
    "core_social_security_cards",
    "core_debit_accounts",
    "core_corporate_applications",
    "core_willingness_answers",
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "video_bank.sqlite3"


@pytest.fixture
async def storage(db_path: Path) -> AsyncIterator[SqliteStorage]:
    opened = await SqliteStorage.open(db_path)
    yield opened
    await opened.close()


@pytest.fixture
async def store(storage: SqliteStorage) -> CoreBankingStore:
    opened = await CoreBankingStore.open(storage)
    await demo.seed_demo_customers(opened, VAULT, T0)
    return opened


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        yield db


def rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every core-banking row, table by table (what "core banking unchanged" compares)."""
    with raw(path) as db:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in CORE_TABLES}


def stored_bytes(db_path: Path) -> list[bytes]:
    """The database file and its write-ahead log and shared-memory files, as they are on disk."""
    names = (db_path.name, db_path.name + "-wal", db_path.name + "-shm")
    return [p.read_bytes() for p in (db_path.with_name(n) for n in names) if p.exists()]


def context(actor: str = "teller1") -> ChangeContext:
    return ChangeContext(T0 + 10, SESSION, actor)


async def change_events(storage: SqliteStorage) -> list[dict[str, Any]]:
    return [e.data for e in await storage.events() if e.kind == CHANGE_EVENT]


class Session:
    """One flow through the executor, with a fixed clock and fast (but real) PIN sealing."""

    def __init__(self, business: str, store: CoreBankingStore, storage: SqliteStorage) -> None:
        self.clock = itertools.count(T0 + 100)
        self.executor = FlowExecutor(
            create_flow(business, SESSION), store, storage, vault=VAULT, clock=lambda: float(next(self.clock))
        )
        self.reports: list[FlowReport] = []

    async def start(self) -> FlowReport:
        report = await self.executor.start()
        self.reports.append(report)
        return report

    async def send(self, cls: type[FlowInput], actor: Actor, **fields: Any) -> FlowReport:
        name = "teller1" if actor is Actor.TELLER else None
        report = await self.executor.submit(
            cls(at=float(next(self.clock)), actor=actor, actor_name=name, **fields)
        )
        self.reports.append(report)
        return report

    async def verified(self, resident_id: str, customer_id: str) -> None:
        await self.start()
        await self.send(ConsentGiven, Actor.CUSTOMER, recording=True, biometric=True)
        await self.send(IdentityClaimed, Actor.CUSTOMER, resident_id=resident_id)
        report = await self.send(
            VerificationDecided, Actor.SYSTEM, session_id=SESSION, customer_id=customer_id, decision="pass"
        )
        assert report.refusal is None and report.step is not Step.VERIFICATION


# --- schema ---------------------------------------------------------------------------------------


async def test_the_store_creates_its_tables_once_and_records_its_own_schema_version(
    storage: SqliteStorage, db_path: Path
) -> None:
    await CoreBankingStore.open(storage)
    await CoreBankingStore.open(storage)
    with raw(db_path) as db:
        version = db.execute(
            "SELECT version FROM schema_components WHERE component='core_banking'"
        ).fetchone()
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert version == (len(MIGRATIONS),)
    assert set(CORE_TABLES) | {"service_feedback", "events", "accounts"} <= tables


async def test_a_newer_core_banking_schema_is_refused(storage: SqliteStorage, db_path: Path) -> None:
    await CoreBankingStore.open(storage)
    with raw(db_path) as db:
        db.execute("UPDATE schema_components SET version=99 WHERE component='core_banking'")
    with pytest.raises(StorageError, match="newer than this program"):
        await CoreBankingStore.open(storage)


# --- transactional writes and diffs ------------------------------------------------------------------


async def test_a_write_and_its_masked_change_event_commit_together(
    store: CoreBankingStore, storage: SqliteStorage
) -> None:
    before = len(await storage.events())
    change = await store.activate_card(demo.PENSIONER_CARD.id, "scrypt$fake-hash", context())
    card = await store.card(demo.PENSIONER_CARD.id)
    assert card is not None and card.status is CardStatus.ACTIVE and card.pin_hash == "scrypt$fake-hash"
    events = await storage.events()
    assert len(events) == before + 1
    event = events[-1]
    assert (event.kind, event.session_id, event.actor, event.at) == (
        CHANGE_EVENT,
        SESSION,
        "teller1",
        T0 + 10,
    )
    assert event.data == change.as_event()
    assert event.data["diff"] == {
        "status": {"before": "issued", "after": "active"},
        "pin_set": {"before": False, "after": True},
        "pin_set_at": {"before": None, "after": T0 + 10},
    }
    assert event.data["after"]["number"] == "****1016"


async def test_a_refused_write_changes_nothing_and_logs_nothing(
    store: CoreBankingStore, storage: SqliteStorage, db_path: Path
) -> None:
    await store.activate_card(demo.PENSIONER_CARD.id, "scrypt$h", context())
    snapshot, count = rows(db_path), len(await storage.events())
    with pytest.raises(ConflictError) as conflict:
        await store.activate_card(demo.PENSIONER_CARD.id, "scrypt$other", context())
    assert conflict.value.code == "card_already_active"
    with pytest.raises(NotFoundError):
        await store.reset_account_password("acc_nobody", "scrypt$h", context())
    with pytest.raises(ConflictError):
        await store.review_card(demo.PENSIONER_CARD.id, CardReviewReason.IDENTITY_CONFIRMED, context())
    assert rows(db_path) == snapshot
    assert len(await storage.events()) == count


async def test_when_the_change_event_cannot_be_written_the_change_is_rolled_back(
    store: CoreBankingStore, storage: SqliteStorage, db_path: Path
) -> None:
    snapshot = rows(db_path)
    with raw(db_path) as db:
        db.execute(
            "CREATE TRIGGER block_changes BEFORE INSERT ON events WHEN NEW.kind = 'core_banking_changed'"
            " BEGIN SELECT RAISE(ABORT, 'log unavailable'); END"
        )
    with pytest.raises(StorageError, match="log unavailable"):
        await store.activate_card(demo.PENSIONER_CARD.id, "scrypt$h", context())
    assert rows(db_path) == snapshot


async def test_every_kind_of_change_logs_a_masked_diff_without_hashes(
    store: CoreBankingStore, storage: SqliteStorage
) -> None:
    await store.activate_card(demo.PENSIONER_CARD.id, "scrypt$pin-hash", context())
    await store.reset_account_password(demo.DEBIT_ACCOUNT_ID, "scrypt$password-hash", context())
    await store.update_contact(demo.PENSIONER.id, "13812345678", "12 Ningan Street, Yinchuan", context())
    await store.review_card(demo.FIELD_CARD.id, CardReviewReason.CUSTOMER_ABSENT, context())
    await store.decide_application(
        demo.APPLICATION.id, ApplicationStatus.REJECTED, "not the signer", (), context()
    )
    events = await change_events(storage)
    actions = [e["action"] for e in events[-5:]]
    assert actions == [
        "card_activated",
        "password_reset",
        "contact_updated",
        "card_reviewed",
        "application_decided",
    ]
    text = repr(events)
    for secret in (
        "scrypt$",
        demo.PENSIONER_CARD.number,
        demo.FIELD_CARD.number,
        demo.DEBIT_ACCOUNT_NUMBER,
        demo.PENSIONER.resident_id.number,
        demo.LEGAL_REP.resident_id.number,
        "13812345678",
        demo.PENSIONER.phone,
        "Ningan Street",
    ):
        assert secret not in text
    reset = events[-4]
    assert reset["diff"]["status"] == {"before": "locked", "after": "active"}
    assert reset["after"]["password_set"] is True
    review = events[-2]
    assert review["diff"]["status"] == {"before": "issued", "after": "frozen"}
    assert review["diff"]["review_reason"] == {"before": None, "after": "customer_absent"}


async def test_a_willingness_decision_stores_its_confirmed_answers_in_the_same_transaction(
    store: CoreBankingStore,
) -> None:
    answers = tuple(
        WillingnessAnswer(i, q.id, f"text {i}", True, True, T0 + i, T0 + i + 0.5, "teller1")
        for i, q in enumerate(DEFAULT_SCRIPT.questions, start=1)
    )
    await store.decide_application(
        demo.APPLICATION.id, ApplicationStatus.WILLINGNESS_CONFIRMED, None, answers, context()
    )
    assert await store.willingness_answers(demo.APPLICATION.id) == list(answers)
    application = await store.application(demo.APPLICATION.id)
    assert application is not None and application.decided_in_session == SESSION
    with pytest.raises(ConflictError):
        await store.decide_application(
            demo.APPLICATION.id, ApplicationStatus.REJECTED, "again", answers, context()
        )
    assert len(await store.willingness_answers(demo.APPLICATION.id)) == len(answers)


async def test_seeding_again_puts_the_demo_records_back_to_their_starting_state(
    store: CoreBankingStore, storage: SqliteStorage
) -> None:
    await store.activate_card(demo.PENSIONER_CARD.id, "scrypt$h", context())
    await demo.seed_demo_customers(store, VAULT, T0 + 50)
    card = await store.card(demo.PENSIONER_CARD.id)
    assert card is not None and (card.status, card.pin_hash) == (CardStatus.ISSUED, None)
    replaced = [e for e in await change_events(storage) if e["action"] == "replaced" and e["diff"]]
    assert any(e["diff"].get("status") == {"before": "active", "after": "issued"} for e in replaced)


async def test_rating_and_disposition_are_stored_once_per_session(store: CoreBankingStore) -> None:
    await store.record_rating(SESSION, "activation", "cus_1", 5, "kind", T0)
    await store.record_rating(SESSION, "activation", "cus_1", 1, "changed my mind", T0 + 1)
    await store.record_disposition(SESSION, "activation", "cus_1", "resolved", "teller1", T0 + 2)
    feedback = await store.feedback(SESSION)
    assert feedback is not None
    assert (feedback.rating, feedback.comment, feedback.disposition, feedback.disposition_by) == (
        5,
        "kind",
        "resolved",
        "teller1",
    )
    with pytest.raises(ValueError, match="1 to 5"):
        await store.record_rating("sess_2", "activation", None, 0, None, T0)


# --- flows through the executor -----------------------------------------------------------------------


async def test_activation_through_flow_and_store_leaves_the_pin_nowhere(
    store: CoreBankingStore, storage: SqliteStorage, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    session = Session("activation", store, storage)
    await session.verified(demo.PENSIONER.resident_id.number, demo.PENSIONER.id)
    await session.send(CardConfirmed, Actor.TELLER, card_id=demo.PENSIONER_CARD.id)
    mismatch = await session.send(
        SecretEntered, Actor.CUSTOMER, secret=Secret(PIN), confirmation=Secret(PIN[::-1])
    )
    assert mismatch.refusal is not None and mismatch.refusal.code == "pin_mismatch"
    done = await session.send(SecretEntered, Actor.CUSTOMER, secret=Secret(PIN), confirmation=Secret(PIN))
    assert (done.status, done.outcome, done.refusal) == (FlowStatus.COMPLETED, "card_activated", None)
    await session.send(Rated, Actor.CUSTOMER, score=5, comment="thank you")
    await session.send(WrapUpChosen, Actor.TELLER, code=Disposition.RESOLVED)

    card = await store.card(demo.PENSIONER_CARD.id)
    assert card is not None and card.status is CardStatus.ACTIVE and card.pin_hash is not None
    assert card.pin_hash.startswith(f"{FORMAT}${VAULT.current_key_id}$")  # sealed by the vault
    assert VAULT.verify(Secret(PIN), card.pin_hash, card_subject(card.id))  # and it is the PIN's
    (change,) = done.changes
    assert change.diff()["status"] == {"before": "issued", "after": "active"}
    feedback = await store.feedback(SESSION)
    assert feedback is not None and (feedback.rating, feedback.disposition) == (5, "resolved")

    forms = (PIN, " ".join(PIN), ",".join(PIN), ", ".join(PIN), PIN[::-1])
    # the event rows, the reports (messages to both sides), the log
    events = await storage.events()
    assert {e.kind for e in events} >= {"flow_started", "flow_refused", CHANGE_EVENT, "flow_finished"}
    texts = [repr([(e.kind, e.actor, e.data) for e in events]), repr(session.reports), caplog.text]
    texts += [repr(r.args) for r in caplog.records] + [r.getMessage() for r in caplog.records]
    for text in texts:
        for form in forms:
            assert form not in text
    # every byte the database holds, with its write-ahead log, then again after closing
    assert stored_bytes(db_path)
    for data in stored_bytes(db_path):
        for form in forms:
            assert form.encode() not in data
    await storage.close()
    for data in stored_bytes(db_path):
        for form in forms:
            assert form.encode() not in data


async def test_negative_paths_leave_core_banking_unchanged(
    store: CoreBankingStore, storage: SqliteStorage, db_path: Path
) -> None:
    snapshot = rows(db_path)
    no_consent = Session("activation", store, storage)
    await no_consent.start()
    declined = await no_consent.send(ConsentGiven, Actor.CUSTOMER, recording=True, biometric=False)
    assert declined.status is FlowStatus.DECLINED
    refused = await no_consent.send(CardConfirmed, Actor.TELLER, card_id=demo.PENSIONER_CARD.id)
    assert refused.refusal is not None and refused.refusal.code == "flow_finished"

    failed = Session("activation", store, storage)
    await failed.start()
    await failed.send(ConsentGiven, Actor.CUSTOMER, recording=True, biometric=True)
    await failed.send(IdentityClaimed, Actor.CUSTOMER, resident_id=demo.PENSIONER.resident_id.number)
    await failed.send(
        VerificationDecided, Actor.SYSTEM, session_id=SESSION, customer_id=demo.PENSIONER.id, decision="fail"
    )
    gated = await failed.send(CardConfirmed, Actor.TELLER, card_id=demo.PENSIONER_CARD.id)
    assert gated.refusal is not None and gated.refusal.code == "verification_failed"
    pin = await failed.send(SecretEntered, Actor.CUSTOMER, secret=Secret(PIN), confirmation=Secret(PIN))
    assert pin.refusal is not None and pin.refusal.code == "verification_failed"

    mismatch = Session("activation", store, storage)
    await mismatch.verified(demo.PENSIONER.resident_id.number, demo.PENSIONER.id)
    await mismatch.send(CardConfirmed, Actor.TELLER, card_id=demo.PENSIONER_CARD.id)
    wrong = await mismatch.send(
        SecretEntered, Actor.CUSTOMER, secret=Secret(PIN), confirmation=Secret("385922")
    )
    assert wrong.refusal is not None and wrong.refusal.code == "pin_mismatch"

    wrong_person = Session("corporate_willingness", store, storage)
    await wrong_person.verified(demo.ACCOUNT_HOLDER.resident_id.number, demo.ACCOUNT_HOLDER.id)
    not_rep = await wrong_person.send(ApplicationChosen, Actor.TELLER, application_id=demo.APPLICATION.id)
    assert not_rep.refusal is not None and not_rep.refusal.code == "not_legal_representative"

    assert rows(db_path) == snapshot
    assert not [e for e in await storage.events() if e.kind == CHANGE_EVENT and e.session_id == SESSION]


async def test_the_corporate_check_through_the_executor_stores_every_confirmed_answer(
    store: CoreBankingStore, storage: SqliteStorage
) -> None:
    session = Session("corporate_willingness", store, storage)
    await session.verified(demo.LEGAL_REP.resident_id.number, demo.LEGAL_REP.id)
    await session.send(ApplicationChosen, Actor.TELLER, application_id=demo.APPLICATION.id)
    for question in DEFAULT_SCRIPT.questions:
        await session.send(QuestionAnswered, Actor.CUSTOMER, question_id=question.id, answer=True)
        report = await session.send(AnswerConfirmed, Actor.TELLER, question_id=question.id, confirmed=True)
        assert report.refusal is None
    final = await session.send(FinalConfirmation, Actor.CUSTOMER, confirm=True)
    assert final.outcome == "willingness_confirmed"
    application = await store.application(demo.APPLICATION.id)
    assert application is not None and application.status is ApplicationStatus.WILLINGNESS_CONFIRMED
    stored = await store.willingness_answers(demo.APPLICATION.id)
    assert [a.question_id for a in stored] == [q.id for q in DEFAULT_SCRIPT.questions]
    assert stored[0].question.startswith("Are you Liu Min, the legal representative of Ningxia Helan Trading")
    shown = [e for e in await storage.events(SESSION) if e.kind == "flow_question_shown"]
    assert len(shown) == len(DEFAULT_SCRIPT.questions)


async def test_a_database_failure_is_reported_and_the_step_stays_open(
    store: CoreBankingStore, storage: SqliteStorage, db_path: Path
) -> None:
    session = Session("activation", store, storage)
    await session.verified(demo.PENSIONER.resident_id.number, demo.PENSIONER.id)
    await session.send(CardConfirmed, Actor.TELLER, card_id=demo.PENSIONER_CARD.id)
    with raw(db_path) as db:
        db.execute(
            "CREATE TRIGGER cards_down BEFORE UPDATE ON core_social_security_cards"
            " BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )
    failed = await session.send(SecretEntered, Actor.CUSTOMER, secret=Secret(PIN), confirmation=Secret(PIN))
    assert [m.data.get("code") for m in failed.messages if m.code == "action_failed"] == ["server_error"] * 2
    assert "disk trouble" not in repr(failed.messages)
    assert (failed.status, failed.step) == (FlowStatus.IN_PROGRESS, Step.SET_PIN)
    with raw(db_path) as db:
        db.execute("DROP TRIGGER cards_down")
    retried = await session.send(SecretEntered, Actor.CUSTOMER, secret=Secret(PIN), confirmation=Secret(PIN))
    assert retried.outcome == "card_activated"
