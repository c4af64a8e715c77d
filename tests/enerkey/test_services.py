"""``enerkey.push_history``: refusals are clear errors, never tracebacks."""

from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.enerkey.const import DOMAIN
from simulators.enerkey import EnerKeySimulator

from .conftest import NOW
from .test_push import HOUR, SINCE, add_pushed_meter, import_hours, kwh_sensor

pytestmark = pytest.mark.freeze_time(NOW)


async def _call(hass: HomeAssistant, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, "push_history", data, blocking=True, return_response=True
    )


async def test_push_history_refusals(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Unknown entry or meter, empty period, a meter gone, EnerKey down."""
    kwh_sensor(hass)
    import_hours(hass, SINCE - timedelta(days=2), SINCE - HOUR)
    await async_wait_recording_done(hass)
    await add_pushed_meter(hass, init_integration, "2001")
    period = {"start": SINCE - timedelta(days=1), "end": SINCE}
    entry_id = init_integration.entry_id

    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, config_entry_id="nope", pushed_meter="2001", **period)
    assert err.value.translation_key == "entry_not_found"
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, config_entry_id=entry_id, pushed_meter="2002", **period)
    assert err.value.translation_key == "pushed_meter_not_found"
    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass,
            config_entry_id=entry_id,
            pushed_meter="2001",
            start=SINCE,
            end=SINCE + timedelta(days=1),  # only hours not complete yet
        )
    assert err.value.translation_key == "invalid_period"

    simulator.push_refusal = 503
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, config_entry_id=entry_id, pushed_meter="2001", **period)
    assert err.value.translation_key == "push_failed"
    simulator.push_refusal = 404
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, config_entry_id=entry_id, pushed_meter="2001", **period)
    assert err.value.translation_key == "push_problem"
    simulator.push_refusal = None

    # Times without an offset are HA's local time (Helsinki, UTC+2).
    naive = {
        "start": (SINCE + timedelta(hours=2) - timedelta(hours=3)).replace(tzinfo=None),
        "end": (SINCE + timedelta(hours=2)).replace(tzinfo=None),
    }
    response = await _call(hass, config_entry_id=entry_id, pushed_meter="2001", **naive)
    assert response["hours_accepted"] == 3
    assert [v["timestamp"] for v in simulator.push_messages[-1]["values"]] == [
        "2026-10-27T07:00:00Z",
        "2026-10-27T08:00:00Z",
        "2026-10-27T09:00:00Z",
    ]

    assert await hass.config_entries.async_unload(entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, config_entry_id=entry_id, pushed_meter="2001", **period)
    assert err.value.translation_key == "entry_not_loaded"
