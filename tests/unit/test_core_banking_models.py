"""Core-banking values: credit-code and ID check characters, card numbers, PIN rules, secrets, masking,
and the state transitions of cards, accounts, applications and customers."""

from __future__ import annotations

import datetime as dt
import pickle
import random

import pytest

from signaling.resident_id import check_character
from video_bank.core_banking.errors import ConflictError, InvalidDataError, PinRuleError
from video_bank.core_banking.models import (
    CREDIT_CODE_ALPHABET,
    AccountStatus,
    ApplicationStatus,
    CardReview,
    CardReviewReason,
    CardStatus,
    Change,
    CorporateApplication,
    Customer,
    CustomerProfile,
    DebitAccount,
    Secret,
    SocialSecurityCard,
    check_new_secret,
    credit_code_check_character,
    luhn_check_digit,
    mask_address,
    mask_number,
    mask_phone,
    parse_card_number,
    parse_credit_code,
    parse_phone,
    parse_resident_id,
)

TODAY = dt.date(2026, 11, 22)
RESIDENT = "640104195306120025"
CARD_NUMBER = "6217001290000001016"
ACCOUNT_NUMBER = "6228480512000003032"


def customer(**overrides: object) -> Customer:
    fields: dict[str, object] = {
        "id": "cus_1",
        "resident_id": parse_resident_id(RESIDENT, TODAY),
        "name": "Wang Xiulan",
        "phone": "13995001234",
        "address": "88 Jiefang East Street, Yinchuan",
        "reference_photo_id": "fixture:biden.jpg",
    }
    return Customer(**(fields | overrides))  # type: ignore[arg-type]


def card(**overrides: object) -> SocialSecurityCard:
    fields: dict[str, object] = {"id": "ssc_1", "customer_id": "cus_1", "number": CARD_NUMBER}
    return SocialSecurityCard(**(fields | overrides))  # type: ignore[arg-type]


def application(**overrides: object) -> CorporateApplication:
    fields: dict[str, object] = {
        "id": "app_1",
        "company_name": "Ningxia Helan Trading Co., Ltd.",
        "credit_code": "91640100MA76E1234X",
        "legal_rep": parse_resident_id(RESIDENT, TODAY),
    }
    return CorporateApplication(**(fields | overrides))  # type: ignore[arg-type]


# --- unified social credit code ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example of GB 32100-2015's explanatory material
        "914403001922038216",  # a registered company
        "91640100MA76E1234X",  # the demo applicant
    ],
)
def test_valid_credit_codes_are_accepted(code: str) -> None:
    assert parse_credit_code(code) == code


def test_a_credit_code_is_trimmed_and_upper_cased() -> None:
    assert parse_credit_code("  91350100m000100y43 ") == "91350100M000100Y43"


@pytest.mark.parametrize("last", sorted(set(CREDIT_CODE_ALPHABET) - {"3"}))
def test_every_wrong_check_character_is_refused_with_a_clear_message(last: str) -> None:
    with pytest.raises(InvalidDataError, match="check character") as caught:
        parse_credit_code("91350100M000100Y4" + last)
    assert caught.value.code == "invalid_credit_code"


def test_any_single_character_change_in_the_body_is_detected() -> None:
    rng = random.Random(7)
    for _ in range(200):
        body = "91" + "".join(rng.choice("0123456789") for _ in range(6))
        body += "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
        code = body + credit_code_check_character(body)
        assert parse_credit_code(code) == code
        position = rng.randrange(17)
        replacement = rng.choice([c for c in CREDIT_CODE_ALPHABET if c != body[position]])
        if 2 <= position < 8 and not replacement.isdigit():
            continue  # refused for the region code already
        altered = body[:position] + replacement + body[position + 1 :] + code[17]
        with pytest.raises(InvalidDataError, match="check character"):
            parse_credit_code(altered)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("91350100M000100Y4", "exactly 18 characters"),
        ("91350100M000100Y433", "exactly 18 characters"),
        ("91350100M000100I43", "except I, O, S, V and Z"),
        ("91350100M000100O43", "except I, O, S, V and Z"),
        ("9135010-M000100Y43", "except I, O, S, V and Z"),
        ("9135A100M000100Y43", "region code"),
        (91350100, "is text"),
    ],
)
def test_malformed_credit_codes_say_what_is_wrong(raw: object, reason: str) -> None:
    with pytest.raises(InvalidDataError, match=reason):
        parse_credit_code(raw)


def test_the_credit_code_weights_are_powers_of_three_modulo_31() -> None:
    # weights 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 (GB 32100-2015 table)
    assert credit_code_check_character("00000000000000001") == CREDIT_CODE_ALPHABET[31 - 28]
    assert credit_code_check_character("10000000000000000") == CREDIT_CODE_ALPHABET[30]
    assert credit_code_check_character("00000000000000000") == "0"


# --- resident ID numbers (validated by signaling.resident_id) ----------------------------------------


def test_a_resident_id_with_a_wrong_check_character_is_refused_with_the_reason() -> None:
    wrong = RESIDENT[:17] + ("1" if RESIDENT[17] != "1" else "2")
    with pytest.raises(InvalidDataError, match="check character") as caught:
        parse_resident_id(wrong, TODAY)
    assert caught.value.code == "invalid_resident_id"


def test_a_resident_id_check_character_x_is_accepted() -> None:
    assert parse_resident_id("11010519491231002x", TODAY).number == "11010519491231002X"


def test_a_customer_needs_a_parsed_resident_id() -> None:
    with pytest.raises(InvalidDataError):
        customer(resident_id=RESIDENT)


# --- card and account numbers ----------------------------------------------------------------------


def test_luhn_check_digit_matches_the_textbook_example() -> None:
    assert luhn_check_digit("7992739871") == "3"


def test_card_numbers_need_16_to_19_digits_and_a_valid_luhn_digit() -> None:
    assert parse_card_number(CARD_NUMBER) == CARD_NUMBER
    with pytest.raises(InvalidDataError, match="check digit"):
        parse_card_number(CARD_NUMBER[:-1] + str((int(CARD_NUMBER[-1]) + 1) % 10))
    for bad in ("621700129000", "62170012900000010160000", "6217-0012-9000-0001"):
        with pytest.raises(InvalidDataError, match="16 to 19 digits"):
            parse_card_number(bad)


# --- PIN rules -------------------------------------------------------------------------------------


def pin_rule(pin: str, confirmation: str | None = None, with_id: bool = True) -> str | None:
    resident = parse_resident_id(RESIDENT, TODAY) if with_id else None
    try:
        check_new_secret(Secret(pin), Secret(pin if confirmation is None else confirmation), resident)
    except PinRuleError as error:
        return error.code
    return None


@pytest.mark.parametrize("pin", ["385921", "027364", "112358", "908172"])
def test_ordinary_pins_are_accepted(pin: str) -> None:
    assert pin_rule(pin) is None


@pytest.mark.parametrize("pin", [str(d) * 6 for d in range(10)])
def test_one_digit_six_times_is_refused(pin: str) -> None:
    assert pin_rule(pin) == "pin_repeated"


@pytest.mark.parametrize(
    "pin",
    ["012345", "123456", "456789", "567890", "789012", "901234", "654321", "987654", "098765", "210987"],
)
def test_ascending_and_descending_runs_are_refused_even_when_they_wrap(pin: str) -> None:
    assert pin_rule(pin) == "pin_sequence"


def test_only_the_thirty_repeats_and_runs_are_trivial() -> None:
    repeats = {str(d) * 6 for d in range(10)}
    runs = {
        "".join(str((start + step * i) % 10) for i in range(6)) for start in range(10) for step in (1, -1)
    }
    trivial = repeats | runs
    assert len(trivial) == 30
    assert all(pin_rule(pin, with_id=False) is not None for pin in trivial)
    rng = random.Random(11)
    sample = {f"{rng.randrange(10**6):06d}" for _ in range(20_000)} - trivial
    assert all(pin_rule(pin, with_id=False) is None for pin in sample)


def test_the_birth_date_and_the_end_of_the_id_number_are_refused() -> None:
    assert pin_rule("530612") == "pin_personal"
    assert pin_rule(RESIDENT[-6:]) == "pin_personal"
    assert pin_rule("530612", with_id=False) is None


@pytest.mark.parametrize("pin", ["38592", "3859210", "38592a", " 38592", "٣٨٥٩٢١", "", "38 921"])
def test_anything_but_six_ascii_digits_is_refused(pin: str) -> None:
    assert pin_rule(pin) == "pin_format"


def test_two_different_entries_are_refused_before_any_other_rule() -> None:
    assert pin_rule("385921", "385922") == "pin_mismatch"
    assert pin_rule("111111", "222222") == "pin_mismatch"


def test_pin_rule_messages_never_contain_the_pin() -> None:
    for pin in ("111111", "123456", "530612", "38592a"):
        with pytest.raises(PinRuleError) as caught:
            check_new_secret(Secret(pin), Secret(pin), parse_resident_id(RESIDENT, TODAY))
        assert pin not in str(caught.value)


# --- secrets ---------------------------------------------------------------------------------------


def test_a_secret_never_shows_itself() -> None:
    secret = Secret("385921")
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", repr([secret])):
        assert "385921" not in text
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(TypeError):
        _ = secret == Secret("385921")
    with pytest.raises(TypeError):
        hash(secret)
    assert secret.matches(Secret("385921"))
    assert not secret.matches(Secret("385922"))
    assert secret.reveal() == "385921"


# --- masking ---------------------------------------------------------------------------------------


def test_masks_keep_only_what_may_be_shown() -> None:
    assert mask_number(CARD_NUMBER) == "****1016"
    assert mask_phone("13995001234") == "139****1234"
    assert mask_address("88 Jiefang East Street") == "88 Jie***"
    assert parse_resident_id(RESIDENT, TODAY).masked == "640*************25"


def test_masked_views_and_reprs_hold_no_full_number_hash_phone_or_id() -> None:
    c = customer()
    active = card().activated("scrypt$secret-hash", 5.0)
    account = DebitAccount("acc_1", "cus_1", ACCOUNT_NUMBER, AccountStatus.ACTIVE, "scrypt$other-hash", 1.0)
    profile = CustomerProfile(c, (active,), (account,), (application(),))
    texts = [repr(c), repr(active), repr(account), repr(application()), repr(profile), str(profile.masked())]
    for text in texts:
        for secret in (CARD_NUMBER, ACCOUNT_NUMBER, "scrypt$", RESIDENT, "13995001234", "Jiefang East"):
            assert secret not in text
    assert active.masked()["pin_set"] is True
    assert "pin_hash" not in active.masked()
    assert "password_hash" not in account.masked()


def test_phone_numbers_are_normalised_and_checked() -> None:
    assert parse_phone("139-9500 1234") == "13995001234"
    for bad in ("12995001234", "1399500123", "+8613995001234", None):
        with pytest.raises(InvalidDataError, match="11 digits"):
            parse_phone(bad)


# --- transitions -----------------------------------------------------------------------------------


def test_an_issued_card_becomes_active_with_its_pin_hash() -> None:
    active = card().activated("scrypt$h", 9.0)
    assert (active.status, active.pin_hash, active.pin_set_at) == (CardStatus.ACTIVE, "scrypt$h", 9.0)


@pytest.mark.parametrize(
    ("state", "code"),
    [
        ({"status": CardStatus.ACTIVE, "pin_hash": "scrypt$h"}, "card_already_active"),
        ({"status": CardStatus.FROZEN}, "card_frozen"),
        ({"review": CardReview.PENDING}, "card_review_pending"),
        ({"review": CardReview.REJECTED, "review_reason": CardReviewReason.OTHER}, "card_review_rejected"),
    ],
)
def test_only_an_issued_card_that_needs_no_review_can_be_activated(
    state: dict[str, object], code: str
) -> None:
    with pytest.raises(ConflictError) as caught:
        card(**state).activated("scrypt$h", 9.0)
    assert caught.value.code == code


def test_an_active_card_needs_a_pin_hash() -> None:
    with pytest.raises(InvalidDataError):
        card(status=CardStatus.ACTIVE)


def test_a_field_card_review_approves_or_rejects_and_freezes() -> None:
    pending = card(review=CardReview.PENDING)
    approved = pending.reviewed(CardReviewReason.IDENTITY_CONFIRMED, 3.0)
    assert (approved.review, approved.status) == (CardReview.APPROVED, CardStatus.ISSUED)
    assert approved.activated("scrypt$h", 4.0).status is CardStatus.ACTIVE
    rejected = pending.reviewed(CardReviewReason.IDENTITY_MISMATCH, 3.0)
    assert (rejected.review, rejected.status) == (CardReview.REJECTED, CardStatus.FROZEN)
    with pytest.raises(ConflictError, match="not waiting"):
        approved.reviewed(CardReviewReason.IDENTITY_CONFIRMED, 5.0)


def test_a_password_reset_unlocks_a_locked_account_but_not_a_frozen_or_closed_one() -> None:
    locked = DebitAccount("acc_1", "cus_1", ACCOUNT_NUMBER, AccountStatus.LOCKED, "scrypt$old", 1.0)
    reset = locked.password_reset("scrypt$new", 2.0)
    assert (reset.status, reset.password_hash, reset.password_set_at) == (
        AccountStatus.ACTIVE,
        "scrypt$new",
        2.0,
    )
    for status, code in ((AccountStatus.FROZEN, "account_frozen"), (AccountStatus.CLOSED, "account_closed")):
        with pytest.raises(ConflictError) as caught:
            DebitAccount("acc_1", "cus_1", ACCOUNT_NUMBER, status).password_reset("scrypt$new", 2.0)
        assert caught.value.code == code


def test_an_application_is_decided_once_and_a_rejection_needs_a_reason() -> None:
    pending = application()
    confirmed = pending.decided(ApplicationStatus.WILLINGNESS_CONFIRMED, None, 7.0, "sess_1")
    assert (confirmed.status, confirmed.decided_in_session, confirmed.reason) == (
        ApplicationStatus.WILLINGNESS_CONFIRMED,
        "sess_1",
        None,
    )
    with pytest.raises(ConflictError, match="already willingness_confirmed"):
        confirmed.decided(ApplicationStatus.REJECTED, "late", 8.0, "sess_2")
    with pytest.raises(InvalidDataError):
        pending.decided(ApplicationStatus.REJECTED, "  ", 7.0, "sess_1")
    assert pending.decided(ApplicationStatus.REJECTED, "coached", 7.0, "s").reason == "coached"


def test_an_application_with_an_invalid_credit_code_cannot_exist() -> None:
    with pytest.raises(InvalidDataError, match="check character"):
        application(credit_code="91640100MA76E12340")


def test_a_contact_update_must_change_something_valid() -> None:
    c = customer()
    updated = c.with_contact("13709512345", None)
    assert (updated.phone, updated.address) == ("13709512345", c.address)
    with pytest.raises(ConflictError) as caught:
        c.with_contact(c.phone, c.address)
    assert caught.value.code == "no_change"
    with pytest.raises(InvalidDataError) as invalid:
        c.with_contact(None, "x")
    assert invalid.value.code == "invalid_address"


def test_a_change_diff_lists_only_changed_fields() -> None:
    before = card()
    after = before.activated("scrypt$h", 9.0)
    change = Change("social_security_card", before.id, "card_activated", before.masked(), after.masked())
    assert change.diff() == {
        "status": {"before": "issued", "after": "active"},
        "pin_set": {"before": False, "after": True},
        "pin_set_at": {"before": None, "after": 9.0},
    }
    created = Change("social_security_card", before.id, "created", None, before.masked())
    assert created.diff()["number"] == {"before": None, "after": "****1016"}
    assert created.as_event()["before"] is None


def test_check_character_helper_and_demo_ids_agree() -> None:
    assert check_character(RESIDENT[:17]) == RESIDENT[17]
