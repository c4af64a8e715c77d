"""Simulator of the MOOST API (events in; rules, notifications, statistics out).

Follows ``shared/vendor-api/moost-openapi.json`` (the vendor's official spec)
for paths, bodies, patterns, enums and status codes, and ``moost.txt`` for
units. Where the spec is silent it chooses, and says so (the client must not
depend on these choices):

* ``GET /auth/token/v1?clientId&clientSecret`` answers a JWT (HS256 here, RS256
  at MOOST: clients do not verify it) whose payload carries ``customerId`` and
  ``exp``; missing or malformed parameters are 400, wrong ones 401;
* every other route needs ``Authorization: Bearer``; 401 for a missing,
  expired or unknown (foreign) token;
* a body that breaks the spec (required field, pattern, enum, type) is 400
  with ``{"message": ...}``; an event whose ``customerId`` is not the token's,
  or whose building is unknown, is 400 too (the spec: "e.g. because specified
  customerBuildingId is unknown"); an event timestamp in milliseconds is 400
  (the guide says seconds);
* ``GET`` of an unknown building, an unknown rule or notification is 404;
* a historical batch is validated as a whole: one bad event refuses all;
* energy statistics are computed from the GATEWAY events received, in the
  building's time zone; an event covers the interval that ENDS at its
  timestamp, so it counts for the hour/day containing ``timestamp - 1 s``;
  daily and monthly values prefer the ``*_YESTERDAY`` events of a day and fall
  back to the sum of its 15-minute events, as the spec describes;
* with ``generate_notifications`` on, events posted to ``/events/v1`` run
  through the building's active rules (historical events do not, as the spec
  says); with ``generate_forecasts`` on, forecasts are the mean of the same
  local hour over the days of GATEWAY events held, else an empty list;
  ``forecast_available = False`` makes the endpoint 404 (no subscription);
  ``generate=True`` at construction switches both generators on (a demo).

For tests: ``events`` holds every event by (building, device, type,
timestamp) with a ``historical`` flag, ``event_log`` every request's events in
order, ``duplicates`` how many arrived under a key already held;
``received()``/``values()`` filter them; ``fire()`` makes a notification;
``rejected_keys`` makes chosen valid events poison (400); ``partial_write``
makes the next historical batch half-written with a 500; the framework's
``faults`` and ``counters`` work on every named route.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import math
import re
import secrets
from typing import Any, Final, override
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from .framework import Simulator, TokenStore, json_error

TOKEN_LIFETIME: Final = timedelta(seconds=86_400)

CLIENT_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9]{1,100}$")
CLIENT_SECRET_PATTERN: Final = re.compile(r"^[a-zA-Z0-9_-]{1,100}$")
CUSTOMER_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9]{24}$")
BUILDING_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9:._-]{1,100}$")
DEVICE_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9:._-]{3,64}$")
TEXT_100_PATTERN: Final = re.compile(r"^.{1,100}$")
ZIP_PATTERN: Final = re.compile(r"^[A-Z0-9 -]{3,10}$")
COUNTRY_PATTERN: Final = re.compile(r"^[A-Z]{2}$")
TIME_ZONE_PATTERN: Final = re.compile(r"^[a-zA-Z0-9/_+-]{1,32}$")
CURRENCY_PATTERN: Final = re.compile(r"^[A-Z]{3}$")
HHMM_PATTERN: Final = re.compile(r"^[0-9][0-9]:[0-9][0-9]$")
OBJECT_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9]{24}$")
USER_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9:._@-]{1,100}$")
DAY_PATTERN: Final = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MONTH_PATTERN: Final = re.compile(r"^[0-9]{4}-[0-9]{2}$")

SOURCES: Final = frozenset({
    "APPLIANCE", "BATTERY", "CAR", "CAR_CHARGER", "ENERGY_MEASUREMENT", "GATEWAY",
    "HEAT_PUMP", "INPUT_DEVICE", "INVERTER", "MOOST", "SMART_METER", "SMART_PLUG",
    "SWITCH", "THERMOSTAT", "THERMAL_ZONE", "THERMAL_STORAGE", "WATER_HEATER",
    "WALL_TABLET", "SOLAR_PANEL", "DISHWASHER", "DRYER", "ENTERTAINMENT", "LIGHTING",
    "OVEN", "REFRIGERATION", "WASHING_MACHINE",
})  # fmt: skip
"""The spec's enum of ``Event.source`` and ``Device.type``."""

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

TARIFF_TYPES: Final = frozenset({"SINGLE", "DUAL", "DYNAMIC"})
INTERACTIONS: Final = frozenset({"DISMISS", "OPENAPP", "STOPDELIVERY", "OPENWEB"})
WEEKDAYS: Final = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)  # fmt: skip

STATISTIC_FIELDS: Final = {
    # statistics field: (15-minute type, daily type)
    "energyGeneration": ("ENERGY_GENERATION", "ENERGY_GENERATION_YESTERDAY"),
    "energyConsumption": ("ENERGY_CONSUMPTION", "ENERGY_CONSUMPTION_YESTERDAY"),
    "gridEnergyConsumption": (
        "GRID_ENERGY_CONSUMPTION",
        "GRID_ENERGY_CONSUMPTION_YESTERDAY",
    ),
    "energyBaseConsumption": ("", "ENERGY_BASE_CONSUMPTION"),
    "gridEnergyBaseConsumption": ("", "GRID_ENERGY_BASE_CONSUMPTION"),
}
STATISTIC_TYPES: Final = {
    "hourly": frozenset({
        "ENERGY_GENERATION", "ENERGY_CONSUMPTION", "GRID_ENERGY_CONSUMPTION",
    }),
    "daily": frozenset({
        "ENERGY_GENERATION_YESTERDAY", "ENERGY_GENERATION",
        "ENERGY_CONSUMPTION_YESTERDAY", "ENERGY_CONSUMPTION",
        "GRID_ENERGY_CONSUMPTION_YESTERDAY", "GRID_ENERGY_CONSUMPTION",
        "ENERGY_BASE_CONSUMPTION", "GRID_ENERGY_BASE_CONSUMPTION",
    }),
    "monthly": frozenset({
        "ENERGY_GENERATION_YESTERDAY", "ENERGY_GENERATION",
        "ENERGY_CONSUMPTION_YESTERDAY", "ENERGY_CONSUMPTION",
        "GRID_ENERGY_CONSUMPTION_YESTERDAY", "GRID_ENERGY_CONSUMPTION",
    }),
}  # fmt: skip
FORECAST_TYPES: Final = {
    # forecast type: the 15-minute GATEWAY type it is computed from
    "ENERGY_CONSUMPTION_FORECAST_1H": "ENERGY_CONSUMPTION",
    "ENERGY_CONSUMPTION_FORECAST_24H": "ENERGY_CONSUMPTION",
    "ENERGY_CONSUMPTION_FORECAST_TOMORROW": "ENERGY_CONSUMPTION",
    "ENERGY_CONSUMPTION_FORECAST_DAY_AFTER_TOMORROW": "ENERGY_CONSUMPTION",
    "ENERGY_GENERATION_FORECAST_1H": "ENERGY_GENERATION",
    "ENERGY_GENERATION_FORECAST_24H": "ENERGY_GENERATION",
    "ENERGY_GENERATION_FORECAST_TOMORROW": "ENERGY_GENERATION",
    "ENERGY_GENERATION_FORECAST_DAY_AFTER_TOMORROW": "ENERGY_GENERATION",
}
MAX_STATISTICS_DAYS: Final = 366
MAX_FORECAST_WINDOW: Final = timedelta(days=31)
MILLIS_THRESHOLD: Final = 100_000_000_000
"""An epoch timestamp above this is milliseconds (seconds would be year 5138)."""

type EventKey = tuple[str, str, str, int]


def _object_id() -> str:
    """Return a 24-hex-digit id like MOOST's MongoDB ObjectIds."""
    return secrets.token_hex(12)


class BadRequestError(Exception):
    """A body or parameter that breaks the spec (answered as 400)."""


@dataclass
class SimRule:
    """A rule of the customer, with the condition the simulator evaluates.

    It fires when an event of ``event_type`` from ``source`` has a value
    ``> threshold`` (``< threshold`` when ``below``), at most once per
    ``cooldown`` of event time per building.
    """

    id: str
    name: str
    description: str
    event_type: str
    threshold: float
    below: bool = False
    source: str = "GATEWAY"
    paused: bool = False
    cooldown: timedelta = timedelta(hours=1)
    title: dict[str, str] = field(default_factory=dict)
    message: dict[str, str] = field(default_factory=dict)

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Tell whether ``event`` meets the rule's condition."""
        if self.paused or event.get("type") != self.event_type:
            return False
        if event.get("source", "GATEWAY") != self.source:
            return False
        value = float(event["value"])
        return value < self.threshold if self.below else value > self.threshold

    def as_json(self, customer_id: str) -> dict[str, Any]:
        """Return the spec's ``Rule`` shape."""
        return {
            "id": self.id,
            "createdAt": 1_735_689_600,
            "customerId": customer_id,
            "name": self.name,
            "description": self.description,
            "ruleState": "PAUSE" if self.paused else "ACTIVE",
            "condition": (
                f"{self.source}.{self.event_type} "
                f"{'<' if self.below else '>'} {self.threshold}"
            ),
            "time_between_triggers_seconds": int(self.cooldown.total_seconds()),
            "isTimeBased": False,
            "tags": ["energy"],
            "notification": _notification_content(self.title, self.message),
        }


def _notification_content(
    title: Mapping[str, str], message: Mapping[str, str]
) -> dict[str, Any]:
    labels = {
        "en": {"dismiss": "Dismiss", "open": "Open app"},
        "de": {"dismiss": "Verwerfen", "open": "App öffnen"},
    }
    return {
        "actionQualifier": {"dismiss": "DISMISS", "open": "OPENAPP"},
        "texts": {
            lang: {
                "title": title[lang],
                "message": message.get(lang, title[lang]),
                "actions": {
                    key: {"text": text} for key, text in labels.get(lang, {}).items()
                },
            }
            for lang in title
        },
    }


def default_rules() -> list[SimRule]:
    """Return the three rules every simulated customer has."""
    return [
        SimRule(
            id="65a0c1e2f3a4b5c6d7e8f901",
            name="High consumption",
            description="The household used a lot of energy in 15 minutes.",
            event_type="ENERGY_CONSUMPTION",
            threshold=750.0,
            title={"en": "High consumption", "de": "Hoher Verbrauch"},
            message={
                "en": "Your household used more than 750 Wh in 15 minutes.",
                "de": "Ihr Haushalt hat in 15 Minuten mehr als 750 Wh verbraucht.",
            },
        ),
        SimRule(
            id="65a0c1e2f3a4b5c6d7e8f902",
            name="Solar surplus",
            description="The solar system feeds energy into the grid.",
            event_type="ENERGY_EXCESS",
            threshold=200.0,
            title={
                "en": "Use your solar surplus",
                "de": "Nutzen Sie Ihren Solarüberschuss",
            },
            message={
                "en": "Now is a good time to run the dishwasher.",
                "de": "Jetzt ist ein guter Zeitpunkt für den Geschirrspüler.",
            },
        ),
        SimRule(
            id="65a0c1e2f3a4b5c6d7e8f903",
            name="Battery low",
            description="The car's battery is almost empty.",
            event_type="STATE_OF_CHARGE_RATE",
            threshold=20.0,
            below=True,
            source="CAR",
            title={"en": "Charge your car", "de": "Laden Sie Ihr Auto"},
        ),
    ]


@dataclass
class Customer:
    """A MOOST customer: one API client and its buildings, rules, notifications."""

    customer_id: str
    rules: dict[str, SimRule]
    buildings: dict[str, dict[str, Any]] = field(default_factory=dict)
    notifications: dict[str, dict[str, Any]] = field(default_factory=dict)


class MoostSimulator(Simulator):
    """The MOOST API with one customer (one API client) by default."""

    name = "moost"
    prefix = ""
    port_offset = 4

    CLIENT_ID = "hasimclient01"
    CLIENT_SECRET = "sim-secret_7f3c9a1e52b04d8e"
    CUSTOMER_ID = "6565f0c1a2b3c4d5e6f70812"
    BUILDING_ID = "home"

    def __init__(
        self,
        *,
        seed: int = 1,
        token_lifetime: timedelta = TOKEN_LIFETIME,
        default_time_zone: str = "Europe/Zurich",
        generate: bool = False,
        **kwargs: Any,
    ) -> None:
        """Create the simulator with one customer and no building yet.

        ``generate`` switches on both notification and forecast generation
        (a demo household); tests switch them one by one.
        """
        super().__init__(seed=seed, **kwargs)
        self.tokens = TokenStore(token_lifetime, self.clock)
        self.default_time_zone = default_time_zone
        self.clients: dict[str, tuple[str, str]] = {}
        """client id -> (client secret, customer id)."""
        self.customers: dict[str, Customer] = {}
        self.add_client(self.CLIENT_ID, self.CLIENT_SECRET, self.CUSTOMER_ID)
        self.events: dict[EventKey, dict[str, Any]] = {}
        """Every event received, the last one per (building, device, type,
        timestamp); each carries ``historical`` (which endpoint) too."""
        self.event_log: list[dict[str, Any]] = []
        """Every event in the order received, duplicates included."""
        self.duplicates = 0
        """Events received again under a key already held."""
        self.duplicate_keys: Counter[EventKey] = Counter()
        self.generate_notifications = generate
        """Run events posted to /events/v1 through the building's rules."""
        self.generate_forecasts = generate
        """Compute forecasts from the events held (else answer an empty list)."""
        self.forecast_available = True
        """False: the forecast endpoint answers 404 (not in the subscription)."""
        self.partial_write: int | None = None
        """One shot: the next historical batch stores only this many events and
        answers 500 (the spec: "None or only part of the data could be
        written")."""
        self.rejected_keys: set[EventKey] = set()
        """Events to refuse with 400 although valid (a test's poison event)."""
        self._last_fired: dict[tuple[str, str], int] = {}

    def add_client(
        self, client_id: str, client_secret: str, customer_id: str
    ) -> Customer:
        """Register an API client of a (possibly new) customer."""
        self.clients[client_id] = (client_secret, customer_id)
        if customer_id not in self.customers:
            self.customers[customer_id] = Customer(
                customer_id, {rule.id: rule for rule in default_rules()}
            )
        return self.customers[customer_id]

    @override
    def demo_credentials(self) -> dict[str, str]:
        """Return what a config entry needs to log in to this simulator."""
        return {
            "client_id": self.CLIENT_ID,
            "client_secret": self.CLIENT_SECRET,
            "customer_building_id": self.BUILDING_ID,
            "zip": "8005",
            "city": "Zürich",
            "country_code": "CH",
        }

    # Ground truth for tests -------------------------------------------------

    @property
    def customer(self) -> Customer:
        """Return the default customer."""
        return self.customers[self.CUSTOMER_ID]

    def building(self, building_id: str = BUILDING_ID) -> dict[str, Any] | None:
        """Return a building of the default customer as stored, if it exists."""
        return self.customer.buildings.get(building_id)

    def received(
        self,
        *,
        building: str | None = None,
        device: str | None = None,
        type: str | None = None,  # noqa: A002 - the spec's field name
        historical: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Return the held events that match, sorted by timestamp and key."""
        return [
            event
            for key, event in sorted(
                self.events.items(), key=lambda item: (item[0][3], item[0])
            )
            if (building is None or key[0] == building)
            and (device is None or key[1] == device)
            and (type is None or key[2] == type)
            and (historical is None or event["historical"] == historical)
        ]

    def values(
        self,
        type: str,  # noqa: A002 - the spec's field name
        device: str | None = None,
        building: str | None = None,
    ) -> dict[int, float]:
        """Return {timestamp: value} of one event type (and device)."""
        return {
            event["timestamp"]: event["value"]
            for event in self.received(building=building, device=device, type=type)
        }

    def fire(
        self, building_id: str = BUILDING_ID, rule_id: str | None = None
    ) -> dict[str, Any]:
        """Create a push notification for a building now (a rule firing)."""
        customer = self.customer
        rule = customer.rules[rule_id or next(iter(customer.rules))]
        return self._notify(customer, building_id, rule, self.clock())

    # HTTP -------------------------------------------------------------------

    @override
    def routes(self) -> list[web.RouteDef]:
        p = self.prefix
        b = f"{p}/buildings/{{building_id}}"
        return [
            web.get(f"{p}/auth/token/v1", self.token, name="token"),
            web.get(f"{p}/buildings/v1", self.get_buildings, name="get_buildings"),
            web.post(f"{p}/buildings/v1", self.create_building, name="create_building"),
            web.put(f"{p}/buildings/v1", self.update_building, name="update_building"),
            web.get(f"{p}/buildings/core-data/v1", self.core_data, name="core_data"),
            web.get(f"{b}/v1", self.get_building, name="get_building"),
            web.delete(f"{b}/v1", self.delete_building, name="delete_building"),
            web.put(f"{b}/devices/v1", self.put_devices, name="put_devices"),
            web.post(f"{p}/events/v1", self.add_event, name="events"),
            web.post(
                f"{p}/events/historical/v1", self.add_historical, name="historical"
            ),
            web.get(f"{p}/rules/v1", self.get_rules, name="rules"),
            web.get(f"{b}/rules/v2", self.building_rules, name="building_rules"),
            web.put(f"{b}/rules/{{rule_id}}/v1", self.set_rule, name="set_rule"),
            web.get(
                f"{p}/pushnotifications/buildings/{{building_id}}/v1",
                self.get_notifications,
                name="notifications",
            ),
            web.post(
                f"{p}/pushnotifications/{{notification_id}}/interactions/v1",
                self.interaction,
                name="interaction",
            ),
            web.get(
                f"{b}/energy-statistics/{{resolution:hourly|daily|monthly}}/v1",
                self.energy_statistics,
                name="energy_statistics",
            ),
            web.get(f"{b}/energy-forecast/v1", self.energy_forecast, name="forecast"),
        ]

    async def token(self, request: web.Request) -> web.Response:
        """Exchange client id and secret (query parameters) for a token."""
        client_id = request.query.get("clientId", "")
        client_secret = request.query.get("clientSecret", "")
        if not CLIENT_ID_PATTERN.match(client_id) or not CLIENT_SECRET_PATTERN.match(
            client_secret
        ):
            return json_error(400, "clientId and clientSecret are required")
        known = self.clients.get(client_id)
        if known is None or not secrets.compare_digest(known[0], client_secret):
            return json_error(401, "Client id or secret is invalid")
        issued = self.tokens.issue(client_id, customerId=known[1])
        return web.json_response(
            {
                "access_token": issued.token,
                "expires_in": int(self.tokens.lifetime.total_seconds()),
                "scope": "public-api",
                "token_type": "Bearer",
            }
        )

    def _customer(self, request: web.Request) -> Customer | web.Response:
        """Return the customer of the request's bearer token, or a 401."""
        issued = self.tokens.validate(TokenStore.bearer(request))
        if issued is None:
            return json_error(401, "Unauthorized")
        return self.customers[self.clients[issued.subject][1]]

    async def _json(self, request: web.Request) -> Any:
        try:
            return await request.json()
        except ValueError as err:
            raise BadRequestError("body is not JSON") from err

    # Buildings ----------------------------------------------------------------

    async def get_buildings(self, request: web.Request) -> web.Response:
        """List the customer's buildings (``activeOnly`` filters deactivated)."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        if self.empty_page("get_buildings"):
            return web.json_response([])
        active_only = request.query.get("activeOnly", "false").lower() == "true"
        return web.json_response(
            [
                building
                for building in customer.buildings.values()
                if not (active_only and building.get("deactivatedTimestamp"))
            ]
        )

    async def core_data(self, request: web.Request) -> web.Response:
        """List the buildings without devices, settings and profile."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        active_only = request.query.get("activeOnly", "false").lower() == "true"
        keep = (
            "id", "customerBuildingId", "customerId", "zip", "city", "countryCode",
            "geolocation", "timeZoneId", "deactivatedTimestamp", "activationTimestamp",
            "registrationTimestamp", "isEarlyAdopter",
        )  # fmt: skip
        return web.json_response(
            [
                {key: building[key] for key in keep if key in building}
                for building in customer.buildings.values()
                if not (active_only and building.get("deactivatedTimestamp"))
            ]
        )

    async def create_building(self, request: web.Request) -> web.Response:
        """Create a building: 201, or 409 when it exists."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        try:
            body = _building(await self._json(request), customer)
        except BadRequestError as err:
            return json_error(400, str(err))
        building_id = body["customerBuildingId"]
        if building_id in customer.buildings:
            return json_error(409, "Building already exists")
        now = int(self.clock().timestamp())
        stored = {
            "id": _object_id(),
            **body,
            "activationTimestamp": now,
            "geolocation": body.get("geolocation") or {"lat": 47.3769, "lon": 8.5417},
            "timeZoneId": body.get("timeZoneId") or self.default_time_zone,
            "rulesOperator": body.get("rulesOperator", "EXCLUDE"),
            "profile": {"consumptionCategory": "MEDIUM"},
        }
        if stored["rulesOperator"] == "EXCLUDE" and not body.get("activeRules"):
            # The spec: in EXCLUDE mode without activeRules, every existing
            # rule of the customer is added.
            stored["activeRules"] = list(customer.rules)
        stored.setdefault("inactiveRules", [])
        stored.setdefault("devices", [])
        customer.buildings[building_id] = stored
        return web.json_response(stored, status=201)

    async def update_building(self, request: web.Request) -> web.Response:
        """Replace a building's data: 200, or 404 when it does not exist."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        try:
            body = _building(await self._json(request), customer)
        except BadRequestError as err:
            return json_error(400, str(err))
        current = customer.buildings.get(body["customerBuildingId"])
        if current is None:
            return json_error(404, "Building could not be found")
        computed: dict[str, Any] = {
            key: current[key]
            for key in ("id", "activationTimestamp", "profile", "geolocation")
            if key in current
        }
        stored: dict[str, Any] = {
            **body,
            **computed,
            "timeZoneId": body.get("timeZoneId") or current.get("timeZoneId"),
        }
        for key in ("activeRules", "inactiveRules", "devices"):
            stored.setdefault(key, current.get(key, []))
        customer.buildings[body["customerBuildingId"]] = stored
        return web.json_response(stored)

    def _path_building(
        self, request: web.Request, customer: Customer, *, pattern: bool = True
    ) -> dict[str, Any] | web.Response:
        building_id = request.match_info["building_id"]
        if pattern and not BUILDING_ID_PATTERN.match(building_id):
            return json_error(400, "customerBuildingId does not match its pattern")
        building = customer.buildings.get(building_id)
        if building is None:
            return json_error(404, "Building could not be found")
        return building

    async def get_building(self, request: web.Request) -> web.Response:
        """Return one building, or 404."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        building = self._path_building(request, customer)
        if isinstance(building, web.Response):
            return building
        return web.json_response(building)

    async def delete_building(self, request: web.Request) -> web.Response:
        """Delete a building: 200, or 404."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        building = self._path_building(request, customer, pattern=False)
        if isinstance(building, web.Response):
            return building
        del customer.buildings[building["customerBuildingId"]]
        return web.Response(status=200)

    async def put_devices(self, request: web.Request) -> web.Response:
        """Replace a building's devices: 200, 400 for a bad device, or 404."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        building = self._path_building(request, customer)
        if isinstance(building, web.Response):
            return building
        try:
            body = _list_body(await self._json(request), "devices")
            devices = [_device(item, index) for index, item in enumerate(body)]
        except BadRequestError as err:
            return json_error(400, str(err))
        building["devices"] = devices
        return web.Response(status=200)

    # Events -------------------------------------------------------------------

    async def add_event(self, request: web.Request) -> web.Response:
        """Accept one event: 201 without a body."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        try:
            event = self._event(await self._json(request), customer, "event")
        except BadRequestError as err:
            return json_error(400, str(err))
        self._store(event, historical=False)
        if self.generate_notifications:
            self._run_rules(customer, event)
        return web.Response(status=201)

    async def add_historical(self, request: web.Request) -> web.Response:
        """Accept a list of past events (all or none): 200 without a body."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        try:
            body = _list_body(await self._json(request), "events")
            events = [
                self._event(item, customer, f"event {index}")
                for index, item in enumerate(body)
            ]
        except BadRequestError as err:
            return json_error(400, str(err))
        if self.partial_write is not None:
            written, self.partial_write = self.partial_write, None
            for event in events[:written]:
                self._store(event, historical=True)
            return json_error(500, "Only part of the data could be written")
        for event in events:
            self._store(event, historical=True)
        return web.Response(status=200)

    def _event(self, data: Any, customer: Customer, where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise BadRequestError(f"{where}: an event is a JSON object")
        _require(
            data,
            (
                "customerBuildingId",
                "customerId",
                "deviceId",
                "deviceName",
                "type",
                "value",
            ),
            where,
        )
        _pattern(data, "customerId", CUSTOMER_ID_PATTERN, where)
        _pattern(data, "customerBuildingId", BUILDING_ID_PATTERN, where)
        _pattern(data, "deviceId", DEVICE_ID_PATTERN, where)
        _pattern(data, "deviceName", TEXT_100_PATTERN, where)
        _enum(data, "type", EVENT_TYPES, where)
        if "source" in data:
            _enum(data, "source", SOURCES, where)
        value = _float(data["value"], f"{where}: value")
        timestamp = data.get("timestamp")
        if timestamp is None:
            timestamp = int(self.clock().timestamp())
        elif not isinstance(timestamp, int) or isinstance(timestamp, bool):
            raise BadRequestError(f"{where}: timestamp must be an integer")
        elif timestamp > MILLIS_THRESHOLD or timestamp < 0:
            raise BadRequestError(f"{where}: timestamp must be epoch seconds")
        if data["customerId"] != customer.customer_id:
            raise BadRequestError(f"{where}: customerId does not match the token")
        if data["customerBuildingId"] not in customer.buildings:
            raise BadRequestError(f"{where}: customerBuildingId is unknown")
        event_key: EventKey = (
            data["customerBuildingId"],
            data["deviceId"],
            data["type"],
            timestamp,
        )
        if event_key in self.rejected_keys:
            raise BadRequestError(f"{where}: invalid event data")
        for key in ("forecastTimestamp", "ingestionTimestamp"):
            if key in data and (
                not isinstance(data[key], int) or isinstance(data[key], bool)
            ):
                raise BadRequestError(f"{where}: {key} must be an integer")
        return {
            **data,
            "value": value,
            "timestamp": timestamp,
            "source": data.get("source", "GATEWAY"),
        }

    def _store(self, event: dict[str, Any], *, historical: bool) -> None:
        key: EventKey = (
            event["customerBuildingId"],
            event["deviceId"],
            event["type"],
            event["timestamp"],
        )
        record = {**event, "historical": historical}
        if key in self.events:
            self.duplicates += 1
            self.duplicate_keys[key] += 1
        self.events[key] = record
        self.event_log.append(record)

    def _run_rules(self, customer: Customer, event: Mapping[str, Any]) -> None:
        building_id = event["customerBuildingId"]
        building = customer.buildings[building_id]
        active = set(building.get("activeRules", [])) - set(
            building.get("inactiveRules", [])
        )
        for rule_id in sorted(active):
            rule = customer.rules.get(rule_id)
            if rule is None or not rule.matches(event):
                continue
            last = self._last_fired.get((building_id, rule_id))
            at = event["timestamp"]
            if last is not None and at - last < rule.cooldown.total_seconds():
                continue
            self._last_fired[building_id, rule_id] = at
            self._notify(customer, building_id, rule, self.clock())

    def _notify(
        self, customer: Customer, building_id: str, rule: SimRule, when: datetime
    ) -> dict[str, Any]:
        notification_id = _object_id()
        notification: dict[str, Any] = {
            "id": notification_id,
            "customerId": customer.customer_id,
            "customerBuildingId": building_id,
            "ruleId": rule.id,
            "priority": "normal",
            "createdAtTimeMillis": int(when.timestamp() * 1000),
            "ingestionTimestamp": int(when.timestamp()),
            "notification": _notification_content(rule.title, rule.message),
            "delivery_status": {"status": "DELIVERED"},
            "userIds": [],
        }
        customer.notifications[notification_id] = notification
        return notification

    # Rules --------------------------------------------------------------------

    async def get_rules(self, request: web.Request) -> web.Response:
        """List every rule of the customer."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        return web.json_response(
            [rule.as_json(customer.customer_id) for rule in customer.rules.values()]
        )

    async def building_rules(self, request: web.Request) -> web.Response:
        """List the rules active for a building, or 404."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        building = self._path_building(request, customer)
        if isinstance(building, web.Response):
            return building
        inactive = set(building.get("inactiveRules", []))
        return web.json_response(
            [
                customer.rules[rule_id].as_json(customer.customer_id)
                for rule_id in building.get("activeRules", [])
                if rule_id in customer.rules and rule_id not in inactive
            ]
        )

    async def set_rule(self, request: web.Request) -> web.Response:
        """Switch a rule on (``status=active``) or off for a building."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        rule_id = request.match_info["rule_id"]
        status = request.query.get("status")
        if not OBJECT_ID_PATTERN.match(rule_id):
            return json_error(400, "ruleId does not match its pattern")
        if status not in ("active", "inactive"):
            return json_error(400, 'status must be "active" or "inactive"')
        building = self._path_building(request, customer)
        if isinstance(building, web.Response):
            return building
        if rule_id not in customer.rules:
            return json_error(404, "Rule could not be found")
        active = [r for r in building.get("activeRules", []) if r != rule_id]
        inactive = [r for r in building.get("inactiveRules", []) if r != rule_id]
        (active if status == "active" else inactive).append(rule_id)
        building["activeRules"] = active
        building["inactiveRules"] = inactive
        return web.Response(status=200)

    # Push notifications -------------------------------------------------------

    async def get_notifications(self, request: web.Request) -> web.Response:
        """List a building's notifications (optionally by delivery status)."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        building_id = request.match_info["building_id"]
        if not BUILDING_ID_PATTERN.match(building_id):
            return json_error(400, "customerBuildingId does not match its pattern")
        status = request.query.get("deliveryStatus")
        if status is not None and status not in ("DELIVERED", "DROPPED"):
            return json_error(400, "deliveryStatus must be DELIVERED or DROPPED")
        if self.empty_page("notifications"):
            return web.json_response([])
        return web.json_response(
            [
                notification
                for notification in customer.notifications.values()
                if notification["customerBuildingId"] == building_id
                and (
                    status is None
                    or notification["delivery_status"]["status"] == status
                )
            ]
        )

    async def interaction(self, request: web.Request) -> web.Response:
        """Record an interaction with a notification."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        notification_id = request.match_info["notification_id"]
        if not OBJECT_ID_PATTERN.match(notification_id):
            return json_error(400, "pushNotificationId does not match its pattern")
        try:
            body = _object_body(await self._json(request))
            _enum(body, "actionQualifier", INTERACTIONS, "interaction")
            if "userId" in body:
                _pattern(body, "userId", USER_ID_PATTERN, "interaction")
        except BadRequestError as err:
            return json_error(400, str(err))
        notification = customer.notifications.get(notification_id)
        if notification is None:
            return json_error(404, "Push notification could not be found")
        notification["interaction"] = {
            "actionQualifier": body["actionQualifier"],
            "timestamp": int(self.clock().timestamp()),
            **({"userId": body["userId"]} if "userId" in body else {}),
        }
        return web.Response(status=200)

    # Statistics and forecasts -------------------------------------------------

    def _zone(self, building: Mapping[str, Any]) -> ZoneInfo:
        try:
            return ZoneInfo(str(building.get("timeZoneId") or self.default_time_zone))
        except ZoneInfoNotFoundError, ValueError:
            return ZoneInfo("UTC")

    def _gateway_events(
        self, building_id: str, types: Iterable[str]
    ) -> list[dict[str, Any]]:
        wanted = set(types)
        return [
            event
            for (building, _, kind, _), event in self.events.items()
            if building == building_id
            and kind in wanted
            and event.get("source", "GATEWAY") == "GATEWAY"
        ]

    async def energy_statistics(self, request: web.Request) -> web.Response:
        """Energy per hour, day or month computed from the events held."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        building = self._path_building(request, customer)
        if isinstance(building, web.Response):
            return building
        resolution = request.match_info["resolution"]
        try:
            types = _event_types(
                request.query.get("eventTypes"), STATISTIC_TYPES[resolution]
            )
            first, last = _statistics_window(request, resolution)
        except BadRequestError as err:
            return json_error(400, str(err))
        if self.empty_page("energy_statistics"):
            return web.json_response([])
        zone = self._zone(building)
        rows = self.statistics(
            building["customerBuildingId"],
            resolution=resolution,
            types=types,
            first=first,
            last=last,
            zone=zone,
        )
        return web.json_response(rows)

    def statistics(
        self,
        building_id: str,
        *,
        resolution: str,
        types: set[str],
        first: date,
        last: date,
        zone: ZoneInfo,
    ) -> list[dict[str, Any]]:
        """Return the statistics rows of the local days ``first..last``.

        Only periods with data get a row, and a row only the fields with data.
        """
        # (period, field, "fine" | "daily") -> sum. An hourly period is the
        # hour's epoch start, a daily one the local date, else the month.
        sums: dict[tuple[int | date, str, str], float] = {}
        for event in self._gateway_events(building_id, types):
            covered = datetime.fromtimestamp(event["timestamp"] - 1, UTC).astimezone(
                zone
            )
            if not first <= covered.date() <= last:
                continue
            period: int | date = covered.date()
            if resolution == "hourly":
                period = int(covered.replace(minute=0, second=0).timestamp())
            for name, (fine, daily) in STATISTIC_FIELDS.items():
                kind = {fine: "fine", daily: "daily"}.get(event["type"])
                if kind is not None:
                    key = (period, name, kind)
                    sums[key] = sums.get(key, 0.0) + float(event["value"])
        values: dict[tuple[int | date | str, str], float] = {}
        for (period, name, kind), value in sums.items():
            # A day's *_YESTERDAY value wins over the sum of its 15 minutes.
            if kind == "fine" and (period, name, "daily") in sums:
                continue
            label: int | date | str = period
            if resolution == "monthly":
                assert isinstance(period, date)
                label = period.strftime("%Y-%m")
            elif resolution == "daily":
                assert isinstance(period, date)
                label = period.isoformat()
            values[label, name] = values.get((label, name), 0.0) + value
        key_name = {"hourly": "startTimestamp", "daily": "day", "monthly": "month"}
        rows: dict[int | date | str, dict[str, Any]] = {}
        for (label, name), value in values.items():
            row = rows.setdefault(label, {key_name[resolution]: label})
            row[name] = round(value, 3)
        return [rows[label] for label in sorted(rows, key=str)]

    async def energy_forecast(self, request: web.Request) -> web.Response:
        """Forecast values of ``[from, to)``, hourly, from the events held."""
        customer = self._customer(request)
        if isinstance(customer, web.Response):
            return customer
        building = self._path_building(request, customer)
        if isinstance(building, web.Response):
            return building
        if not self.forecast_available:
            return json_error(404, "No forecast for this subscription")
        event_type = request.query.get("eventType", "")
        if event_type not in FORECAST_TYPES:
            return json_error(400, "eventType is not a forecast type")
        try:
            start = int(request.query["from"])
            end = int(request.query["to"])
        except KeyError, ValueError:
            return json_error(400, "from and to are required (epoch seconds)")
        if end <= start or end - start > MAX_FORECAST_WINDOW.total_seconds():
            return json_error(400, "to must be after from, at most one month")
        if not self.generate_forecasts or self.empty_page("forecast"):
            return web.json_response([])
        return web.json_response(
            self.forecast(building, FORECAST_TYPES[event_type], start, end)
        )

    def forecast(
        self, building: Mapping[str, Any], source_type: str, start: int, end: int
    ) -> list[dict[str, Any]]:
        """Return hourly forecast rows: the mean of the same local hour held."""
        zone = self._zone(building)
        per_hour: dict[tuple[date, int], float] = {}
        for event in self._gateway_events(
            building["customerBuildingId"], (source_type,)
        ):
            covered = datetime.fromtimestamp(event["timestamp"] - 1, UTC).astimezone(
                zone
            )
            key = (covered.date(), covered.hour)
            per_hour[key] = per_hour.get(key, 0.0) + float(event["value"])
        if not per_hour:
            return []
        by_hour: dict[int, list[float]] = {}
        for (_, hour), value in per_hour.items():
            by_hour.setdefault(hour, []).append(value)
        issued = int(self.clock().timestamp())
        rows = []
        moment = start - start % 3600
        while moment < end:
            if moment >= start:
                hour = datetime.fromtimestamp(moment, UTC).astimezone(zone).hour
                values = by_hour.get(hour)
                if values:
                    rows.append(
                        {
                            "timestamp": issued,
                            "forecastTimestamp": moment,
                            "value": round(sum(values) / len(values), 1),
                        }
                    )
            moment += 3600
        return rows


# Validation -----------------------------------------------------------------


def _list_body(body: Any, what: str) -> list[Any]:
    if not isinstance(body, list):
        raise BadRequestError(f"body must be a list of {what}")
    return body


def _object_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequestError("body must be an object")
    return body


def _require(data: Mapping[str, Any], keys: Iterable[str], where: str) -> None:
    missing = [key for key in keys if data.get(key) is None]
    if missing:
        raise BadRequestError(f"{where}: {', '.join(missing)} required")


def _pattern(
    data: Mapping[str, Any], key: str, pattern: re.Pattern[str], where: str
) -> None:
    value = data.get(key)
    if not isinstance(value, str) or not pattern.match(value):
        raise BadRequestError(f"{where}: {key} does not match {pattern.pattern}")


def _enum(
    data: Mapping[str, Any], key: str, allowed: Iterable[str], where: str
) -> None:
    value = data.get(key)
    if not isinstance(value, str) or value not in set(allowed):
        raise BadRequestError(f"{where}: {key} is not one of the allowed values")


def _float(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequestError(f"{where} must be a number")
    if not math.isfinite(value):
        raise BadRequestError(f"{where} must be finite")
    return float(value)


def _device(data: Any, index: int) -> dict[str, Any]:
    where = f"device {index}"
    if not isinstance(data, dict):
        raise BadRequestError(f"{where}: a device is a JSON object")
    _require(data, ("id", "name", "product_name", "type", "vendor_name"), where)
    _pattern(data, "id", DEVICE_ID_PATTERN, where)
    for key in ("name", "product_name", "vendor_name"):
        _pattern(data, key, TEXT_100_PATTERN, where)
    _enum(data, "type", SOURCES, where)
    return dict(data)


def _building(data: Any, customer: Customer) -> dict[str, Any]:
    where = "building"
    if not isinstance(data, dict):
        raise BadRequestError("a building is a JSON object")
    _require(
        data, ("city", "countryCode", "customerBuildingId", "customerId", "zip"), where
    )
    _pattern(data, "customerBuildingId", BUILDING_ID_PATTERN, where)
    _pattern(data, "customerId", CUSTOMER_ID_PATTERN, where)
    _pattern(data, "zip", ZIP_PATTERN, where)
    _pattern(data, "city", TEXT_100_PATTERN, where)
    _pattern(data, "countryCode", COUNTRY_PATTERN, where)
    if data.get("timeZoneId") is not None:
        _pattern(data, "timeZoneId", TIME_ZONE_PATTERN, where)
        try:
            ZoneInfo(data["timeZoneId"])
        except ZoneInfoNotFoundError, ValueError:
            # The guide: the time zone is "verified if provided".
            raise BadRequestError(
                f"{where}: timeZoneId is not an IANA time zone"
            ) from None
    if data["customerId"] != customer.customer_id:
        raise BadRequestError(f"{where}: customerId does not match the token")
    devices = data.get("devices")
    if devices is not None:
        if not isinstance(devices, list):
            raise BadRequestError(f"{where}: devices must be a list")
        data["devices"] = [_device(item, index) for index, item in enumerate(devices)]
    if "rulesOperator" in data:
        _enum(data, "rulesOperator", ("INCLUDE", "EXCLUDE"), where)
    for key in ("activeRules", "inactiveRules"):
        if key in data and not (
            isinstance(data[key], list) and all(isinstance(r, str) for r in data[key])
        ):
            raise BadRequestError(f"{where}: {key} must be a list of rule ids")
    settings = data.get("settings")
    if settings is not None:
        if not isinstance(settings, dict):
            raise BadRequestError(f"{where}: settings must be an object")
        if settings.get("tariff") is not None:
            _tariff(settings["tariff"])
    return dict(data)


def _tariff(tariff: Any) -> None:
    where = "settings.tariff"
    if not isinstance(tariff, dict):
        raise BadRequestError(f"{where} must be an object")
    _enum(tariff, "type", TARIFF_TYPES, where)
    if "currency" in tariff:
        _pattern(tariff, "currency", CURRENCY_PATTERN, where)
    for key in ("minPrice", "maxPrice"):
        if key in tariff:
            _float(tariff[key], f"{where}.{key}")
    dual = tariff.get("dual")
    if dual is not None:
        low = dual.get("lowTariff") if isinstance(dual, dict) else None
        if not isinstance(low, dict):
            raise BadRequestError(f"{where}.dual.lowTariff must be an object")
        for day in WEEKDAYS:
            for edge in ("StartTime", "EndTime"):
                _pattern(low, f"{day}{edge}", HHMM_PATTERN, f"{where}.dual.lowTariff")
    dynamic = tariff.get("dynamic")
    if dynamic is not None:
        slices = dynamic.get("tariffs") if isinstance(dynamic, dict) else None
        if not isinstance(slices, list):
            raise BadRequestError(f"{where}.dynamic.tariffs must be a list")
        for index, item in enumerate(slices):
            if not isinstance(item, dict):
                raise BadRequestError(
                    f"{where}.dynamic.tariffs[{index}] must be an object"
                )
            _float(item.get("price"), f"{where}.dynamic.tariffs[{index}].price")
            for key in ("from", "to"):
                if not isinstance(item.get(key), int) or isinstance(
                    item.get(key), bool
                ):
                    raise BadRequestError(
                        f"{where}.dynamic.tariffs[{index}].{key} must be epoch seconds"
                    )


def _event_types(value: str | None, allowed: frozenset[str]) -> set[str]:
    types = {item.strip() for item in (value or "").split(",") if item.strip()}
    if not types:
        raise BadRequestError("eventTypes is required")
    if not types <= allowed:
        raise BadRequestError("eventTypes holds a type this resolution does not allow")
    return types


def _statistics_window(request: web.Request, resolution: str) -> tuple[date, date]:
    start = request.query.get("from", "")
    end = request.query.get("to", "")
    pattern = MONTH_PATTERN if resolution == "monthly" else DAY_PATTERN
    if not pattern.match(start) or not pattern.match(end):
        raise BadRequestError("from and to are required (YYYY-MM-DD, YYYY-MM)")
    suffix = "-01" if resolution == "monthly" else ""
    try:
        first = date.fromisoformat(start + suffix)
        last = date.fromisoformat(end + suffix)
    except ValueError:
        raise BadRequestError("from or to is no calendar date") from None
    if resolution == "monthly":
        # The last day of the final month.
        last = (last.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(
            days=1
        )
    if last < first or (last - first).days > MAX_STATISTICS_DAYS:
        raise BadRequestError("to must not be before from, at most one year")
    return first, last
