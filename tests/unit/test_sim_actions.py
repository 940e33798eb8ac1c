"""Scenario actions of the simulator, as values over time and answers per request."""

from __future__ import annotations

import pytest

from edge.profiles import SHIPPED_DIR, load_profile
from firmware_sim.devices import (
    CoolingFailure,
    CrcErrors,
    DailyDrift,
    DoorOpen,
    IntermittentTimeouts,
    NoResponse,
    SimDevice,
    Steady,
    Stuck,
    value_at,
)
from firmware_sim.protocol import handle_pdu, respond_rtu, rtu_frame

XY = load_profile(SHIPPED_DIR / "xy-md02.yaml")
T = "temperature_c"


def test_daily_drift_is_a_sine_over_the_period() -> None:
    drift = [DailyDrift(do="daily_drift", amplitude=2.0, period_s=100)]
    assert value_at(5.0, T, 0, drift) == pytest.approx(5.0)
    assert value_at(5.0, T, 25, drift) == pytest.approx(7.0)
    assert value_at(5.0, T, 75, drift) == pytest.approx(3.0)


def test_door_open_spikes_at_the_end_of_each_period() -> None:
    door = [DoorOpen(do="door_open", every_s=100, duration_s=10, delta=4)]
    assert [value_at(5.0, T, t, door) for t in (0, 89, 90, 99, 100)] == [5, 5, 9, 9, 5]


def test_cooling_failure_climbs_slowly_up_to_its_max() -> None:
    failure = [CoolingFailure(do="cooling_failure", start_s=60, rate_per_min=0.5, max=7)]
    assert [value_at(5.0, T, t, failure) for t in (30, 120, 180, 6000)] == [5, 5.5, 6, 7]


def test_stuck_freezes_every_other_action() -> None:
    actions = [
        Steady(do="steady", noise=0.5),
        CoolingFailure(do="cooling_failure"),
        Stuck(do="stuck", after_s=30),
    ]
    frozen = value_at(5.0, T, 30, actions)
    assert value_at(5.0, T, 31, actions) == frozen == value_at(5.0, T, 9999, actions)


def test_actions_only_touch_their_quantity() -> None:
    assert value_at(50.0, "humidity_pct", 25, [DailyDrift(do="daily_drift", period_s=100)]) == 50


def device(*actions: object) -> SimDevice:
    return SimDevice(1, XY, {T: -12.5, "humidity_pct": 45.6}, list(actions))


def test_a_device_serves_its_profile_and_refuses_unmapped_registers() -> None:
    sim = device()
    assert handle_pdu(sim, bytes([4, 0, 1, 0, 2])) == bytes([4, 4, 0xFF, 0x83, 0x01, 0xC8])
    assert handle_pdu(sim, bytes([3, 0, 1, 0, 2])) == bytes([0x83, 2])  # holding: not mapped
    assert handle_pdu(sim, bytes([6, 0, 1, 0, 2])) == bytes([0x86, 1])  # write: not supported


def test_fault_actions_decide_the_answer() -> None:
    request = rtu_frame(1, bytes([4, 0, 1, 0, 2]))
    assert respond_rtu({1: device(NoResponse(do="no_response"))}, request) is None
    assert respond_rtu({1: device()}, rtu_frame(2, bytes([4, 0, 1, 0, 2]))) is None
    corrupt = respond_rtu({1: device(CrcErrors(do="crc_errors", probability=1))}, request)
    assert corrupt is not None and corrupt != rtu_frame(1, corrupt[1:-2])
    flaky = device(IntermittentTimeouts(do="intermittent_timeouts", probability=0.5))
    answers = [respond_rtu({1: flaky}, request) is None for _ in range(400)]
    assert 120 < sum(answers) < 280
