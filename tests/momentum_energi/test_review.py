"""What a user and a core review found (issue 12), each item through HA."""

from datetime import date, timedelta
import json
from pathlib import Path
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.momentum_energi import coordinator as coordinator_module
from custom_components.momentum_energi.const import (
    CONF_BACKFILL_DAYS,
    CONF_LEVEL,
    CONF_MEDIA,
    DOMAIN,
    LEVELS,
    UPDATE_INTERVAL,
)
from simulators import Fault
from simulators.momentum_energi import MomentumEnergiSimulator
from tests.helpers import async_tick

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

COMPONENT = Path(__file__).parents[2] / "custom_components" / DOMAIN
SOLROSEN = "sensor.kv_solrosen"


async def test_keeps_polling_with_every_sensor_disabled(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    recorder_mock: object,
    simulator: MomentumEnergiSimulator,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """12.1: without a single enabled entity the statistics are still imported."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, pref_disable_new_entities=True
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    entries = er.async_entries_for_config_entry(
        entity_registry, mock_config_entry.entry_id
    )
    assert entries
    assert all(entry.disabled_by is not None for entry in entries)
    assert not hass.states.async_all("sensor")
    simulator.reset_counters()
    for _ in range(4):
        await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert simulator.counters["statistics_updated_after"] == 4
    # What a day costs at the default cadence (README, docs): calls and bytes.
    assert dict(simulator.counters) == {
        "total": 9,
        "token": 4,
        "statistics_updated_after": 4,
        "structure": 1,
    }
    assert simulator.bytes_served["total"] < 15_000  # about 11 kB


async def test_returning_item_gets_its_sensors_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """12.6: an item removed as stale that comes back has devices and sensors again."""
    entity_id = "sensor.kv_bjorken_fastighetsel_energy_last_month"
    coordinator = init_integration.runtime_data
    identifier = (DOMAIN, coordinator.device_identifier("1002"))
    removed = simulator.items.pop("1002")
    await async_tick(hass, freezer, timedelta(hours=24))
    assert (
        device_registry.async_get_device_by_identifier(
            identifier, init_integration.entry_id
        )
        is None
    )
    assert hass.states.get(entity_id) is None
    simulator.items["1002"] = removed
    # Its rows come back with the next nightly import; then the structure.
    simulator.correct("1002-01", "Fastighetsel", date(2026, 10, 1), 999.0)
    await async_tick(hass, freezer, timedelta(hours=24))
    assert coordinator.last_update_success
    assert device_registry.async_get_device_by_identifier(
        identifier, init_integration.entry_id
    )
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "999.0"


async def test_store_is_loaded_in_setup(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """12.6: the sync state is loaded before the first refresh, not behind a flag."""
    coordinator = init_integration.runtime_data
    assert not hasattr(coordinator, "_state_loaded")
    with patch.object(
        coordinator_module.Store, "async_load", return_value=None
    ) as load:
        await coordinator.async_refresh()
    assert load.call_count == 0


async def test_removing_the_entry_deletes_its_repair_issues(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: MomentumEnergiSimulator,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """12.12: an issue of a removed entry does not stay behind."""
    simulator.forbidden_levels.add("E")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"forbidden_{mock_config_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_icons_per_medium(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """12.11: heat, gas and water look like what they are, electricity a bolt."""
    icons = json.loads((COMPONENT / "icons.json").read_text())["entity"]["sensor"]

    def icon(entity_id: str) -> str | None:
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        return icons.get(entry.translation_key, {}).get("default")

    assert icon(f"{SOLROSEN}_fjarrvarme_energy_last_month") == "mdi:radiator"
    assert icon("sensor.kv_bjorken_naturgas_energy_last_month") == "mdi:fire"
    # The device class gives these their icon (bolt, water, gas meter).
    assert icon(f"{SOLROSEN}_fastighetsel_energy_last_month") is None
    assert icon(f"{SOLROSEN}_kallvatten_consumption_last_month") is None
    assert icon("sensor.kv_bjorken_naturgas_consumption_last_month") is None
    water = hass.states.get(f"{SOLROSEN}_kallvatten_consumption_last_month")
    assert water.attributes["device_class"] == "water"


async def test_diagnostics_name_no_estate(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """12.13: estate names, numbers and keys (often addresses) are not in diagnostics."""
    text = json.dumps(
        await get_diagnostics_for_config_entry(hass, hass_client, init_integration),
        ensure_ascii=False,
    )
    for item in simulator.items.values():
        if item.level == "E":
            assert item.name not in text
            assert f'"{item.number}"' not in text
    assert "apiuser" not in text.lower()


async def test_derived_and_diagnostic_sensors_start_disabled(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """12.14: the newest-data timestamp and normalised values start disabled."""
    for entity_id in (
        f"{SOLROSEN}_data_updated",
        f"{SOLROSEN}_fjarrvarme_normalized_energy_last_month",
    ):
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get(f"{SOLROSEN}_fjarrvarme_energy_last_month") is not None


async def test_level_options_are_lowercase_keys(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: object
) -> None:
    """12.15: selector values are [a-z0-9-_] keys, translated; the API gets R/E/B/A."""
    assert all(level.islower() for level in LEVELS)
    for language in ("en", "sv"):
        translations = json.loads(
            (COMPONENT / "translations" / f"{language}.json").read_text()
        )
        assert sorted(translations["selector"]["level"]["options"]) == sorted(LEVELS)
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    selector = result["data_schema"].schema[CONF_LEVEL]
    assert selector.config["options"] == list(LEVELS)
    assert selector.config["translation_key"] == CONF_LEVEL
    assert init_integration.runtime_data.api_level == "E"


# The selector's own range check stops inf, -inf, 10 and 100000; NaN
# compares false with both bounds and got through to int().
@pytest.mark.parametrize("days", ["nan"])
async def test_options_refuse_numbers_out_of_range(
    hass: HomeAssistant, init_integration: MockConfigEntry, days: object
) -> None:
    """8.11: "nan" and friends give a form error, not an HTTP 500; then it works."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_LEVEL: "e", CONF_MEDIA: [], CONF_BACKFILL_DAYS: float(days)},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_BACKFILL_DAYS: "invalid_number"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_LEVEL: "e", CONF_MEDIA: [], CONF_BACKFILL_DAYS: 90}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_BACKFILL_DAYS] == 90


async def test_manual_refresh_during_retry_after_sends_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """12.9: Retry-After is a promise, also for a user's manual refresh."""
    coordinator = init_integration.runtime_data
    simulator.faults.inject(
        Fault.RATE_LIMIT, endpoint="statistics_updated_after", retry_after=600
    )
    await async_tick(hass, freezer, UPDATE_INTERVAL)
    assert not coordinator.last_update_success
    simulator.reset_counters()
    freezer.tick(timedelta(seconds=300))
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    assert simulator.counters["total"] == 0
    assert "slow down" in str(coordinator.last_exception)
    freezer.tick(timedelta(seconds=301))
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert simulator.counters["statistics_updated_after"] == 1


async def test_incremental_asks_from_the_last_update_and_skips_unchanged_rows(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """12.19: no day of overlap; rows seen before are not merged again."""
    coordinator = init_integration.runtime_data
    watermark = coordinator.last_updated
    assert watermark is not None
    with patch.object(
        coordinator_module,
        "async_merge_series",
        wraps=coordinator_module.async_merge_series,
    ) as merge:
        await async_tick(hass, freezer, UPDATE_INTERVAL)
        assert simulator.asked_after == [watermark.date()]
        assert merge.call_count == 0
        # The next nightly import changes the running month: it is merged.
        await async_tick(hass, freezer, timedelta(hours=18))
        assert merge.call_count > 0
    assert coordinator.last_updated > watermark


async def test_restart_reads_recent_months_without_writing_them(
    hass: HomeAssistant,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """12.19: after a restart the sensors' months are read, not re-imported."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    with patch.object(coordinator_module, "async_merge_series") as merge:
        assert await hass.config_entries.async_setup(init_integration.entry_id)
        await hass.async_block_till_done()
    assert merge.call_count == 0
    state = hass.states.get(f"{SOLROSEN}_fastighetsel_energy_last_month")
    assert state is not None
    assert state.state != STATE_UNAVAILABLE


async def test_entry_not_loaded_has_no_coordinator_name_with_the_user(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """12.5: the coordinator's name (in every log line) names the company only."""
    coordinator = init_integration.runtime_data
    assert coordinator.name == "momentum_energi solrosen"
    assert init_integration.state is ConfigEntryState.LOADED
