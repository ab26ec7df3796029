"""The async edge of a flow: runs its commands against core banking and writes its log.

:class:`FlowExecutor` owns one :class:`~video_bank.flows.machine.Flow`. :meth:`FlowExecutor.submit`
hands it an input, appends the resulting log events to the session event log, carries out the
command the flow issued (one database transaction per write, which also logs the masked change),
feeds the result back to the flow, and repeats until the flow asks for nothing more. Inputs of one
session are handled one at a time, in arrival order.

Secrets (PIN, password) are sealed here by the PIN vault (scrypt, then encrypted with a key the
database never holds: docs/pin-vault.md) in a worker thread, just before the write, and exist nowhere
else: not in the log, not in the messages, not in :class:`FlowReport`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from video_bank.core_banking.errors import CoreBankingError
from video_bank.core_banking.models import Change
from video_bank.core_banking.pin_vault import PinVault, account_subject, card_subject
from video_bank.core_banking.store import ChangeContext, CoreBankingStore
from video_bank.errors import StorageError
from video_bank.flows.commands import (
    ActivateCard,
    Command,
    DecideApplication,
    LoadApplication,
    LookupCustomer,
    RecordDisposition,
    RecordRating,
    ResetPassword,
    ReviewCard,
    UpdateContact,
)
from video_bank.flows.inputs import (
    ApplicationLoaded,
    CommandCompleted,
    CommandFailed,
    CustomerLookedUp,
    FlowInput,
)
from video_bank.flows.machine import Flow, ResultInput
from video_bank.flows.outputs import FlowOutput, Message, Refusal
from video_bank.flows.report import FlowReport
from video_bank.flows.steps import Actor

logger = logging.getLogger(__name__)


class EventLog(Protocol):
    """Where log events go (:class:`~video_bank.storage.SqliteStorage` is one)."""

    async def append_event(
        self, at: float, kind: str, session_id: str | None, actor: str | None, data: dict[str, Any]
    ) -> None: ...


class FlowExecutor:
    """Drives one flow: inputs in, core-banking commands and log events out."""

    def __init__(
        self,
        flow: Flow,
        store: CoreBankingStore,
        log: EventLog,
        *,
        vault: PinVault,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.flow = flow
        self._store = store
        self._log = log
        self._clock = clock
        self._vault = vault
        self._lock = asyncio.Lock()

    async def start(self) -> FlowReport:
        """Start the flow (at the clock's time)."""
        async with self._lock:
            return await self._drive(self.flow.start(self._clock()), "start")

    async def submit(self, event: FlowInput) -> FlowReport:
        """Handle one input and everything it leads to."""
        async with self._lock:
            return await self._drive(self.flow.handle(event), event.kind)

    async def _drive(self, output: FlowOutput, kind: str) -> FlowReport:
        messages: list[Message] = []
        changes: list[Change] = []
        refusal: Refusal | None = None
        while True:
            for entry in output.log:
                await self._log.append_event(
                    entry.at, entry.kind, self.flow.session_id, entry.actor, dict(entry.data)
                )
            messages.extend(output.messages)
            refusal = refusal or output.refusal
            if not output.commands:
                break
            if len(output.commands) > 1:
                raise RuntimeError("a flow issues one command at a time")
            result = await self._execute(output.commands[0])
            if isinstance(result, CommandCompleted) and result.change is not None:
                changes.append(result.change)
            output = self.flow.handle(result)
        flow = self.flow
        if refusal is not None:
            logger.info("flow %s %s: %s refused (%s)", flow.business, flow.session_id, kind, refusal.code)
        else:
            logger.debug("flow %s %s: %s handled, step %s", flow.business, flow.session_id, kind, flow.step)
        return FlowReport(
            flow.status,
            flow.step,
            flow.outcome,
            tuple(messages),
            refusal,
            tuple(changes),
            flow.checklist(),
            flow.expected(),
        )

    async def _execute(self, command: Command) -> ResultInput:
        at = self._clock()
        try:
            return await self._dispatch(command, at)
        except CoreBankingError as error:
            return CommandFailed(
                at=at, actor=Actor.SYSTEM, command_id=command.id, code=error.code, message=error.message
            )
        except StorageError as error:
            logger.error("flow %s: %s failed: %s", self.flow.session_id, type(command).__name__, error)
            return CommandFailed(
                at=at,
                actor=Actor.SYSTEM,
                command_id=command.id,
                code="server_error",
                message="the bank's system could not complete this; please try again",
            )

    async def _dispatch(self, command: Command, at: float) -> ResultInput:
        store, flow = self._store, self.flow
        context = ChangeContext(command.at, flow.session_id, command.actor)
        done: Change | None = None
        if isinstance(command, LookupCustomer):
            profile = await store.profile(command.resident_id)
            return CustomerLookedUp(at=at, actor=Actor.SYSTEM, command_id=command.id, profile=profile)
        if isinstance(command, LoadApplication):
            application = await store.application(command.application_id)
            return ApplicationLoaded(
                at=at, actor=Actor.SYSTEM, command_id=command.id, application=application
            )
        if isinstance(command, ActivateCard):
            pin_hash = await asyncio.to_thread(self._vault.seal, command.pin, card_subject(command.card_id))
            done = await store.activate_card(command.card_id, pin_hash, context)
        elif isinstance(command, ResetPassword):
            password_hash = await asyncio.to_thread(
                self._vault.seal, command.password, account_subject(command.account_id)
            )
            done = await store.reset_account_password(command.account_id, password_hash, context)
        elif isinstance(command, UpdateContact):
            done = await store.update_contact(command.customer_id, command.phone, command.address, context)
        elif isinstance(command, DecideApplication):
            done = await store.decide_application(
                command.application_id, command.status, command.reason, command.answers, context
            )
        elif isinstance(command, ReviewCard):
            done = await store.review_card(command.card_id, command.reason, context)
        elif isinstance(command, RecordRating):
            await store.record_rating(
                flow.session_id,
                command.business,
                command.customer_id,
                command.score,
                command.comment,
                command.at,
            )
        elif isinstance(command, RecordDisposition):
            await store.record_disposition(
                flow.session_id,
                command.business,
                command.customer_id,
                command.code.value,
                command.actor,
                command.at,
            )
        else:
            raise TypeError(f"no executor for {type(command).__name__}")
        return CommandCompleted(at=at, actor=Actor.SYSTEM, command_id=command.id, change=done)
