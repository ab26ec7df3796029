"""Fan-out of one stream of decoded frames to any number of bounded subscriptions.

A :class:`Fanout` hands every published :class:`Delivery` to each :class:`Subscription`. Frames come
either from a decoder fed with forwarded encoded frames (:mod:`video_bank.media.decoding`) or, in the
hub's ``transcode`` mode, from an aiortc track read by :meth:`Fanout.attach`. A subscription keeps at
most ``maxsize`` frames and drops the oldest when its reader lags: decoded frames do not depend on
each other, so any of them may go. :class:`RelayTrack` turns a subscription back into a
``MediaStreamTrack`` for a sender that encodes (``transcode`` mode only).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av.frame import Frame

from video_bank.media.feed import Feed


@dataclass(frozen=True, slots=True)
class Delivery:
    """One decoded frame of what the hub received."""

    frame: Frame
    """Decoded audio or video frame."""
    received_at: float
    """Server time (epoch seconds) the hub received the frame's encoded data."""


class Subscription(Feed[Delivery]):
    """A bounded, drop-oldest queue of deliveries from one :class:`Fanout`."""

    def __init__(self, fanout: Fanout, kind: str, maxsize: int) -> None:
        super().__init__(maxsize)
        self.kind = kind
        self._fanout: Fanout | None = fanout

    def close(self) -> None:
        """Unsubscribe; the reader sees the end of the stream."""
        fanout, self._fanout = self._fanout, None
        super().close()
        if fanout is not None:
            fanout.unsubscribe(self)


class Fanout:
    """Hands each published frame to every subscription."""

    def __init__(self, kind: str, on_idle: Callable[[], None] | None = None) -> None:
        self.kind = kind
        self._on_idle = on_idle
        self._subscriptions: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def attached(self) -> bool:
        """Whether a source track is being read (``transcode`` mode)."""
        return self._task is not None

    @property
    def subscribers(self) -> int:
        """Current number of subscriptions."""
        return len(self._subscriptions)

    def subscribe(self, maxsize: int) -> Subscription:
        """A new subscription; it ends at once if the fanout has ended."""
        subscription = Subscription(self, self.kind, maxsize)
        if self._closed:
            subscription.end()
        else:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop feeding a subscription; tell the owner when the last one leaves."""
        if subscription not in self._subscriptions:
            return
        self._subscriptions.discard(subscription)
        if not self._subscriptions and not self._closed and self._on_idle is not None:
            self._on_idle()

    def publish(self, delivery: Delivery) -> None:
        """Hand ``delivery`` to every subscription."""
        for subscription in tuple(self._subscriptions):
            subscription.push(delivery)

    def attach(self, track: MediaStreamTrack) -> None:
        """Publish every frame of ``track`` (read in one task); at most one source in a fanout's life."""
        if self._task is not None or self._closed:
            raise RuntimeError(f"{self.kind} fanout already has a source")
        self._task = asyncio.create_task(self._pump(track), name=f"fanout-{self.kind}")

    async def _pump(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                self.publish(Delivery(frame, time.time()))  # type: ignore[arg-type]
        except MediaStreamError:
            pass
        finally:
            self.end()

    def end(self) -> None:
        """No more frames: end every subscription (their readers get what is queued)."""
        self._closed = True
        for subscription in tuple(self._subscriptions):
            subscription.end()
        self._subscriptions.clear()

    async def close(self) -> None:
        """Stop reading the source track, if any, and end every subscription."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.end()


class RelayTrack(MediaStreamTrack):
    """A sendable track of decoded frames from a subscription (the sender encodes them)."""

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
