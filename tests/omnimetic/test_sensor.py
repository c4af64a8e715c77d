"""Sensors of the Omnimetic integration."""

from datetime import UTC, datetime, timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.omnimetic.const import UPDATE_INTERVAL
from simulators import Fault
from simulators.omnimetic import OmnimeticSimulator

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

ACCOUNT = OmnimeticSimulator.SERVICE_ACCOUNT_ID
PREFIX = f"sensor.omnimetic_{ACCOUNT}"


@pytest.mark.parametrize("backfill_days", [45])
async def test_entities(
    hass: HomeAssistant,
    entity_registry_enabled_by_default: None,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Registry entries and states of every sensor."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)
    device = device_registry.async_get_device_by_identifier(
        ("omnimetic", ACCOUNT), init_integration.entry_id
    )
    assert device is not None
    assert device.entry_type is dr.DeviceEntryType.SERVICE


async def test_values_match_simulator(
    hass: HomeAssistant,
    entity_registry_enabled_by_default: None,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Sensor values are the simulator's truth for the same periods."""
    account = simulator.service_accounts[ACCOUNT]
    today = dt_util.start_of_local_day()
    yesterday = account.meter.total(
        dt_util.as_utc(today - timedelta(days=1)), simulator.data_end()
    )
    assert float(hass.states.get(f"{PREFIX}_energy_yesterday").state) == pytest.approx(
        yesterday, abs=1e-3
    )

    month_start = dt_util.as_utc(dt_util.start_of_local_day().replace(day=1))
    assert float(hass.states.get(f"{PREFIX}_energy_this_month").state) == pytest.approx(
        account.meter.total(month_start, simulator.data_end()), abs=1e-3
    )
    november = simulator.month_summary(account, 2026, 11)
    october = simulator.month_summary(account, 2026, 10)
    assert (
        float(hass.states.get(f"{PREFIX}_cost_this_month").state)
        == november["cents"] / 100
    )
    assert (
        float(hass.states.get(f"{PREFIX}_cost_last_month").state)
        == october["cents"] / 100
    )
    assert float(hass.states.get(f"{PREFIX}_energy_last_month").state) == pytest.approx(
        october["total_kwh"]
    )
    share = round(100 * november["on_kwh"] / november["total_kwh"], 1)
    assert float(
        hass.states.get(f"{PREFIX}_on_peak_share_this_month").state
    ) == pytest.approx(share, abs=0.05)
    newest = simulator.data_end() - timedelta(hours=1)
    assert datetime.fromisoformat(
        hass.states.get(f"{PREFIX}_newest_data").state
    ) == newest.astimezone(UTC)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault.SERVER_ERROR, "HTTP 500"),
        (Fault.RATE_LIMIT, "slow down"),
        (Fault.MALFORMED_JSON, "Malformed JSON"),
    ],
)
async def test_unavailable_then_recovers(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
    message: str,
) -> None:
    """A failing refresh makes the sensors unavailable; the next good one restores them."""
    entity_id = f"{PREFIX}_energy_this_month"
    good = hass.states.get(entity_id).state
    simulator.faults.inject(fault, endpoint="interval_data", retry_after=120)
    with caplog.at_level(logging.INFO):
        freezer.tick(UPDATE_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    assert message in caplog.text

    # 429 asks for Retry-After: the coordinator retries after it, not after 3 h.
    freezer.tick(
        timedelta(seconds=121) if fault is Fault.RATE_LIMIT else UPDATE_INTERVAL
    )
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get(entity_id).state
    assert state != STATE_UNAVAILABLE
    assert float(state) >= float(good)


async def test_token_renewal_costs_one_call_per_expiry(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Each refresh after an expiry costs exactly one token; a revoked token is renewed once."""
    assert simulator.counters["access_token"] == 1
    simulator.reset_counters()
    for _ in range(4):
        freezer.tick(UPDATE_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert simulator.counters["access_token"] == 4

    simulator.reset_counters()
    simulator.tokens.expire_all()
    await init_integration.runtime_data.async_refresh()
    assert init_integration.runtime_data.last_update_success
    assert simulator.counters["access_token"] == 1
    # The refused call plus its retry.
    assert simulator.counters["interval_data"] == 2


async def test_no_secret_in_logs(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    mock_config_entry: MockConfigEntry,
    recorder_mock: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither the client secret nor a token shows up in the log, even at debug level."""
    caplog.set_level(logging.DEBUG)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    simulator.faults.inject(Fault.UNAUTHORIZED, endpoint="interval_data")
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="historical_data")
    freezer.tick(UPDATE_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    issued = [t.token for t in simulator.tokens._tokens.values()]
    assert issued
    assert OmnimeticSimulator.CLIENT_SECRET not in caplog.text
    for token in issued:
        assert token not in caplog.text


async def test_rate_limit_without_retry_after_backs_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A 429 without Retry-After is retried after 1 then 2 minutes, not 3 hours."""
    simulator.faults.inject(
        Fault.RATE_LIMIT, endpoint="interval_data", times=2, retry_after=None
    )
    simulator.reset_counters()
    for wait in (UPDATE_INTERVAL, timedelta(seconds=65), timedelta(seconds=125)):
        freezer.tick(wait)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert simulator.counters["interval_data"] == 3
    assert init_integration.runtime_data.last_update_success


async def test_derived_sensors_start_disabled(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """12.14: the on-peak share and the newest-data timestamp start disabled."""
    for suffix in ("on_peak_share_this_month", "newest_data"):
        entry = entity_registry.async_get(f"{PREFIX}_{suffix}")
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert hass.states.get(f"{PREFIX}_{suffix}") is None
    assert hass.states.get(f"{PREFIX}_energy_yesterday") is not None
