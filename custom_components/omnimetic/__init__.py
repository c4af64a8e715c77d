"""The Omnimetic integration: utility meter data from Omnimetic in Home Assistant."""

from datetime import UTC, datetime

from homeassistant.components.recorder.statistics import (
    StatisticsRow,
    get_metadata,
    statistics_during_period,
)
from homeassistant.const import CONF_CLIENT_ID, CONF_URL, Platform
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.typing import ConfigType

from .api import DEFAULT_URL, OmnimeticClient
from .common.ha import async_remove_issues, keep_alive
from .common.statistics import StatisticSeries, async_recorder_synced, async_write_rows
from .const import CONF_CLIENT_SECRET, CONF_SERVICE_ACCOUNT_ID, DOMAIN, LOGGER
from .coordinator import OmnimeticConfigEntry, OmnimeticCoordinator, statistic_ids
from .services import async_setup_services

PLATFORMS: list[Platform] = [Platform.SENSOR]

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions (once, for every entry)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: OmnimeticConfigEntry) -> bool:
    """Set up one Omnimetic service account from a config entry."""
    client = OmnimeticClient(
        async_get_clientsession(hass),
        entry.data[CONF_CLIENT_ID],
        entry.data[CONF_CLIENT_SECRET],
        url=entry.data.get(CONF_URL, DEFAULT_URL),
    )
    coordinator = OmnimeticCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    # The statistics are imported by the refresh itself: keep polling when
    # every sensor is disabled.
    entry.async_on_unload(keep_alive(coordinator))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: OmnimeticConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: OmnimeticConfigEntry) -> None:
    """Delete the entry's repair issues; they would point at nothing."""
    async_remove_issues(hass, DOMAIN, entry.entry_id)


def _legacy_statistic_id(domain: str, *parts: str) -> str:
    """Return a statistic id as version 1 made it (lossy: not injective).

    Kept only to find the statistics of entries created before version 2.
    """
    cleaned = "_".join(parts).lower()
    cleaned = "".join(c if c.isascii() and c.isalnum() else "_" for c in cleaned)
    while "__" in cleaned:
        cleaned = cleaned.replace("__", "_")
    return f"{domain}:{cleaned.strip('_')}"


async def async_migrate_entry(hass: HomeAssistant, entry: OmnimeticConfigEntry) -> bool:
    """Migrate an entry's statistics to injective statistic ids (version 2).

    Version 1 lower-cased and replaced every other character, so ``ab-12``
    and ``AB_12`` shared statistics. Where an id changes, its rows move to
    the new id (history kept). The recorder renames only its own (``source
    recorder``) statistics, so external ones are copied, row by row with
    their sums, and the old id is cleared once the copy is committed and
    read back complete. An id already taken is left alone unless it holds
    exactly the old rows (a migration that stopped before its clear):
    guessing whose rows they are could be wrong. A copy that did not arrive
    fails the migration with the old rows untouched; the next start retries.
    Entity unique ids and devices use the raw id and stay as they are.
    """
    if entry.version > 2:
        return False
    if entry.version == 1:
        account = entry.data[CONF_SERVICE_ACCOUNT_ID]
        new_ids = statistic_ids(account)
        renames = {
            old: new_ids[key]
            for key, suffix in _QUANTITIES.items()
            if (old := _legacy_statistic_id(DOMAIN, account, suffix)) != new_ids[key]
        }
        if renames and not await _async_move_statistics(hass, renames):
            return False
        hass.config_entries.async_update_entry(entry, version=2)
    return True


_QUANTITIES = {
    "consumption": "energy_consumption",
    "on_peak": "energy_on_peak",
    "off_peak": "energy_off_peak",
    "cost": "cost",
}


def _all_rows(hass: HomeAssistant, statistic: str) -> list[StatisticsRow]:
    """Return every hourly row of a statistic (in the recorder executor)."""
    stats = statistics_during_period(
        hass, _EPOCH, None, {statistic}, "hour", None, {"state", "sum"}
    )
    return stats.get(statistic, [])


def _same_rows(copied: list[StatisticsRow], rows: list[StatisticsRow]) -> bool:
    """Tell whether ``copied`` holds every one of ``rows`` (start, state, sum)."""
    have = {row["start"]: (row.get("state"), row.get("sum")) for row in copied}
    return all(
        have.get(row["start"]) == (row.get("state") or 0.0, row.get("sum") or 0.0)
        for row in rows
    )


async def _async_move_statistics(hass: HomeAssistant, renames: dict[str, str]) -> bool:
    """Copy each old statistic's rows to its new id, then clear the old id.

    Once Home Assistant runs, the old id is cleared only after its copy is
    committed and read back complete (the recorder re-queues an import that
    failed behind tasks queued later, so a clear queued right after the copy
    could run first); return False when a copy is missing (the old rows are
    kept). During startup the recorder runs no task yet: the clear is queued
    right behind the copy.
    """
    recorder = get_instance(hass)
    existing = await recorder.async_add_executor_job(
        lambda: get_metadata(hass, statistic_ids=set(renames) | set(renames.values()))
    )
    copies: dict[str, tuple[str, list[StatisticsRow]]] = {}
    for old, new in renames.items():
        if old not in existing:
            continue
        rows = await recorder.async_add_executor_job(_all_rows, hass, old)
        copies[old] = (new, rows)
        if new in existing:
            continue
        meta = existing[old][1]
        # Through common/ so the first refresh sees the moved rows before the
        # recorder has committed them (it commits nothing during startup).
        async_write_rows(
            hass,
            DOMAIN,
            StatisticSeries(
                statistic_id=new,
                name=meta["name"] or new,
                unit=meta["unit_of_measurement"],
                unit_class=meta["unit_class"],
                points=(),
            ),
            [
                (
                    datetime.fromtimestamp(row["start"], UTC),
                    row.get("state") or 0.0,
                    row.get("sum") or 0.0,
                )
                for row in rows
            ],
        )
    if not copies:
        return True
    running = hass.state is CoreState.running
    if running:
        await async_recorder_synced(hass)
    moved = []
    complete = True
    for old, (new, rows) in copies.items():
        if not running and new not in existing:
            # Before Home Assistant has started the recorder runs no task:
            # the copy cannot be read back (waiting would stall startup).
            # The clear is queued behind it; the recorder runs them in order.
            moved.append(old)
            continue
        copied = await recorder.async_add_executor_job(_all_rows, hass, new)
        if _same_rows(copied, rows):
            moved.append(old)
            LOGGER.info("Moved statistic %s to %s (%d rows)", old, new, len(rows))
        elif new in existing:
            LOGGER.warning("Statistic %s already exists; %s is kept", new, old)
        else:
            LOGGER.error("Copying statistic %s to %s failed; will retry", old, new)
            complete = False
    if moved:
        recorder.async_clear_statistics(moved)
        # The old ids must be gone before the first refresh (a no-op before
        # Home Assistant has started: the refresh's writes queue behind).
        await async_recorder_synced(hass)
    return complete
