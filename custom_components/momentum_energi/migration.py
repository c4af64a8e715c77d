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

The migration can be interrupted (HA stopped part-way: the registries are
saved, the entry is still version 1) and then runs again: it reads the item
keys from devices renamed already, and an old statistic whose rows were
copied before is cleared, not copied again. The coordinator imports nothing
until the recorder has written the copies (:data:`MIGRATIONS`), because it
continues their sums. The Energy dashboard names statistics by id: its preferences are pointed at the
new ids, or it would show nothing.
"""

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

from homeassistant.components.energy.data import (
    EnergyPreferencesUpdate,
    async_get_manager,
)
from homeassistant.components.recorder.statistics import (
    get_metadata,
    statistics_during_period,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_USERNAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.recorder import get_instance

from .common.statistics import StatisticSeries, async_write_rows, statistic_id
from .const import CONF_LEVEL, DEFAULT_LEVEL, DOMAIN, LOGGER, MIGRATIONS
from .coordinator import company_of
from .units import slug

_QUANTITIES = ("energy", "volume")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def async_migrate_v1(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Move a version-1 entry's devices, entities and statistics to version 2.

    Return False (nothing changed) for a second entry of the company at the
    same level: in version 2 its devices, entities and statistics would be
    the first entry's.
    """
    old = slug(entry.unique_id or entry.data[CONF_USERNAME])
    company = company_of(entry.data[CONF_USERNAME])
    if (first := _same_items(hass, entry, company)) is not None:
        LOGGER.error(
            "The Momentum Energi entry '%s' follows the same level of %s as '%s'; "
            "remove it (its history stays, and '%s' continues it)",
            entry.title,
            company,
            first.title,
            first.title,
        )
        return False
    item_keys = _migrate_devices(hass, entry, old, company)
    _migrate_entities(hass, entry, old, company)
    # Statistic ids are global: those of another entry whose key starts
    # with this one's (``api@solrosen.se`` after ``api@solrosen``) are not
    # this entry's to move.
    foreign = {
        key
        for other in hass.config_entries.async_entries(DOMAIN)
        if other.entry_id != entry.entry_id
        for key in (
            slug(other.unique_id or other.data[CONF_USERNAME]),
            company_of(other.data[CONF_USERNAME]),
        )
        if key != old and key.startswith(f"{old}_")
    }
    renamed = await _migrate_statistics(
        hass, entry.entry_id, old, company, item_keys=item_keys, foreign=foreign
    )
    await _migrate_energy_preferences(hass, renamed)
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
    return True


def _level(entry: ConfigEntry[Any]) -> str:
    return str(entry.options.get(CONF_LEVEL, DEFAULT_LEVEL)).lower()


def _same_items(
    hass: HomeAssistant, entry: ConfigEntry[Any], company: str
) -> ConfigEntry[Any] | None:
    """Return an earlier entry of the company at the same level, if there is one.

    Earlier: migrated already, or listed first (that one migrates first).
    """
    entries = hass.config_entries.async_entries(DOMAIN)
    for index, other in enumerate(entries):
        if other.entry_id == entry.entry_id:
            continue
        if (
            company_of(other.data[CONF_USERNAME]) == company
            and _level(other) == _level(entry)
            and (other.version > 1 or index < entries.index(entry))
        ):
            return other
    return None


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
                if domain == DOMAIN and identifier.startswith(f"{company}_"):
                    # Renamed by an interrupted run: its key still names
                    # statistics that are not moved yet.
                    item_keys.add(identifier.removeprefix(f"{company}_"))
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
    hass: HomeAssistant,
    entry_id: str,
    old: str,
    company: str,
    *,
    item_keys: set[str],
    foreign: set[str],
) -> dict[str, str]:
    """Rename the entry's statistics; their rows and sums stay as they are.

    Returns the old id of every statistic that moved (or had moved in an
    interrupted run) and its new id.
    """
    recorder = get_instance(hass)
    metadata = await recorder.async_add_executor_job(
        lambda: get_metadata(hass, statistic_source=DOMAIN)
    )
    prefix = f"{DOMAIN}:{old}_"
    renamed: dict[str, str] = {}
    for old_id, (_, meta) in sorted(metadata.items()):
        if not old_id.startswith(prefix) or any(
            old_id.startswith(f"{DOMAIN}:{key}_") for key in foreign
        ):
            continue
        new_id = new_statistic_id(old_id.removeprefix(prefix), company, item_keys)
        if new_id == old_id:
            continue
        rows = await recorder.async_add_executor_job(_stored_rows, hass, old_id)
        if new_id in metadata:
            stored = await recorder.async_add_executor_job(_stored_rows, hass, new_id)
            if not set(rows) <= set(stored):
                # A second entry of the company got there first, with other
                # rows: both stay rather than lose either.
                LOGGER.warning(
                    "Not moving %s: %s exists with other rows", old_id, new_id
                )
                continue
            # An interrupted run copied it: only the old one is left to clear.
        else:
            # Through common/, so readers of the statistic see the moved rows
            # before the recorder commits them (nothing is committed during
            # startup).
            async_write_rows(
                hass,
                DOMAIN,
                StatisticSeries(
                    statistic_id=new_id,
                    name=meta["name"] or new_id,
                    unit=meta["unit_of_measurement"],
                    unit_class=meta.get("unit_class"),
                    points=(),
                ),
                [
                    (datetime.fromtimestamp(start, UTC), state, sum_)
                    for start, state, sum_ in rows
                ],
            )
        renamed[old_id] = new_id
    if renamed:
        # Queued after the copies, so the rows exist under the new ids first.
        # The recorder writes nothing before Home Assistant has started, so
        # this cannot be awaited here (setup would wait for startup, which
        # waits for setup): the coordinator imports nothing until it is done,
        # or its sums would start again at 0 on an empty statistic.
        future: asyncio.Future[None] = hass.loop.create_future()

        def written() -> None:
            """Run in the recorder's thread once the old ids are cleared."""
            hass.loop.call_soon_threadsafe(_resolve, future)

        hass.data.setdefault(MIGRATIONS, {})[entry_id] = future
        recorder.async_clear_statistics(list(renamed), on_done=written)
    return renamed


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _stored_rows(
    hass: HomeAssistant, statistic_id: str
) -> list[tuple[float, float, float]]:
    """Return (start, state, sum) of every stored row of a statistic."""
    stats = statistics_during_period(
        hass, _EPOCH, None, {statistic_id}, "hour", None, {"state", "sum"}
    )
    return [
        (row["start"], float(row.get("state") or 0.0), float(row.get("sum") or 0.0))
        for row in stats.get(statistic_id, [])
    ]


async def _migrate_energy_preferences(
    hass: HomeAssistant, renamed: dict[str, str]
) -> None:
    """Point the Energy dashboard at the new statistic ids.

    Its preferences name statistics by id; left at the old ids (now
    cleared) the dashboard would show none of the moved history.
    """
    if not renamed:
        return
    manager = await async_get_manager(hass)
    if manager.data is None:
        return
    preferences = cast("dict[str, Any]", manager.data)
    update: dict[str, Any] = {}
    for key in ("energy_sources", "device_consumption", "device_consumption_water"):
        if (
            key in preferences
            and (value := _renamed(preferences[key], renamed)) != preferences[key]
        ):
            update[key] = value
    if update:
        LOGGER.info("Pointed the Energy dashboard at the moved statistics")
        await manager.async_update(cast("EnergyPreferencesUpdate", update))


def _renamed(value: Any, renamed: dict[str, str]) -> Any:
    """Return a copy of preferences with every renamed statistic id replaced."""
    if isinstance(value, str):
        return renamed.get(value, value)
    if isinstance(value, list):
        return [_renamed(item, renamed) for item in value]
    if isinstance(value, dict):
        return {key: _renamed(item, renamed) for key, item in value.items()}
    return value


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
