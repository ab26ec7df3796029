"""Signaling: the wire protocol, the switchboard (queue, pairing, session state) and the WebSocket endpoint.

Pure modules (no I/O, no awaits): ``messages``, ``schemas``, ``states``, ``session``, ``waiting_queue``,
``switchboard``, ``effects``. Adapters: ``service`` (executes the switchboard's effects against the
media hub, storage and sockets) and ``endpoint`` (the aiohttp handler).
"""
