"""Sensors, calendar, event entity and diagnostics of the eSmart Systems integration."""

import dataclasses
from datetime import UTC, datetime, timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.esmart_systems.const import (
    CATALOG_SLOT_HOURS,
    DOMAIN,
    UPDATE_INTERVAL,
)
from simulators import Fault
from simulators.esmart_systems import ESmartSystemsSimulator
from tests.helpers import async_tick

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)


def _entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


def _state(hass: HomeAssistant, unique_id: str, platform: str = "sensor") -> str:
    state = hass.states.get(_entity_id(hass, platform, unique_id))
    assert state is not None
    return state.state


def _hours(start: datetime, end: datetime) -> list[datetime]:
    count = int((end - start) / timedelta(hours=1))
    return [start + timedelta(hours=h) for h in range(count)]


async def test_contract_sensors(
    hass: HomeAssistant,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Yesterday, this month, cost and prices match the simulator."""
    contract = simulator.contracts["5001"]
    yesterday = _hours(
        datetime(2026, 10, 25, 23, tzinfo=UTC), datetime(2026, 10, 26, 23, tzinfo=UTC)
    )
    month = _hours(datetime(2026, 9, 30, 22, tzinfo=UTC), simulator.data_end())
    assert float(_state(hass, "power_1001_5001_energy_yesterday")) == pytest.approx(
        sum(simulator.consumption(contract, h) for h in yesterday), abs=1e-3
    )
    assert float(_state(hass, "power_1001_5001_energy_this_month")) == pytest.approx(
        sum(simulator.consumption(contract, h) for h in month), abs=1e-3
    )
    assert float(_state(hass, "power_1001_5001_cost_this_month")) == pytest.approx(
        sum(simulator.cost(contract, h) for h in month), abs=1e-2
    )
    now_hour = datetime(2026, 10, 27, 10, tzinfo=UTC)
    price = hass.states.get(_entity_id(hass, "sensor", "power_1001_5001_current_price"))
    assert price is not None
    assert float(price.state) == simulator.hour_price(contract, now_hour)
    assert price.attributes["unit_of_measurement"] == "NOK/kWh"
    today = price.attributes["today"]
    assert len(today) == 24
    assert today[0] == {
        "start": "2026-10-27T00:00:00+01:00",
        "end": "2026-10-27T01:00:00+01:00",
        "value": simulator.hour_price(contract, datetime(2026, 10, 26, 23, tzinfo=UTC)),
    }
    # 11:30 in Oslo: tomorrow's prices are not published yet.
    assert price.attributes["tomorrow"] == []
    spot = hass.states.get(_entity_id(hass, "sensor", "power_1001_5001_spot_price"))
    assert spot is not None
    assert float(spot.state) == simulator.spot_price(now_hour)
    assert spot.attributes["price_area"] == "NO1"
    heating = hass.states.get(
        _entity_id(hass, "sensor", "power_1001_5002_energy_yesterday")
    )
    assert heating is not None
    assert heating.attributes["device_class"] == "energy"
    # District heating has no price area, so no spot price.
    registry = er.async_get(hass)
    assert (
        registry.async_get_entity_id("sensor", DOMAIN, "power_1001_5002_spot_price")
        is None
    )


async def test_tomorrow_prices(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """After 13:00 local time tomorrow's 24 prices appear."""
    await async_tick(hass, freezer, timedelta(hours=3))
    price = hass.states.get(_entity_id(hass, "sensor", "power_1001_5001_current_price"))
    assert price is not None
    assert len(price.attributes["tomorrow"]) == 24
    assert price.attributes["tomorrow"][0]["start"] == "2026-10-28T00:00:00+01:00"


async def test_price_follows_the_hour_between_refreshes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """At 11:00 the prices show the 11:00 hour, though the refresh is at 11:30."""
    contract = simulator.contracts["5001"]
    simulator.reset_counters()
    await async_tick(hass, freezer, timedelta(minutes=30))
    assert simulator.counters["consumption"] == 0  # no refresh happened
    hour = datetime(2026, 10, 27, 11, tzinfo=UTC)
    assert float(_state(hass, "power_1001_5001_current_price")) == (
        simulator.hour_price(contract, hour)
    )
    assert float(_state(hass, "power_1001_5001_spot_price")) == (
        simulator.spot_price(hour)
    )
    # Unloading removes the hourly timers with the entities.
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await async_tick(hass, freezer, timedelta(hours=1))
    assert _state(hass, "power_1001_5001_current_price") == STATE_UNAVAILABLE


async def test_wattmeter_of_a_gone_contract_stops(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """When the only wattmeter contract is gone, its poll stops: no 404 a minute.

    Its device is detached, which removes its sensors: the wattmeter
    coordinator loses its last listener and is not scheduled again.
    """
    del simulator.contracts["5001"]
    await async_tick(hass, freezer, timedelta(hours=CATALOG_SLOT_HOURS))
    # The wattmeter may have asked once before the contracts were re-read
    # (a 404 and its back-off): wait that out.
    await async_tick(hass, freezer, timedelta(minutes=15))
    simulator.reset_counters()
    for _ in range(50):
        await async_tick(hass, freezer, timedelta(minutes=1))
    assert simulator.counters["wattmeter"] == 0
    assert simulator.counters["consumption"] > 0  # the main poll goes on


async def test_wattmeter_only_where_present(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Power sensors exist for the contract with a wattmeter only; polled every minute."""
    contract = simulator.contracts["5001"]
    assert (
        float(_state(hass, "power_1001_5001_power")) == simulator.power_now(contract)[1]
    )
    assert float(_state(hass, "power_1001_5001_power_max_this_month")) > 0
    assert float(_state(hass, "power_1001_5001_power_max")) > 0
    registry = er.async_get(hass)
    for other in ("1001_5002", "1002_5003"):
        assert (
            registry.async_get_entity_id("sensor", DOMAIN, f"power_{other}_power")
            is None
        )
    simulator.reset_counters()
    await async_tick(hass, freezer, timedelta(minutes=1))
    assert simulator.counters["wattmeter"] == 1
    assert simulator.counters["consumption"] == 0
    assert (
        float(_state(hass, "power_1001_5001_power")) == simulator.power_now(contract)[1]
    )


async def test_customer_sensors_and_devices(
    hass: HomeAssistant,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Invoices and messages per customer; a device per contract and customer."""
    newest = simulator.invoices(1001)[-1]
    assert (
        float(_state(hass, "power_customer_1001_invoice_amount"))
        == newest["InvoiceSum"]
    )
    assert _state(hass, "power_customer_1001_invoice_due_date") == "2026-10-31"
    assert float(_state(hass, "power_customer_1001_unpaid")) == newest["UnpaidSum"]
    assert _state(hass, "power_customer_1001_unread_messages") == "1"
    assert _state(hass, "power_customer_1002_unread_messages") == "0"
    devices = dr.async_entries_for_config_entry(
        dr.async_get(hass), init_integration.entry_id
    )
    assert sorted(d.name or "" for d in devices) == [
        "Customer 1001 (power)",
        "Customer 1002 (power)",
        "Hytta power",
        "Storgata 12 fjernvarme district heating",
        "Storgata 12 power",
    ]


async def test_unavailable_and_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A failed refresh makes the sensors unavailable; the next good one restores them."""
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="consumption", times=None)
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert _state(hass, "power_1001_5001_energy_yesterday") == STATE_UNAVAILABLE
    assert _state(hass, "power_customer_1001_unpaid") == STATE_UNAVAILABLE
    simulator.faults.clear()
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert _state(hass, "power_1001_5001_energy_yesterday") != STATE_UNAVAILABLE
    assert _state(hass, "power_customer_1001_unpaid") != STATE_UNAVAILABLE


async def test_invoice_calendar(
    hass: HomeAssistant,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The calendar shows each invoice's due date as an all-day event."""
    entity_id = _entity_id(hass, "calendar", "power_customer_1001_invoices")
    state = hass.states.get(entity_id)
    assert state is not None
    newest = simulator.invoices(1001)[-1]
    assert state.attributes["message"] == f"Invoice {newest['InvoiceNo']} due"
    assert state.attributes["start_time"] == "2026-10-31 00:00:00"
    response = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            "entity_id": entity_id,
            "start_date_time": "2026-08-01T00:00:00+02:00",
            "end_date_time": "2026-11-01T00:00:00+01:00",
        },
        blocking=True,
        return_response=True,
    )
    events = response[entity_id]["events"]  # type: ignore[index]
    assert [e["start"] for e in events] == [
        "2026-08-31",
        "2026-10-01",
        "2026-10-31",
    ]
    assert "Amount:" in events[-1]["description"]


async def test_message_event_fires_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A new message fires exactly one event; old ones never do."""
    entity_id = _entity_id(hass, "event", "power_customer_1001_message")
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "unknown"
    simulator.add_message(1001, "Outage Storgata", "Power off until 14:00.")
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    fired = hass.states.get(entity_id)
    assert fired is not None
    assert fired.attributes["event_type"] == "message"
    assert fired.attributes["subject"] == "Outage Storgata"
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    again = hass.states.get(entity_id)
    assert again is not None
    assert again.state == fired.state
    other = hass.states.get(_entity_id(hass, "event", "power_customer_1002_message"))
    assert other is not None
    assert other.state == "unknown"


async def test_two_messages_in_one_refresh_reach_automations(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Two messages found by one refresh are two state changes, not one."""
    entity_id = _entity_id(hass, "event", "power_customer_1001_message")
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    simulator.add_message(1001, "Outage Storgata", "Power off until 14:00.")
    simulator.add_message(1001, "Outage Kirkeveien", "Power off until 16:00.")
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    subjects = [
        event.data["new_state"].attributes["subject"]
        for event in changes
        if event.data["entity_id"] == entity_id
    ]
    assert sorted(subjects) == ["Outage Kirkeveien", "Outage Storgata"]


async def test_gone_contract_read_again_after_a_failure(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A contract gone within a slot fails one refresh; the next re-reads them."""
    del simulator.contracts["5003"]
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert _state(hass, "power_1001_5001_energy_yesterday") == STATE_UNAVAILABLE
    simulator.reset_counters()
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert simulator.counters["contractdeliverypoints"] == 2
    assert _state(hass, "power_1001_5001_energy_yesterday") != STATE_UNAVAILABLE


async def test_diagnostics_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Diagnostics hold no credentials, addresses or customer ids."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    text = json.dumps(diagnostics)
    for secret in (
        ESmartSystemsSimulator.PASSWORD,
        ESmartSystemsSimulator.USERNAME,
        "Storgata",
        "1001",
        "900001",
    ):
        assert secret not in text
    assert diagnostics["customers"] == 2
    assert len(diagnostics["contracts"]) == 3
    assert diagnostics["contracts"][0]["contract"]["kind"] == "power"
    assert diagnostics["wattmeter_contracts"] == 1


async def test_dynamic_and_stale_devices(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A new contract gets its device and sensors; a gone one loses its device."""
    registry = dr.async_get(hass)
    cabin = registry.async_get_device_by_identifier(
        (DOMAIN, "power_1002_5003"), init_integration.entry_id
    )
    assert cabin is not None
    new = dataclasses.replace(
        simulator.contracts["5003"], contract_no="5004", delivery_point_name="Anneks"
    )
    simulator.contracts["5004"] = new
    del simulator.contracts["5003"]
    # Contracts are read once per six-hour slot: the next slot sees the change.
    await async_tick(hass, freezer, timedelta(hours=CATALOG_SLOT_HOURS))
    assert (
        registry.async_get_device_by_identifier(
            (DOMAIN, "power_1002_5003"), init_integration.entry_id
        )
        is None
    )
    assert registry.async_get_device_by_identifier(
        (DOMAIN, "power_1002_5004"), init_integration.entry_id
    )
    assert _state(hass, "power_1002_5004_energy_yesterday") != STATE_UNAVAILABLE


async def test_message_while_stopped_fires_after_start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    simulator: ESmartSystemsSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Seen ids are stored: a message sent while unloaded fires once after start."""
    key = f"esmart_systems.{init_integration.entry_id}.messages"
    assert hass_storage[key]["data"] == {"seen": ["1", "2"]}
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    simulator.add_message(1001, "While stopped", "Planned work tonight.")
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    entity_id = _entity_id(hass, "event", "power_customer_1001_message")
    fired = hass.states.get(entity_id)
    assert fired is not None
    assert fired.attributes["subject"] == "While stopped"
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    again = hass.states.get(entity_id)
    assert again is not None
    assert again.state == fired.state
    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
