"""Simulator of the Momentum Energi External API.

Follows ``shared/vendor-api/momentum-energi.txt`` and the vendor's reference
summarised in ``NOTES.md`` (which wins where the two differ: the ``.txt``'s
example path ``statistics/level/E/updatedAfter/...`` is abbreviated). Where
the docs are silent it chooses as follows; the client must not depend on it:

* ``POST /identity/connect/token`` takes a form body only (415 otherwise).
  The ``.txt`` says the JWT arrives in a response *header*; OAuth servers put
  it in the JSON body. ``token_in_header`` switches between the two
  (headers ``access_token``/``expires_in``/``token_type`` and an empty body,
  or a standard token response); ``token_header`` names the header
  (``Authorization`` sends ``Bearer <jwt>``). Wrong user or password: 400
  ``invalid_grant``; wrong client id or secret: 401 ``invalid_client``.
* statistics are monthly per item and medium. The running month appears
  after the first nightly import of it and is re-imported (``lastUpdated``
  moves) every day at 06:00 in the customer's time zone; a month is final
  after the import on the next month's first day. Times carry the local
  offset and .NET's seven fractional digits, as in the doc's sample.
* ``updatedAfter/{date}``: rows whose ``lastUpdated`` is after the UTC
  midnight that starts ``date``. v2 returns only the changed media of an
  item; v1 (deprecated) every medium of an item with any change.
* ``{periodStart}/{periodEnd}``: months that overlap [start, end).
* ``Take`` defaults to 3000 and may not exceed 10000 (400 above); query
  names are case-insensitive, as on the vendor's ASP.NET stack.
* other readings of the docs, for robustness tests of the client:
  ``versions`` (serve only ``("v1",)``, say), ``utc_times`` (times in UTC
  with ``Z`` instead of the local offset), ``envelope_total=False`` (pages
  without ``total``/``take``/``skip``).
* levels ``E`` and ``B`` always exist, ``R`` and ``A`` only when configured
  (404 otherwise); ``forbidden_levels`` answer 403; a period whose end is
  not after its start is a 422 validation error.
* hostile data, for tests of what must never reach statistics:
  ``extra_rows`` are raw rows served as they are (no filtering by date) in
  every statistics answer of their item's level, after the real ones;
  :meth:`MomentumEnergiSimulator.hostile_row` builds one per class
  (a future ``lastUpdated``, ``1e307`` MWh, negative, null, NaN, a period
  that ends before it starts or is not a month, a 2099 month, year 9999
  or 0001 dates). ``echo_request_in_errors`` makes the token endpoint
  answer 500 with the request form echoed in the body (password included),
  as a careless server does.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import hashlib
import math
from typing import Any, override
from zoneinfo import ZoneInfo

from aiohttp import web

from .framework import Simulator, TokenStore, json_error

DEFAULT_TAKE = 3000
MAX_TAKE = 10000
IMPORT_HOUR = 6
"""Local hour of the vendor's nightly import."""
HISTORY_START = date(2020, 1, 1)


@dataclass(frozen=True)
class Medium:
    """One kind of supply, with its units and size."""

    media_class: str
    media_type: str
    usage_type: str
    consumption_unit: str
    energy_unit: str | None
    energy_per_unit: float
    """Energy per consumption unit (0 for media without energy)."""
    annual: float
    """Yearly consumption of one building, in ``consumption_unit``."""
    winter_factor: float
    """Ratio of a January to a July month."""
    normalized: bool
    """Whether normalisation (to a normal year's weather) changes the value."""


ELECTRICITY = Medium(
    "El", "Fastighetsel", "Fastighetsdrift", "kWh", "kWh", 1.0, 120_000, 1.4, False
)
DISTRICT_HEATING = Medium(
    "Värme", "Fjärrvärme", "Uppvärmning", "MWh", "MWh", 1.0, 650, 6.0, True
)
WATER = Medium("Vatten", "Kallvatten", "Tappvatten", "m³", None, 0.0, 4200, 1.1, False)
GAS = Medium("Gas", "Naturgas", "Gasuppvärmning", "m³", "kWh", 11.0, 9000, 5.0, True)


@dataclass
class Item:
    """A node of the customer's structure (division, estate, building, tenant)."""

    key: str
    name: str
    number: str
    level: str
    parent_key: str | None
    media: tuple[Medium, ...] = ()
    """Media metered here (buildings and tenants; higher levels sum children)."""
    size: float = 1.0


LEVEL_NAMES = {"R": "Region", "E": "Fastighet", "B": "Byggnad", "A": "Hyresgäst"}


def _items() -> list[Item]:
    return [
        Item("R-SYD", "Region Syd", "R1", "R", None),
        Item("1001", "Kv. Solrosen", "1001", "E", "R-SYD"),
        Item("1002", "Kv. Björken", "1002", "E", "R-SYD"),
        Item(
            "1001-01", "Solrosen hus A", "1001-01", "B", "1001",
            (ELECTRICITY, DISTRICT_HEATING, WATER), 1.0,
        ),
        Item(
            "1001-02", "Solrosen hus B", "1001-02", "B", "1001",
            (ELECTRICITY, DISTRICT_HEATING, WATER), 0.6,
        ),
        Item(
            "1002-01", "Björken", "1002-01", "B", "1002",
            (ELECTRICITY, WATER, GAS), 1.4,
        ),
        Item("1001-01-A1", "Caféet", "1001-01-A1", "A", "1001-01", (ELECTRICITY,), 0.1),
    ]  # fmt: skip


class MomentumEnergiSimulator(Simulator):
    """Momentum Energi with one customer, its structure and monthly statistics."""

    name = "momentum_energi"
    prefix = ""
    port_offset = 1

    CLIENT_ID = "external_access"
    CLIENT_SECRET = "sim-client-secret-93ad51"
    USERNAME = "apiuser@Solrosen"
    PASSWORD = "sim-password-4b1e7c"

    def __init__(
        self,
        *,
        seed: int = 1,
        tz: str = "Europe/Stockholm",
        token_in_header: bool = False,
        token_header: str = "access_token",
        token_lifetime: timedelta = timedelta(hours=1),
        levels: tuple[str, ...] = ("E", "B"),
        versions: tuple[str, ...] = ("v1", "v2"),
        utc_times: bool = False,
        envelope_total: bool = True,
        **kwargs: Any,
    ) -> None:
        """Create the simulator; ``levels`` are the structure levels in use."""
        super().__init__(seed=seed, **kwargs)
        self.tz = ZoneInfo(tz)
        self.token_in_header = token_in_header
        self.token_header = token_header
        self.versions = versions
        self.utc_times = utc_times
        self.envelope_total = envelope_total
        self.tokens = TokenStore(token_lifetime, self.clock)
        self.levels = set(levels) | {"E", "B"}
        self.forbidden_levels: set[str] = set()
        self.client_secret = self.CLIENT_SECRET
        self.users = {self.USERNAME.lower(): self.PASSWORD}
        self.items = {item.key: item for item in _items()}
        self.corrections: dict[tuple[str, str, date], tuple[float, datetime]] = {}
        """(building key, media type, month) -> (consumption, lastUpdated)."""
        self.extra_rows: list[dict[str, Any]] = []
        """Raw rows served as they are with their item's level (hostile data)."""
        self.echo_request_in_errors = False
        self.asked_after: list[date] = []
        """The ``updatedAfter`` dates asked for, oldest first."""

    @override
    def demo_credentials(self) -> dict[str, str]:
        """Return what a config entry needs to log in to this simulator."""
        return {
            "username": self.USERNAME,
            "password": self.PASSWORD,
            "client_secret": self.client_secret,
        }

    # -- the data ---------------------------------------------------------

    def month_start(self, month: date) -> datetime:
        """Return the local start of a month as an aware datetime."""
        return datetime(month.year, month.month, 1, tzinfo=self.tz)

    @staticmethod
    def next_month(month: date) -> date:
        """Return the first day of the month after ``month``."""
        return date(month.year + month.month // 12, month.month % 12 + 1, 1)

    def last_import(self) -> datetime:
        """Return the time of the newest nightly import (local 06:00)."""
        now = self.clock().astimezone(self.tz)
        today = datetime(now.year, now.month, now.day, IMPORT_HOUR, tzinfo=self.tz)
        return today if now >= today else today - timedelta(days=1)

    def _full_month(self, item: Item, medium: Medium, month: date) -> float:
        """Return a month's consumption: seasonal curve plus seeded noise."""
        angle = 2 * math.pi * (month.month - 1) / 12
        ratio = medium.winter_factor
        season = 1 + (ratio - 1) / (ratio + 1) * math.cos(angle)
        digest = hashlib.sha256(
            f"{self.seed}:{item.key}:{medium.media_type}:{month}".encode()
        ).digest()
        noise = 1 + 0.12 * (digest[0] / 255 - 0.5)
        return medium.annual / 12 * item.size * season * noise

    def building_month(
        self, item: Item, medium: Medium, month: date
    ) -> tuple[float, datetime] | None:
        """Return (consumption, lastUpdated) of a metered item's month, if known."""
        if (item.key, medium.media_type, month) in self.corrections:
            return self.corrections[item.key, medium.media_type, month]
        imported = self.last_import()
        covered_until = imported.replace(hour=0)
        start = self.month_start(month)
        end = self.month_start(self.next_month(month))
        if covered_until <= start:
            return None
        fraction = min(1.0, (covered_until - start) / (end - start))
        updated = min(imported, end.replace(hour=IMPORT_HOUR))
        # .NET writes seven fractional digits; keep them deterministic.
        updated += timedelta(microseconds=int(month.toordinal() % 997) * 1000 + 123)
        return round(self._full_month(item, medium, month) * fraction, 3), updated

    def hostile_row(
        self, kind: str, item_key: str = "1001", month: date = date(2026, 9, 1)
    ) -> dict[str, Any]:
        """Return a district-heating row of ``item_key`` broken as ``kind`` says.

        Kinds: ``future_updated`` (lastUpdated 2099), ``huge`` (1e307 MWh:
        infinite in kWh), ``overflow`` (1e308 kWh: two of them sum to inf),
        ``negative`` (-5e6 MWh), ``null``, ``nan`` (values), ``stop_before_start``,
        ``not_a_month`` (a year long), ``future_month`` (2099-01),
        ``year_9999`` (startDate 9999-12 without stopDate), ``year_0001``.
        """
        start = self.month_start(month)
        row: dict[str, Any] = {
            **self._row(
                self.items[item_key],
                DISTRICT_HEATING,
                month,
                [(10.0, self.clock())],
                by_usage=False,
            ),
            "startDate": self._time(start),
            "stopDate": self._time(self.month_start(self.next_month(month))),
        }
        match kind:
            case "future_updated":
                row["lastUpdated"] = "2099-01-01T06:00:00.0000000+01:00"
            case "huge":
                row.update(consumption=1e307, energy=1e307)
            case "overflow":
                row.update(energyUnit="kWh", consumptionUnit="kWh")
                row.update(consumption=1e308, energy=1e308)
            case "negative":
                row.update(consumption=-5e6, energy=-5e6)
            case "null":
                row.update(consumption=None, energy=None)
            case "nan":
                row.update(consumption=math.nan, energy=math.inf)
            case "stop_before_start":
                row["stopDate"] = self._time(start - timedelta(days=200))
            case "not_a_month":
                row["stopDate"] = self._time(start + timedelta(days=365))
            case "future_month":
                row["startDate"] = "2099-01-01T00:00:00.0000000+01:00"
                row["stopDate"] = "2099-02-01T00:00:00.0000000+01:00"
            case "year_9999":
                row["startDate"] = "9999-12-01T00:00:00.0000000-05:00"
                row["stopDate"] = None
            case "year_0001":
                row["startDate"] = "0001-01-01T00:00:00.0000000+05:00"
                row["stopDate"] = "0001-02-01T00:00:00.0000000+05:00"
            case _:
                raise ValueError(f"unknown kind of hostile row: {kind}")
        return row

    def correct(
        self, building_key: str, media_type: str, month: date, consumption: float
    ) -> None:
        """Change a past month's value now, as a late meter correction does."""
        self.corrections[building_key, media_type, month] = (consumption, self.clock())

    def metered_below(self, item: Item) -> list[Item]:
        """Return the buildings (or tenants) whose meters an item sums."""
        if item.media:
            return [item]
        children = [i for i in self.items.values() if i.parent_key == item.key]
        return [leaf for child in children for leaf in self.metered_below(child)]

    def months(self) -> Iterator[date]:
        """Return every month from the history start to the running one."""
        month = HISTORY_START
        now = self.clock().astimezone(self.tz).date()
        while month <= now:
            yield month
            month = self.next_month(month)

    def rows(self, item: Item, *, by_usage: bool = False) -> list[dict[str, Any]]:
        """Return an item's monthly rows, oldest first."""
        leaves = self.metered_below(item)
        media = list(dict.fromkeys(m for leaf in leaves for m in leaf.media))
        rows = []
        for month in self.months():
            for medium in media:
                parts = [
                    value
                    for leaf in leaves
                    if medium in leaf.media
                    and (value := self.building_month(leaf, medium, month)) is not None
                ]
                if parts:
                    rows.append(
                        self._row(item, medium, month, parts, by_usage=by_usage)
                    )
        return rows

    def _row(
        self,
        item: Item,
        medium: Medium,
        month: date,
        parts: list[tuple[float, datetime]],
        *,
        by_usage: bool,
    ) -> dict[str, Any]:
        consumption = round(sum(value for value, _ in parts), 3)
        weather = 1 + 0.08 * math.sin(month.toordinal()) if medium.normalized else 1.0
        energy = (
            round(consumption * medium.energy_per_unit, 3)
            if medium.energy_unit
            else None
        )
        return {
            "itemKey": item.key,
            "usageType": medium.usage_type if by_usage else None,
            "mediaClass": None if by_usage else medium.media_class,
            "mediaType": None if by_usage else medium.media_type,
            "startDate": self._time(self.month_start(month)),
            "stopDate": self._time(self.month_start(self.next_month(month))),
            "consumptionUnit": medium.consumption_unit,
            "consumption": consumption,
            "consumptionNormalized": round(consumption * weather, 3),
            "energyUnit": medium.energy_unit,
            "energy": energy,
            "energyNormalized": None if energy is None else round(energy * weather, 3),
            "lastUpdated": self._time(max(updated for _, updated in parts)),
        }

    def _time(self, moment: datetime) -> str:
        if self.utc_times:
            return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        local = moment.astimezone(self.tz)
        text = local.isoformat(timespec="microseconds")
        # .NET's "o" format: seven fractional digits before the offset.
        return f"{text[:26]}0{text[26:]}"

    # -- the HTTP API -----------------------------------------------------

    @override
    def routes(self) -> list[web.RouteDef]:
        """Return the token, structure and statistics endpoints."""
        version = "{version:%s}" % "|".join(self.versions)  # noqa: UP031
        stats = f"/api/external/{version}/statistics"
        date_re = "{%s:[^/]+}"
        return [
            web.post("/identity/connect/token", self.token, name="token"),
            web.get(
                f"/api/external/{version}/structure/{{level}}",
                self.structure,
                name="structure",
            ),
            web.get(
                f"{stats}/bylevel/{{level}}/updatedAfter/{date_re % 'after'}/{{grouping}}",
                self.statistics,
                name="statistics_updated_after",
            ),
            web.get(
                f"{stats}/bylevel/{{level}}/{date_re % 'start'}/{date_re % 'end'}/{{grouping}}",
                self.statistics,
                name="statistics_period",
            ),
            web.get(
                f"{stats}/bykey/{{key}}/updatedAfter/{date_re % 'after'}/{{grouping}}",
                self.statistics,
                name="statistics_key_updated_after",
            ),
            web.get(
                f"{stats}/bykey/{{key}}/{date_re % 'start'}/{date_re % 'end'}/{{grouping}}",
                self.statistics,
                name="statistics_key_period",
            ),
        ]

    async def token(self, request: web.Request) -> web.Response:
        """Issue a one-hour JWT for the resource-owner password grant."""
        if request.content_type != "application/x-www-form-urlencoded":
            return json_error(415, "Unsupported Media Type")
        form = await request.post()
        if self.echo_request_in_errors:
            echoed = "&".join(f"{key}={value!s}" for key, value in form.items())
            return json_error(500, f"Could not process the request {echoed}")
        if (
            form.get("client_id") != self.CLIENT_ID
            or form.get("client_secret") != self.client_secret
        ):
            return web.json_response({"error": "invalid_client"}, status=401)
        if form.get("grant_type") != "password":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if form.get("scope") not in (None, "external_access"):
            return web.json_response({"error": "invalid_scope"}, status=400)
        username = str(form.get("username", "")).lower()
        if self.users.get(username) != form.get("password"):
            return web.json_response(
                {
                    "error": "invalid_grant",
                    "error_description": "invalid_username_or_password",
                },
                status=400,
            )
        issued = self.tokens.issue(username, scope="external_access")
        lifetime = str(int(self.tokens.lifetime.total_seconds()))
        if self.token_in_header:
            value = issued.token
            if self.token_header.lower() == "authorization":
                value = f"Bearer {value}"
            return web.Response(
                status=200,
                headers={
                    self.token_header: value,
                    "expires_in": lifetime,
                    "token_type": "Bearer",
                },
            )
        return web.json_response(
            {
                "access_token": issued.token,
                "expires_in": int(lifetime),
                "token_type": "Bearer",
                "scope": "external_access",
            }
        )

    def _auth_error(self, request: web.Request) -> web.Response | None:
        endpoint = request.match_info.route.name or ""
        if self.rejects_unauthorized(endpoint) or not self.tokens.validate(
            self.tokens.bearer(request)
        ):
            return json_error(401, "Unauthorized")
        return None

    def _level_error(self, level: str) -> web.Response | None:
        if level not in self.levels:
            return json_error(404, "Not Found")
        if level in self.forbidden_levels:
            return json_error(403, "Forbidden")
        return None

    @staticmethod
    def _paging(query: Mapping[str, str]) -> tuple[int, int] | web.Response:
        lowered = {key.lower(): value for key, value in query.items()}
        try:
            take = int(lowered.get("take", DEFAULT_TAKE))
            skip = int(lowered.get("skip", 0))
        except ValueError:
            return json_error(400, "Take and Skip must be integers")
        if not 0 <= take <= MAX_TAKE or skip < 0:
            return json_error(400, f"Take must be between 0 and {MAX_TAKE}")
        return take, skip

    def _envelope(
        self, request: web.Request, rows: list[dict[str, Any]]
    ) -> web.Response:
        paging = self._paging(request.query)
        if isinstance(paging, web.Response):
            return paging
        take, skip = paging
        page = self.page(request.match_info.route.name or "", rows, skip, take)
        if not self.envelope_total:
            return web.json_response({"data": page})
        return web.json_response(
            {"data": page, "total": len(rows), "take": take, "skip": skip}
        )

    async def structure(self, request: web.Request) -> web.Response:
        """Return the items of one structure level."""
        if (error := self._auth_error(request)) is not None:
            return error
        level = request.match_info["level"]
        if (error := self._level_error(level)) is not None:
            return error
        rows = [
            {
                "key": item.key,
                "parentKey": item.parent_key,
                "name": item.name,
                "number": item.number,
                "level": item.level,
                "levelName": LEVEL_NAMES[item.level],
                "longitude": 13.0 + len(item.key) / 100,
                "latitude": 55.6,
            }
            for item in self.items.values()
            if item.level == level and item.level in self.levels
        ]
        return self._envelope(request, rows)

    async def statistics(self, request: web.Request) -> web.Response:
        """Serve every variant of the statistics endpoint."""
        if (error := self._auth_error(request)) is not None:
            return error
        info = request.match_info
        if info["grouping"] not in ("groupbymedia", "groupbyusage"):
            return json_error(404, "Not Found")
        if "key" in info:
            if (item := self.items.get(info["key"])) is None:
                return json_error(404, "Not Found")
            if (error := self._level_error(item.level)) is not None:
                return error
            items = [item]
        else:
            if (error := self._level_error(info["level"])) is not None:
                return error
            items = [i for i in self.items.values() if i.level == info["level"]]
        try:
            bounds = [
                date.fromisoformat(info[name])
                for name in ("after", "start", "end")
                if name in info
            ]
        except ValueError:
            return json_error(400, "Dates are written YYYY-MM-DD")
        if len(bounds) == 2 and bounds[1] <= bounds[0]:
            # A well-formed request the API cannot act on: a validation error.
            return json_error(422, "periodEnd must be after periodStart")
        by_usage = info["grouping"] == "groupbyusage"
        if "after" in info:
            self.asked_after.append(bounds[0])
        rows: list[dict[str, Any]] = []
        for item in items:
            item_rows = self.rows(item, by_usage=by_usage)
            if "after" in info:
                rows += self._updated_after(item_rows, bounds[0], info["version"])
            else:
                start = datetime(*bounds[0].timetuple()[:3], tzinfo=self.tz)
                end = datetime(*bounds[1].timetuple()[:3], tzinfo=self.tz)
                rows += [
                    row
                    for row in item_rows
                    if datetime.fromisoformat(row["startDate"]) < end
                    and datetime.fromisoformat(row["stopDate"]) > start
                ]
        keys = {item.key for item in items}
        rows += [row for row in self.extra_rows if row.get("itemKey") in keys]
        return self._envelope(request, rows)

    @staticmethod
    def _updated_after(
        rows: list[dict[str, Any]], after: date, version: str
    ) -> list[dict[str, Any]]:
        threshold = datetime(after.year, after.month, after.day, tzinfo=UTC)
        changed = [
            row
            for row in rows
            if datetime.fromisoformat(row["lastUpdated"]) > threshold
        ]
        if version == "v2" or not changed:
            return changed
        # v1 answers every medium of an item that had any change.
        months = {row["startDate"] for row in changed}
        return [row for row in rows if row["startDate"] in months]
