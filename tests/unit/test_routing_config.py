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
    assert activation.elderly_steps[0] == Step(0, 1)  # any skilled teller at once; the desk goes first
    for business in BUSINESSES:
        assert config.routing(business).steps[-1].after_seconds <= 120


def test_the_shipped_policy_is_the_elder_care_desk_with_priority_ageing() -> None:
    config = load_routing()
    assert (config.elder_care_mode, config.desk, config.desk_keep_free) == ("desk", True, 2)
    assert config.ageing_seconds_per_point == 60
    assert (config.elderly_priority, config.vip_priority) == (10, 5)


def test_the_elder_care_and_ageing_options_are_read() -> None:
    config = parse_routing(
        {
            **minimal(),
            "elder_care": {"mode": "desk", "keep_free": 3},
            "priority": {"ageing_seconds_per_point": 45},
        }
    )
    assert (config.elder_care_mode, config.desk_keep_free, config.ageing_seconds_per_point) == (
        "desk",
        3,
        45.0,
    )
    shared = parse_routing({**minimal(), "elder_care": {"mode": "shared"}})
    assert (shared.desk, shared.desk_keep_free, shared.ageing_seconds_per_point) == (False, 0, 0.0)
    assert not parse_routing(minimal()).desk  # the format's default: shared, strict priority


def test_steps_in_force_follow_the_waiting_time() -> None:
    activation = load_routing().routing("activation")
    assert activation.step_at(0, elderly=False).min_proficiency == 4
    assert activation.step_at(15, elderly=False).min_proficiency == 1
    assert activation.step_at(61, elderly=False).min_proficiency is None
    assert activation.next_relaxation(16, elderly=False) == 60
    assert activation.next_relaxation(61, elderly=False) is None
    assert activation.step_at(0, elderly=True).min_proficiency == 1
    assert activation.step_at(20, elderly=True).min_proficiency is None


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
        (minimal(prioriti=3), "business.activation.prioriti: unknown key"),
        (minimal(priority=True), "business.activation.priority: must be an integer"),
        (minimal(steps=[{"after": "0"}]), "steps[0].after: must be seconds"),
        (minimal(steps=[{"after": 0, "elder_care": "yes"}]), "steps[0].elder_care: must be true or false"),
        ({**minimal(), "defualts": {}}, "routing file.defualts: unknown key"),
        ({**minimal(), "defaults": {"wrap_up_seconds": "30"}}, "defaults.wrap_up_seconds: must be seconds"),
        ({**minimal(), "defaults": {"wrap_up_seconds": -1}}, "defaults.wrap_up_seconds: must be seconds"),
        ({**minimal(), "defaults": {"elderly_age": 60.5}}, "defaults.elderly_age: must be an integer"),
        ({**minimal(), "priority": {"elderly": "10"}}, "priority.elderly: must be an integer"),
        ({**minimal(), "priority": {"ageing_seconds_per_point": -5}}, "priority.ageing_seconds_per_point"),
        ({**minimal(), "priority": {"ageing": 60}}, "priority.ageing: unknown key"),
        ({**minimal(), "elder_care": {"mode": "exclusive"}}, "elder_care.mode: must be one of"),
        ({**minimal(), "elder_care": {"mode": "desk", "keep_free": -1}}, "elder_care.keep_free"),
        ({**minimal(), "elder_care": {"mode": "desk", "keep_free": 1.5}}, "elder_care.keep_free"),
        (
            {**minimal(), "elder_care": {"keep_free": 2}},
            'elder_care.keep_free: applies only with mode = "desk"',
        ),
        ({**minimal(), "elder_care": {"mode": "desk", "reserve": 2}}, "elder_care.reserve: unknown key"),
        ({**minimal(), "elder_care": "desk"}, "elder_care: must be a table"),
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


def test_a_bad_routing_file_stops_the_start_naming_the_key(tmp_path: Path) -> None:
    from video_bank.config import load_settings
    from video_bank.errors import ConfigError

    path = tmp_path / "routing.toml"
    path.write_text(
        '[elder_care]\nmode = "desk"\nkeep_fre = 2\n'
        + "".join(f"[business.{b}]\nsteps = [{{ after = 0 }}]\n" for b in BUSINESSES)
    )
    with pytest.raises(ConfigError) as caught:
        load_settings({}, data_dir=tmp_path, routing_file=path)
    assert "routing_file" in str(caught.value) and "elder_care.keep_fre: unknown key" in str(caught.value)
