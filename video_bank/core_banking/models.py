"""Core-banking values and their rules: customers, social-security cards, debit accounts and corporate
account applications, with validation, state transitions, PIN rules and masking. Pure: no I/O.

Every record is a frozen dataclass validated in ``__post_init__``; a state change is a method that
returns the changed record or raises :class:`~video_bank.core_banking.errors.ConflictError`. What may
be written to logs is :meth:`masked` — card and account numbers to their last four digits, resident ID
numbers to their first three and last two characters, phones to the first three and last four digits,
addresses to their first six characters; PIN and password hashes never appear in it.

Identifiers:

- resident ID numbers (GB 11643-1999) are validated by :mod:`signaling.resident_id`;
- unified social credit codes (GB 32100-2015): 18 characters from a 31-character alphabet, the 18th a
  check character over the first 17 (weights 3^i mod 31);
- card and account numbers: 16–19 digits whose last digit is the Luhn check digit.
"""

from __future__ import annotations

import datetime as dt
import hmac
import itertools
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal, NoReturn

from signaling.resident_id import ResidentId, ResidentIdError
from video_bank.core_banking.errors import ConflictError, InvalidDataError, PinRuleError

# --- identifiers ----------------------------------------------------------------------------------

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of GB 32100-2015 (no I, O, S, V, Z); a character's value is its index."""
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PHONE = re.compile(r"1[3-9][0-9]{9}")
_DIGITS = re.compile(r"[0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MAX_NAME = 64
MAX_COMPANY_NAME = 128
MIN_ADDRESS, MAX_ADDRESS = 5, 200
MAX_REASON = 200
SECRET_LENGTH = 6


def new_id(prefix: str) -> str:
    """A fresh random record id such as ``cus_3f9a…`` (never derived from personal data)."""
    return f"{prefix}_{secrets.token_hex(8)}"


def check_record_id(value: object, what: str = "id") -> str:
    """``value`` if it is a record id (1–64 of ``A-Z a-z 0-9 _ -``)."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise InvalidDataError("invalid_id", f"the {what} must be 1-64 letters, digits, '_' or '-'")
    return value


def parse_resident_id(raw: object, today: dt.date) -> ResidentId:
    """Validate a resident ID number (format, birth date, check character) or raise
    :class:`InvalidDataError` with code ``invalid_resident_id`` and the plain reason."""
    if not isinstance(raw, str):
        raise InvalidDataError("invalid_resident_id", "a resident ID number is text")
    try:
        return ResidentId.parse(raw, today)
    except ResidentIdError as error:
        raise InvalidDataError("invalid_resident_id", str(error)) from None


def resident_id_from_storage(number: str) -> ResidentId:
    """A resident ID read back from storage (validated when written, so its birth date is past)."""
    return parse_resident_id(number, dt.date.max)


def credit_code_check_character(first17: str) -> str:
    """GB 32100-2015 check character for the first 17 characters of a unified social credit code."""
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def parse_credit_code(raw: object) -> str:
    """The unified social credit code in ``raw`` (trimmed, upper case) or :class:`InvalidDataError`
    with code ``invalid_credit_code`` and the reason."""

    def fail(reason: str) -> NoReturn:
        raise InvalidDataError("invalid_credit_code", reason)

    if not isinstance(raw, str):
        fail("a unified social credit code is text")
    code = raw.strip().upper()
    if len(code) != 18:
        fail("a unified social credit code has exactly 18 characters")
    if any(c not in CREDIT_CODE_ALPHABET for c in code):
        fail(
            "a unified social credit code contains only digits and the capital letters A-Y"
            " except I, O, S, V and Z"
        )
    if not code[2:8].isdigit():
        fail("characters 3-8 of a unified social credit code (the region code) must be digits")
    if credit_code_check_character(code[:17]) != code[17]:
        fail("the check character (the last one) of the unified social credit code is wrong; check the code")
    return code


def luhn_check_digit(body: str) -> str:
    """The Luhn check digit to append to the digits ``body``."""
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return str((10 - total % 10) % 10)


def parse_card_number(raw: object, what: str = "card number") -> str:
    """A bank card or account number: 16–19 digits with a valid Luhn check digit."""
    if not isinstance(raw, str) or not _DIGITS.fullmatch(raw) or not 16 <= len(raw) <= 19:
        raise InvalidDataError("invalid_card_number", f"a {what} has 16 to 19 digits")
    if luhn_check_digit(raw[:-1]) != raw[-1]:
        raise InvalidDataError("invalid_card_number", f"the {what}'s check digit is wrong")
    return raw


def parse_phone(raw: object) -> str:
    """A mainland mobile number (11 digits, ``1[3-9]…``); spaces and dashes are removed."""
    if isinstance(raw, str):
        phone = re.sub(r"[\s-]", "", raw)
        if _PHONE.fullmatch(phone):
            return phone
    raise InvalidDataError("invalid_phone", "a mobile number has 11 digits and starts with 13 to 19")


def _text(raw: object, code: str, what: str, low: int, high: int) -> str:
    if not isinstance(raw, str):
        raise InvalidDataError(code, f"the {what} is text")
    text = raw.strip()
    if not low <= len(text) <= high:
        raise InvalidDataError(code, f"the {what} has {low} to {high} characters")
    if _CONTROL.search(text):
        raise InvalidDataError(code, f"the {what} contains control characters")
    return text


def parse_address(raw: object) -> str:
    """A postal address: 5–200 characters without control characters (trimmed)."""
    return _text(raw, "invalid_address", "address", MIN_ADDRESS, MAX_ADDRESS)


def parse_name(raw: object) -> str:
    """A person's name: 1–64 characters without control characters (trimmed)."""
    return _text(raw, "invalid_name", "name", 1, MAX_NAME)


def parse_reason(raw: object) -> str:
    """A reason given by staff: 1–200 characters without control characters (trimmed)."""
    return _text(raw, "invalid_reason", "reason", 1, MAX_REASON)


# --- masking --------------------------------------------------------------------------------------


def mask_number(number: str) -> str:
    """A card or account number for logs and screens: ``****`` and the last four digits."""
    return f"****{number[-4:]}"


def mask_phone(phone: str) -> str:
    """``138****5678``."""
    return f"{phone[:3]}****{phone[-4:]}"


def mask_address(address: str) -> str:
    """The first six characters (province and city, usually) and ``***``."""
    return f"{address[:6]}***"


# --- secrets (PINs and passwords) -------------------------------------------------------------------


class Secret:
    """A PIN or password in memory. ``repr`` and ``str`` never show it, it cannot be pickled or
    compared with ``==``; :meth:`reveal` is the one way to read it (only for hashing and rule checks)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("a secret is a str")
        self._value = value

    def reveal(self) -> str:
        """The secret itself. Never log, store or send what this returns."""
        return self._value

    def matches(self, other: Secret) -> bool:
        """Constant-time comparison with another secret."""
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __repr__(self) -> str:
        return "Secret(<hidden>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        raise TypeError("compare secrets with Secret.matches")

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")


def _cyclic_run(digits: str, step: int) -> bool:
    return all((int(b) - int(a)) % 10 == step % 10 for a, b in itertools.pairwise(digits))


def check_new_secret(secret: Secret, confirmation: Secret, resident_id: ResidentId | None = None) -> None:
    """Rules for a new card PIN or account password, entered twice. Raises :class:`PinRuleError`:

    - ``pin_format``: not exactly six digits 0-9;
    - ``pin_mismatch``: the two entries differ;
    - ``pin_repeated``: one digit six times (``111111``);
    - ``pin_sequence``: an ascending or descending run, wrapping around (``123456``, ``654321``,
      ``789012``);
    - ``pin_personal``: the last six characters of the holder's ID number or their birth date as
      YYMMDD.
    """
    value = secret.reveal()
    if len(value) != SECRET_LENGTH or not value.isascii() or not value.isdigit():
        raise PinRuleError("pin_format", "the PIN has exactly six digits")
    if not secret.matches(confirmation):
        raise PinRuleError("pin_mismatch", "the two entries differ; please enter the same PIN twice")
    if len(set(value)) == 1:
        raise PinRuleError("pin_repeated", "the PIN may not repeat one digit six times")
    if _cyclic_run(value, 1) or _cyclic_run(value, -1):
        raise PinRuleError("pin_sequence", "the PIN may not be a run of consecutive digits, up or down")
    if resident_id is not None:
        personal = {resident_id.number[-6:], resident_id.birth_date.strftime("%y%m%d")}
        if value in personal:
            raise PinRuleError(
                "pin_personal", "the PIN may not be your birth date or the end of your ID number"
            )


# --- records --------------------------------------------------------------------------------------


class CardStatus(StrEnum):
    """A social-security card's financial function."""

    ISSUED = "issued"
    """Handed to the holder; no PIN yet, cannot be used."""
    ACTIVE = "active"
    """PIN set by the holder; usable."""
    FROZEN = "frozen"
    """Blocked (lost, rejected in review, court order)."""


class CardReview(StrEnum):
    """Remote review of a card issued in the field (outside a branch)."""

    NOT_REQUIRED = "not_required"
    """Issued at a branch."""
    PENDING = "pending"
    """Issued in the field; a teller must review it with the holder on video before it is used."""
    APPROVED = "approved"
    REJECTED = "rejected"


class CardReviewReason(StrEnum):
    """Reason codes a teller gives when reviewing a field-issued card."""

    IDENTITY_CONFIRMED = "identity_confirmed"
    """Approve: holder present, identity and card confirmed."""
    CUSTOMER_ABSENT = "customer_absent"
    """Reject: the holder was not present with the field officer."""
    IDENTITY_MISMATCH = "identity_mismatch"
    """Reject: the person present is not the card holder."""
    DOCUMENTS_INCOMPLETE = "documents_incomplete"
    """Reject: the application documents are missing or inconsistent."""
    CARD_NOT_RECEIVED = "card_not_received"
    """Reject: the holder does not have the card."""
    NOT_REQUESTED = "not_requested"
    """Reject: the holder says they did not ask for the card."""
    OTHER = "other"
    """Reject: another reason (see the session record)."""

    @property
    def approves(self) -> bool:
        """Whether this code approves the card (only ``identity_confirmed`` does)."""
        return self is CardReviewReason.IDENTITY_CONFIRMED


class AccountStatus(StrEnum):
    """A personal debit account."""

    ACTIVE = "active"
    LOCKED = "locked"
    """Too many wrong passwords; a password reset unlocks it."""
    FROZEN = "frozen"
    """Blocked by the bank or a court; no password reset over video."""
    CLOSED = "closed"


class ApplicationStatus(StrEnum):
    """A corporate account-opening application."""

    PENDING = "pending"
    """Waiting for the legal representative's willingness check."""
    WILLINGNESS_CONFIRMED = "willingness_confirmed"
    REJECTED = "rejected"


class AccountType(StrEnum):
    """Kinds of corporate RMB settlement account."""

    BASIC = "basic"
    GENERAL = "general"
    SPECIAL = "special"
    TEMPORARY = "temporary"


def _enum(cls: type[Any], value: object, code: str, what: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise InvalidDataError(code, f"the {what} must be one of: {allowed}") from None


def _conflict(code: str, message: str) -> NoReturn:
    raise ConflictError(code, message)


@dataclass(frozen=True, slots=True)
class Customer:
    """A personal customer."""

    id: str
    """Opaque record id (``cus_…``), safe to log."""
    resident_id: ResidentId = field(repr=False)
    """Validated resident ID number (never logged in full)."""
    name: str
    """Legal name."""
    phone: str = field(repr=False)
    """Mainland mobile number."""
    address: str = field(repr=False)
    """Postal address."""
    reference_photo_id: str | None = None
    """The customer's reference photo in the verification reference store (a placeholder id until
    that store exists; ``None``: no photo, so no video verification)."""

    def __post_init__(self) -> None:
        check_record_id(self.id, "customer id")
        if not isinstance(self.resident_id, ResidentId):
            raise InvalidDataError("invalid_resident_id", "the resident ID must be parsed first")
        object.__setattr__(self, "name", parse_name(self.name))
        object.__setattr__(self, "phone", parse_phone(self.phone))
        object.__setattr__(self, "address", parse_address(self.address))
        if self.reference_photo_id is not None:
            _text(self.reference_photo_id, "invalid_reference", "reference photo id", 1, 200)

    @property
    def birth_date(self) -> dt.date:
        """Date of birth (from the resident ID number)."""
        return self.resident_id.birth_date

    def with_contact(self, phone: str | None, address: str | None) -> Customer:
        """The customer with a new phone and/or address; ``no_change`` when neither differs."""
        new_phone = self.phone if phone is None else parse_phone(phone)
        new_address = self.address if address is None else parse_address(address)
        if (new_phone, new_address) == (self.phone, self.address):
            _conflict("no_change", "the new phone and address are the same as the current ones")
        return replace(self, phone=new_phone, address=new_address)

    def masked(self) -> dict[str, Any]:
        """Loggable view."""
        return {
            "id": self.id,
            "resident_id": self.resident_id.masked,
            "name": self.name,
            "birth_year": self.birth_date.year,
            "phone": mask_phone(self.phone),
            "address": mask_address(self.address),
            "reference_photo_id": self.reference_photo_id,
        }


@dataclass(frozen=True, slots=True)
class SocialSecurityCard:
    """A social-security card with a financial (bank) function."""

    id: str
    """Opaque record id (``ssc_…``)."""
    customer_id: str
    """Holder."""
    number: str = field(repr=False)
    """The card's bank number (16–19 digits, Luhn); only its last four digits are ever shown."""
    status: CardStatus = CardStatus.ISSUED
    pin_hash: str | None = field(default=None, repr=False)
    """scrypt hash of the PIN; never logged or shown."""
    pin_set_at: float | None = None
    """Server time the PIN was last set."""
    review: CardReview = CardReview.NOT_REQUIRED
    """Remote review state (``not_required`` for cards issued at a branch)."""
    review_reason: CardReviewReason | None = None
    reviewed_at: float | None = None

    def __post_init__(self) -> None:
        check_record_id(self.id, "card id")
        check_record_id(self.customer_id, "customer id")
        parse_card_number(self.number)
        object.__setattr__(self, "status", _enum(CardStatus, self.status, "invalid_status", "card status"))
        object.__setattr__(self, "review", _enum(CardReview, self.review, "invalid_status", "card review"))
        if self.review_reason is not None:
            object.__setattr__(
                self,
                "review_reason",
                _enum(CardReviewReason, self.review_reason, "invalid_reason", "review reason"),
            )
        if self.status is CardStatus.ACTIVE and self.pin_hash is None:
            raise InvalidDataError("invalid_status", "an active card has a PIN")
        if self.review in (CardReview.APPROVED, CardReview.REJECTED) and self.review_reason is None:
            raise InvalidDataError("invalid_reason", "a reviewed card has a review reason")

    @property
    def masked_number(self) -> str:
        """``****1234``."""
        return mask_number(self.number)

    def check_activatable(self) -> None:
        """Raise :class:`ConflictError` unless the holder may set the first PIN now."""
        if self.status is CardStatus.ACTIVE:
            _conflict("card_already_active", "the card is already active")
        if self.status is CardStatus.FROZEN:
            _conflict("card_frozen", "the card is frozen; the holder must visit a branch")
        if self.review is CardReview.PENDING:
            _conflict("card_review_pending", "the card was issued in the field and has not been reviewed yet")
        if self.review is CardReview.REJECTED:
            _conflict("card_review_rejected", "the card failed its review")

    def activated(self, pin_hash: str, at: float) -> SocialSecurityCard:
        """The card with its first PIN set, now ``active``."""
        self.check_activatable()
        return replace(self, status=CardStatus.ACTIVE, pin_hash=pin_hash, pin_set_at=at)

    def check_reviewable(self) -> None:
        """Raise :class:`ConflictError` unless the card waits for its remote review."""
        if self.review is not CardReview.PENDING:
            _conflict("card_not_pending_review", "the card is not waiting for a review")

    def reviewed(self, reason: CardReviewReason, at: float) -> SocialSecurityCard:
        """The card after its remote review: approved, or rejected and frozen."""
        self.check_reviewable()
        if reason.approves:
            return replace(self, review=CardReview.APPROVED, review_reason=reason, reviewed_at=at)
        return replace(
            self, review=CardReview.REJECTED, review_reason=reason, reviewed_at=at, status=CardStatus.FROZEN
        )

    def masked(self) -> dict[str, Any]:
        """Loggable view (no PIN hash: only whether a PIN is set)."""
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "number": self.masked_number,
            "status": self.status.value,
            "pin_set": self.pin_hash is not None,
            "pin_set_at": self.pin_set_at,
            "review": self.review.value,
            "review_reason": None if self.review_reason is None else self.review_reason.value,
        }


@dataclass(frozen=True, slots=True)
class DebitAccount:
    """A personal debit account (its card number is the account number)."""

    id: str
    """Opaque record id (``acc_…``)."""
    customer_id: str
    number: str = field(repr=False)
    """16–19 digits, Luhn; only the last four digits are ever shown."""
    status: AccountStatus = AccountStatus.ACTIVE
    password_hash: str | None = field(default=None, repr=False)
    """scrypt hash of the 6-digit password; never logged or shown."""
    password_set_at: float | None = None

    def __post_init__(self) -> None:
        check_record_id(self.id, "account id")
        check_record_id(self.customer_id, "customer id")
        parse_card_number(self.number, "account number")
        object.__setattr__(
            self, "status", _enum(AccountStatus, self.status, "invalid_status", "account status")
        )

    @property
    def masked_number(self) -> str:
        """``****1234``."""
        return mask_number(self.number)

    def check_resettable(self) -> None:
        """Raise :class:`ConflictError` unless the password may be reset over video."""
        if self.status is AccountStatus.FROZEN:
            _conflict("account_frozen", "the account is frozen; the holder must visit a branch")
        if self.status is AccountStatus.CLOSED:
            _conflict("account_closed", "the account is closed")

    def password_reset(self, password_hash: str, at: float) -> DebitAccount:
        """The account with a new password; a locked account is unlocked."""
        self.check_resettable()
        return replace(self, status=AccountStatus.ACTIVE, password_hash=password_hash, password_set_at=at)

    def masked(self) -> dict[str, Any]:
        """Loggable view (no password hash)."""
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "number": self.masked_number,
            "status": self.status.value,
            "password_set": self.password_hash is not None,
            "password_set_at": self.password_set_at,
        }


@dataclass(frozen=True, slots=True)
class CorporateApplication:
    """An application to open a corporate account, waiting for the legal representative's
    willingness check on video."""

    id: str
    """Opaque record id (``app_…``)."""
    company_name: str
    credit_code: str
    """Unified social credit code (validated, upper case)."""
    legal_rep: ResidentId = field(repr=False)
    """The legal representative's resident ID number."""
    account_type: AccountType = AccountType.BASIC
    status: ApplicationStatus = ApplicationStatus.PENDING
    reason: str | None = None
    """Why it was rejected."""
    decided_at: float | None = None
    decided_in_session: str | None = None
    """The video session whose willingness check decided it."""

    def __post_init__(self) -> None:
        check_record_id(self.id, "application id")
        object.__setattr__(
            self,
            "company_name",
            _text(self.company_name, "invalid_company_name", "company name", 2, MAX_COMPANY_NAME),
        )
        object.__setattr__(self, "credit_code", parse_credit_code(self.credit_code))
        if not isinstance(self.legal_rep, ResidentId):
            raise InvalidDataError("invalid_resident_id", "the resident ID must be parsed first")
        object.__setattr__(
            self,
            "account_type",
            _enum(AccountType, self.account_type, "invalid_account_type", "account type"),
        )
        object.__setattr__(
            self, "status", _enum(ApplicationStatus, self.status, "invalid_status", "application status")
        )
        if self.status is ApplicationStatus.REJECTED and not self.reason:
            raise InvalidDataError("invalid_reason", "a rejected application has a reason")

    def decided(
        self, status: ApplicationStatus, reason: str | None, at: float, session_id: str | None
    ) -> CorporateApplication:
        """The application after the willingness check (``reason`` required for a rejection)."""
        if self.status is not ApplicationStatus.PENDING:
            _conflict("application_decided", f"the application is already {self.status.value}")
        if status is ApplicationStatus.PENDING:
            raise InvalidDataError("invalid_status", "a decision confirms or rejects the application")
        checked_reason = parse_reason(reason) if status is ApplicationStatus.REJECTED else None
        return replace(
            self, status=status, reason=checked_reason, decided_at=at, decided_in_session=session_id
        )

    def masked(self) -> dict[str, Any]:
        """Loggable view (the legal representative's ID masked; company data is public register data)."""
        return {
            "id": self.id,
            "company_name": self.company_name,
            "credit_code": self.credit_code,
            "legal_rep": self.legal_rep.masked,
            "account_type": self.account_type.value,
            "status": self.status.value,
            "reason": self.reason,
            "decided_in_session": self.decided_in_session,
        }


@dataclass(frozen=True, slots=True)
class WillingnessAnswer:
    """One confirmed answer of a willingness check, as stored with the application."""

    position: int
    """1-based place in the script."""
    question_id: str
    question: str
    """The text shown and read out."""
    expected: bool
    """The answer that supports opening the account."""
    answer: bool
    """The customer's answer (yes = True)."""
    answered_at: float
    """Server time of the customer's tap."""
    confirmed_at: float
    """Server time the teller confirmed the spoken answer."""
    confirmed_by: str
    """The teller's account."""


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """A customer with their cards, accounts and the applications they are legal representative of."""

    customer: Customer
    cards: tuple[SocialSecurityCard, ...] = ()
    accounts: tuple[DebitAccount, ...] = ()
    applications: tuple[CorporateApplication, ...] = ()

    def card(self, card_id: str) -> SocialSecurityCard | None:
        """The holder's card with this id."""
        return next((c for c in self.cards if c.id == card_id), None)

    def account(self, account_id: str) -> DebitAccount | None:
        """The holder's account with this id."""
        return next((a for a in self.accounts if a.id == account_id), None)

    def masked(self) -> dict[str, Any]:
        """Loggable and showable to staff."""
        return {
            "customer": self.customer.masked(),
            "cards": [c.masked() for c in self.cards],
            "accounts": [a.masked() for a in self.accounts],
            "applications": [a.masked() for a in self.applications],
        }


Entity = Literal["customer", "social_security_card", "debit_account", "corporate_application"]


@dataclass(frozen=True, slots=True)
class Change:
    """One committed core-banking change, masked, as written to the session event log."""

    entity: Entity
    entity_id: str
    action: str
    """``created``, ``replaced``, ``card_activated``, ``password_reset``, ``contact_updated``,
    ``application_decided``, ``card_reviewed``."""
    before: Mapping[str, Any] | None
    """Masked view before (``None`` when created)."""
    after: Mapping[str, Any]
    """Masked view after."""

    def diff(self) -> dict[str, dict[str, Any]]:
        """``{field: {"before": …, "after": …}}`` for the fields that changed."""
        before = self.before or {}
        return {
            key: {"before": before.get(key), "after": value}
            for key, value in self.after.items()
            if key not in before or before[key] != value
        }

    def as_event(self) -> dict[str, Any]:
        """The event-log payload."""
        return {
            "entity": self.entity,
            "id": self.entity_id,
            "action": self.action,
            "before": None if self.before is None else dict(self.before),
            "after": dict(self.after),
            "diff": self.diff(),
        }
