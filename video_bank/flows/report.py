"""What one input to a flow produced, for the session layer to send on (:class:`FlowReport`).

A plain value: :mod:`~video_bank.flows.executor` makes it, :mod:`~video_bank.flows.wire` and the flow
desk read it, and neither needs the executor's async machinery for that.
"""

from __future__ import annotations

from dataclasses import dataclass

from video_bank.core_banking.models import Change
from video_bank.flows.outputs import ChecklistItem, Message, Refusal
from video_bank.flows.steps import Actor, FlowStatus, Step


@dataclass(frozen=True, slots=True)
class FlowReport:
    """Everything one :meth:`FlowExecutor.submit` produced, for the session layer to send on."""

    status: FlowStatus
    step: Step | None
    outcome: str | None
    messages: tuple[Message, ...]
    """In order; send each to its audience."""
    refusal: Refusal | None
    """The first refusal (of the input, or of a result it led to); answer the sender with ``error``."""
    changes: tuple[Change, ...]
    """Committed core-banking changes (masked), already in the event log and the session's record."""
    checklist: tuple[ChecklistItem, ...]
    expected: frozenset[tuple[Actor, str]]
    """(role, input kind) a client may send next — for enabling buttons."""
