"""Verification: quality gate, liveness and face match on frames the server itself received.

The media hub hands decoded customer frames to a subscriber (``video_bank.media.hub.FrameSubscriber``);
the liveness and face-match pipeline that consumes them is built on that interface.
"""
