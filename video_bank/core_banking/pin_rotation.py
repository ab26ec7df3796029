"""Re-sealing stored PIN values: the migration of legacy hashes and the key rotation (docs/pin-vault.md).

Neither needs a PIN: :meth:`~video_bank.core_banking.pin_vault.PinVault.rewrap` re-seals the inner
scrypt digest under the vault's current key. Values are replaced in one transaction, each only if it
is still the value that was read, and the transaction logs one ``pin_vault_rewrapped`` event.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from video_bank.core_banking.pin_vault import (
    PinVault,
    PinVaultError,
    account_subject,
    card_subject,
    needs_rewrap,
    parse,
)
from video_bank.core_banking.store import ChangeContext, CoreBankingStore, StoredSecret

logger = logging.getLogger(__name__)

LEGACY = "legacy"
"""Name of the unsealed (pre-vault) hashes in :class:`VaultStatus` counts."""
MALFORMED = "malformed"
"""Name of stored values that are neither format (damaged data; left alone, never verify)."""


def subject(stored: StoredSecret) -> str:
    """The vault subject of a stored value."""
    return card_subject(stored.record_id) if stored.kind == "card_pin" else account_subject(stored.record_id)


@dataclass(frozen=True, slots=True)
class VaultStatus:
    """What the database holds, by key."""

    current_key_id: str
    counts: Mapping[str, int]
    """Stored values per key id (:data:`LEGACY` for hashes from before the vault)."""
    unknown: frozenset[str]
    """Key ids some stored value uses that the vault does not hold."""

    @property
    def pending(self) -> int:
        """Values not under the current key (to re-wrap)."""
        return sum(n for kid, n in self.counts.items() if kid not in (self.current_key_id, MALFORMED))


@dataclass(frozen=True, slots=True)
class RewrapReport:
    """What one re-wrap did."""

    replaced: int
    """Values re-sealed under the current key."""
    changed_meanwhile: int
    """Values set anew between reading and writing (already under the current key: left alone)."""
    current: int
    """Values that were under the current key already."""


async def vault_status(store: CoreBankingStore, vault: PinVault) -> VaultStatus:
    """Count stored values per key."""
    counts: Counter[str] = Counter()
    for stored in await store.stored_secrets():
        counts[_key_of(stored.value)] += 1
    unknown = frozenset(set(counts) - {LEGACY, MALFORMED} - vault.known_key_ids())
    return VaultStatus(vault.current_key_id, dict(counts), unknown)


async def rewrap_stored(
    store: CoreBankingStore, vault: PinVault, context: ChangeContext, *, legacy_only: bool = False
) -> RewrapReport:
    """Re-seal every stored value that is a legacy hash (or, unless ``legacy_only``, under an older
    key) with the vault's current key."""
    stored = [s for s in await store.stored_secrets() if _key_of(s.value) != MALFORMED]
    todo = [s for s in stored if (parse(s.value).legacy if legacy_only else needs_rewrap(vault, s.value))]
    if not todo:
        return RewrapReport(0, 0, sum(1 for s in stored if not needs_rewrap(vault, s.value)))
    sealed = await asyncio.to_thread(lambda: [(s, vault.rewrap(s.value, subject(s))) for s in todo])
    summary = {"key_id": vault.current_key_id, "legacy_only": legacy_only, "candidates": len(todo)}
    replaced = await store.replace_stored_secrets(sealed, context, summary)
    return RewrapReport(replaced, len(todo) - replaced, len(stored) - len(todo))


def _key_of(value: str) -> str:
    try:
        return parse(value).key_id or LEGACY
    except PinVaultError:
        return MALFORMED


async def prepare_vault(store: CoreBankingStore, vault: PinVault, context: ChangeContext) -> VaultStatus:
    """At start-up: refuse a vault that lacks a key stored values use, and migrate legacy hashes."""
    status = await vault_status(store, vault)
    if status.unknown:
        raise PinVaultError(
            "stored PINs are sealed with PIN-vault key(s) "
            f"{', '.join(sorted(status.unknown))} that are not configured (VIDEO_BANK_PIN_KEY and "
            "VIDEO_BANK_PIN_PREVIOUS_KEYS, or keys/pin-vault.keys in the data dir)"
        )
    if status.counts.get(MALFORMED):
        logger.error("%d stored PIN value(s) are malformed: they cannot verify", status.counts[MALFORMED])
    if status.counts.get(LEGACY):
        report = await rewrap_stored(store, vault, context, legacy_only=True)
        logger.warning("sealed %d stored PIN hash(es) from before the PIN vault", report.replaced)
        status = await vault_status(store, vault)
    return status
