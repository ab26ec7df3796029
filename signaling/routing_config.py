"""Routing configuration: priorities, ageing, timed routing steps and the elder-care desk, from TOML.

The file format is in docs/routing.md. :func:`parse_routing` checks every key: an unknown key or a
value of the wrong type or range raises :class:`RoutingConfigError` naming the key
(``defaults.wrap_up_seconds``, ``business.activation.steps[1].after``), so a typo stops the start
instead of leaving a default in place.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

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


ElderCareMode = Literal["shared", "desk"]
"""How designated elder-care tellers work: ``shared`` — they take whoever is next in line (the elderly
lane's priority puts elderly customers first anyway); ``desk`` — while any elderly customer waits they
take only elderly customers, and customers outside the lane only while ``desk_keep_free`` other
designated tellers stay available."""

ELDER_CARE_MODES: tuple[ElderCareMode, ...] = ("shared", "desk")


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
    ageing_seconds_per_point: float = 0.0
    """Priority ageing: a waiting task gains one priority point per this many seconds, so one point of
    priority is worth this much waiting and a task that has waited (difference in priority) × this
    long is ahead of every newcomer. 0 means strict priority (a higher priority always goes first)."""
    elder_care_mode: ElderCareMode = "shared"
    """How designated elder-care tellers take work (see :data:`ElderCareMode`)."""
    desk_keep_free: int = 0
    """Desk mode: a designated teller takes a customer outside the elderly lane only while at least
    this many other designated tellers stay available — never more than all the other staffed
    designated tellers, so a desk of one still serves others when no elderly customer waits."""

    def __post_init__(self) -> None:
        missing = set(BUSINESSES) - set(self.businesses)
        if missing:
            raise RoutingConfigError(f"business.{sorted(missing)[0]}: missing")
        for name in (
            "offer_timeout_seconds",
            "wrap_up_seconds",
            "wrap_up_extend_seconds",
            "service_level_seconds",
            "callback_offer_seconds",
            "callback_answer_seconds",
            "ageing_seconds_per_point",
        ):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise RoutingConfigError(f"{name}: must be a non-negative number")
        if self.elder_care_mode not in ELDER_CARE_MODES:
            raise RoutingConfigError(f"elder_care_mode: must be one of {', '.join(ELDER_CARE_MODES)}")
        if self.desk_keep_free < 0:
            raise RoutingConfigError("desk_keep_free: must be 0 or more")

    @property
    def desk(self) -> bool:
        """Whether designated tellers work as an elder-care desk."""
        return self.elder_care_mode == "desk"

    def routing(self, business: str) -> BusinessRouting:
        """Routing of one business."""
        return self.businesses[business]


def _table(where: str, raw: Any, known: set[str]) -> dict[str, Any]:
    """A TOML table with only ``known`` keys."""
    if not isinstance(raw, dict):
        raise RoutingConfigError(f"{where}: must be a table")
    unknown = set(raw) - known
    if unknown:
        raise RoutingConfigError(f"{where}.{sorted(unknown)[0]}: unknown key")
    return raw


def _seconds(where: str, raw: Any) -> float:
    """A non-negative finite number of seconds (TOML integer or float; booleans refused)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw) or raw < 0:
        raise RoutingConfigError(f"{where}: must be seconds >= 0")
    return float(raw)


def _integer(where: str, raw: Any, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise RoutingConfigError(f"{where}: must be an integer from {low} to {high}")
    return raw


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
        after = _seconds(f"{where}[{n}].after", item.get("after", 0))
        level = item.get("min_proficiency")
        if level is not None and (
            isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5
        ):
            raise RoutingConfigError(f"{where}[{n}].min_proficiency: must be 1-5")
        elder_care = item.get("elder_care", False)
        if not isinstance(elder_care, bool):
            raise RoutingConfigError(f"{where}[{n}].elder_care: must be true or false")
        steps.append(Step(after, level, elder_care))
    if steps[0].after_seconds != 0:
        raise RoutingConfigError(f"{where}[0].after: the first step must start at 0")
    if [s.after_seconds for s in steps] != sorted({s.after_seconds for s in steps}):
        raise RoutingConfigError(f"{where}: steps must have increasing 'after'")
    return tuple(steps)


_DEFAULT_SECONDS = (
    "offer_timeout_seconds",
    "wrap_up_seconds",
    "wrap_up_extend_seconds",
    "service_level_seconds",
    "callback_offer_seconds",
    "callback_answer_seconds",
)
PRIORITY_LIMIT = 1000
"""Largest priority (business or bonus) a routing file may give."""


def parse_routing(data: Mapping[str, Any]) -> RoutingConfig:
    """Build a :class:`RoutingConfig` from parsed TOML."""
    top = _table("routing file", dict(data), {"defaults", "priority", "elder_care", "business"})
    defaults = _table("defaults", top.get("defaults", {}), {*_DEFAULT_SECONDS, "elderly_age"})
    priority = _table("priority", top.get("priority", {}), {"elderly", "vip", "ageing_seconds_per_point"})
    elder_care = _table("elder_care", top.get("elder_care", {}), {"mode", "keep_free"})
    business_tables = _table("business", top.get("business", {}), set(BUSINESSES))
    values: dict[str, Any] = {
        k: _seconds(f"defaults.{k}", v) for k, v in defaults.items() if k != "elderly_age"
    }
    if "elderly_age" in defaults:
        values["elderly_age"] = _integer("defaults.elderly_age", defaults["elderly_age"], 1, 150)
    if "elderly" in priority:
        values["elderly_priority"] = _integer("priority.elderly", priority["elderly"], 0, PRIORITY_LIMIT)
    if "vip" in priority:
        values["vip_priority"] = _integer("priority.vip", priority["vip"], 0, PRIORITY_LIMIT)
    if "ageing_seconds_per_point" in priority:
        values["ageing_seconds_per_point"] = _seconds(
            "priority.ageing_seconds_per_point", priority["ageing_seconds_per_point"]
        )
    if "mode" in elder_care:
        mode = elder_care["mode"]
        if mode not in ELDER_CARE_MODES:
            raise RoutingConfigError(
                f"elder_care.mode: must be one of {', '.join(map(repr, ELDER_CARE_MODES))}"
            )
        values["elder_care_mode"] = mode
    if "keep_free" in elder_care:
        if elder_care.get("mode") != "desk":
            raise RoutingConfigError('elder_care.keep_free: applies only with mode = "desk"')
        values["desk_keep_free"] = _integer("elder_care.keep_free", elder_care["keep_free"], 0, 1000)
    businesses: dict[str, BusinessRouting] = {}
    for name, raw in business_tables.items():
        table = _table(f"business.{name}", raw, {"priority", "steps", "elderly_steps"})
        base = _integer(
            f"business.{name}.priority", table.get("priority", 0), -PRIORITY_LIMIT, PRIORITY_LIMIT
        )
        steps = _steps(f"business.{name}.steps", table.get("steps"))
        elderly = _steps(f"business.{name}.elderly_steps", table.get("elderly_steps", table.get("steps")))
        businesses[name] = BusinessRouting(base, steps, elderly)
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
