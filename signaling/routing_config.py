"""Routing configuration: per-business priorities and timed routing steps from TOML (docs/routing.md)."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from signaling.messages import BUSINESSES

STEP_TOLERANCE = 1e-6
"""Seconds: a step counts as started this close to its start (floating-point round-off)."""


class RoutingConfigError(ValueError):
    """The routing file is invalid; the message names the key."""


@dataclass(frozen=True, slots=True)
class Step:
    """One routing step: from ``after_seconds`` of waiting, which tellers may take the task."""

    after_seconds: float
    """Waiting time from which this step applies."""
    min_proficiency: int | None = None
    """Least skill level (1–5) in the task's business; ``None`` means any teller, skill or not."""
    elder_care: bool = False
    """Only designated elder-care tellers."""

    def admits(self, proficiency: int, elder_care: bool) -> bool:
        """Whether a teller with that skill level (0 = none) and flag is eligible at this step."""
        if self.elder_care and not elder_care:
            return False
        return self.min_proficiency is None or proficiency >= self.min_proficiency


@dataclass(frozen=True, slots=True)
class BusinessRouting:
    """How tasks of one business are routed."""

    priority: int
    """Base priority (higher is served first)."""
    steps: tuple[Step, ...]
    """Routing steps for everyone, by increasing ``after_seconds``, the first at 0."""
    elderly_steps: tuple[Step, ...]
    """Routing steps for elderly customers (the elderly lane)."""

    def step_at(self, waited: float, elderly: bool) -> Step:
        """The step in force after ``waited`` seconds."""
        steps = self.elderly_steps if elderly else self.steps
        current = steps[0]
        for step in steps:
            # Tolerance: the router announces deadlines as start + after, and (start + after) - start
            # can land a hair below ``after`` in floating point.
            if waited >= step.after_seconds - STEP_TOLERANCE:
                current = step
        return current

    def next_relaxation(self, waited: float, elderly: bool) -> float | None:
        """Seconds of waiting at which the next step starts, if any."""
        steps = self.elderly_steps if elderly else self.steps
        later = [s.after_seconds for s in steps if s.after_seconds - STEP_TOLERANCE > waited]
        return min(later) if later else None


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """The whole routing policy."""

    businesses: Mapping[str, BusinessRouting]
    """Per business type."""
    offer_timeout_seconds: float = 15.0
    """A teller must accept an offer within this time, else goes away and the task is re-offered."""
    wrap_up_seconds: float = 30.0
    """Automatic wrap-up after a call."""
    wrap_up_extend_seconds: float = 30.0
    """How much one extension adds."""
    service_level_seconds: float = 20.0
    """Service level threshold: answered within this many seconds."""
    callback_offer_seconds: float = 120.0
    """Offer a callback when the estimated wait exceeds this."""
    elderly_age: int = 60
    """Customers this old or older join the elderly lane."""
    elderly_priority: int = 10
    """Priority added for elderly customers."""
    vip_priority: int = 5
    """Priority added for VIP customers."""
    callback_answer_seconds: float = 600.0
    """How long a teller waits in a callback session for the customer to follow the link."""

    def __post_init__(self) -> None:
        missing = set(BUSINESSES) - set(self.businesses)
        if missing:
            raise RoutingConfigError(f"business.{sorted(missing)[0]}: missing")
        for name in ("offer_timeout_seconds", "wrap_up_seconds", "service_level_seconds"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise RoutingConfigError(f"{name}: must be a non-negative number")

    def routing(self, business: str) -> BusinessRouting:
        """Routing of one business."""
        return self.businesses[business]


def _steps(where: str, raw: Any) -> tuple[Step, ...]:
    if not isinstance(raw, list) or not raw:
        raise RoutingConfigError(f"{where}: must be a non-empty list of steps")
    steps = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            raise RoutingConfigError(f"{where}[{n}]: must be a table")
        unknown = set(item) - {"after", "min_proficiency", "elder_care"}
        if unknown:
            raise RoutingConfigError(f"{where}[{n}]: unknown key {sorted(unknown)[0]}")
        after = item.get("after", 0)
        level = item.get("min_proficiency")
        if not isinstance(after, int | float) or after < 0:
            raise RoutingConfigError(f"{where}[{n}].after: must be seconds >= 0")
        if level is not None and (not isinstance(level, int) or not 1 <= level <= 5):
            raise RoutingConfigError(f"{where}[{n}].min_proficiency: must be 1-5")
        steps.append(Step(float(after), level, bool(item.get("elder_care", False))))
    if steps[0].after_seconds != 0:
        raise RoutingConfigError(f"{where}[0].after: the first step must start at 0")
    if [s.after_seconds for s in steps] != sorted({s.after_seconds for s in steps}):
        raise RoutingConfigError(f"{where}: steps must have increasing 'after'")
    return tuple(steps)


def parse_routing(data: Mapping[str, Any]) -> RoutingConfig:
    """Build a :class:`RoutingConfig` from parsed TOML."""
    defaults = dict(data.get("defaults", {}))
    priority = dict(data.get("priority", {}))
    businesses: dict[str, BusinessRouting] = {}
    for name, raw in dict(data.get("business", {})).items():
        if name not in BUSINESSES:
            raise RoutingConfigError(f"business.{name}: not a business type")
        base = raw.get("priority", 0)
        if not isinstance(base, int):
            raise RoutingConfigError(f"business.{name}.priority: must be an integer")
        steps = _steps(f"business.{name}.steps", raw.get("steps"))
        elderly = _steps(f"business.{name}.elderly_steps", raw.get("elderly_steps", raw.get("steps")))
        businesses[name] = BusinessRouting(base, steps, elderly)
    known = {
        "offer_timeout_seconds",
        "wrap_up_seconds",
        "wrap_up_extend_seconds",
        "service_level_seconds",
        "callback_offer_seconds",
        "callback_answer_seconds",
        "elderly_age",
    }
    unknown = set(defaults) - known
    if unknown:
        raise RoutingConfigError(f"defaults.{sorted(unknown)[0]}: unknown key")
    values: dict[str, Any] = {k: float(v) for k, v in defaults.items() if k != "elderly_age"}
    if "elderly_age" in defaults:
        values["elderly_age"] = int(defaults["elderly_age"])
    for key in set(priority) - {"elderly", "vip"}:
        raise RoutingConfigError(f"priority.{key}: unknown key")
    if "elderly" in priority:
        values["elderly_priority"] = int(priority["elderly"])
    if "vip" in priority:
        values["vip_priority"] = int(priority["vip"])
    return RoutingConfig(businesses=businesses, **values)


def load_routing(path: Path | None = None) -> RoutingConfig:
    """Read a routing file; ``None`` reads the default shipped with the package."""
    try:
        if path is None:
            text = (resources.files("signaling") / "routing.toml").read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return parse_routing(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise RoutingConfigError(f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise RoutingConfigError(f"cannot read {path}: {exc.strerror}") from None
