"""Fan-out of one received track to any number of bounded subscriptions.

A :class:`Fanout` reads its source track in one task and hands every frame to each
:class:`Subscription`. A subscription keeps at most ``maxsize`` frames and drops the oldest when its
reader lags, so no reader can make the hub buffer without limit. :class:`RelayTrack` turns a
subscription back into a ``MediaStreamTrack`` for a peer connection's sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av.frame import Frame


@dataclass(frozen=True, slots=True)
class Delivery:
    """One frame as the hub received it."""

    frame: Frame
    """Decoded audio or video frame."""
    received_at: float
    """Server time (epoch seconds) the hub received the frame."""


class Subscription:
    """A bounded, drop-oldest queue of deliveries from one :class:`Fanout`."""

    def __init__(self, fanout: Fanout, kind: str, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.kind = kind
        self.dropped = 0
        """Frames discarded because this reader lagged."""
        self._fanout = fanout
        self._items: deque[Delivery] = deque(maxlen=maxsize)
        self._ready = asyncio.Event()
        self._ended = False

    @property
    def ended(self) -> bool:
        """No more frames will come."""
        return self._ended

    def push(self, delivery: Delivery) -> None:
        """Add a delivery, dropping the oldest if full (called by the fanout)."""
        if self._ended:
            return
        if len(self._items) == self._items.maxlen:
            self.dropped += 1
        self._items.append(delivery)
        self._ready.set()

    def end(self) -> None:
        """Mark the end of the stream; waiting readers wake and stop."""
        self._ended = True
        self._ready.set()

    def close(self) -> None:
        """Unsubscribe; the reader sees the end of the stream."""
        self._fanout.unsubscribe(self)
        self._items.clear()
        self.end()

    async def get(self) -> Delivery:
        """The next delivery; raises ``MediaStreamError`` at the end of the stream."""
        while not self._items:
            if self._ended:
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def __aiter__(self) -> AsyncIterator[Delivery]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Delivery]:
        while True:
            try:
                yield await self.get()
            except MediaStreamError:
                return


class Fanout:
    """Reads one source track (once attached) and feeds its subscriptions."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._subscriptions: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def attached(self) -> bool:
        """Whether a source track is being read."""
        return self._task is not None

    @property
    def subscribers(self) -> int:
        """Current number of subscriptions."""
        return len(self._subscriptions)

    def subscribe(self, maxsize: int) -> Subscription:
        """A new subscription; frames arrive once a source is attached."""
        subscription = Subscription(self, self.kind, maxsize)
        if self._closed:
            subscription.end()
        else:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop feeding a subscription."""
        self._subscriptions.discard(subscription)

    def attach(self, track: MediaStreamTrack) -> None:
        """Start reading ``track``; a fanout reads at most one source in its life."""
        if self._task is not None or self._closed:
            raise RuntimeError(f"{self.kind} fanout already has a source")
        self._task = asyncio.create_task(self._pump(track), name=f"fanout-{self.kind}")

    async def _pump(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                delivery = Delivery(frame, time.time())  # type: ignore[arg-type]
                for subscription in tuple(self._subscriptions):
                    subscription.push(delivery)
        except MediaStreamError:
            pass
        finally:
            self._end_all()

    def _end_all(self) -> None:
        self._closed = True
        for subscription in tuple(self._subscriptions):
            subscription.end()
        self._subscriptions.clear()

    async def close(self) -> None:
        """Stop reading and end every subscription."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._end_all()


class RelayTrack(MediaStreamTrack):
    """A sendable track whose frames come from a subscription."""

    def __init__(self, subscription: Subscription) -> None:
        super().__init__()
        self.kind = subscription.kind
        self._subscription = subscription

    @property
    def dropped(self) -> int:
        """Frames this track's sender never got because it lagged."""
        return self._subscription.dropped

    async def recv(self) -> Frame:
        if self.readyState != "live":
            raise MediaStreamError
        delivery = await self._subscription.get()
        return delivery.frame

    def stop(self) -> None:
        super().stop()
        self._subscription.close()
