"""One rule for what of a session event may be kept in plain text.

Every event of a session goes to two sinks: the encrypted record's timeline (everything, as it
happened; only auditors open it) and the plaintext event log in the database (operations, metrics,
search). :func:`plaintext_view` is the one place that decides what the plaintext log keeps. Co-browse
snapshots and event batches carry what the customer's screen showed and what they typed (addresses,
names, values of ordinary fields): the plaintext log keeps only the fact, the screen, the counts and
the size. Everything else is already free of personal content at its source (business flows log masked
values; verification logs scores, never images).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

SCREEN_CONTENT = frozenset({"cobrowse_snapshot", "cobrowse_events"})
"""Event kinds whose data is the content of the customer's screen."""


def plaintext_view(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """What the plaintext event log stores of an event whose full data goes into the record."""
    if kind not in SCREEN_CONTENT:
        return dict(data)
    size = len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
    view: dict[str, Any] = {"bytes": size, "content": "in the encrypted record only"}
    for key in ("seq", "screen"):
        if isinstance(data.get(key), int | str):
            view[key] = data[key]
    for key in ("nodes", "events"):
        items = data.get(key)
        if isinstance(items, list):
            view[key] = len(items)
    return view
