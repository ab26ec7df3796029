"""Simulated core banking: customers, social-security cards, debit accounts and corporate account
applications, with real validation and persisted in the application's database.

- :mod:`~video_bank.core_banking.models` — the records, their rules and masking (pure);
- :mod:`~video_bank.core_banking.store` — persistence: transactional writes that log masked diffs;
- :mod:`~video_bank.core_banking.demo` — demo customers for ``seed-demo``;
- :mod:`~video_bank.core_banking.errors` — the error tree.
"""
