"""A bounded queue that one producer pushes to without waiting and one reader awaits.

Every queue the hub keeps between a producer (a received stream, a decoder) and a reader (a sender,
verification, recording) is a :class:`Feed`: it never holds more than ``maxsize`` items, and when the
reader lags, a subclass's :meth:`Feed._make_room` decides what to drop. The producer never blocks,
so a slow reader costs only its own frames.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

from aiortc.mediastreams import MediaStreamError

T = TypeVar("T")


class Feed(Generic[T]):
    """Bounded queue with an async reader; by default the oldest item is dropped when full."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self.dropped = 0
        """Items discarded because the reader lagged (or, for video, could not use them)."""
        self._items: deque[T] = deque()
        self._ready = asyncio.Event()
        self._ended = False

    def __len__(self) -> int:
        """Items waiting for the reader."""
        return len(self._items)

    @property
    def ended(self) -> bool:
        """No more items will come."""
        return self._ended

    def push(self, item: T) -> None:
        """Queue ``item`` for the reader, making room first if full (called by the producer)."""
        if self._ended or not self._admit(item):
            return
        if len(self._items) >= self.maxsize and not self._make_room(item):
            return
        self._items.append(item)
        self._ready.set()

    def _admit(self, item: T) -> bool:
        """Whether ``item`` may be queued at all; subclasses filter here."""
        return True

    def _make_room(self, item: T) -> bool:
        """Free at least one place for ``item``; return whether ``item`` should still be queued."""
        self._items.popleft()
        self.dropped += 1
        return True

    def end(self) -> None:
        """Mark the end of the stream: the reader gets what is queued, then stops."""
        self._ended = True
        self._ready.set()

    def close(self) -> None:
        """The reader is done: drop what is queued and stop."""
        self._items.clear()
        self.end()

    async def get(self) -> T:
        """The next item; raises ``MediaStreamError`` at the end of the stream."""
        while not self._items:
            if self._ended:
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[T]:
        while True:
            try:
                yield await self.get()
            except MediaStreamError:
                return
