"""Migration of a version-1 entry: ids from the company, history kept (12.5, 12.15)."""

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_metadata,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_CLIENT_ID, CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.momentum_energi.common.statistics import statistic_id
from custom_components.momentum_energi.const import (
    CONF_BACKFILL_DAYS,
    CONF_CLIENT_SECRET,
    CONF_LEVEL,
    DOMAIN,
)
from custom_components.momentum_energi.migration import new_statistic_id
from tests.helpers import async_stored_rows, async_tick

from .conftest import NOW, SIM

pytestmark = pytest.mark.freeze_time(NOW)

OLD = "apiuser_solrosen"  # version 1: the slug of the lower-cased user name
OLD_MONTH = datetime(2024, 1, 1, 8, tzinfo=UTC)  # before the backfill window
OLD_SUM = 5000.0


def _v1_entry(url: str, level: str) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        version=1,
        title=f"Momentum Energi {SIM.USERNAME}",
        unique_id=SIM.USERNAME.lower(),
        data={
            CONF_USERNAME: SIM.USERNAME,
            CONF_PASSWORD: SIM.PASSWORD,
            CONF_CLIENT_SECRET: SIM.CLIENT_SECRET,
            CONF_URL: url,
            CONF_CLIENT_ID: SIM.CLIENT_ID,
        },
        options={CONF_LEVEL: level, CONF_BACKFILL_DAYS: 400},
    )


@pytest.mark.parametrize(
    ("level", "item", "entity_id"),
    [
        ("E", "1001", "sensor.kv_solrosen_fjarrvarme_energy_last_month"),
        # A key that is not a clean id: version 2 adds a hash to its slug.
        ("B", "1001-01", "sensor.solrosen_hus_a_fjarrvarme_energy_last_month"),
    ],
)
async def test_version_1_entry_keeps_its_history(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    recorder_mock: object,
    simulator_url: str,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    level: str,
    item: str,
    entity_id: str,
) -> None:
    """Statistics, devices and entities move to company ids; nothing is lost."""
    entry = _v1_entry(simulator_url, level)
    entry.add_to_hass(hass)
    slug = item.replace("-", "_")
    old_id = f"{DOMAIN}:{OLD}_{slug}_fjarrvarme_energy"
    # A month the integration never reads again (before its backfill window).
    async_add_external_statistics(
        hass,
        StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name="old",
            source=DOMAIN,
            statistic_id=old_id,
            unit_class="energy",
            unit_of_measurement="kWh",
        ),
        [StatisticData(start=OLD_MONTH, state=OLD_SUM, sum=OLD_SUM)],
    )
    await async_wait_recording_done(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, f"{OLD}_{item}")}
    )
    device_registry.async_update_device(device.id, name_by_user="My estate")
    registry_entry = entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{OLD}_{item}_fjarrvarme_energy",
        config_entry=entry,
        device_id=device.id,
        suggested_object_id=entity_id.removeprefix("sensor."),
    )
    entity_registry.async_update_entity(registry_entry.entity_id, name="Heat")

    assert await hass.config_entries.async_setup(entry.entry_id)
    # The import waits until the recorder has written the moved statistics
    # (a refresh is requested then, which runs after the debounce cooldown).
    await async_wait_recording_done(hass)
    await async_tick(hass, freezer, timedelta(seconds=11))
    assert entry.state is ConfigEntryState.LOADED
    assert entry.version == 2
    assert entry.unique_id == "solrosen"
    assert entry.options[CONF_LEVEL] == level.lower()

    new_id = statistic_id(DOMAIN, "solrosen", item, "fjarrvarme", "energy")
    metadata = await get_instance(hass).async_add_executor_job(
        lambda: get_metadata(hass, statistic_source=DOMAIN)
    )
    assert old_id not in metadata
    assert new_id in metadata
    rows = await async_stored_rows(hass, new_id)
    # The old month is still there, and the new months continue its sum.
    assert datetime.fromtimestamp(rows[0]["start"], UTC) == OLD_MONTH
    assert rows[0]["sum"] == pytest.approx(OLD_SUM)
    assert rows[1]["sum"] == pytest.approx(OLD_SUM + rows[1]["state"])
    assert len(rows) == 1 + 14

    migrated = entity_registry.async_get(entity_id)
    assert migrated is not None
    assert migrated.unique_id == f"solrosen_{item}_fjarrvarme_energy"
    assert migrated.name == "Heat"
    assert hass.states.get(entity_id) is not None
    device = device_registry.async_get(device.id)
    assert device is not None
    assert device.identifiers == {(DOMAIN, f"solrosen_{item}")}
    assert device.name_by_user == "My estate"
    # No second device or entity was created for the same item.
    assert (
        len(
            [
                e
                for e in er.async_entries_for_config_entry(
                    entity_registry, entry.entry_id
                )
                if e.unique_id.endswith(f"_{item}_fjarrvarme_energy")
            ]
        )
        == 1
    )


async def test_entry_from_a_newer_version_is_refused(
    hass: HomeAssistant, recorder_mock: object, simulator_url: str
) -> None:
    """A downgrade cannot read a newer entry: it fails to migrate, nothing changes."""
    entry = _v1_entry(simulator_url, "E")
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, version=3)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_second_entry_of_a_company_keeps_its_key(
    hass: HomeAssistant, recorder_mock: object, simulator_url: str
) -> None:
    """Two version-1 users of one company: one takes the company, one keeps its key."""
    first = _v1_entry(simulator_url, "E")
    first.add_to_hass(hass)
    second = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        unique_id="other@solrosen",
        data={**first.data, CONF_USERNAME: "other@Solrosen"},
        options={CONF_LEVEL: "B"},
    )
    second.add_to_hass(hass)
    # Setting up the domain migrates both (the second user then fails to log
    # in: the simulator does not know it).
    assert await hass.config_entries.async_setup(first.entry_id)
    await hass.async_block_till_done()
    assert sorted([first.unique_id, second.unique_id]) in (
        ["apiuser@solrosen", "solrosen"],
        ["other@solrosen", "solrosen"],
    )
    assert (first.version, second.version) == (2, 2)
    assert second.options[CONF_LEVEL] == "b"


@pytest.mark.parametrize(
    ("rest", "keys", "expected"),
    [
        ("1001_fjarrvarme_energy", {"1001"}, "solrosen_1001_fjarrvarme_energy"),
        # The longest key whose slug starts the id wins.
        (
            "1001_01_el_volume",
            {"1001", "1001-01"},
            statistic_id(DOMAIN, "solrosen", "1001-01", "el", "volume")[16:],
        ),
        # No device (removed as stale): the slug stays, as for a clean key.
        ("0999_el_energy", set(), "solrosen_0999_el_energy"),
        ("odd", set(), "solrosen_odd"),
    ],
)
def test_new_statistic_id(rest: str, keys: set[str], expected: Any) -> None:
    """Old ids map to the ids version 2 computes for the same item and medium."""
    assert new_statistic_id(rest, "solrosen", keys) == f"{DOMAIN}:{expected}"
