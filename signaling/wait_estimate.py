"""The wait a customer is told: how many tellers can serve them, how long each call occupies a teller,
their place in line, and the later arrivals who will still get ahead of them. Pure.

Model (docs/routing.md, "Wait estimate"). The ``servers`` able tellers free up together about once per
``occupancy / servers`` seconds (``occupancy`` = recent handle time + wrap-up). A customer at
``position`` needs that many departures, plus one for every customer arriving later who sorts ahead
of them before they are served. Later arrivals of one priority class come at ``rate`` per second and
sort ahead of this customer for the next ``window`` seconds (strict priority: for ever when their
priority is higher; with ageing: until this customer's waiting has made up the difference). So the
wait ``W`` solves::

    W = occupancy / servers · (position + Σ rate_c · min(W, window_c))

The right side is increasing, piecewise linear and concave in ``W``, so there is at most one
solution, found exactly segment by segment. Without one (strict priority and higher-priority arrivals
that alone keep every able teller busy) the customer might wait for ever; the estimate is then
:data:`MAX_ESTIMATE_SECONDS`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MAX_ESTIMATE_SECONDS = 7200
"""The largest estimate given (two hours): beyond it the model's inputs say nothing useful."""


@dataclass(frozen=True, slots=True)
class Overtaking:
    """Later arrivals of one class that get ahead of the customer."""

    rate: float
    """Arrivals per second (measured over the recent past)."""
    window: float
    """Seconds from now during which such an arrival sorts ahead of the customer (``math.inf``: always)."""

    def __post_init__(self) -> None:
        if not math.isfinite(self.rate) or self.rate < 0:
            raise ValueError("rate must be a finite number >= 0")
        if math.isnan(self.window) or self.window < 0:
            raise ValueError("window must be >= 0")


def estimate_wait(
    position: int, servers: int, occupancy: float, overtaking: Sequence[Overtaking] = ()
) -> int:
    """Seconds until the customer at ``position`` (1 = next) is likely served.

    ``servers`` = tellers able to take the task (with nobody able one is assumed, so the estimate grows
    until someone signs in); ``occupancy`` = seconds a teller is taken by one call, wrap-up included.
    """
    if position < 1:
        raise ValueError("position is 1-based")
    if not math.isfinite(occupancy) or occupancy < 0:
        raise ValueError("occupancy must be a finite number >= 0")
    per_departure = occupancy / max(1, servers)
    active = sorted((o for o in overtaking if o.rate > 0 and o.window > 0), key=lambda o: o.window)
    fixed = float(position)  # departures needed that no longer grow with W
    slope = sum(o.rate for o in active)  # overtakers per second of waiting, in the current segment
    index = 0
    while True:
        upper = active[index].window if index < len(active) else math.inf
        if per_departure * slope < 1:
            wait = per_departure * fixed / (1 - per_departure * slope)
            if wait <= upper:
                return min(MAX_ESTIMATE_SECONDS, round(wait))
        elif upper == math.inf:
            return MAX_ESTIMATE_SECONDS
        # Past this window the class no longer overtakes: it adds a fixed rate × window departures.
        while index < len(active) and active[index].window == upper:
            fixed += active[index].rate * upper
            slope -= active[index].rate
            index += 1
