"""Demo customers for ``seed-demo``: synthetic people with valid identifiers, one per business.

Seeding is idempotent: each run puts the demo records back in their starting state (the card issued
again, the application pending again…) so a demo can be repeated. The photos are fixture photos by
name (``tests/support/faces.py`` provides the files); until the verification reference store enrols
them, ``reference_photo_id`` is that name prefixed with ``fixture:``.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from video_bank.core_banking.models import (
    AccountStatus,
    AccountType,
    CardReview,
    CardStatus,
    CorporateApplication,
    Customer,
    DebitAccount,
    Secret,
    SocialSecurityCard,
    resident_id_from_storage,
)
from video_bank.core_banking.pin_vault import PinVault, account_subject
from video_bank.core_banking.store import ChangeContext, CoreBankingStore

SEED_ACTOR = "seed-demo"


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    """A seeded demo customer and what they are there to demonstrate."""

    customer: Customer
    photo: str
    """Fixture photo file name (``../shared/fixtures/faces/<photo>``)."""
    purpose: str
    """One line for the operator."""


def _customer(customer_id: str, number: str, name: str, phone: str, address: str, photo: str) -> Customer:
    return Customer(customer_id, resident_id_from_storage(number), name, phone, address, f"fixture:{photo}")


PENSIONER = _customer(
    "cus_demo_pensioner",
    "640104195306120025",
    "Wang Xiulan",
    "13995001234",
    "88 Jiefang East Street, Xingqing District, Yinchuan, Ningxia",
    "biden.jpg",
)
ACCOUNT_HOLDER = _customer(
    "cus_demo_account",
    "640104198611030038",
    "Zhao Lei",
    "13709512345",
    "16 Beijing Middle Road, Jinfeng District, Yinchuan, Ningxia",
    "obama.jpg",
)
LEGAL_REP = _customer(
    "cus_demo_corporate",
    "640102197904210043",
    "Liu Min",
    "18609510987",
    "5 Wenhua West Street, Xingqing District, Yinchuan, Ningxia",
    "astronaut.png",
)

PENSIONER_CARD = SocialSecurityCard("ssc_demo_pensioner", PENSIONER.id, "6217001290000001016")
"""Issued at a branch, waiting for activation (PIN not set)."""
FIELD_CARD = SocialSecurityCard(
    "ssc_demo_field", ACCOUNT_HOLDER.id, "6217001290000002022", CardStatus.ISSUED, review=CardReview.PENDING
)
"""Issued in the field, waiting for its remote review."""
DEBIT_ACCOUNT_ID = "acc_demo_account"
DEBIT_ACCOUNT_NUMBER = "6228480512000003032"
APPLICATION = CorporateApplication(
    "app_demo_helan",
    "Ningxia Helan Trading Co., Ltd.",
    "91640100MA76E1234X",
    LEGAL_REP.resident_id,
    AccountType.BASIC,
)
"""Pending; its legal representative is :data:`LEGAL_REP`."""


async def seed_demo_customers(store: CoreBankingStore, vault: PinVault, at: float) -> list[DemoCustomer]:
    """Create (or reset to their starting state) the demo customers, cards, account and application;
    the account's (unknown) password is sealed by ``vault``."""
    context = ChangeContext(at, None, SEED_ACTOR)
    # The account has a password nobody knows: the demo is a customer who forgot it.
    unknown = Secret(f"{secrets.randbelow(10**6):06d}")
    account = DebitAccount(
        DEBIT_ACCOUNT_ID,
        ACCOUNT_HOLDER.id,
        DEBIT_ACCOUNT_NUMBER,
        AccountStatus.LOCKED,
        await asyncio.to_thread(vault.seal, unknown, account_subject(DEBIT_ACCOUNT_ID)),
        at,
    )
    for customer in (PENSIONER, ACCOUNT_HOLDER, LEGAL_REP):
        await store.save_customer(customer, context)
    await store.save_card(PENSIONER_CARD, context)
    await store.save_card(FIELD_CARD, context)
    await store.save_account(account, context)
    await store.save_application(APPLICATION, context)
    return [
        DemoCustomer(PENSIONER, "biden.jpg", "elderly pensioner: social-security card issued, to activate"),
        DemoCustomer(
            ACCOUNT_HOLDER,
            "obama.jpg",
            "debit account locked (password forgotten); social-security card issued in the field, to review",
        ),
        DemoCustomer(
            LEGAL_REP,
            "astronaut.png",
            f"legal representative of {APPLICATION.company_name} ({APPLICATION.id})",
        ),
    ]


def describe(customers: list[DemoCustomer]) -> list[str]:
    """Lines for ``seed-demo`` to print: record ids, (synthetic) ID numbers to type, photos to enrol."""
    lines = [
        "Demo customers (synthetic people; enrol each photo with `python -m video_bank reference enroll"
        " --customer-id ID --photo ../shared/fixtures/faces/PHOTO`):"
    ]
    for demo in customers:
        c = demo.customer
        lines.append(
            f"  {c.id}  {c.name}, ID number {c.resident_id.number}, photo {demo.photo}: {demo.purpose}"
        )
    return lines
