"""Debit account password reset (密码重置): the teller confirms the account; the customer sets the
new 6-digit password on their phone, twice; a locked account is unlocked. The password reaches only
the executor, which stores its salted hash. The steps are :mod:`video_bank.flows.new_secret`'s."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from signaling.messages import Business
from video_bank.core_banking.models import AccountStatus, CustomerProfile, DebitAccount, Secret
from video_bank.flows.commands import Command, ResetPassword
from video_bank.flows.inputs import AccountConfirmed, FlowInput
from video_bank.flows.new_secret import NewSecretSteps, SecretNouns
from video_bank.flows.steps import Disposition, Step

USABLE = (AccountStatus.ACTIVE, AccountStatus.LOCKED)
"""Accounts whose password may be reset (a locked one is unlocked by it)."""


class PasswordResetSteps(NewSecretSteps[DebitAccount]):
    """confirm_account (teller) → set_password (customer)."""

    business: ClassVar[Business] = "password_reset"
    steps: ClassVar[tuple[Step, ...]] = (Step.CONFIRM_ACCOUNT, Step.SET_PASSWORD)
    branch_instructions: ClassVar[str] = (
        "You can reset your password at any of our branches: bring your resident ID card and your bank card."
    )
    completed_outcomes: ClassVar[Mapping[str, Disposition]] = {"password_reset": Disposition.RESOLVED}
    nouns: ClassVar[SecretNouns] = SecretNouns(
        product="account",
        entered="password",
        confirm="Confirm with the customer which account's password to reset.",
        wait="The teller is checking your account.",
        enter="Choose a new 6-digit password for account {number} and enter it twice.",
        waiting="The customer is setting the password on their phone.",
        rejected="The password was refused; the customer is told why.",
        outcome="password_reset",
        done_customer="Your new password is set.",
        done_teller="The password is reset.",
    )
    confirmed_input: ClassVar[type[FlowInput]] = AccountConfirmed
    confirm_step: ClassVar[Step] = Step.CONFIRM_ACCOUNT
    secret_step: ClassVar[Step] = Step.SET_PASSWORD
    commits: ClassVar[type[Command]] = ResetPassword

    def choices(self, profile: CustomerProfile) -> list[dict[str, Any]]:
        return [a.masked() for a in profile.accounts if a.status in USABLE]

    def find(self, profile: CustomerProfile, product_id: str) -> DebitAccount | None:
        return profile.account(product_id)

    def check(self, product: DebitAccount) -> None:
        product.check_resettable()

    def command(self, product: DebitAccount, secret: Secret) -> Command:
        return ResetPassword(account_id=product.id, password=secret)
