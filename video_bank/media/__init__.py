"""The media hub: one aiortc peer connection per participant; media forwarded between them, not re-encoded.

- ``hub.py`` — :class:`~video_bank.media.hub.MediaHub`: sessions, negotiation, silent monitoring, readers.
- ``forwarding.py`` — encoded frames from a received stream to its readers, keyframe rules (pure).
- ``aiortc_forwarding.py`` — the aiortc 1.16 internals forwarding needs, and nothing else.
- ``decoding.py`` — decoding for decoded subscribers only, in worker threads.
- ``fanout.py``, ``feed.py`` — bounded queues of decoded frames; the ``transcode`` baseline's relay track.
- ``aiortc_tuning.py`` — numpy audio level for aiortc's sender (``transcode`` mode).
"""
