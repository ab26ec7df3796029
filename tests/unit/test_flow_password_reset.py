"""Debit account password reset: confirm the account, set the new password twice; a locked account unlocks."""

from __future__ import annotations

import dataclasses

import pytest

from tests.unit.test_flow_common import (
    ACCOUNT_HOLDER_ID,
    DEBIT_ACCOUNT,
    PENSIONER_ID,
    Bank,
    Driver,
    Reply,
    all_texts,
)
from video_bank.core_banking.models import AccountStatus, Secret
from video_bank.flows.commands import ResetPassword
from video_bank.flows.inputs import AccountConfirmed, SecretEntered
from video_bank.flows.outputs import Audience
from video_bank.flows.steps import FlowStatus, Step

PASSWORD = "620873"


def password(driver: Driver, first: str = PASSWORD, second: str | None = None) -> Reply:
    return driver.customer(SecretEntered, secret=Secret(first), confirmation=Secret(second or first))


def test_password_reset_end_to_end_stores_a_new_hash_and_unlocks_the_account() -> None:
    driver = Driver("password_reset")
    driver.verified(ACCOUNT_HOLDER_ID)
    confirmed = driver.teller(AccountConfirmed, account_id=DEBIT_ACCOUNT.id)
    assert confirmed.message(Audience.CUSTOMER, "enter_password").data == {"account": "****3032"}
    reply = password(driver)
    assert reply.code is None
    (command,) = reply.commands
    assert isinstance(command, ResetPassword)
    account = driver.bank.accounts[DEBIT_ACCOUNT.id]
    assert (account.status, account.password_hash) == (AccountStatus.ACTIVE, "scrypt$test")
    assert (driver.flow.status, driver.flow.outcome) == (FlowStatus.COMPLETED, "password_reset")
    assert PASSWORD not in all_texts(driver.log) + all_texts(reply.messages) + repr(reply.commands)
    assert DEBIT_ACCOUNT.number not in all_texts(driver.log) + all_texts(reply.messages)


def test_the_password_waits_for_the_tellers_confirmation_of_the_account() -> None:
    driver = Driver("password_reset")
    driver.verified(ACCOUNT_HOLDER_ID)
    reply = password(driver)
    assert (reply.code, reply.refusal and reply.refusal.step) == ("step_required", Step.CONFIRM_ACCOUNT)
    assert driver.bank.accounts[DEBIT_ACCOUNT.id] == DEBIT_ACCOUNT


@pytest.mark.parametrize(
    ("first", "second", "code"), [(PASSWORD, "620874", "pin_mismatch"), ("000000", None, "pin_repeated")]
)
def test_a_refused_password_changes_nothing(first: str, second: str | None, code: str) -> None:
    driver = Driver("password_reset")
    driver.verified(ACCOUNT_HOLDER_ID)
    driver.teller(AccountConfirmed, account_id=DEBIT_ACCOUNT.id)
    assert password(driver, first, second).code == code
    assert driver.bank.accounts[DEBIT_ACCOUNT.id] == DEBIT_ACCOUNT


@pytest.mark.parametrize(
    ("status", "code"), [(AccountStatus.FROZEN, "account_frozen"), (AccountStatus.CLOSED, "account_closed")]
)
def test_a_frozen_or_closed_account_cannot_be_reset_over_video(status: AccountStatus, code: str) -> None:
    bank = Bank.demo()
    bank.accounts[DEBIT_ACCOUNT.id] = dataclasses.replace(DEBIT_ACCOUNT, status=status)
    driver = Driver("password_reset", bank=bank)
    driver.verified(ACCOUNT_HOLDER_ID)
    assert driver.teller(AccountConfirmed, account_id=DEBIT_ACCOUNT.id).code == code


def test_another_customers_account_cannot_be_confirmed() -> None:
    driver = Driver("password_reset")
    driver.verified(PENSIONER_ID)
    assert driver.teller(AccountConfirmed, account_id=DEBIT_ACCOUNT.id).code == "unknown_account"
    assert driver.flow.step is Step.CONFIRM_ACCOUNT
