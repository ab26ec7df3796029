"""The business types of the counter: the one list every other place takes them from.

Adding a business type (docs/protocol.md, "How to add a business type"): its value here (and in
:data:`FIELD_BUSINESSES` when a field officer's tablet queues for it), its routing in
``signaling/routing.toml``, its flow in ``video_bank/flows/`` with its line in
``video_bank/flows/registry.py``, and its words in ``web_client/shared/businesses.js``; then
``python -m signaling.protocol_gen`` writes the schemas and the browser's list.
"""

from __future__ import annotations

from typing import Literal, get_args

Business = Literal["activation", "password_reset", "info_update", "corporate_willingness", "card_review"]
"""What a customer comes for (DESIGN.md, glossary)."""
BUSINESSES: tuple[Business, ...] = get_args(Business)
"""Every business type, in the order pages list them."""
FIELD_BUSINESSES: tuple[Business, ...] = ("card_review",)
"""Businesses a field officer's tablet queues for (it takes the customer's leg of the call); customers
queue for the others."""
CUSTOMER_BUSINESSES: tuple[Business, ...] = tuple(b for b in BUSINESSES if b not in FIELD_BUSINESSES)
"""Businesses a customer's phone offers."""
