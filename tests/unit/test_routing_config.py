"""The routing file format (docs/routing.md) and the shipped default."""

from __future__ import annotations

from pathlib import Path

import pytest

from signaling.messages import BUSINESSES
from signaling.routing_config import RoutingConfigError, Step, load_routing, parse_routing


def minimal(**business: object) -> dict[str, object]:
    steps = [{"after": 0, "min_proficiency": 3}, {"after": 10}]
    return {"business": {name: {"steps": steps, **business} for name in BUSINESSES}}


def test_the_shipped_default_covers_every_business_with_an_elderly_lane() -> None:
    config = load_routing()
    assert set(config.businesses) == set(BUSINESSES)
    assert (config.offer_timeout_seconds, config.wrap_up_seconds, config.service_level_seconds) == (
        15,
        30,
        20,
    )
    assert config.callback_offer_seconds == 120 and config.elderly_age == 60
    activation = config.routing("activation")
    assert activation.steps[0] == Step(0, 4) and activation.steps[-1] == Step(60, None)
    assert activation.elderly_steps[0].elder_care
    for business in BUSINESSES:
        assert config.routing(business).steps[-1].after_seconds <= 120


def test_steps_in_force_follow_the_waiting_time() -> None:
    activation = load_routing().routing("activation")
    assert activation.step_at(0, elderly=False).min_proficiency == 4
    assert activation.step_at(15, elderly=False).min_proficiency == 1
    assert activation.step_at(61, elderly=False).min_proficiency is None
    assert activation.next_relaxation(16, elderly=False) == 60
    assert activation.next_relaxation(61, elderly=False) is None
    assert activation.step_at(0, elderly=True).elder_care


def test_elderly_steps_default_to_the_regular_ones() -> None:
    config = parse_routing(minimal())
    assert config.routing("activation").elderly_steps == config.routing("activation").steps


def test_a_file_on_disk_is_read(tmp_path: Path) -> None:
    path = tmp_path / "routing.toml"
    path.write_text(
        "[defaults]\nwrap_up_seconds = 0\n[priority]\nelderly = 3\n"
        + "".join(f"[business.{b}]\nsteps = [{{ after = 0 }}]\n" for b in BUSINESSES)
    )
    config = load_routing(path)
    assert config.wrap_up_seconds == 0 and config.elderly_priority == 3


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"business": {}}, "business.activation: missing"),
        (minimal(steps=[]), "steps: must be a non-empty list"),
        (minimal(steps=[{"after": 5}]), "[0].after: the first step must start at 0"),
        (minimal(steps=[{"after": 0}, {"after": 0}]), "increasing"),
        (minimal(steps=[{"after": 0, "min_proficiency": 6}]), "min_proficiency"),
        (minimal(steps=[{"after": 0, "skill": 2}]), "unknown key skill"),
        (minimal(priority="high"), "priority: must be an integer"),
        ({**minimal(), "defaults": {"offer_timeout": 5}}, "defaults.offer_timeout"),
        ({**minimal(), "priority": {"gold": 1}}, "priority.gold"),
        ({"business": {"mortgage": {"steps": [{"after": 0}]}}}, "business.mortgage"),
    ],
)
def test_invalid_files_name_the_offending_key(data: dict[str, object], where: str) -> None:
    with pytest.raises(RoutingConfigError) as caught:
        parse_routing(data)
    assert where in str(caught.value)


def test_unreadable_or_malformed_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(RoutingConfigError, match="cannot read"):
        load_routing(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[defaults\n")
    with pytest.raises(RoutingConfigError, match="not valid TOML"):
        load_routing(bad)
