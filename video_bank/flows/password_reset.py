"""Debit account password reset (密码重置): the teller confirms the account; the customer sets the
new 6-digit password on their phone, twice; a locked account is unlocked. The password reaches only
the executor, which stores its salted hash."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from signaling.messages import Business
from video_bank.core_banking.errors import ConflictError, PinRuleError
from video_bank.core_banking.models import AccountStatus, CustomerProfile, DebitAccount, check_new_secret
from video_bank.flows.commands import Command, ResetPassword
from video_bank.flows.inputs import AccountConfirmed, CommandCompleted, FlowInput, SecretEntered
from video_bank.flows.machine import BusinessSteps, Party, ResultInput, Route, Turn
from video_bank.flows.outputs import Audience
from video_bank.flows.steps import Disposition, FlowStatus, Step


class PasswordResetSteps(BusinessSteps):
    """confirm_account (teller) → set_password (customer)."""

    business: ClassVar[Business] = "password_reset"
    steps: ClassVar[tuple[Step, ...]] = (Step.CONFIRM_ACCOUNT, Step.SET_PASSWORD)
    branch_instructions: ClassVar[str] = (
        "You can reset your password at any of our branches: bring your resident ID card and your bank card."
    )
    completed_outcomes: ClassVar[Mapping[str, Disposition]] = {"password_reset": Disposition.RESOLVED}

    def __init__(self) -> None:
        self.account: DebitAccount | None = None
        """The account the teller confirmed."""

    def routes(self) -> Mapping[type[FlowInput], Route]:
        return {
            AccountConfirmed: Route(Step.CONFIRM_ACCOUNT, frozenset({Party.TELLER}), self._on_account),
            SecretEntered: Route(Step.SET_PASSWORD, frozenset({Party.CUSTOMER_SIDE}), self._on_password),
        }

    def profile_details(self, profile: CustomerProfile) -> dict[str, Any]:
        masked = profile.masked()
        return {"customer": masked["customer"], "accounts": masked["accounts"]}

    def begin(self, turn: Turn) -> None:
        usable = (AccountStatus.ACTIVE, AccountStatus.LOCKED)
        accounts = [a.masked() for a in turn.profile.accounts if a.status in usable]
        turn.say(
            Audience.TELLER,
            "confirm_account",
            "Confirm with the customer which account's password to reset.",
            accounts=accounts,
        )
        turn.say(Audience.CUSTOMER, "wait_for_teller", "The teller is checking your account.")

    def _on_account(self, turn: Turn, event: AccountConfirmed) -> None:
        account = turn.profile.account(event.account_id)
        if account is None:
            turn.refuse("unknown_account", "this customer has no account with this id")
            return
        try:
            account.check_resettable()
        except ConflictError as error:
            turn.refuse(error.code, error.message)
            return
        self.account = account
        turn.complete(Step.CONFIRM_ACCOUNT)
        turn.log("flow_account_confirmed", account_id=account.id, account=account.masked_number)
        turn.say(
            Audience.CUSTOMER,
            "enter_password",
            f"Choose a new 6-digit password for account {account.masked_number} and enter it twice.",
            account=account.masked_number,
        )
        turn.say(
            Audience.TELLER, "waiting_for_password", "The customer is setting the password on their phone."
        )

    def _on_password(self, turn: Turn, event: SecretEntered) -> None:
        assert self.account is not None  # the gate requires confirm_account
        try:
            check_new_secret(event.secret, event.confirmation, turn.profile.customer.resident_id)
        except PinRuleError as error:
            turn.refuse(error.code, error.message)
            turn.say(
                Audience.TELLER,
                "pin_rejected",
                "The password was refused; the customer is told why.",
                rule=error.code,
            )
            return
        turn.issue(ResetPassword(account_id=self.account.id, password=event.secret))

    def on_result(self, turn: Turn, command: Command, result: ResultInput) -> None:
        if not isinstance(command, ResetPassword) or not isinstance(result, CommandCompleted):
            BusinessSteps.on_result(self, turn, command, result)
            return
        assert self.account is not None
        turn.complete(Step.SET_PASSWORD)
        turn.say(Audience.CUSTOMER, "password_reset", "Your new password is set.")
        turn.say(
            Audience.TELLER, "password_reset", "The password is reset.", account=self.account.masked_number
        )
        turn.finish(FlowStatus.COMPLETED, "password_reset", account_id=self.account.id)
