"""Auditors' access to sealed session records over HTTP, and the log of every opening.

Pure core: :mod:`.search` (which records match a query), :mod:`.access_log` (the hash-chained log
of openings), :mod:`.staff_sessions` (HTTP sign-in tokens and the records each session opened).
Adapters: :mod:`.access_store` (the log in the application's database) and :mod:`.api` (aiohttp
handlers under ``/api/``). The records themselves are read through :mod:`video_bank.records`; the
server never decrypts them: the auditor's browser does (``web_client/auditor/``).
"""
