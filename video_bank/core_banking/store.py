"""Core-banking persistence in the application's SQLite database.

:class:`CoreBankingStore` shares :class:`~video_bank.storage.SqliteStorage`'s connection and its one
database thread (through :meth:`~video_bank.storage.SqliteStorage.run`), so its writes are ordered
with the session event log's. Every write is one transaction that loads the record, applies the pure
transition from :mod:`video_bank.core_banking.models`, saves it and appends a ``core_banking_changed``
event with the masked before/after diff: the change and its audit entry commit together or not at all.
The event is written through the session log (:meth:`video_bank.session_log.SessionLog.transaction`),
which hands the same event to the session's record once the transaction has committed.

The schema has its own version (table ``schema_components``, row ``core_banking``), independent of the
storage's ``PRAGMA user_version``, so that the two migrate without coordinating their numbers. Tables
are prefixed ``core_``; ``service_feedback`` holds the end-of-session rating and wrap-up code.

PINs and passwords never reach this module: it receives the values the PIN vault sealed
(:mod:`video_bank.core_banking.pin_vault`), and hands them back only to the vault's rotation
(:meth:`CoreBankingStore.stored_secrets`, :meth:`CoreBankingStore.replace_stored_secrets`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from video_bank.core_banking.errors import NotFoundError
from video_bank.core_banking.models import (
    AccountStatus,
    AccountType,
    ApplicationStatus,
    CardReview,
    CardReviewReason,
    CardStatus,
    Change,
    CorporateApplication,
    Customer,
    CustomerProfile,
    DebitAccount,
    Entity,
    SocialSecurityCard,
    WillingnessAnswer,
    check_record_id,
    resident_id_from_storage,
)
from video_bank.errors import StorageError
from video_bank.session_log import SessionEvent, SessionLog
from video_bank.storage import SqliteStorage

T = TypeVar("T")

COMPONENT = "core_banking"
CHANGE_EVENT = "core_banking_changed"
"""Event-log kind of every committed change."""
REWRAP_EVENT = "pin_vault_rewrapped"
"""Event-log kind of a re-sealing of stored PIN values (key rotation, migration): counts and key id."""
SecretKind = Literal["card_pin", "account_password"]
_SECRET_COLUMNS: dict[str, tuple[str, str]] = {
    "card_pin": ("core_social_security_cards", "pin_hash"),
    "account_password": ("core_debit_accounts", "password_hash"),
}

MIGRATIONS: tuple[str, ...] = (
    # 1: customers, social-security cards, debit accounts, corporate applications and their
    # willingness answers, end-of-session feedback
    """
    CREATE TABLE core_customers (
        id                 TEXT PRIMARY KEY,
        resident_id        TEXT NOT NULL UNIQUE,
        name               TEXT NOT NULL,
        birth_date         TEXT NOT NULL,
        phone              TEXT NOT NULL,
        address            TEXT NOT NULL,
        reference_photo_id TEXT,
        created_at         REAL NOT NULL,
        updated_at         REAL NOT NULL
    );
    CREATE TABLE core_social_security_cards (
        id            TEXT PRIMARY KEY,
        customer_id   TEXT NOT NULL REFERENCES core_customers (id),
        number        TEXT NOT NULL UNIQUE,
        status        TEXT NOT NULL CHECK (status IN ('issued', 'active', 'frozen')),
        pin_hash      TEXT,
        pin_set_at    REAL,
        review        TEXT NOT NULL CHECK (review IN ('not_required', 'pending', 'approved', 'rejected')),
        review_reason TEXT,
        reviewed_at   REAL,
        created_at    REAL NOT NULL,
        updated_at    REAL NOT NULL,
        CHECK (status <> 'active' OR pin_hash IS NOT NULL)
    );
    CREATE INDEX core_cards_customer ON core_social_security_cards (customer_id);
    CREATE TABLE core_debit_accounts (
        id              TEXT PRIMARY KEY,
        customer_id     TEXT NOT NULL REFERENCES core_customers (id),
        number          TEXT NOT NULL UNIQUE,
        status          TEXT NOT NULL CHECK (status IN ('active', 'locked', 'frozen', 'closed')),
        password_hash   TEXT,
        password_set_at REAL,
        created_at      REAL NOT NULL,
        updated_at      REAL NOT NULL
    );
    CREATE INDEX core_accounts_customer ON core_debit_accounts (customer_id);
    CREATE TABLE core_corporate_applications (
        id                 TEXT PRIMARY KEY,
        company_name       TEXT NOT NULL,
        credit_code        TEXT NOT NULL,
        legal_rep          TEXT NOT NULL,
        account_type       TEXT NOT NULL CHECK (account_type IN ('basic', 'general', 'special', 'temporary')),
        status             TEXT NOT NULL CHECK (status IN ('pending', 'willingness_confirmed', 'rejected')),
        reason             TEXT,
        decided_at         REAL,
        decided_in_session TEXT,
        created_at         REAL NOT NULL,
        updated_at         REAL NOT NULL,
        CHECK (status <> 'rejected' OR reason IS NOT NULL)
    );
    CREATE INDEX core_applications_rep ON core_corporate_applications (legal_rep);
    CREATE TABLE core_willingness_answers (
        application_id TEXT NOT NULL REFERENCES core_corporate_applications (id),
        session_id     TEXT NOT NULL,
        position       INTEGER NOT NULL,
        question_id    TEXT NOT NULL,
        question       TEXT NOT NULL,
        expected       INTEGER NOT NULL,
        answer         INTEGER NOT NULL,
        answered_at    REAL NOT NULL,
        confirmed_at   REAL NOT NULL,
        confirmed_by   TEXT NOT NULL,
        PRIMARY KEY (application_id, session_id, position)
    );
    CREATE TABLE service_feedback (
        session_id     TEXT PRIMARY KEY,
        business       TEXT NOT NULL,
        customer_id    TEXT,
        rating         INTEGER CHECK (rating BETWEEN 1 AND 5),
        comment        TEXT,
        rated_at       REAL,
        disposition    TEXT,
        disposition_by TEXT,
        disposed_at    REAL
    );
    """,
)


@dataclass(frozen=True, slots=True)
class ChangeContext:
    """Who changes core banking, when, and in which session (for the event log)."""

    at: float
    """Server time (epoch seconds)."""
    session_id: str | None
    """The video session, or ``None`` for back-office changes (seeding)."""
    actor: str | None
    """Staff account or role that caused the change (``customer``, ``teller1``, ``seed-demo``)."""


@dataclass(frozen=True, slots=True)
class Feedback:
    """End-of-session rating and wrap-up disposition of one session."""

    session_id: str
    business: str
    customer_id: str | None
    rating: int | None
    """1–5, ``None`` until the customer rates."""
    comment: str | None
    disposition: str | None
    """Wrap-up code chosen by the teller."""
    disposition_by: str | None


@dataclass(frozen=True, slots=True)
class StoredSecret:
    """A PIN or password value as stored (sealed by the PIN vault, or a legacy hash)."""

    kind: SecretKind
    record_id: str
    """Card or account id."""
    value: str = field(repr=False)
    """The stored string; never logged."""


# --- rows ----------------------------------------------------------------------------------------

_SELECT_CUSTOMER = "SELECT id, resident_id, name, phone, address, reference_photo_id FROM core_customers"
_SELECT_CARD = (
    "SELECT id, customer_id, number, status, pin_hash, pin_set_at, review, review_reason, reviewed_at"
    " FROM core_social_security_cards"
)
_SELECT_ACCOUNT = (
    "SELECT id, customer_id, number, status, password_hash, password_set_at FROM core_debit_accounts"
)
_SELECT_APPLICATION = (
    "SELECT id, company_name, credit_code, legal_rep, account_type, status, reason, decided_at,"
    " decided_in_session FROM core_corporate_applications"
)


def _customer(row: Sequence[Any]) -> Customer:
    return Customer(row[0], resident_id_from_storage(row[1]), row[2], row[3], row[4], row[5])


def _card(row: Sequence[Any]) -> SocialSecurityCard:
    return SocialSecurityCard(
        row[0],
        row[1],
        row[2],
        CardStatus(row[3]),
        row[4],
        row[5],
        CardReview(row[6]),
        None if row[7] is None else CardReviewReason(row[7]),
        row[8],
    )


def _account(row: Sequence[Any]) -> DebitAccount:
    return DebitAccount(row[0], row[1], row[2], AccountStatus(row[3]), row[4], row[5])


def _application(row: Sequence[Any]) -> CorporateApplication:
    return CorporateApplication(
        row[0],
        row[1],
        row[2],
        resident_id_from_storage(row[3]),
        AccountType(row[4]),
        ApplicationStatus(row[5]),
        row[6],
        row[7],
        row[8],
    )


def _one(db: sqlite3.Connection, sql: str, params: Sequence[Any]) -> Sequence[Any] | None:
    row: Sequence[Any] | None = db.execute(sql, params).fetchone()
    return row


def _load_customer(db: sqlite3.Connection, customer_id: str) -> Customer | None:
    row = _one(db, _SELECT_CUSTOMER + " WHERE id=?", (customer_id,))
    return None if row is None else _customer(row)


def _load_card(db: sqlite3.Connection, card_id: str) -> SocialSecurityCard | None:
    row = _one(db, _SELECT_CARD + " WHERE id=?", (card_id,))
    return None if row is None else _card(row)


def _load_account(db: sqlite3.Connection, account_id: str) -> DebitAccount | None:
    row = _one(db, _SELECT_ACCOUNT + " WHERE id=?", (account_id,))
    return None if row is None else _account(row)


def _load_application(db: sqlite3.Connection, application_id: str) -> CorporateApplication | None:
    row = _one(db, _SELECT_APPLICATION + " WHERE id=?", (application_id,))
    return None if row is None else _application(row)


def _require(value: T | None, what: str) -> T:
    if value is None:
        raise NotFoundError(f"unknown_{what}", f"no {what.replace('_', ' ')} with this id")
    return value


def _write_customer(db: sqlite3.Connection, c: Customer, at: float) -> None:
    db.execute(
        "INSERT INTO core_customers (id, resident_id, name, birth_date, phone, address, reference_photo_id,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET resident_id=excluded.resident_id, name=excluded.name,"
        " birth_date=excluded.birth_date, phone=excluded.phone, address=excluded.address,"
        " reference_photo_id=excluded.reference_photo_id, updated_at=excluded.updated_at",
        (
            c.id,
            c.resident_id.number,
            c.name,
            c.birth_date.isoformat(),
            c.phone,
            c.address,
            c.reference_photo_id,
            at,
            at,
        ),
    )


def _write_card(db: sqlite3.Connection, c: SocialSecurityCard, at: float) -> None:
    db.execute(
        "INSERT INTO core_social_security_cards (id, customer_id, number, status, pin_hash, pin_set_at,"
        " review, review_reason, reviewed_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET customer_id=excluded.customer_id, number=excluded.number,"
        " status=excluded.status, pin_hash=excluded.pin_hash, pin_set_at=excluded.pin_set_at,"
        " review=excluded.review, review_reason=excluded.review_reason, reviewed_at=excluded.reviewed_at,"
        " updated_at=excluded.updated_at",
        (
            c.id,
            c.customer_id,
            c.number,
            c.status.value,
            c.pin_hash,
            c.pin_set_at,
            c.review.value,
            None if c.review_reason is None else c.review_reason.value,
            c.reviewed_at,
            at,
            at,
        ),
    )


def _write_account(db: sqlite3.Connection, a: DebitAccount, at: float) -> None:
    db.execute(
        "INSERT INTO core_debit_accounts (id, customer_id, number, status, password_hash, password_set_at,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET customer_id=excluded.customer_id, number=excluded.number,"
        " status=excluded.status, password_hash=excluded.password_hash,"
        " password_set_at=excluded.password_set_at, updated_at=excluded.updated_at",
        (a.id, a.customer_id, a.number, a.status.value, a.password_hash, a.password_set_at, at, at),
    )


def _write_application(db: sqlite3.Connection, a: CorporateApplication, at: float) -> None:
    db.execute(
        "INSERT INTO core_corporate_applications (id, company_name, credit_code, legal_rep, account_type,"
        " status, reason, decided_at, decided_in_session, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET company_name=excluded.company_name,"
        " credit_code=excluded.credit_code, legal_rep=excluded.legal_rep,"
        " account_type=excluded.account_type, status=excluded.status, reason=excluded.reason,"
        " decided_at=excluded.decided_at, decided_in_session=excluded.decided_in_session,"
        " updated_at=excluded.updated_at",
        (
            a.id,
            a.company_name,
            a.credit_code,
            a.legal_rep.number,
            a.account_type.value,
            a.status.value,
            a.reason,
            a.decided_at,
            a.decided_in_session,
            at,
            at,
        ),
    )


def change_event(context: ChangeContext, change: Change) -> SessionEvent:
    """The ``core_banking_changed`` event of a committed change (its masked diff)."""
    return SessionEvent(context.at, CHANGE_EVENT, context.session_id, context.actor, change.as_event())


def _migrate(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_components (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
    )
    row = _one(db, "SELECT version FROM schema_components WHERE component=?", (COMPONENT,))
    version = 0 if row is None else int(row[0])
    if version > len(MIGRATIONS):
        raise StorageError(f"core banking schema {version} is newer than this program ({len(MIGRATIONS)})")
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        try:
            record = (
                "INSERT INTO schema_components (component, version) VALUES (?, ?)"
                " ON CONFLICT (component) DO UPDATE SET version=excluded.version"
            )
            db.executescript(f"BEGIN IMMEDIATE; {script};")
            db.execute(record, (COMPONENT, number))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


class CoreBankingStore:
    """Customers, cards, accounts and applications on the shared SQLite database.

    Create with :meth:`open` (which migrates). Reads return ``None`` for unknown ids; writes raise
    :class:`~video_bank.core_banking.errors.NotFoundError` or
    :class:`~video_bank.core_banking.errors.ConflictError` and then change nothing.
    """

    def __init__(self, storage: SqliteStorage, log: SessionLog | None = None) -> None:
        """``log``: the application's session log, which hands each change event to the session's
        record once committed (default: the database's event log only)."""
        self._storage = storage
        self._log = log or SessionLog(storage)

    @classmethod
    async def open(cls, storage: SqliteStorage, log: SessionLog | None = None) -> CoreBankingStore:
        """The store on ``storage``'s database, its schema created or migrated."""
        await storage.run(_migrate)
        return cls(storage, log)

    # --- reads ------------------------------------------------------------------------------------

    async def customer(self, customer_id: str) -> Customer | None:
        """A customer by record id."""
        return await self._storage.run(lambda db: _load_customer(db, customer_id))

    async def customer_by_resident_id(self, resident_id: str) -> Customer | None:
        """A customer by resident ID number."""

        def _get(db: sqlite3.Connection) -> Customer | None:
            row = _one(db, _SELECT_CUSTOMER + " WHERE resident_id=?", (resident_id,))
            return None if row is None else _customer(row)

        return await self._storage.run(_get)

    async def profile(self, resident_id: str) -> CustomerProfile | None:
        """The customer with this resident ID number, with their cards, accounts and applications."""

        def _get(db: sqlite3.Connection) -> CustomerProfile | None:
            row = _one(db, _SELECT_CUSTOMER + " WHERE resident_id=?", (resident_id,))
            if row is None:
                return None
            customer = _customer(row)
            cards = db.execute(
                _SELECT_CARD + " WHERE customer_id=? ORDER BY id",
                (customer.id,),
            )
            accounts = db.execute(
                _SELECT_ACCOUNT + " WHERE customer_id=? ORDER BY id",
                (customer.id,),
            )
            applications = db.execute(
                _SELECT_APPLICATION + " WHERE legal_rep=? ORDER BY id",
                (customer.resident_id.number,),
            )
            return CustomerProfile(
                customer,
                tuple(_card(r) for r in cards),
                tuple(_account(r) for r in accounts),
                tuple(_application(r) for r in applications),
            )

        return await self._storage.run(_get)

    async def card(self, card_id: str) -> SocialSecurityCard | None:
        """A social-security card by record id."""
        return await self._storage.run(lambda db: _load_card(db, card_id))

    async def account(self, account_id: str) -> DebitAccount | None:
        """A debit account by record id."""
        return await self._storage.run(lambda db: _load_account(db, account_id))

    async def application(self, application_id: str) -> CorporateApplication | None:
        """A corporate application by record id."""
        return await self._storage.run(lambda db: _load_application(db, application_id))

    async def willingness_answers(self, application_id: str) -> list[WillingnessAnswer]:
        """The confirmed answers stored with an application, in script order, every session's."""

        def _list(db: sqlite3.Connection) -> list[WillingnessAnswer]:
            rows = db.execute(
                "SELECT position, question_id, question, expected, answer, answered_at, confirmed_at,"
                " confirmed_by FROM core_willingness_answers WHERE application_id=?"
                " ORDER BY session_id, position",
                (application_id,),
            )
            return [
                WillingnessAnswer(r[0], r[1], r[2], bool(r[3]), bool(r[4]), r[5], r[6], r[7]) for r in rows
            ]

        return await self._storage.run(_list)

    # --- writes -----------------------------------------------------------------------------------

    async def _change(self, context: ChangeContext, fn: Callable[[sqlite3.Connection], Change]) -> Change:
        def _apply(db: sqlite3.Connection) -> tuple[Change, SessionEvent]:
            change = fn(db)
            return change, change_event(context, change)

        return await self._log.transaction(_apply)

    async def save_customer(self, customer: Customer, context: ChangeContext) -> Change:
        """Create or replace a customer (back office and seeding)."""

        def _save(db: sqlite3.Connection) -> Change:
            before = _load_customer(db, customer.id)
            _write_customer(db, customer, context.at)
            return _created_or_replaced("customer", customer.id, before, customer)

        return await self._change(context, _save)

    async def save_card(self, card: SocialSecurityCard, context: ChangeContext) -> Change:
        """Create or replace a social-security card (back office and seeding)."""

        def _save(db: sqlite3.Connection) -> Change:
            _require(_load_customer(db, card.customer_id), "customer")
            before = _load_card(db, card.id)
            _write_card(db, card, context.at)
            return _created_or_replaced("social_security_card", card.id, before, card)

        return await self._change(context, _save)

    async def save_account(self, account: DebitAccount, context: ChangeContext) -> Change:
        """Create or replace a debit account (back office and seeding)."""

        def _save(db: sqlite3.Connection) -> Change:
            _require(_load_customer(db, account.customer_id), "customer")
            before = _load_account(db, account.id)
            _write_account(db, account, context.at)
            return _created_or_replaced("debit_account", account.id, before, account)

        return await self._change(context, _save)

    async def save_application(self, application: CorporateApplication, context: ChangeContext) -> Change:
        """Create or replace a corporate application (back office and seeding)."""

        def _save(db: sqlite3.Connection) -> Change:
            before = _load_application(db, application.id)
            _write_application(db, application, context.at)
            return _created_or_replaced("corporate_application", application.id, before, application)

        return await self._change(context, _save)

    async def activate_card(self, card_id: str, pin_hash: str, context: ChangeContext) -> Change:
        """Set an issued card's first PIN (its hash) and make it ``active``."""

        def _activate(db: sqlite3.Connection) -> Change:
            before = _require(_load_card(db, card_id), "card")
            after = before.activated(pin_hash, context.at)
            _write_card(db, after, context.at)
            return Change("social_security_card", card_id, "card_activated", before.masked(), after.masked())

        return await self._change(context, _activate)

    async def reset_account_password(
        self, account_id: str, password_hash: str, context: ChangeContext
    ) -> Change:
        """Replace a debit account's password (its hash); a locked account becomes ``active``."""

        def _reset(db: sqlite3.Connection) -> Change:
            before = _require(_load_account(db, account_id), "account")
            after = before.password_reset(password_hash, context.at)
            _write_account(db, after, context.at)
            return Change("debit_account", account_id, "password_reset", before.masked(), after.masked())

        return await self._change(context, _reset)

    async def update_contact(
        self, customer_id: str, phone: str | None, address: str | None, context: ChangeContext
    ) -> Change:
        """Replace a customer's phone and/or address."""

        def _update(db: sqlite3.Connection) -> Change:
            before = _require(_load_customer(db, customer_id), "customer")
            after = before.with_contact(phone, address)
            _write_customer(db, after, context.at)
            return Change("customer", customer_id, "contact_updated", before.masked(), after.masked())

        return await self._change(context, _update)

    async def review_card(self, card_id: str, reason: CardReviewReason, context: ChangeContext) -> Change:
        """Record the remote review of a field-issued card (a rejection freezes it)."""

        def _review(db: sqlite3.Connection) -> Change:
            before = _require(_load_card(db, card_id), "card")
            after = before.reviewed(reason, context.at)
            _write_card(db, after, context.at)
            return Change("social_security_card", card_id, "card_reviewed", before.masked(), after.masked())

        return await self._change(context, _review)

    async def decide_application(
        self,
        application_id: str,
        status: ApplicationStatus,
        reason: str | None,
        answers: Sequence[WillingnessAnswer],
        context: ChangeContext,
    ) -> Change:
        """Confirm or reject a pending application after the willingness check, storing the
        confirmed answers with it (needs a session)."""
        if context.session_id is None:
            raise ValueError("a willingness decision belongs to a session")
        session_id = check_record_id(context.session_id, "session id")

        def _decide(db: sqlite3.Connection) -> Change:
            before = _require(_load_application(db, application_id), "application")
            after = before.decided(status, reason, context.at, session_id)
            _write_application(db, after, context.at)
            db.executemany(
                "INSERT INTO core_willingness_answers (application_id, session_id, position, question_id,"
                " question, expected, answer, answered_at, confirmed_at, confirmed_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        application_id,
                        session_id,
                        a.position,
                        a.question_id,
                        a.question,
                        int(a.expected),
                        int(a.answer),
                        a.answered_at,
                        a.confirmed_at,
                        a.confirmed_by,
                    )
                    for a in answers
                ],
            )
            return Change(
                "corporate_application",
                application_id,
                "application_decided",
                before.masked(),
                after.masked(),
            )

        return await self._change(context, _decide)

    # --- stored PIN values (the vault's rotation) ----------------------------------------------------

    async def stored_secrets(self) -> list[StoredSecret]:
        """Every stored card PIN and account password value (for the PIN vault's rotation only)."""

        def _list(db: sqlite3.Connection) -> list[StoredSecret]:
            out: list[StoredSecret] = []
            kind: SecretKind
            for kind in ("card_pin", "account_password"):
                table, column = _SECRET_COLUMNS[kind]
                sql = f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY id"  # noqa: S608
                out.extend(StoredSecret(kind, row[0], row[1]) for row in db.execute(sql))
            return out

        return await self._storage.run(_list)

    async def replace_stored_secrets(
        self,
        replacements: Sequence[tuple[StoredSecret, str]],
        context: ChangeContext,
        summary: dict[str, Any],
    ) -> int:
        """Replace stored values in one transaction, each only if it is still the value read (a PIN set
        meanwhile is kept); logs one ``pin_vault_rewrapped`` event with ``summary`` and the count.
        Returns how many were replaced."""

        def _replace(db: sqlite3.Connection) -> tuple[int, SessionEvent]:
            replaced = 0
            for old, new in replacements:
                table, column = _SECRET_COLUMNS[old.kind]
                cursor = db.execute(
                    f"UPDATE {table} SET {column}=? WHERE id=? AND {column}=?",  # noqa: S608
                    (new, old.record_id, old.value),
                )
                replaced += cursor.rowcount
            data = {**summary, "replaced": replaced}
            return replaced, SessionEvent(context.at, REWRAP_EVENT, context.session_id, context.actor, data)

        return await self._log.transaction(_replace)

    # --- end-of-session feedback -------------------------------------------------------------------

    async def record_rating(
        self,
        session_id: str,
        business: str,
        customer_id: str | None,
        rating: int,
        comment: str | None,
        at: float,
    ) -> bool:
        """Store the customer's rating (1–5) of a session; a session is rated once (False: it had one)."""
        if not 1 <= rating <= 5:
            raise ValueError("a rating is 1 to 5")

        def _rate(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                "INSERT INTO service_feedback (session_id, business, customer_id, rating, comment, rated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET"
                " rating=excluded.rating, comment=excluded.comment, rated_at=excluded.rated_at,"
                " customer_id=coalesce(service_feedback.customer_id, excluded.customer_id)"
                " WHERE service_feedback.rating IS NULL",
                (session_id, business, customer_id, rating, comment, at),
            )
            return cursor.rowcount == 1

        return await self._storage.run(_rate, transaction=True)

    async def record_disposition(
        self,
        session_id: str,
        business: str,
        customer_id: str | None,
        code: str,
        teller: str | None,
        at: float,
    ) -> None:
        """Store the teller's wrap-up disposition code of a session; set once."""

        def _dispose(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO service_feedback (session_id, business, customer_id, disposition,"
                " disposition_by, disposed_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (session_id) DO UPDATE SET"
                " disposition=excluded.disposition, disposition_by=excluded.disposition_by,"
                " disposed_at=excluded.disposed_at,"
                " customer_id=coalesce(service_feedback.customer_id, excluded.customer_id)"
                " WHERE service_feedback.disposition IS NULL",
                (session_id, business, customer_id, code, teller, at),
            )

        await self._storage.run(_dispose, transaction=True)

    async def feedback(self, session_id: str) -> Feedback | None:
        """A session's rating and disposition."""

        def _get(db: sqlite3.Connection) -> Feedback | None:
            row = _one(
                db,
                "SELECT session_id, business, customer_id, rating, comment, disposition, disposition_by"
                " FROM service_feedback WHERE session_id=?",
                (session_id,),
            )
            return None if row is None else Feedback(*row)

        return await self._storage.run(_get)


def _created_or_replaced(
    entity: Entity,
    entity_id: str,
    before: Customer | SocialSecurityCard | DebitAccount | CorporateApplication | None,
    after: Customer | SocialSecurityCard | DebitAccount | CorporateApplication,
) -> Change:
    action = "created" if before is None else "replaced"
    return Change(entity, entity_id, action, None if before is None else before.masked(), after.masked())
