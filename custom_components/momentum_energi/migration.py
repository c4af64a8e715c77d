"""Migration of config entries from version 1 (ids from the user name).

Version 1 built the statistic ids, device identifiers and entity unique ids
from the slug of the lower-cased user name (``apiuser_solrosen``), stored the
structure level as the API's upper-case letter and keyed the entry by the user
name. A user name is not an identity: it can be replaced, and two names can
slug alike. Version 2 builds every id from the company (``solrosen``) and the
vendor's item keys. The migration renames what exists, so nobody loses
history: the recorder keeps every stored row under the new statistic id, the
entity and device registries keep entity ids, names, areas and settings.

The recorder's ``async_update_statistics_metadata`` renames only statistics
whose source is ``recorder`` (it filters on it), not external ones: an
external statistic is moved by copying its rows (state and sum, unchanged)
to the new id and then clearing the old one. Momentum's rows are monthly, so
that is a few dozen rows per statistic.
"""

from datetime import UTC, datetime
from typing import Any

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_USERNAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.recorder import get_instance

from .common.statistics import statistic_id
from .const import CONF_LEVEL, DOMAIN, LOGGER
from .coordinator import company_of
from .units import slug

_QUANTITIES = ("energy", "volume")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def async_migrate_v1(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Move a version-1 entry's devices, entities and statistics to version 2."""
    old = slug(entry.unique_id or entry.data[CONF_USERNAME])
    company = company_of(entry.data[CONF_USERNAME])
    item_keys = _migrate_devices(hass, entry, old, company)
    _migrate_entities(hass, entry, old, company)
    await _migrate_statistics(hass, old, company, item_keys)
    options = dict(entry.options)
    if isinstance(level := options.get(CONF_LEVEL), str):
        options[CONF_LEVEL] = level.lower()
    others = {
        other.unique_id
        for other in hass.config_entries.async_entries(DOMAIN)
        if other.entry_id != entry.entry_id
    }
    hass.config_entries.async_update_entry(
        entry,
        options=options,
        # One entry per company; a second version-1 entry of the same
        # company keeps its old key rather than clash.
        unique_id=company if company not in others else entry.unique_id,
        version=2,
    )
    LOGGER.info("Migrated Momentum Energi entry %s to ids of its company", company)


@callback
def _migrate_devices(
    hass: HomeAssistant, entry: ConfigEntry[Any], old: str, company: str
) -> set[str]:
    """Rename device identifiers; return the item keys they name."""
    registry = dr.async_get(hass)
    item_keys: set[str] = set()
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        identifiers = set()
        for domain, identifier in device.identifiers:
            if domain == DOMAIN and identifier.startswith(f"{old}_"):
                item_key = identifier.removeprefix(f"{old}_")
                item_keys.add(item_key)
                identifiers.add((domain, f"{company}_{item_key}"))
            else:
                identifiers.add((domain, identifier))
        if identifiers != device.identifiers:
            registry.async_update_device(device.id, new_identifiers=identifiers)
    return item_keys


@callback
def _migrate_entities(
    hass: HomeAssistant, entry: ConfigEntry[Any], old: str, company: str
) -> None:
    """Rename entity unique ids; entity ids and user settings stay."""
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.unique_id.startswith(f"{old}_"):
            registry.async_update_entity(
                entity.entity_id,
                new_unique_id=f"{company}_{entity.unique_id.removeprefix(f'{old}_')}",
            )


async def _migrate_statistics(
    hass: HomeAssistant, old: str, company: str, item_keys: set[str]
) -> None:
    """Rename the entry's statistics; their rows and sums stay as they are."""
    metadata = await get_instance(hass).async_add_executor_job(
        lambda: get_metadata(hass, statistic_source=DOMAIN)
    )
    prefix = f"{DOMAIN}:{old}_"
    moved: list[str] = []
    for old_id, (_, meta) in sorted(metadata.items()):
        if not old_id.startswith(prefix):
            continue
        new_id = new_statistic_id(old_id.removeprefix(prefix), company, item_keys)
        if new_id == old_id or new_id in metadata:
            # Nothing to do, or a second entry of the company got there first.
            continue
        stats = await get_instance(hass).async_add_executor_job(
            statistics_during_period,
            hass,
            _EPOCH,
            None,
            {old_id},
            "hour",
            None,
            {"state", "sum"},
        )
        rows = [
            StatisticData(
                start=datetime.fromtimestamp(row["start"], UTC),
                state=float(row.get("state") or 0.0),
                sum=float(row.get("sum") or 0.0),
            )
            for row in stats.get(old_id, [])
        ]
        async_add_external_statistics(
            hass,
            StatisticMetaData(
                mean_type=StatisticMeanType.NONE,
                has_sum=True,
                name=meta["name"],
                source=DOMAIN,
                statistic_id=new_id,
                unit_class=meta.get("unit_class"),
                unit_of_measurement=meta["unit_of_measurement"],
            ),
            rows,
        )
        moved.append(old_id)
    if moved:
        # Queued after the copies, so the rows exist under the new ids first.
        get_instance(hass).async_clear_statistics(moved)


def new_statistic_id(rest: str, company: str, item_keys: set[str]) -> str:
    """Return the version-2 id of ``<item slug>_<medium>_<quantity>``.

    Version 1 slugged the item key (``1001-01`` became ``1001_01``); version
    2 keeps it injective (a hash where the key is not already clean), so the
    key is recovered from the devices: the longest key whose slug starts the
    id. A statistic without a device (its item removed as stale) keeps its
    slug, which is what version 2 computes for a clean key (``1001``).
    """
    middle, _, quantity = rest.rpartition("_")
    if quantity not in _QUANTITIES:
        return statistic_id(DOMAIN, company, rest)
    matches = [key for key in item_keys if middle.startswith(f"{slug(key)}_")]
    if not matches:
        return statistic_id(DOMAIN, company, middle, quantity)
    item_key = max(matches, key=lambda key: len(slug(key)))
    medium = middle.removeprefix(f"{slug(item_key)}_")
    return statistic_id(DOMAIN, company, item_key, medium, quantity)
