"""Async client of the MOOST API (energy coaching: events in, advice out).

Pure aiohttp: no Home Assistant import, so it can become its own package.
Follows ``moost-openapi.json`` (the vendor's official spec) for paths,
fields and status codes, and ``moost.txt`` for units and cadences.

Shapes, in one place:

* a token is ``GET /auth/token/v1?clientId&clientSecret`` -> ``{access_token,
  expires_in, token_type}``; the token is an RS256 JWT whose payload carries
  ``customerId`` (24 characters), which every event must repeat. The payload
  is decoded, never verified: the client only reads its own customer id;
  MOOST checks the signature.
* event ``timestamp`` is epoch **seconds**, the END of the interval the value
  covers (energy in Wh, power in W, rates in %).
* read-back rows (notifications, rules, statistics, forecasts) are parsed
  tolerantly: unknown fields are ignored, numbers may be JSON numbers or
  numeric strings (the guide's tariff example has ``"minPrice": "0.10"``), and
  a row that cannot be read unambiguously is skipped and logged, never guessed.

Secrets never reach a log or an exception: the token request carries the
client secret in its query string, so connection errors name only the host,
and vendor error texts are redacted before they are raised.
"""

import asyncio
import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
import json
import logging
import math
import re
from typing import Any, Final, Literal

import aiohttp

from .common.api_helpers import (
    BearerToken,
    RetryGate,
    VendorAuthenticationError,
    VendorConnectionError,
    VendorError,
    VendorRateLimitError,
    VendorResponseError,
    as_number as _number,
    as_str as _str,
    error_message,
    host_of,
    parse_retry_after,
    quote_segment,
    validate_base_url,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL: Final = "https://api.moost.io"
TOKEN_LIFETIME: Final = timedelta(seconds=86_400)
"""The guide: a token "is valid for 86,400 seconds (24 hours)"."""
TOKEN_RENEW_MARGIN: Final = timedelta(minutes=5)
REQUEST_TIMEOUT: Final = 30.0

GATEWAY: Final = "GATEWAY"
"""Device type / event source of the household as a whole (the HA instance)."""

DEVICE_TYPES: Final = (
    "APPLIANCE", "BATTERY", "CAR", "CAR_CHARGER", "ENERGY_MEASUREMENT", "GATEWAY",
    "HEAT_PUMP", "INPUT_DEVICE", "INVERTER", "MOOST", "SMART_METER", "SMART_PLUG",
    "SWITCH", "THERMOSTAT", "THERMAL_ZONE", "THERMAL_STORAGE", "WATER_HEATER",
    "WALL_TABLET", "SOLAR_PANEL", "DISHWASHER", "DRYER", "ENTERTAINMENT", "LIGHTING",
    "OVEN", "REFRIGERATION", "WASHING_MACHINE",
)  # fmt: skip
"""The spec's enum of ``Device.type`` and ``Event.source``, in its order."""

EVENT_TYPES: Final = frozenset({
    "CHARGING_MODE", "DEVICE_STATUS", "ENERGY_CONSUMPTION",
    "ENERGY_CONSUMPTION_LAST_24H", "ENERGY_CONSUMPTION_YESTERDAY",
    "ENERGY_EXCESS_LAST_24H", "ENERGY_EXCESS_YESTERDAY", "ENERGY_GENERATION_LAST_24H",
    "ENERGY_GENERATION_YESTERDAY", "ENERGY_IMPORT", "ENERGY_IMPORT_YESTERDAY",
    "ENERGY_EXPORT", "ENERGY_EXPORT_YESTERDAY", "EXPECTED_OUTSIDE_TEMPERATURE",
    "EXPECTED_OUTSIDE_TEMPERATURE_4DAYS", "GRID_POWER_CONSUMPTION",
    "GRID_POWER_CONSUMPTION_ANOMALY_SCORE", "IS_LOW_TARIFF_HOURS", "POWER_CONSUMPTION",
    "POWER_CONSUMPTION_FORECAST_1H", "POWER_CONSUMPTION_FORECAST_24H", "POWER_EXCESS",
    "POWER_GENERATION", "POWER_GENERATION_FORECAST_1H",
    "POWER_GENERATION_FORECAST_1H_MIN", "POWER_GENERATION_FORECAST_24H",
    "POWER_GENERATION_FORECAST_48H", "POWER_GENERATION_FORECAST_DAY_AFTER_TOMORROW",
    "POWER_GENERATION_FORECAST_TOMORROW", "SELF_CONSUMPTION_RATE",
    "SELF_CONSUMPTION_RATE_YESTERDAY", "SELF_SUFFICIENCY_RATE",
    "SELF_SUFFICIENCY_RATE_YESTERDAY", "STATE_OF_CHARGE_FORECAST_RATE",
    "STATE_OF_CHARGE_RATE", "SWITCH_STATE", "TEMPERATURE", "WATER_TEMPERATURE",
    "POWER_CONSUMPTION_BASE_LOAD", "DYNAMIC_TARIFF_PRICE",
    "DYNAMIC_TARIFF_PRICE_FORECAST_1H", "DYNAMIC_TARIFF_LOWEST_PRICE_FORECAST_TOMORROW",
    "IS_HIGH_TARIFF_HOURS", "ENERGY_EXCESS", "ENERGY_BASE_CONSUMPTION",
    "ENERGY_CONSUMPTION_FORECAST_1H", "ENERGY_CONSUMPTION_FORECAST_24H",
    "ENERGY_GENERATION", "ENERGY_GENERATION_FORECAST_1H",
    "ENERGY_GENERATION_FORECAST_24H", "GRID_ENERGY_CONSUMPTION",
    "GRID_ENERGY_CONSUMPTION_YESTERDAY", "GRID_ENERGY_CONSUMPTION_ANOMALY_SCORE",
    "GRID_ENERGY_BASE_CONSUMPTION", "ENERGY_GENERATION_FORECAST_DAY_AFTER_TOMORROW",
    "ENERGY_GENERATION_FORECAST_TOMORROW",
    "GLOBAL_HORIZONTAL_IRRADIATION_FORECAST_TOMORROW_HOURLY",
    "GLOBAL_HORIZONTAL_IRRADIATION_FORECAST_TOMORROW",
    "ENERGY_CONSUMPTION_FORECAST_TOMORROW",
    "ENERGY_CONSUMPTION_FORECAST_DAY_AFTER_TOMORROW", "GRID_BASE_LOAD_CONSUMPTION",
    "DYNAMIC_TARIFF_PRICE_FORECAST_24H", "GRID_POWER_CONSUMPTION_YESTERDAY",
})  # fmt: skip
"""The spec's enum of ``Event.type`` (63 values)."""

INTERACTIONS: Final = ("DISMISS", "OPENAPP", "STOPDELIVERY", "OPENWEB")
"""The spec's ``actionQualifier`` values of a notification interaction."""

CUSTOMER_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9]{24}$")
BUILDING_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9:._-]{1,100}$")
DEVICE_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9:._-]{3,64}$")
DEVICE_NAME_PATTERN: Final = re.compile(r"^.{1,100}$")
"""The spec's patterns of an event's (and a building's) identifiers."""

type Resolution = Literal["hourly", "daily", "monthly"]

STATISTIC_EVENT_TYPES: Final[dict[str, tuple[str, ...]]] = {
    # The spec allows only the 15-minute types at hourly resolution; for days
    # and months it prefers the daily *_YESTERDAY types and falls back to the
    # 15-minute ones itself when both are asked for.
    "hourly": ("ENERGY_GENERATION", "ENERGY_CONSUMPTION", "GRID_ENERGY_CONSUMPTION"),
    "daily": (
        "ENERGY_GENERATION_YESTERDAY", "ENERGY_GENERATION",
        "ENERGY_CONSUMPTION_YESTERDAY", "ENERGY_CONSUMPTION",
        "GRID_ENERGY_CONSUMPTION_YESTERDAY", "GRID_ENERGY_CONSUMPTION",
    ),
    "monthly": (
        "ENERGY_GENERATION_YESTERDAY", "ENERGY_GENERATION",
        "ENERGY_CONSUMPTION_YESTERDAY", "ENERGY_CONSUMPTION",
        "GRID_ENERGY_CONSUMPTION_YESTERDAY", "GRID_ENERGY_CONSUMPTION",
    ),
}  # fmt: skip

FORECAST_CONSUMPTION_1H: Final = "ENERGY_CONSUMPTION_FORECAST_1H"
FORECAST_GENERATION_1H: Final = "ENERGY_GENERATION_FORECAST_1H"

_MILLIS_THRESHOLD: Final = 100_000_000_000
"""Epoch values above this are milliseconds: as seconds they would be past the
year 5000. One of the vendor's examples uses milliseconds where the text says
seconds; the two readings are 1000x apart, so this is no guess."""


# Exceptions -----------------------------------------------------------------


class MoostError(VendorError):
    """Base of every error this client raises."""


class MoostConnectionError(MoostError, VendorConnectionError):
    """MOOST could not be reached, did not answer in time, or failed (5xx)."""


class MoostAuthenticationError(MoostError, VendorAuthenticationError):
    """The token endpoint refused the client id or secret."""


class MoostRateLimitError(MoostError, VendorRateLimitError):
    """MOOST asked us to slow down (HTTP 429), or its Retry-After still runs."""

    def __init__(self, retry_after: float | None) -> None:
        """Keep the seconds to wait, when MOOST said."""
        VendorRateLimitError.__init__(
            self, f"Rate limited; retry after {retry_after} s", retry_after
        )


class MoostResponseError(MoostError, VendorResponseError):
    """MOOST answered with an unexpected status or a body we cannot read."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """Keep the HTTP status (None when the body was the problem)."""
        super().__init__(message)
        self.status = status


class MoostBadRequestError(MoostResponseError):
    """HTTP 400: the request itself is invalid; sending it again cannot help.

    ``message`` is MOOST's explanation, redacted and cut short.
    """

    def __init__(self, message: str) -> None:
        """Keep MOOST's (redacted) explanation."""
        super().__init__(f"Bad request: {message}", 400)
        self.message = message


class MoostNotFoundError(MoostResponseError):
    """HTTP 404: the building (or rule, notification) does not exist."""


class MoostConflictError(MoostResponseError):
    """HTTP 409: the building exists already."""


class _TokenRefusedError(MoostAuthenticationError):
    """A data endpoint answered 401: the token is renewed once and retried."""


class InvalidEventError(ValueError):
    """A stored event cannot be rebuilt (see :meth:`MoostEvent.from_json`)."""


# Models ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class MoostEvent:
    """One measurement sent to MOOST.

    ``timestamp`` is epoch seconds (UTC) of the END of the interval the value
    covers; ``source`` is the MOOST device type of the device producing it
    (``GATEWAY`` for the household as a whole).
    """

    customer_building_id: str
    device_id: str
    device_name: str
    type: str
    value: float
    timestamp: int
    source: str = GATEWAY

    def problem(self) -> str | None:
        """Return why MOOST would refuse this event (the spec's rules), or None.

        Such an event is refused before it leaves the house, as MOOST would
        refuse it: the same :class:`MoostBadRequestError`, without a request.
        """
        if not BUILDING_ID_PATTERN.match(self.customer_building_id):
            return "customerBuildingId does not match the spec's pattern"
        if not DEVICE_ID_PATTERN.match(self.device_id):
            return "deviceId does not match the spec's pattern"
        if not DEVICE_NAME_PATTERN.match(self.device_name):
            return "deviceName does not match the spec's pattern"
        if self.type not in EVENT_TYPES:
            return f"type {self.type} is not one of the spec's event types"
        if self.source not in DEVICE_TYPES:
            return f"source {self.source} is not one of the spec's device types"
        if isinstance(self.value, bool) or not math.isfinite(self.value):
            return "value is not a finite number"
        if not 0 <= self.timestamp < _MILLIS_THRESHOLD:
            return "timestamp is not in epoch seconds"
        return None

    def key(self) -> tuple[str, str, str, int]:
        """Return the dedupe key: (building, device, type, timestamp)."""
        return (self.customer_building_id, self.device_id, self.type, self.timestamp)

    def as_json(self, customer_id: str) -> dict[str, Any]:
        """Return the spec's ``Event`` body for the given customer."""
        return {
            "customerId": customer_id,
            "customerBuildingId": self.customer_building_id,
            "deviceId": self.device_id,
            "deviceName": self.device_name,
            "type": self.type,
            "source": self.source,
            "value": self.value,
            "timestamp": self.timestamp,
        }

    @classmethod
    def from_json(cls, data: Any) -> MoostEvent:
        """Rebuild an event from :meth:`as_json`'s shape (the outbox Store).

        Raises :class:`InvalidEventError` (a ``ValueError``) when a field is
        missing or of the wrong type, so a damaged stored row is dropped
        instead of sent.
        """
        if not isinstance(data, Mapping):
            raise InvalidEventError("an event is a JSON object")
        texts: dict[str, str] = {}
        for key in ("customerBuildingId", "deviceId", "deviceName", "type"):
            value = data.get(key)
            if not isinstance(value, str) or not value:
                raise InvalidEventError(f"event field {key} missing")
            texts[key] = value
        value = _number(data.get("value"))
        timestamp = data.get("timestamp")
        if value is None:
            raise InvalidEventError("event value missing")
        if not isinstance(timestamp, int) or isinstance(timestamp, bool):
            raise InvalidEventError("event timestamp missing")
        source = data.get("source", GATEWAY)
        return cls(
            customer_building_id=texts["customerBuildingId"],
            device_id=texts["deviceId"],
            device_name=texts["deviceName"],
            type=texts["type"],
            value=value,
            timestamp=timestamp,
            source=source if isinstance(source, str) and source else GATEWAY,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class MoostDevice:
    """A device of a building, as the spec's ``Device`` schema requires it."""

    id: str
    name: str
    type: str
    product_name: str
    vendor_name: str

    def as_json(self) -> dict[str, Any]:
        """Return the spec's ``Device`` body."""
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "product_name": self.product_name,
            "vendor_name": self.vendor_name,
        }

    @classmethod
    def from_json(cls, data: Any) -> MoostDevice | None:
        """Parse a device; None (and a log line) when it has no id or type."""
        if not isinstance(data, Mapping):
            return None
        device_id = _str(data.get("id"))
        device_type = _str(data.get("type"))
        if device_id is None or device_type is None:
            _LOGGER.debug("Skipping a device without id or type")
            return None
        name = _str(data.get("name")) or _str(data.get("product_name")) or device_id
        return cls(
            id=device_id,
            name=name,
            type=device_type,
            product_name=_str(data.get("product_name")) or name,
            vendor_name=_str(data.get("vendor_name")) or "",
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class MoostBuilding:
    """A building (the HA household) as MOOST knows it.

    ``tariff`` is the spec's ``settings.tariff`` object (``type`` SINGLE, DUAL
    or DYNAMIC, optional ``currency``, ``minPrice``, ``maxPrice``, ``dual``,
    ``dynamic``); read back, numeric strings in it are numbers.
    """

    customer_building_id: str
    zip: str | None
    city: str | None
    country_code: str | None
    time_zone_id: str | None
    devices: tuple[MoostDevice, ...] = ()
    tariff: dict[str, Any] | None = None
    id: str | None = None
    """MOOST's own id of the building (read-only)."""
    active_rules: tuple[str, ...] = ()
    inactive_rules: tuple[str, ...] = ()
    deactivated: bool = False

    def as_json(self, customer_id: str) -> dict[str, Any]:
        """Return the spec's ``Building`` body (fields that are None left out)."""
        body: dict[str, Any] = {
            "customerId": customer_id,
            "customerBuildingId": self.customer_building_id,
        }
        optional = {
            "zip": self.zip,
            "city": self.city,
            "countryCode": self.country_code,
            "timeZoneId": self.time_zone_id,
        }
        body.update(
            {key: value for key, value in optional.items() if value is not None}
        )
        if self.devices:
            body["devices"] = [device.as_json() for device in self.devices]
        if self.tariff is not None:
            body["settings"] = {"tariff": self.tariff}
        return body

    @classmethod
    def from_json(cls, data: Any) -> MoostBuilding:
        """Parse a building; raises MoostResponseError without its id."""
        if not isinstance(data, Mapping):
            raise MoostResponseError("a building is not a JSON object")
        building_id = _str(data.get("customerBuildingId"))
        if building_id is None:
            raise MoostResponseError("building without customerBuildingId")
        devices = data.get("devices")
        settings = data.get("settings")
        tariff = settings.get("tariff") if isinstance(settings, Mapping) else None
        return cls(
            customer_building_id=building_id,
            zip=_str(data.get("zip")),
            city=_str(data.get("city")),
            country_code=_str(data.get("countryCode")),
            time_zone_id=_str(data.get("timeZoneId")),
            devices=tuple(
                device
                for item in (devices if isinstance(devices, list) else [])
                if (device := MoostDevice.from_json(item)) is not None
            ),
            tariff=_tariff(tariff),
            id=_str(data.get("id")),
            active_rules=_strings(data.get("activeRules")),
            inactive_rules=_strings(data.get("inactiveRules")),
            deactivated=_number(data.get("deactivatedTimestamp")) is not None,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class MoostRule:
    """A MOOST rule (a kind of recommendation) and whether the building has it on."""

    id: str
    name: str
    active: bool
    """On for this building (the rule switch)."""
    description: str | None = None
    paused: bool = False
    """The customer paused the rule for every building (``ruleState`` PAUSE)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class MoostNotificationAction:
    """One button of a notification: its key, qualifier and label."""

    key: str
    qualifier: str | None
    """DISMISS, OPENAPP, STOPDELIVERY or OPENWEB, when MOOST says which."""
    text: str | None
    parameter: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class MoostNotification:
    """A push notification (a recommendation) MOOST made for a building."""

    id: str
    title: str | None
    text: str | None
    created: datetime
    rule_id: str | None
    actions: tuple[MoostNotificationAction, ...] = ()
    language: str | None = None
    """The language ``title`` and ``text`` are in."""
    priority: str | None = None
    delivery_status: str | None = None
    interaction: str | None = None
    """The qualifier of the interaction already recorded, if any."""


@dataclass(frozen=True, kw_only=True, slots=True)
class MoostEnergyStatistic:
    """One row of MOOST's energy statistics, energies in Wh.

    Hourly rows carry ``start`` (aware UTC); daily rows carry ``day`` (the
    building's local day); monthly rows ``day`` = the first of the month.
    """

    resolution: Resolution
    start: datetime | None = None
    day: date | None = None
    energy_generation: float | None = None
    energy_consumption: float | None = None
    grid_energy_consumption: float | None = None
    energy_base_consumption: float | None = None
    grid_energy_base_consumption: float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class MoostForecastValue:
    """One forecast value: what MOOST expects at ``time`` (Wh for energy types)."""

    time: datetime
    value: float
    issued: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class MoostForecast:
    """A forecast series of one event type, sorted by time."""

    event_type: str
    values: tuple[MoostForecastValue, ...] = field(default=())

    def upcoming(self, now: datetime) -> list[MoostForecastValue]:
        """Return the values at or after ``now``."""
        return [value for value in self.values if value.time >= now]

    def next_value(self, now: datetime) -> MoostForecastValue | None:
        """Return the first value at or after ``now``, if any."""
        upcoming = self.upcoming(now)
        return upcoming[0] if upcoming else None


# Client ---------------------------------------------------------------------


class MoostClient:
    """Client of one MOOST API client (client id and secret, one customer)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        client_id: str,
        client_secret: str,
        base_url: str = DEFAULT_URL,
        *,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        """Create a client; ``session`` is owned by the caller.

        Raises ``ValueError`` for a base URL that is not HTTPS (plain HTTP only
        on loopback, where the simulator runs).
        """
        self._session = session
        self._client_id = client_id
        self._client_secret = client_secret
        self._url = validate_base_url(base_url)
        self._timeout = request_timeout
        self.customer_id: str | None = None
        """The customerId of the token's payload, known after the first token."""
        self._token = BearerToken(
            self._fetch_token, lifetime=TOKEN_LIFETIME, margin=TOKEN_RENEW_MARGIN
        )
        self._current_token: str | None = None
        self._gate = RetryGate()

    @property
    def token_requests(self) -> int:
        """Return how many tokens this client has asked for (diagnostics, tests)."""
        return self._token.requests

    async def async_login(self) -> str:
        """Get a new token now and return the customerId it carries."""
        await self._token.renew()
        assert self.customer_id is not None
        return self.customer_id

    # Buildings and devices --------------------------------------------------

    async def async_get_building(self, building_id: str) -> MoostBuilding:
        """Return one building; MoostNotFoundError when MOOST has none by that id."""
        data = await self._call("GET", f"/buildings/{quote_segment(building_id)}/v1")
        return MoostBuilding.from_json(data)

    async def async_get_buildings(self) -> list[MoostBuilding]:
        """Return every building of the customer (unreadable ones skipped)."""
        data = await self._call("GET", "/buildings/v1", params={"activeOnly": "false"})
        buildings = []
        for row in _list(data):
            try:
                buildings.append(MoostBuilding.from_json(row))
            except MoostResponseError:
                _LOGGER.warning("Skipping a building MOOST sent without an id")
        return buildings

    async def async_create_building(self, building: MoostBuilding) -> None:
        """Create the building (POST); MoostConflictError when it exists."""
        await self._call(
            "POST",
            "/buildings/v1",
            json_body=building.as_json,
            kind="none",
        )

    async def async_update_building(self, building: MoostBuilding) -> None:
        """Update the building's location (and tariff, devices when given).

        The spec's PUT takes a whole building, so the current one is read
        first and only the fields this integration manages are replaced:
        rules, users and other settings MOOST keeps stay as they are. Devices
        are replaced when ``building.devices`` is not empty, the tariff when it
        is not None. MoostNotFoundError when the building does not exist.
        """
        current = await self._call(
            "GET", f"/buildings/{quote_segment(building.customer_building_id)}/v1"
        )
        if not isinstance(current, Mapping):
            raise MoostResponseError("a building is not a JSON object")

        def body(customer_id: str) -> dict[str, Any]:
            merged = _writable(current)
            merged.update(building.as_json(customer_id))
            if building.tariff is not None:
                settings = current.get("settings")
                merged["settings"] = {
                    **(dict(settings) if isinstance(settings, Mapping) else {}),
                    "tariff": building.tariff,
                }
            return merged

        await self._call("PUT", "/buildings/v1", json_body=body, kind="none")

    async def async_set_tariff(self, building_id: str, tariff: dict[str, Any]) -> None:
        """Write the building's ``settings.tariff`` (read, replace, PUT)."""
        current = await self._call("GET", f"/buildings/{quote_segment(building_id)}/v1")
        if not isinstance(current, Mapping):
            raise MoostResponseError("a building is not a JSON object")

        def body(customer_id: str) -> dict[str, Any]:
            merged = _writable(current)
            merged["customerId"] = customer_id
            merged["customerBuildingId"] = building_id
            settings = current.get("settings")
            merged["settings"] = {
                **(dict(settings) if isinstance(settings, Mapping) else {}),
                "tariff": tariff,
            }
            return merged

        await self._call("PUT", "/buildings/v1", json_body=body, kind="none")

    async def async_delete_building(self, building_id: str) -> None:
        """Delete the building; MoostNotFoundError when it does not exist."""
        await self._call(
            "DELETE", f"/buildings/{quote_segment(building_id)}/v1", kind="none"
        )

    async def async_put_devices(
        self, building_id: str, devices: Sequence[MoostDevice]
    ) -> None:
        """Attach this set of devices to the building (replacing the former set)."""
        await self._call(
            "PUT",
            f"/buildings/{quote_segment(building_id)}/devices/v1",
            json_body=[device.as_json() for device in devices],
            kind="none",
        )

    # Events -----------------------------------------------------------------

    async def async_send_event(self, event: MoostEvent) -> None:
        """Send one recent event (``POST /events/v1``, processed by the rules).

        MoostBadRequestError means MOOST refused this event itself (poison),
        or would: see :meth:`MoostEvent.problem`.
        """
        _check_events((event,))
        await self._call("POST", "/events/v1", json_body=event.as_json, kind="none")

    async def async_send_historical(self, events: Sequence[MoostEvent]) -> None:
        """Send past events in one request (``POST /events/historical/v1``).

        Historical events are stored but not run through the rule engine. The
        batch is all or nothing for the caller: no splitting here, so a retry
        after a failure cannot deliver part of it twice. An empty batch makes
        no request. One event MOOST would refuse (:meth:`MoostEvent.problem`)
        refuses the batch without a request, as MOOST refuses it as a whole.
        """
        if not events:
            return
        _check_events(events)
        await self._call(
            "POST",
            "/events/historical/v1",
            json_body=lambda customer_id: [e.as_json(customer_id) for e in events],
            kind="none",
        )

    # Rules ------------------------------------------------------------------

    async def async_get_rules(self, building_id: str) -> list[MoostRule]:
        """Return the customer's rules, ``active`` when on for this building.

        ``GET /rules/v1`` lists every rule of the customer and
        ``GET /buildings/{id}/rules/v2`` the building's active ones; when the
        former is absent (404) the building's active rules are all there is.
        """
        active_data = await self._call(
            "GET", f"/buildings/{quote_segment(building_id)}/rules/v2"
        )
        active = _rules(active_data, active=True)
        try:
            all_data = await self._call("GET", "/rules/v1")
        except MoostNotFoundError:
            return active
        rules = {rule.id: rule for rule in _rules(all_data, active=False)}
        for rule in active:
            # The customer's list has the full rule; the building's says on.
            known = rules.get(rule.id)
            rules[rule.id] = rule if known is None else replace(known, active=True)
        return list(rules.values())

    async def async_set_rule(
        self, building_id: str, rule_id: str, active: bool
    ) -> None:
        """Switch a rule on or off for the building."""
        await self._call(
            "PUT",
            f"/buildings/{quote_segment(building_id)}/rules/{quote_segment(rule_id)}/v1",
            params={"status": "active" if active else "inactive"},
            kind="none",
        )

    # Notifications ----------------------------------------------------------

    async def async_get_notifications(
        self, building_id: str, language: str | None = None
    ) -> list[MoostNotification]:
        """Return the building's push notifications, oldest first.

        Title and text are taken in ``language`` when MOOST has it (``de-CH``
        falls back to ``de``), else in English, else in the first language
        given.
        """
        data = await self._call(
            "GET", f"/pushnotifications/buildings/{quote_segment(building_id)}/v1"
        )
        notifications = [
            parsed
            for row in _list(data)
            if (parsed := _notification(row, language)) is not None
        ]
        return sorted(notifications, key=lambda item: item.created)

    async def async_post_interaction(self, notification_id: str, action: str) -> None:
        """Record the user's interaction (DISMISS, OPENAPP, STOPDELIVERY, OPENWEB)."""
        if action not in INTERACTIONS:
            raise ValueError(f"unknown interaction {action!r}")
        await self._call(
            "POST",
            f"/pushnotifications/{quote_segment(notification_id)}/interactions/v1",
            json_body={"actionQualifier": action},
            kind="none",
        )

    # Statistics and forecasts -----------------------------------------------

    async def async_get_energy_statistics(
        self,
        building_id: str,
        resolution: Resolution,
        start: datetime,
        end: datetime,
        event_types: Sequence[str] | None = None,
    ) -> list[MoostEnergyStatistic]:
        """Return MOOST's energy statistics of ``[start, end)``, oldest first.

        The days (months) are those of ``start`` and ``end`` in their own time
        zone: pass them in the building's time zone. ``end`` is exclusive.
        ``event_types`` defaults to :data:`STATISTIC_EVENT_TYPES`.
        """
        last = end - timedelta(microseconds=1) if end > start else start
        pattern = "%Y-%m" if resolution == "monthly" else "%Y-%m-%d"
        params = {
            "eventTypes": ",".join(event_types or STATISTIC_EVENT_TYPES[resolution]),
            "from": start.strftime(pattern),
            "to": last.strftime(pattern),
        }
        data = await self._call(
            "GET",
            f"/buildings/{quote_segment(building_id)}/energy-statistics/{resolution}/v1",
            params=params,
        )
        rows = [
            parsed
            for row in _list(data)
            if (parsed := _statistic(row, resolution)) is not None
        ]
        return sorted(
            rows,
            key=lambda row: (
                row.start
                or datetime.combine(row.day or date.min, datetime.min.time(), UTC)
            ),
        )

    async def async_get_forecast(
        self,
        building_id: str,
        event_type: str = FORECAST_CONSUMPTION_1H,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> MoostForecast | None:
        """Return a forecast series, or None when MOOST has none.

        None when the endpoint is absent (404), not in the subscription (403;
        forecasts are Premium) or answers no readable value. The window
        defaults to the next 24 hours; the spec allows up to one month.
        """
        now = datetime.now(UTC)
        start = start or now
        end = end or start + timedelta(hours=24)
        try:
            data = await self._call(
                "GET",
                f"/buildings/{quote_segment(building_id)}/energy-forecast/v1",
                params={
                    "eventType": event_type,
                    "from": str(int(start.timestamp())),
                    "to": str(int(end.timestamp())),
                },
            )
        except MoostNotFoundError:
            return None
        except MoostResponseError as err:
            if err.status == 403:
                return None
            raise
        values = sorted(
            (
                parsed
                for row in _list(data)
                if (parsed := _forecast_value(row)) is not None
            ),
            key=lambda value: value.time,
        )
        if not values:
            return None
        return MoostForecast(event_type=event_type, values=tuple(values))

    # Transport --------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        kind: Literal["json", "none"] = "json",
    ) -> Any:
        """Call an authorised endpoint, renewing the token once on a 401.

        ``json_body`` may be a callable taking the customer id (known only
        once a token was fetched), or a ready JSON value.
        """

        async def request(token: str) -> Any:
            assert self.customer_id is not None
            body = json_body(self.customer_id) if callable(json_body) else json_body
            return await self._request(
                method,
                path,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
                json_body=body,
                kind=kind,
                refused=_TokenRefusedError,
            )

        return await self._token.call(
            request,
            _TokenRefusedError,
            # The token endpoint has just accepted the credentials: a refused
            # fresh token is MOOST's problem, not a wrong secret (no reauth).
            denied=lambda err: MoostResponseError(
                "MOOST refused a token it had just issued", 401
            ),
        )

    async def _fetch_token(self) -> tuple[str, float | None]:
        """Ask for a token; its payload tells the customer id."""
        try:
            data = await self._request(
                "GET",
                "/auth/token/v1",
                params={
                    "clientId": self._client_id,
                    "clientSecret": self._client_secret,
                },
                refused=MoostAuthenticationError,
            )
        except MoostBadRequestError as err:
            # The spec's patterns of clientId/clientSecret: a malformed
            # credential is a refused one.
            raise MoostAuthenticationError("MOOST refused the credentials") from err
        token = _str(data.get("access_token")) if isinstance(data, Mapping) else None
        if token is None:
            raise MoostResponseError("token answer without access_token")
        customer_id = jwt_customer_id(token)
        if customer_id is None:
            raise MoostResponseError("token without a valid customerId")
        self.customer_id = customer_id
        self._current_token = token
        expires_in = _number(data.get("expires_in"))
        return token, expires_in

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        kind: Literal["json", "none"] = "json",
        refused: type[MoostAuthenticationError],
    ) -> Any:
        # A 429's Retry-After is honoured for every call, whoever makes it.
        self._gate.check(MoostRateLimitError)
        url = f"{self._url}{path}"
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.request(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    json=json_body,
                ) as response:
                    body = await response.read()
                    status = response.status
                    retry_after = response.headers.get("Retry-After")
        except TimeoutError as err:
            raise MoostConnectionError(f"Timeout talking to {self._host}") from err
        except aiohttp.ClientError as err:
            # Not str(err): some aiohttp errors quote the URL, and the token
            # request's URL carries the client secret.
            raise MoostConnectionError(
                f"Error talking to {self._host}: {type(err).__name__}"
            ) from err
        if status == 401:
            raise refused("Unauthorized")
        if status == 429:
            seconds = parse_retry_after(retry_after)
            self._gate.hold(seconds)
            raise MoostRateLimitError(seconds)
        if status >= 500:
            raise MoostConnectionError(f"{self._host} answered HTTP {status}")
        if status >= 400:
            message = error_message(body, (self._client_secret, self._current_token))
            if status == 400:
                raise MoostBadRequestError(message)
            if status == 404:
                raise MoostNotFoundError(f"Not found: {message}", status)
            if status == 409:
                raise MoostConflictError(f"Conflict: {message}", status)
            raise MoostResponseError(f"HTTP {status}: {message}", status)
        if status >= 300:
            raise MoostResponseError(f"HTTP {status}", status)
        if kind == "none":
            return None
        try:
            return json.loads(body)
        except ValueError as err:
            raise MoostResponseError("Malformed JSON in the response", status) from err

    @property
    def _host(self) -> str:
        return host_of(self._url)


# Parsing helpers ------------------------------------------------------------


def jwt_customer_id(token: str) -> str | None:
    """Return the ``customerId`` of a JWT's payload (signature NOT verified).

    Only the client's own customer id is read, to put it into events; MOOST
    verifies the token. None when the token is no JWT or the id does not
    match the spec's pattern.
    """
    try:
        payload = token.split(".")[1]
        claims = json.loads(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
    except IndexError, ValueError:
        return None
    value = claims.get("customerId") if isinstance(claims, Mapping) else None
    if isinstance(value, str) and CUSTOMER_ID_PATTERN.match(value):
        return value
    return None


def _check_events(events: Iterable[MoostEvent]) -> None:
    """Raise MoostBadRequestError for the first event MOOST would refuse."""
    for event in events:
        if (problem := event.problem()) is not None:
            raise MoostBadRequestError(
                f"{event.type} of {event.device_id} at {event.timestamp}: {problem}"
            )


def _list(data: Any) -> list[Any]:
    """Return the rows of a list answer; MoostResponseError for anything else."""
    if isinstance(data, list):
        return data
    raise MoostResponseError("expected a JSON list")


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(text for item in value if (text := _str(item)) is not None)


def _epoch(value: Any) -> datetime | None:
    """Parse epoch seconds (or milliseconds, see _MILLIS_THRESHOLD) to UTC."""
    number = _number(value)
    if number is None or number < 0:
        return None
    if number > _MILLIS_THRESHOLD:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, UTC)
    except OverflowError, OSError, ValueError:
        return None


def _tariff(value: Any) -> dict[str, Any] | None:
    """Return ``settings.tariff`` with numeric-string prices as numbers."""
    if not isinstance(value, Mapping):
        return None
    tariff = dict(value)
    for key in ("minPrice", "maxPrice"):
        if key in tariff:
            number = _number(tariff[key])
            if number is None:
                _LOGGER.debug("Ignoring an unreadable tariff %s", key)
                del tariff[key]
            else:
                tariff[key] = number
    return tariff


_READ_ONLY: Final = frozenset({"profile", "customerSubscriptionName"})
"""Building fields MOOST computes; left out when a building is written back."""


def _writable(current: Mapping[str, Any]) -> dict[str, Any]:
    """Return a building read from MOOST, ready to be PUT back."""
    body = {key: value for key, value in current.items() if key not in _READ_ONLY}
    settings = body.get("settings")
    if isinstance(settings, Mapping) and isinstance(settings.get("tariff"), Mapping):
        body["settings"] = {**settings, "tariff": _tariff(settings["tariff"])}
    return body


def _rules(data: Any, *, active: bool) -> list[MoostRule]:
    rules = []
    for row in _list(data):
        if not isinstance(row, Mapping):
            _LOGGER.debug("Skipping a rule that is not an object")
            continue
        rule_id = _str(row.get("id"))
        if rule_id is None:
            _LOGGER.debug("Skipping a rule without id")
            continue
        rules.append(
            MoostRule(
                id=rule_id,
                name=_str(row.get("name")) or rule_id,
                active=active,
                description=_str(row.get("description")),
                paused=row.get("ruleState") == "PAUSE",
            )
        )
    return rules


def _notification(row: Any, language: str | None) -> MoostNotification | None:
    if not isinstance(row, Mapping):
        _LOGGER.debug("Skipping a notification that is not an object")
        return None
    notification_id = _str(row.get("id"))
    created = _epoch(row.get("createdAtTimeMillis"))
    if notification_id is None or created is None:
        _LOGGER.debug("Skipping a notification without id or creation time")
        return None
    content = row.get("notification")
    content = content if isinstance(content, Mapping) else {}
    texts = content.get("texts")
    texts = texts if isinstance(texts, Mapping) else {}
    chosen_language = next(
        (
            lang
            for lang in (*_languages(language), "en", *texts)
            if lang in texts and isinstance(texts[lang], Mapping)
        ),
        None,
    )
    chosen: Mapping[str, Any] = texts[chosen_language] if chosen_language else {}
    qualifiers = content.get("actionQualifier")
    qualifiers = qualifiers if isinstance(qualifiers, Mapping) else {}
    labels = chosen.get("actions")
    labels = labels if isinstance(labels, Mapping) else {}
    actions = []
    for key in dict.fromkeys([*qualifiers, *labels]):
        label = labels.get(key)
        label = label if isinstance(label, Mapping) else {}
        qualifier = _str(qualifiers.get(key))
        actions.append(
            MoostNotificationAction(
                key=str(key),
                qualifier=qualifier if qualifier in INTERACTIONS else None,
                text=_str(label.get("text")),
                parameter=_str(label.get("parameter")),
            )
        )
    status = row.get("delivery_status")
    interaction = row.get("interaction")
    return MoostNotification(
        id=notification_id,
        title=_str(chosen.get("title")),
        text=_str(chosen.get("message")),
        created=created,
        rule_id=_str(row.get("ruleId")),
        actions=tuple(actions),
        language=chosen_language,
        priority=_str(row.get("priority")),
        delivery_status=_str(status.get("status"))
        if isinstance(status, Mapping)
        else None,
        interaction=_str(interaction.get("actionQualifier"))
        if isinstance(interaction, Mapping)
        else None,
    )


def _languages(language: str | None) -> tuple[str, ...]:
    """Return a language tag and its primary language (``de-CH`` -> ``de``)."""
    if not language:
        return ()
    primary = language.replace("_", "-").split("-")[0].lower()
    return (language, primary) if primary != language else (language,)


def _statistic(row: Any, resolution: Resolution) -> MoostEnergyStatistic | None:
    if not isinstance(row, Mapping):
        _LOGGER.debug("Skipping a statistics row that is not an object")
        return None
    start: datetime | None = None
    day: date | None = None
    if resolution == "hourly":
        start = _epoch(row.get("startTimestamp"))
    elif resolution == "daily":
        day = _day(row.get("day"))
    else:
        day = _month(row.get("month"))
    if start is None and day is None:
        _LOGGER.debug("Skipping a %s statistics row without its period", resolution)
        return None
    return MoostEnergyStatistic(
        resolution=resolution,
        start=start,
        day=day,
        energy_generation=_number(row.get("energyGeneration")),
        energy_consumption=_number(row.get("energyConsumption")),
        grid_energy_consumption=_number(row.get("gridEnergyConsumption")),
        energy_base_consumption=_number(row.get("energyBaseConsumption")),
        grid_energy_base_consumption=_number(row.get("gridEnergyBaseConsumption")),
    )


def _day(value: Any) -> date | None:
    """Parse ``YYYY-MM-DD`` (a longer ISO time is cut to its day)."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _month(value: Any) -> date | None:
    """Parse ``YYYY-MM`` to the first day of that month."""
    if not isinstance(value, str):
        return None
    year, _, month = value.strip()[:7].partition("-")
    try:
        return date(int(year), int(month), 1)
    except ValueError:
        return None


def _forecast_value(row: Any) -> MoostForecastValue | None:
    if not isinstance(row, Mapping):
        _LOGGER.debug("Skipping a forecast row that is not an object")
        return None
    # forecastTimestamp is the time the value is for; timestamp when MOOST
    # computed it. A row with only timestamp is read as the value's time.
    issued = _epoch(row.get("timestamp"))
    time = _epoch(row.get("forecastTimestamp")) or issued
    value = _number(row.get("value"))
    if time is None or value is None:
        _LOGGER.debug("Skipping a forecast row without time or value")
        return None
    return MoostForecastValue(time=time, value=value, issued=issued)
