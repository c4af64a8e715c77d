"""Cost per state change of the MOOST forwarder's listener vs an empty listener.

Goal (issue 9): at most 2x a listener that does nothing, 100,000 state
changes, measured in the same HA test instance and run. Two figures:

* the callback alone: the forwarder's state-change callback and an empty
  callback called with the same 100,000 prepared events (a power sensor
  updating every 2 s, so slots close and events reach the outbox on the way);
* end to end: ``hass.states.async_set`` of a forwarded entity vs of an entity
  followed by an empty ``async_track_state_change_event`` listener (HA's state
  machine and event dispatch included, the same in both).

Run with ``scripts/bench -k moost``. Wall-clock figures only mean something
next to their baseline from the same run.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
import time
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import event as event_helpers
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.moost.api import MoostDevice, MoostEvent
from custom_components.moost.push import MoostForwarder, forwarder as forwarder_module

N = 100_000
START = datetime(2026, 11, 10, tzinfo=UTC)
W = {"unit_of_measurement": "kW", "state_class": "measurement", "device_class": "power"}


class NullClient:
    """Accepts everything at once (the benchmark measures HA's side only)."""

    customer_id = "6565f0c1a2b3c4d5e6f70812"

    async def async_put_devices(
        self, building_id: str, devices: Sequence[MoostDevice]
    ) -> None:
        """Accept the devices."""

    async def async_send_event(self, event: MoostEvent) -> None:
        """Accept one event."""

    async def async_send_historical(self, events: Sequence[MoostEvent]) -> None:
        """Accept a batch."""


@pytest.fixture
def recorder_config() -> dict[str, Any]:
    """Keep the 300,000 benchmark states out of the database (it would dominate)."""
    return {"exclude": {"entity_globs": ["sensor.*"]}}


def _events(entity_id: str) -> list[Event[EventStateChangedData]]:
    """Return N state changes of a power sensor, one every 2 s."""
    events: list[Event[EventStateChangedData]] = []
    old: State | None = None
    for n in range(N):
        new = State(
            entity_id,
            str(round(1.5 + (n % 97) / 10, 2)),
            W,
            last_updated=START + timedelta(seconds=2 * n),
        )
        events.append(
            Event(
                "state_changed",
                {"entity_id": entity_id, "old_state": old, "new_state": new},
            )
        )
        old = new
    return events


def _time(
    action: Callable[[Event[EventStateChangedData]], Any], events: list[Any]
) -> float:
    """Return µs per call."""
    begin = time.perf_counter()
    for item in events:
        action(item)
    return (time.perf_counter() - begin) / len(events) * 1e6


async def test_bench_moost_listener(hass: HomeAssistant) -> None:
    """Print the forwarder's cost per state change against an empty listener."""
    entry = MockConfigEntry(
        domain="moost",
        data={"customer_building_id": "home"},
        subentries_data=[
            ConfigSubentryData(
                data={
                    "name": "Heat pump",
                    "device_type": "HEAT_PUMP",
                    "power_consumption_entity": "sensor.hp_power",
                    "energy_consumption_entity": "sensor.hp_energy",
                },
                subentry_type="device",
                title="Heat pump",
                unique_id=None,
            )
        ],
    )
    entry.add_to_hass(hass)
    hass.states.async_set("sensor.hp_power", "1.5", W)
    captured: list[Callable[[Event[EventStateChangedData]], None]] = []
    original = event_helpers.async_track_state_change_event

    def capture(hass: HomeAssistant, entity_ids: Any, action: Any, *args: Any) -> Any:
        captured.append(action)
        return original(hass, entity_ids, action, *args)

    with patch.object(forwarder_module, "async_track_state_change_event", capture):
        forwarder = MoostForwarder(hass, entry, NullClient())  # type: ignore[arg-type]
        await forwarder.async_start()
    listener = captured[0]

    @callback
    def empty(event: Event[EventStateChangedData]) -> None:
        """Do nothing."""

    events = _events("sensor.hp_power")
    # warm up both, then measure alternately to share the machine's noise
    _time(empty, events[:1000])
    empty_us = min(_time(empty, events) for _ in range(3))
    forwarder_us = _time(listener, events)
    await hass.async_block_till_done()

    # end to end through HA's state machine
    original(hass, ["sensor.other"], empty)
    values = [str(round(1.5 + (n % 97) / 10, 2)) for n in range(N)]
    # alternate in four rounds, so load on the machine hits both alike
    e2e_empty = e2e_forwarder = 0.0
    for round_ in range(4):
        part = values[round_ * N // 4 : (round_ + 1) * N // 4]
        begin = time.perf_counter()
        for value in part:
            hass.states.async_set("sensor.other", value, W)
        e2e_empty += time.perf_counter() - begin
        begin = time.perf_counter()
        for value in part:
            hass.states.async_set("sensor.hp_power", value, W)
        e2e_forwarder += time.perf_counter() - begin
    e2e_empty = e2e_empty / N * 1e6
    e2e_forwarder = e2e_forwarder / N * 1e6
    await hass.async_block_till_done()
    await forwarder.async_stop()

    print(
        f"\nMOOST listener, {N:,} state changes:\n"
        f"  callback alone: forwarder {forwarder_us:.3f} µs, empty {empty_us:.3f} µs, "
        f"ratio {forwarder_us / empty_us:.1f}x\n"
        f"  end to end (async_set + dispatch): forwarder {e2e_forwarder:.2f} µs, "
        f"empty listener {e2e_empty:.2f} µs, ratio {e2e_forwarder / e2e_empty:.2f}x "
        f"(goal <= 2x)"
    )
    assert forwarder.outbox_length >= 0
