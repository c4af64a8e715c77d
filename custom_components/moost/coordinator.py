"""Read-back coordinator of the MOOST integration.

The push side (``push/``) sends HA's measurements to MOOST on its own
schedule and never waits for this coordinator. This one reads back what
MOOST makes of them: push notifications (recommendations), the building's
rules, forecasts where the subscription has them, and once a day MOOST's
energy statistics of yesterday, to check they equal what HA sent.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    FORECAST_CONSUMPTION_1H,
    FORECAST_GENERATION_1H,
    MoostAuthenticationError,
    MoostClient,
    MoostEnergyStatistic,
    MoostError,
    MoostForecast,
    MoostNotFoundError,
    MoostNotification,
    MoostRule,
)
from .common.api_helpers import Backoff
from .common.ha import vendor_error_to_ha
from .const import (
    CONF_CUSTOMER_BUILDING_ID,
    DOMAIN,
    EVENT_NOTIFICATION,
    FORECAST_HORIZON,
    FORECAST_INTERVAL,
    LOGGER,
    RATE_LIMIT_BACKOFF,
    RATE_LIMIT_CAP,
    RULES_INTERVAL,
    SEEN_GUARD,
    SEEN_KEEP,
    STATISTICS_CHECK_AFTER,
    STATISTICS_TOLERANCE_SHARE,
    STATISTICS_TOLERANCE_WH,
    UPDATE_INTERVAL,
)

if TYPE_CHECKING:
    from .push import MoostForwarder
    from .tariff import MoostTariff

FORECASTS: dict[str, str] = {
    "consumption": FORECAST_CONSUMPTION_1H,
    "generation": FORECAST_GENERATION_1H,
}
"""Forecast sensors by key, and the MOOST forecast type each one reads."""

# MOOST's daily statistics fields, by the event type the push side sends.
_STATISTIC_FIELDS: dict[str, Callable[[MoostEnergyStatistic], float | None]] = {
    "ENERGY_CONSUMPTION": lambda row: row.energy_consumption,
    "ENERGY_GENERATION": lambda row: row.energy_generation,
    "GRID_ENERGY_CONSUMPTION": lambda row: row.grid_energy_consumption,
}
_STORE_VERSION = 1


def readback_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the Store of an entry's seen notification ids."""
    return Store(hass, _STORE_VERSION, f"{DOMAIN}.{entry_id}.readback")


class SentTotals(Protocol):
    """What the statistics check needs of the forwarder.

    ``sent_day_totals(day)``: the household (``GATEWAY``) energy in Wh per
    15-minute event type that HA delivered for a local day, None when it
    does not know (not measured that day, or forgotten).
    """

    def sent_day_totals(self, day: date) -> Mapping[str, float] | None:
        """Return the Wh per event type delivered for ``day``."""


@dataclass(kw_only=True, slots=True)
class MoostData:
    """Everything one config entry runs: client, read-back, push, tariff."""

    client: MoostClient
    coordinator: MoostCoordinator
    forwarder: MoostForwarder
    tariff: MoostTariff


type MoostConfigEntry = ConfigEntry[MoostData]


@dataclass(frozen=True, kw_only=True, slots=True)
class MoostReadBack:
    """What the entities show."""

    notifications: tuple[MoostNotification, ...] = ()
    """The building's notifications, oldest first."""
    rules: Mapping[str, MoostRule] = field(default_factory=dict)
    forecasts: Mapping[str, MoostForecast] = field(default_factory=dict)
    """Only the forecasts MOOST has (key: ``consumption``/``generation``)."""

    @property
    def latest(self) -> MoostNotification | None:
        """Return the newest notification."""
        return self.notifications[-1] if self.notifications else None


class MoostCoordinator(DataUpdateCoordinator[MoostReadBack]):
    """Poll MOOST's recommendations, rules and forecasts of one building."""

    config_entry: MoostConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MoostConfigEntry,
        client: MoostClient,
    ) -> None:
        """Create the coordinator of one config entry (one building)."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.data[CONF_CUSTOMER_BUILDING_ID]}",
            update_interval=UPDATE_INTERVAL,
        )
        self.client = client
        self.building_id: str = entry.data[CONF_CUSTOMER_BUILDING_ID]
        self.new_notifications: tuple[MoostNotification, ...] = ()
        """The notifications first seen by the last refresh (event entity)."""
        self.statistics_check: dict[str, Any] | None = None
        """The last check of MOOST's statistics against what HA sent."""
        self.tariff: MoostTariff | None = None
        self.sent_totals: SentTotals | None = None
        self._store = readback_store(hass, entry.entry_id)
        self._seen: dict[str, float] | None = None
        """Ids of recent notifications seen -> their creation (epoch s)."""
        self._watermark: float | None = None
        """Creation time of the newest notification seen."""
        self._rules: dict[str, MoostRule] = {}
        self._rules_at: datetime | None = None
        self._forecasts: dict[str, MoostForecast] = {}
        self._forecasts_at: datetime | None = None
        self._checked_day: date | None = None
        self._backoff = Backoff(RATE_LIMIT_BACKOFF, RATE_LIMIT_CAP)

    @property
    def has_data(self) -> bool:
        """Tell whether a refresh has succeeded yet (``data`` is None before)."""
        return self.data is not None

    @property
    def mismatch_issue_id(self) -> str:
        """Return the repair issue id of a statistics mismatch."""
        return f"statistics_mismatch_{self.config_entry.entry_id}"

    async def async_load_seen(self) -> None:
        """Load the ids of the notifications already seen (none fire twice)."""
        stored = await self._store.async_load()
        if (
            stored is not None
            and isinstance(seen := stored.get("seen"), dict)
            and isinstance(watermark := stored.get("watermark"), (int, float))
        ):
            self._seen = {
                str(key): float(value)
                for key, value in seen.items()
                if isinstance(value, (int, float))
            }
            self._watermark = float(watermark)

    @override
    async def _async_update_data(self) -> MoostReadBack:
        data = await self._guarded(self._refresh)
        self._backoff.reset()
        return data

    async def _guarded[T](self, call: Callable[[], Awaitable[T]]) -> T:
        """Run a refresh, mapping MOOST's errors to what HA expects."""
        try:
            return await call()
        except MoostNotFoundError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="building_not_found",
                translation_placeholders={"building_id": self.building_id},
            ) from err
        except MoostError as err:
            raise vendor_error_to_ha(err, DOMAIN, backoff=self._backoff) from err

    async def _refresh(self) -> MoostReadBack:
        now = dt_util.utcnow()
        notifications = await self.client.async_get_notifications(
            self.building_id, self.hass.config.language
        )
        if self._rules_at is None or now - self._rules_at >= RULES_INTERVAL:
            await self.async_refresh_rules(now)
        if self._forecasts_at is None or now - self._forecasts_at >= FORECAST_INTERVAL:
            forecasts: dict[str, MoostForecast] = {}
            for key, event_type in FORECASTS.items():
                forecast = await self.client.async_get_forecast(
                    self.building_id, event_type, now, now + FORECAST_HORIZON
                )
                if forecast is not None:
                    forecasts[key] = forecast
            self._forecasts = forecasts
            self._forecasts_at = now
        self._note_notifications(notifications)
        await self._async_side_tasks(now)
        return MoostReadBack(
            notifications=tuple(notifications),
            rules=dict(self._rules),
            forecasts=dict(self._forecasts),
        )

    async def async_refresh_rules(self, now: datetime | None = None) -> None:
        """Re-read the building's rules (after a switch changed one)."""
        rules = await self.client.async_get_rules(self.building_id)
        self._rules = {rule.id: rule for rule in rules}
        self._rules_at = now or dt_util.utcnow()

    async def async_rule_changed(self, rule_id: str, active: bool) -> None:
        """Show a rule switched through HA at once, then re-read the rules."""
        if (rule := self._rules.get(rule_id)) is not None:
            self._rules[rule_id] = replace(rule, active=active)
        try:
            await self.async_refresh_rules()
        except MoostError as err:
            LOGGER.debug("Rules not re-read after a switch: %s", err)
        if self.data is not None:
            # Listeners run again: nothing new to announce this time.
            self.new_notifications = ()
            self.async_set_updated_data(replace(self.data, rules=dict(self._rules)))

    def _note_notifications(self, notifications: list[MoostNotification]) -> None:
        """Fire ``moost_notification`` for each notification not seen before.

        The first refresh ever only learns what exists: those are old news.
        Seen ids and the newest creation time are stored, so a restart fires
        nothing twice and nothing that arrived while HA was down is lost.
        MOOST lists every notification it keeps, so only recent ids are
        remembered; an older one is never new (a notification created more
        than SEEN_GUARD before the newest seen one counts as old), which keeps
        the store small without firing a forgotten one again.
        """
        first_run = self._watermark is None
        seen = self._seen if self._seen is not None else {}
        watermark = self._watermark
        new = [
            item
            for item in notifications
            if item.id not in seen
            and watermark is not None
            and item.created.timestamp() >= watermark - SEEN_GUARD.total_seconds()
        ]
        for item in notifications:
            created = item.created.timestamp()
            if watermark is None or created > watermark:
                watermark = created
        if watermark is None:
            # Nothing yet: whatever comes from now on is new.
            watermark = dt_util.utcnow().timestamp()
        keep_from = watermark - SEEN_KEEP.total_seconds()
        seen = {
            **{key: ts for key, ts in seen.items() if ts >= keep_from},
            **{
                item.id: item.created.timestamp()
                for item in notifications
                if item.created.timestamp() >= keep_from
            },
        }
        changed = bool(new) or seen != self._seen or watermark != self._watermark
        self._seen = seen
        self._watermark = watermark
        self.new_notifications = () if first_run else tuple(new)
        for item in self.new_notifications:
            self.hass.bus.async_fire(EVENT_NOTIFICATION, self.event_data(item))
        if changed:
            self._store.async_delay_save(self._stored, 10)

    def _stored(self) -> dict[str, Any]:
        return {"seen": dict(self._seen or {}), "watermark": self._watermark}

    async def async_save_seen(self) -> None:
        """Save the seen ids now (on unload: a reload must not fire them again)."""
        if self._watermark is not None:
            await self._store.async_save(self._stored())

    def event_data(self, notification: MoostNotification) -> dict[str, Any]:
        """Return the data of a notification's HA event (and event entity)."""
        return {
            "config_entry_id": self.config_entry.entry_id,
            "building_id": self.building_id,
            "notification_id": notification.id,
            "title": notification.title,
            "message": notification.text,
            "rule_id": notification.rule_id,
            "rule_name": (
                rule.name
                if notification.rule_id
                and (rule := self._rules.get(notification.rule_id))
                else None
            ),
            "priority": notification.priority,
            "created": notification.created.isoformat(),
            "actions": [
                {"key": action.key, "action": action.qualifier, "text": action.text}
                for action in notification.actions
            ],
        }

    async def _async_side_tasks(self, now: datetime) -> None:
        """Keep the tariff in line and check the statistics once a day.

        Neither may make the read-back fail: an auth error is raised (it
        concerns everything), any other error is logged and retried at a
        later refresh.
        """
        if self.tariff is not None:
            try:
                await self.tariff.async_sync()
            except MoostAuthenticationError:
                raise
            except MoostError as err:
                LOGGER.debug("Tariff not written yet: %s", err)
        try:
            await self._async_check_statistics(now)
        except MoostAuthenticationError:
            raise
        except MoostError as err:
            LOGGER.debug("Statistics check postponed: %s", err)

    async def _async_check_statistics(self, now: datetime) -> None:
        """Compare MOOST's statistics of yesterday with what HA sent, once a day."""
        local = dt_util.as_local(now)
        today = local.date()
        if (
            self.sent_totals is None
            or self._checked_day == today
            or local - dt_util.start_of_local_day(local) < STATISTICS_CHECK_AFTER
        ):
            return
        yesterday = today - timedelta(days=1)
        sent = self.sent_totals.sent_day_totals(yesterday)
        if not sent:
            self._checked_day = today
            return
        start = dt_util.start_of_local_day(yesterday)
        rows = await self.client.async_get_energy_statistics(
            self.building_id,
            "daily",
            start,
            dt_util.start_of_local_day(today),
            event_types=tuple(_STATISTIC_FIELDS),
        )
        row = next((item for item in rows if item.day == yesterday), None)
        mismatches: dict[str, dict[str, float | None]] = {}
        for event_type, value_of in _STATISTIC_FIELDS.items():
            if event_type not in sent:
                continue
            expected = sent[event_type]
            held = value_of(row) if row is not None else None
            tolerance = max(
                STATISTICS_TOLERANCE_WH, abs(expected) * STATISTICS_TOLERANCE_SHARE
            )
            # No row (or no value) is MOOST holding nothing: 0 Wh.
            if abs((held or 0.0) - expected) > tolerance:
                mismatches[event_type] = {"sent": expected, "moost": held}
        self._checked_day = today
        self.statistics_check = {
            "day": yesterday.isoformat(),
            "sent": dict(sent),
            "mismatches": mismatches,
        }
        if mismatches:
            LOGGER.warning(
                "MOOST's energy statistics of %s differ from what was sent: %s",
                yesterday,
                mismatches,
            )
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self.mismatch_issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="statistics_mismatch",
                translation_placeholders={
                    "day": yesterday.isoformat(),
                    "building_id": self.building_id,
                    "types": ", ".join(sorted(mismatches)),
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, self.mismatch_issue_id)
