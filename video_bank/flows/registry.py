"""One definition per business, and the factory the session layer calls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from signaling.messages import BUSINESSES, Business
from signaling.service_hours import DEFAULT_ZONE
from video_bank.flows.activation import ActivationSteps
from video_bank.flows.card_review import CardReviewSteps
from video_bank.flows.corporate_willingness import CorporateWillingnessSteps
from video_bank.flows.info_update import InfoUpdateSteps
from video_bank.flows.machine import BusinessSteps, Flow, FlowLimits
from video_bank.flows.password_reset import PasswordResetSteps
from video_bank.flows.script import DEFAULT_SCRIPT, WillingnessScript

DEFINITIONS: dict[Business, Callable[[WillingnessScript], BusinessSteps]] = {
    "activation": lambda _: ActivationSteps(),
    "password_reset": lambda _: PasswordResetSteps(),
    "info_update": lambda _: InfoUpdateSteps(),
    "corporate_willingness": CorporateWillingnessSteps,
    "card_review": lambda _: CardReviewSteps(),
}
"""Business type → a new instance of its steps (the script only matters to the corporate check)."""

assert set(DEFINITIONS) == set(BUSINESSES), "every business of the protocol has a flow"


def create_flow(
    business: str,
    session_id: str,
    *,
    script: WillingnessScript = DEFAULT_SCRIPT,
    limits: FlowLimits | None = None,
    recorded: bool = True,
    zone: dt.tzinfo = DEFAULT_ZONE,
) -> Flow:
    """A new, not yet started flow for one session (``zone``: the bank's time zone; ``recorded``:
    whether the session is being recorded — unrecorded, no business past the consent);
    ``ValueError`` for an unknown business."""
    factory = DEFINITIONS.get(business)  # type: ignore[call-overload]
    if factory is None:
        raise ValueError(f"unknown business {business!r}; known: {', '.join(BUSINESSES)}")
    return Flow(session_id, factory(script), limits, recorded=recorded, zone=zone)
