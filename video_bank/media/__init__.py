"""The media hub: one aiortc peer connection per participant, relaying between the two legs of a call."""
