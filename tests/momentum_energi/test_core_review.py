"""A core-style review of the hardened integration: each finding through HA."""

from dataclasses import dataclass
from datetime import timedelta
import threading
from typing import override

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_metadata,
)
from homeassistant.components.recorder.tasks import RecorderTask
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_CLIENT_ID, CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.momentum_energi.common.statistics import statistic_id
from custom_components.momentum_energi.const import (
    CONF_CLIENT_SECRET,
    CONF_LEVEL,
    DOMAIN,
)
from custom_components.momentum_energi.migration import async_migrate_v1
from simulators.momentum_energi import MomentumEnergiSimulator
from tests.helpers import async_stored_rows, async_tick

from .conftest import NOW
from .test_migration import OLD, OLD_MONTH, _v1_entry

pytestmark = pytest.mark.freeze_time(NOW)

# Two months of a version-1 statistic: their sums must move unchanged.
ROWS = [
    StatisticData(start=OLD_MONTH, state=100.0, sum=100.0),
    StatisticData(start=OLD_MONTH + timedelta(days=31), state=50.0, sum=150.0),
]


def _add(hass: HomeAssistant, stat_id: str, rows: list[StatisticData]) -> None:
    async_add_external_statistics(
        hass,
        StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name="Heat",
            source=DOMAIN,
            statistic_id=stat_id,
            unit_class="energy",
            unit_of_measurement="kWh",
        ),
        rows,
    )


async def _metadata(hass: HomeAssistant) -> set[str]:
    await async_wait_recording_done(hass)
    return set(
        await get_instance(hass).async_add_executor_job(
            lambda: get_metadata(hass, statistic_source=DOMAIN)
        )
    )


@dataclass(slots=True)
class _Stall(RecorderTask):
    """Keep the recorder thread busy until released (a backlog at start-up)."""

    released: threading.Event
    commit_before = False

    @override
    def run(self, instance: Recorder) -> None:
        self.released.wait(10)


async def test_first_refresh_waits_for_the_moved_statistics(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    recorder_mock: object,
    simulator_url: str,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The moved sums are continued, though the recorder writes them late.

    The recorder writes nothing before Home Assistant has started, and
    entries are migrated and set up before that: the copies are still queued
    when the first refresh reads the new statistic. Before the fix that
    refresh found it empty and started its sums at 0 (a drop of the whole
    history in the Energy dashboard). Now it shows the data, imports nothing,
    and imports once the copies are written.
    """
    entry = _v1_entry(simulator_url, "E")
    entry.add_to_hass(hass)
    old_id = f"{DOMAIN}:{OLD}_1001_fjarrvarme_energy"
    new_id = statistic_id(DOMAIN, "solrosen", "1001", "fjarrvarme", "energy")
    _add(hass, old_id, [StatisticData(start=OLD_MONTH, state=5000.0, sum=5000.0)])
    await async_wait_recording_done(hass)
    device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, f"{OLD}_1001")}
    )
    released = threading.Event()
    get_instance(hass).queue_task(_Stall(released))
    try:
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert hass.states.get("sensor.kv_solrosen_fjarrvarme_energy_last_month")
    finally:
        released.set()
    await async_wait_recording_done(hass)
    await async_tick(hass, freezer, timedelta(seconds=11))

    rows = await async_stored_rows(hass, new_id)
    assert len(rows) == 1 + 14
    sums = [row["sum"] for row in rows]
    assert sums == sorted(sums)
    assert sums[1] == pytest.approx(5000.0 + rows[1]["state"])
    assert sums[-1] == pytest.approx(5000.0 + sum(row["state"] for row in rows[1:]))


@pytest.mark.parametrize("item", ["1001", "1001-01"])
async def test_interrupted_migration_runs_again(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator_url: str,
    device_registry: dr.DeviceRegistry,
    item: str,
) -> None:
    """HA stopped part-way: registries renamed, a copy written, the entry still v1.

    Before the fix the second run found no item keys (the devices were
    renamed) and copied a key with a hash to an id the integration never
    writes (``solrosen_1001_01_...``), and an old statistic whose copy
    existed was never cleared.
    """
    entry = _v1_entry(simulator_url, "B")
    entry.add_to_hass(hass)
    old_id = f"{DOMAIN}:{OLD}_{item.replace('-', '_')}_fjarrvarme_energy"
    new_id = statistic_id(DOMAIN, "solrosen", item, "fjarrvarme", "energy")
    _add(hass, old_id, ROWS)
    _add(hass, new_id, ROWS)  # the interrupted run's copy
    device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, f"solrosen_{item}")}
    )
    await async_wait_recording_done(hass)

    assert await async_migrate_v1(hass, entry)

    assert await _metadata(hass) == {new_id}
    rows = await async_stored_rows(hass, new_id)
    assert [(row["state"], row["sum"]) for row in rows] == [
        (100.0, 100.0),
        (50.0, 150.0),
    ]
    assert entry.version == 2


async def test_a_statistic_of_another_entry_is_not_overwritten(
    hass: HomeAssistant, recorder_mock: object, simulator_url: str
) -> None:
    """A new id that exists with other rows (another entry's) keeps both."""
    entry = _v1_entry(simulator_url, "E")
    entry.add_to_hass(hass)
    old_id = f"{DOMAIN}:{OLD}_1001_fjarrvarme_energy"
    new_id = statistic_id(DOMAIN, "solrosen", "1001", "fjarrvarme", "energy")
    _add(hass, old_id, ROWS)
    _add(hass, new_id, ROWS[:1])
    await async_wait_recording_done(hass)

    assert await async_migrate_v1(hass, entry)

    assert await _metadata(hass) == {old_id, new_id}
    assert len(await async_stored_rows(hass, new_id)) == 1


async def test_energy_dashboard_follows_the_moved_statistics(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator_url: str,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The Energy dashboard names statistics by id; the old ids are cleared.

    Before the fix its preferences kept the old ids: the dashboard showed
    nothing of the moved history (and ``energy/validate`` complained).
    """
    entry = _v1_entry(simulator_url, "B")
    entry.add_to_hass(hass)
    old_id = f"{DOMAIN}:{OLD}_1001_01_fjarrvarme_energy"
    new_id = statistic_id(DOMAIN, "solrosen", "1001-01", "fjarrvarme", "energy")
    other = "sensor.kitchen_energy"
    _add(hass, old_id, ROWS)
    await async_wait_recording_done(hass)
    device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, f"{OLD}_1001-01")}
    )
    manager = await async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                {
                    "type": "gas",
                    "stat_energy_from": old_id,
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                }
            ],
            "device_consumption": [
                {"stat_consumption": old_id},
                {"stat_consumption": other},
            ],
        }
    )

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    assert manager.data is not None
    source = manager.data["energy_sources"][0]
    assert source["type"] == "gas"
    assert source["stat_energy_from"] == new_id
    assert [d["stat_consumption"] for d in manager.data["device_consumption"]] == [
        new_id,
        other,
    ]


async def test_empty_structure_removes_no_device(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """One structure answer of ``[]`` must not delete every device and entity.

    Before the fix every item not in that refresh's rows was forgotten and
    its device removed, with the user's names, areas and entity settings.
    """
    entry_id = init_integration.entry_id
    before = {
        device.id
        for device in dr.async_entries_for_config_entry(device_registry, entry_id)
    }
    assert before
    state = hass.states.get("sensor.kv_solrosen_fjarrvarme_energy_last_month")
    assert state is not None
    items = dict(simulator.items)
    simulator.items.clear()
    await async_tick(hass, freezer, timedelta(hours=25))
    assert init_integration.runtime_data.last_update_success
    after = {
        device.id
        for device in dr.async_entries_for_config_entry(device_registry, entry_id)
    }
    assert after == before
    kept = hass.states.get("sensor.kv_solrosen_fjarrvarme_energy_last_month")
    assert kept is not None
    assert kept.state == state.state
    simulator.items.update(items)


async def test_statistics_of_another_entry_with_a_longer_key_stay(
    hass: HomeAssistant, recorder_mock: object, simulator_url: str
) -> None:
    """Statistic ids are global: ``api@solrosen`` must not move ``api@solrosen.se``'s.

    Before the fix the first entry's prefix (``apiuser_solrosen_``) matched
    the other entry's statistics too: they were moved to ids of the wrong
    company and cleared, and the other entry's own migration found nothing.
    """
    entry = _v1_entry(simulator_url, "E")
    entry.add_to_hass(hass)
    other = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        unique_id="apiuser@solrosen.se",
        data={**entry.data, CONF_USERNAME: "apiuser@solrosen.se"},
        options={CONF_LEVEL: "E"},
    )
    other.add_to_hass(hass)
    mine = f"{DOMAIN}:{OLD}_1001_fjarrvarme_energy"
    theirs = f"{DOMAIN}:{OLD}_se_1001_fjarrvarme_energy"
    _add(hass, mine, ROWS)
    _add(hass, theirs, ROWS)
    await async_wait_recording_done(hass)

    assert await async_migrate_v1(hass, entry)

    assert await _metadata(hass) == {
        statistic_id(DOMAIN, "solrosen", "1001", "fjarrvarme", "energy"),
        theirs,
    }
    assert await async_migrate_v1(hass, other)
    assert await _metadata(hass) == {
        statistic_id(DOMAIN, "solrosen", "1001", "fjarrvarme", "energy"),
        statistic_id(DOMAIN, "solrosen.se", "1001", "fjarrvarme", "energy"),
    }


async def test_second_entry_of_a_company_and_level_is_refused_cleanly(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator_url: str,
    device_registry: dr.DeviceRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two version-1 users of one company at one level: the second cannot move.

    In version 2 its devices would be the first entry's. Before the fix its
    migration raised (a device identifier already in use): a traceback in
    the log. Now it is refused with a message that says what to do, and
    nothing of it is changed.
    """
    first = _v1_entry(simulator_url, "E")
    first.add_to_hass(hass)
    second = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        title="Momentum Energi other@Solrosen",
        unique_id="other@solrosen",
        data={**first.data, CONF_USERNAME: "other@Solrosen"},
        options={CONF_LEVEL: "E"},
    )
    second.add_to_hass(hass)
    for entry, key in ((first, OLD), (second, "other_solrosen")):
        device_registry.async_get_or_create(
            config_entry_id=entry.entry_id, identifiers={(DOMAIN, f"{key}_1001")}
        )

    assert await hass.config_entries.async_setup(first.entry_id)
    await hass.async_block_till_done()

    assert first.state is ConfigEntryState.LOADED
    assert first.version == 2
    assert second.state is ConfigEntryState.MIGRATION_ERROR
    assert second.version == 1
    assert "Error migrating entry" not in caplog.text
    assert "remove it" in caplog.text
    assert {
        identifier
        for device in dr.async_entries_for_config_entry(
            device_registry, second.entry_id
        )
        for identifier in device.identifiers
    } == {(DOMAIN, "other_solrosen_1001")}


async def test_reconfigure_an_entry_that_kept_its_version_1_key(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: MomentumEnergiSimulator,
    simulator_url: str,
) -> None:
    """A second entry of a company (another level) keeps its user-name key.

    Before the fix reconfigure compared the company with that key and
    aborted with ``wrong_account`` for the entry's own user.
    """
    first = _v1_entry(simulator_url, "E")
    first.add_to_hass(hass)
    second = _v1_entry(simulator_url, "B")
    second.add_to_hass(hass)
    hass.config_entries.async_update_entry(second, unique_id="other@solrosen")
    assert await hass.config_entries.async_setup(first.entry_id)
    await hass.async_block_till_done()
    # Whichever migrated second kept its version-1 key.
    kept = next(entry for entry in (first, second) if entry.unique_id != "solrosen")
    assert kept.unique_id in {"apiuser@solrosen", "other@solrosen"}
    assert kept.version == 2

    simulator.client_secret = "new-secret"
    result = await kept.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: kept.data[CONF_USERNAME],
            CONF_PASSWORD: kept.data[CONF_PASSWORD],
            CONF_CLIENT_SECRET: "new-secret",
            "advanced": {
                CONF_URL: simulator_url,
                CONF_CLIENT_ID: kept.data[CONF_CLIENT_ID],
            },
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert kept.data[CONF_CLIENT_SECRET] == "new-secret"
