"""Session desks: the services working inside a call (see signaling/desks.py)."""
