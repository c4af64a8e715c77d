"""Prepare and populate the Home Assistant that ``scripts/develop`` runs.

Two steps, both idempotent:

``prepare`` (before Home Assistant starts) writes ``configuration.yaml`` (only
the components the integrations and a user need, a loopback login without a
password) and marks the onboarding steps that would start online integrations
as done, so the browser never shows onboarding.

``populate`` (while Home Assistant runs) creates the owner over the onboarding
API, sets location, country, currency and time zone with ``config/core/update``,
runs each integration's config flow against its simulator, waits for the
statistics and points the Energy dashboard at them.

A vendor needs no code here: the config-flow forms are filled from the field
names, with the simulator's demo credentials and URL (``python -m simulators
--json``) and a few location-derived values; ``FLOW_OVERRIDES`` is for a field
that cannot be found that way. A simulator whose integration folder does not
exist yet is skipped.
"""

import argparse
import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
import json
import math
import os
from pathlib import Path
import re
import secrets
import sys
import time
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

ROOT = Path(__file__).resolve().parent.parent

# Instead of default_config, whose parts fail or go online here (go2rtc has no
# binary, stream needs turbojpeg, dhcp raw sockets, homeassistant_alerts and
# cloud the internet, bluetooth/usb hardware). The frontend pulls in api, auth,
# config, diagnostics, lovelace, onboarding, repairs, search, ...
COMPONENTS = (
    "automation",
    "config",
    "energy",
    "frontend",
    "history",
    "logbook",
    "person",
    "recorder",
    "script",
    "system_health",
)

# A demo household for MOOST, which forwards what the Energy dashboard lists
# as it happens: the vendors' statistics are external (imported, no live
# state), so without these sensors MOOST would have nothing to send. Written
# only when custom_components/moost exists. Power follows the clock (solar by
# day, the heat pump the first 20 minutes of each hour, a cooking peak at 18),
# energy is its integral; the same YAML the MOOST tests run against.
# sensor.demo_house_energy is not on the Energy dashboard: EnerKey's pushed
# meter (PUSH_ENTITY) sends it into an EnerKey meter.
DEMO_DOMAIN = "moost"
# EnerKey pushes the demo house's energy meter (see PUSH_*): the household is
# written when either integration exists.
DEMO_FOR = (DEMO_DOMAIN, "enerkey")
DEMO_COMPONENTS = ("sensor", "template", "integration")
DEMO_YAML = """\
template:
  - sensor:
      - {name: Demo solar power, unique_id: demo_solar_power, unit_of_measurement: W, device_class: power, state_class: measurement,
         state: "{% set h = now().hour + now().minute / 60 %}{{ (4000 * sin(pi * (h - 7) / 10)) | round(0) if 7 < h < 17 else 0 }}"}
      - {name: Demo heat pump power, unique_id: demo_heat_pump_power, unit_of_measurement: W, device_class: power, state_class: measurement,
         state: "{{ 1800 if now().minute < 20 else 60 }}"}
      - {name: Demo house power, unique_id: demo_house_power, unit_of_measurement: W, device_class: power, state_class: measurement,
         state: "{% set h = now().hour + now().minute / 60 %}{{ (350 + 250 * sin(pi * h / 12) ** 2 + (1500 if 18 <= h < 19.5 else 0) + states('sensor.demo_heat_pump_power') | float(0)) | round(0) }}"}
      - {name: Demo grid import power, unique_id: demo_grid_import_power, unit_of_measurement: W, device_class: power, state_class: measurement,
         state: "{{ [0, states('sensor.demo_house_power') | float(0) - states('sensor.demo_solar_power') | float(0)] | max }}"}
      - {name: Demo grid export power, unique_id: demo_grid_export_power, unit_of_measurement: W, device_class: power, state_class: measurement,
         state: "{{ [0, states('sensor.demo_solar_power') | float(0) - states('sensor.demo_house_power') | float(0)] | max }}"}
sensor:
  - {platform: integration, source: sensor.demo_grid_import_power, name: Demo grid import, unique_id: demo_grid_import, unit_prefix: k, round: 3, method: left, max_sub_interval: {minutes: 1}}
  - {platform: integration, source: sensor.demo_grid_export_power, name: Demo grid export, unique_id: demo_grid_export, unit_prefix: k, round: 3, method: left, max_sub_interval: {minutes: 1}}
  - {platform: integration, source: sensor.demo_solar_power, name: Demo solar energy, unique_id: demo_solar_energy, unit_prefix: k, round: 3, method: left, max_sub_interval: {minutes: 1}}
  - {platform: integration, source: sensor.demo_heat_pump_power, name: Demo heat pump energy, unique_id: demo_heat_pump_energy, unit_prefix: k, round: 3, method: left, max_sub_interval: {minutes: 1}}
  - {platform: integration, source: sensor.demo_house_power, name: Demo house energy, unique_id: demo_house_energy, unit_prefix: k, round: 3, method: left, max_sub_interval: {minutes: 1}}
"""
# The demo household on the Energy dashboard, beside the vendors' sources
# (HA 2026.11 takes a grid source per connection).
DEMO_ENERGY_SOURCES: tuple[dict[str, Any], ...] = (
    {
        "type": "grid",
        "stat_energy_from": "sensor.demo_grid_import",
        "stat_energy_to": "sensor.demo_grid_export",
        "stat_cost": None,
        "entity_energy_price": None,
        "number_energy_price": None,
        "stat_compensation": None,
        "entity_energy_price_export": None,
        "number_energy_price_export": None,
        "cost_adjustment_day": 0.0,
        "name": "Demo household",
    },
    {
        "type": "solar",
        "stat_energy_from": "sensor.demo_solar_energy",
        "config_entry_solar_forecast": None,
        "name": "Demo solar",
    },
)
DEMO_DEVICES: tuple[dict[str, Any], ...] = (
    {
        "stat_consumption": "sensor.demo_heat_pump_energy",
        "stat_rate": "sensor.demo_heat_pump_power",
        "name": "Heat pump",
    },
)

# Onboarding steps marked done before the first start. "user" stays: the
# owner is created over the API. "core_config" would start met, radio_browser,
# google_translate and shopping_list (online); "analytics" asks about sending
# data; "integration" only hands the browser a token.
PRESET_ONBOARDING_STEPS = ("core_config", "analytics", "integration")
ONBOARDING_STORAGE_VERSION = 4  # homeassistant.components.onboarding


@dataclass(frozen=True, kw_only=True)
class CoreConfig:
    """Location, units and money of the dev instance (env DEVELOP_<FIELD>)."""

    latitude: float = 59.9139
    longitude: float = 10.7522
    elevation: int = 23
    time_zone: str = "Europe/Oslo"
    country: str = "NO"
    currency: str = "NOK"
    unit_system: str = "metric"
    language: str = "en"
    location_name: str = "Home"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CoreConfig:
        """Read overrides such as ``DEVELOP_TIME_ZONE`` from the environment."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = env.get(f"DEVELOP_{field.name.upper()}")
            if raw is None or raw == "":
                continue
            default = getattr(cls(), field.name)
            try:
                values[field.name] = type(default)(raw)
            except ValueError:
                raise SystemExit(
                    f"dev_bootstrap: DEVELOP_{field.name.upper()}={raw!r} is not a {type(default).__name__}"
                ) from None
        return cls(**values)

    def as_update(self) -> dict[str, Any]:
        """Return the fields of a ``config/core/update`` command."""
        return asdict(self)


# Values for config-flow fields that neither the simulator's credentials nor
# a default answer, by field name (MOOST asks where the building is).
LOCATION_FIELDS = {
    "zip": "0150",
    "zip_code": "0150",
    "postal_code": "0150",
    "city": "Oslo",
}

# Per-vendor values a form cannot be filled with by name; keep it short.
FLOW_OVERRIDES: dict[str, dict[str, Any]] = {}


def configuration_yaml(*, demo: bool = False) -> str:
    """Return the dev ``configuration.yaml``.

    No ``http:`` block: HA 2026.11 keeps it in storage and reverts YAML changes
    after five minutes. ``trusted_networks`` lets a browser on this machine in
    without a password (the only user is picked automatically); from anywhere
    else the password login applies. ``demo`` adds the demo household
    (:data:`DEMO_YAML`; its ``template:`` and ``sensor:`` blocks load the
    template, sensor and integration components).
    """
    lines = [
        "# Written by scripts/develop on every start; edit scripts/dev_bootstrap.py.",
        "homeassistant:",
        "  auth_providers:",
        "    - type: trusted_networks",
        "      trusted_networks:",
        "        - 127.0.0.1",
        "        - ::1",
        "      allow_bypass_login: true",
        "    - type: homeassistant",
        "",
    ]
    lines += [f"{component}:" for component in COMPONENTS]
    lines += [
        "",
        "logger:",
        "  default: warning",
        "  logs:",
        "    custom_components: debug",
        # HA sets up camera and tts (which needs ffmpeg) whatever the config;
        # with no camera and no speech here their missing system libraries
        # (libturbojpeg, the ffmpeg binary) only produce error records.
        "    haffmpeg: critical",
        "    homeassistant.components.camera.img_util: critical",
        "",
    ]
    if demo:
        lines += [
            "# The demo household MOOST forwards (see DEMO_YAML).",
            DEMO_YAML,
        ]
    return "\n".join(lines)


def mark_onboarding(storage_dir: Path) -> list[str]:
    """Mark the preset onboarding steps done in ``.storage/onboarding``.

    Keeps what is there (the ``user`` step of an existing owner), so a config
    left half-onboarded by an older script is repaired. Returns the done steps.
    """
    path = storage_dir / "onboarding"
    stored: dict[str, Any] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    done: list[str] = list(stored.get("data", {}).get("done", []))
    done += [step for step in PRESET_ONBOARDING_STEPS if step not in done]
    stored.update(
        {
            "version": stored.get("version", ONBOARDING_STORAGE_VERSION),
            "minor_version": stored.get("minor_version", 1),
            "key": "onboarding",
            "data": {**stored.get("data", {}), "done": done},
        }
    )
    storage_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=2))
    path.chmod(0o600)
    return done


def stored_port(storage_dir: Path) -> int | None:
    """Return the HTTP port HA stored on an earlier start, if any."""
    path = storage_dir / "http"
    if not path.exists():
        return None
    stable = json.loads(path.read_text()).get("data", {}).get("stable") or {}
    port = stable.get("server_port")
    return int(port) if port is not None else None


def requirements(
    components_dir: Path, components: Iterable[str] = COMPONENTS + DEMO_COMPONENTS
) -> list[str]:
    """Return the pip requirements of the components and their dependencies.

    Read from the manifests, so that ``scripts/develop`` installs them with
    Home Assistant instead of HA installing them during its first start.
    """
    seen: set[str] = set()
    wanted: list[str] = []
    todo = list(components)
    while todo:
        domain = todo.pop()
        manifest_path = components_dir / domain / "manifest.json"
        if domain in seen or not manifest_path.is_file():
            continue
        seen.add(domain)
        manifest = json.loads(manifest_path.read_text())
        wanted += [r for r in manifest.get("requirements", []) if r not in wanted]
        todo += manifest.get("dependencies", [])
    return sorted(wanted)


def integration_exists(domain: str, root: Path = ROOT) -> bool:
    """Return whether ``custom_components/<domain>`` has a manifest yet."""
    return (root / "custom_components" / domain / "manifest.json").is_file()


class FormError(Exception):
    """A config-flow form has a required field nothing can fill."""


def _first_option(field: Mapping[str, Any]) -> Any:
    """Return the first choice of a select field, or None."""
    options: list[Any] = []
    if "options" in field:  # probatio.In, serialized as [[value, label], ...]
        options = list(field["options"])
    elif "select" in (selector := field.get("selector") or {}):
        options = list((selector["select"] or {}).get("options", []))
    if not options:
        return None
    first = options[0]
    if isinstance(first, Mapping):
        return first.get("value")
    if isinstance(first, list | tuple):
        return first[0]
    return first


def fill_form(
    schema: Iterable[Mapping[str, Any]], values: Mapping[str, Any]
) -> dict[str, Any]:
    """Answer a serialized config-flow form from values keyed by field name.

    Sections (``type: expandable``) are filled recursively. A field without a
    value keeps its default, then takes a select's first option; a required
    field left empty raises :class:`FormError`; optional ones are left out.
    """
    answer: dict[str, Any] = {}
    for field in schema:
        name = field["name"]
        if field.get("type") == "expandable":
            answer[name] = fill_form(field.get("schema", []), values)
        elif name in values:
            answer[name] = values[name]
        elif "default" in field:
            answer[name] = field["default"]
        elif (option := _first_option(field)) is not None:
            answer[name] = option
        elif field.get("required"):
            raise FormError(f"no value for the required field {name!r}")
    return answer


def form_values(
    domain: str, simulator: Mapping[str, Any], core: CoreConfig
) -> dict[str, Any]:
    """Return the values a vendor's config-flow forms are answered with."""
    return {
        **LOCATION_FIELDS,
        "country": core.country,
        "country_code": core.country,
        "url": simulator["url"],
        **simulator.get("credentials", {}),
        **FLOW_OVERRIDES.get(domain, {}),
    }


# Which Energy dashboard slot an external statistic goes to, from the words
# in its id and name (vendors name media in their own language); the first
# match wins. Parts of a total (on/off peak) and money are not slots.
_SLOT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("skip", re.compile(r"on.peak|off.peak|_cost\b|compensation|price")),
    ("water", re.compile(r"water|vatten|vann")),
    ("gas", re.compile(r"gas")),
    ("grid_export", re.compile(r"export|production|returned|feed.in|to_grid")),
    ("device", re.compile(r"heat|v[äa]rme|fj[äa]rr|fjern")),
)


def energy_slot(row: Mapping[str, Any]) -> str:
    """Return the Energy dashboard slot of a ``list_statistic_ids`` row.

    One of ``grid``, ``grid_export``, ``gas``, ``water``, ``device`` (an
    individual consumer, e.g. district heating) or ``skip``.
    """
    unit_class = row.get("unit_class")
    if unit_class not in ("energy", "volume"):
        return "skip"
    text = f"{row['statistic_id']} {row.get('name') or ''}".lower()
    slot = next((name for name, pattern in _SLOT_RULES if pattern.search(text)), "grid")
    if unit_class == "volume" and slot not in ("gas", "water"):
        return "skip"
    return slot


def _meter(statistic_id: str) -> str:
    """Return a statistic id without its last word (the quantity)."""
    return statistic_id.rsplit("_", 1)[0]


def energy_preferences(
    statistics: Iterable[Mapping[str, Any]],
    domains: Iterable[str],
    *,
    demo: bool = False,
) -> dict[str, Any]:
    """Build Energy dashboard preferences from the integrations' statistics.

    ``statistics`` are rows of ``recorder/list_statistic_ids``. Electricity
    becomes one grid connection per meter (with the ``<meter>_cost``
    statistic as its cost when there is one), water and gas their own sources
    (a gas meter with both kWh and m³ once, in kWh), heat and other energy an
    individual device. ``demo`` appends the demo household's grid connection,
    solar and heat pump.
    """
    ours = tuple(f"{domain}:" for domain in domains)
    by_id = {
        str(row["statistic_id"]): row
        for row in sorted(statistics, key=lambda row: str(row["statistic_id"]))
        if str(row["statistic_id"]).startswith(ours)
    }
    slots = {statistic_id: energy_slot(row) for statistic_id, row in by_id.items()}
    gas_in_kwh = {
        _meter(sid)
        for sid, slot in slots.items()
        if slot == "gas" and by_id[sid].get("unit_class") == "energy"
    }
    sources: list[dict[str, Any]] = []
    devices: list[dict[str, Any]] = []
    for statistic_id, slot in slots.items():
        row = by_id[statistic_id]
        name = row.get("name") or statistic_id
        cost = _cost_statistic(statistic_id, by_id)
        if (
            slot == "gas"
            and row.get("unit_class") == "volume"
            and _meter(statistic_id) in gas_in_kwh
        ):
            continue
        if slot in ("water", "gas"):
            sources.append(
                {
                    "type": slot,
                    "stat_energy_from": statistic_id,
                    "stat_cost": cost,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                    "name": name,
                }
            )
        elif slot in ("grid", "grid_export"):
            importing = slot == "grid"
            sources.append(
                {
                    "type": "grid",
                    "stat_energy_from": statistic_id if importing else None,
                    "stat_energy_to": None if importing else statistic_id,
                    "stat_cost": cost if importing else None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                    "stat_compensation": None if importing else cost,
                    "entity_energy_price_export": None,
                    "number_energy_price_export": None,
                    "cost_adjustment_day": 0.0,
                    "name": name,
                }
            )
        elif slot == "device":
            devices.append({"stat_consumption": statistic_id, "name": name})
    if demo:
        sources += [dict(source) for source in DEMO_ENERGY_SOURCES]
        devices += [dict(device) for device in DEMO_DEVICES]
    return {"energy_sources": sources, "device_consumption": devices}


def _cost_statistic(
    statistic_id: str, by_id: Mapping[str, Mapping[str, Any]]
) -> str | None:
    """Return the cost statistic that shares the meter's prefix, if any."""
    prefix = statistic_id
    while "_" in prefix:
        prefix = prefix.rsplit("_", 1)[0]
        candidate = f"{prefix}_cost"
        if candidate in by_id:
            return candidate
    return None


# -- talking to the running Home Assistant ---------------------------------


class HomeAssistant:
    """The few REST and websocket calls the bootstrap makes."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        """Remember the session and base URL."""
        self.session = session
        self.url = url
        self.client_id = f"{url}/"
        self.token = ""

    @property
    def headers(self) -> dict[str, str]:
        """Return the bearer header."""
        return {"Authorization": f"Bearer {self.token}"}

    async def wait(self, seconds: float) -> None:
        """Wait until Home Assistant answers HTTP."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            try:
                async with self.session.get(f"{self.url}/api/onboarding") as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(1)
        raise SystemExit(
            f"dev_bootstrap: Home Assistant did not answer at {self.url} in {seconds:.0f} s"
        )

    async def tokens(self, code: str) -> None:
        """Exchange an authorization code for an access token."""
        async with self.session.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        ) as response:
            response.raise_for_status()
            self.token = str((await response.json())["access_token"])

    async def onboarding_steps(self) -> dict[str, bool]:
        """Return which onboarding steps are done (all, once onboarded)."""
        async with self.session.get(f"{self.url}/api/onboarding") as response:
            if response.status != 200:
                return {}
            return {step["step"]: step["done"] for step in await response.json()}

    async def create_owner(self, username: str, password: str) -> None:
        """Create the owner through onboarding's user step and log in."""
        async with self.session.post(
            f"{self.url}/api/onboarding/users",
            json={
                "client_id": self.client_id,
                "name": "Developer",
                "username": username,
                "password": password,
                "language": "en",
            },
        ) as response:
            response.raise_for_status()
            await self.tokens((await response.json())["auth_code"])

    async def login(self, username: str, password: str) -> None:
        """Log in with the saved password (the homeassistant provider)."""
        flow_url = f"{self.url}/auth/login_flow"
        async with self.session.post(
            flow_url,
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.url}/",
            },
        ) as response:
            response.raise_for_status()
            flow = await response.json()
        async with self.session.post(
            f"{flow_url}/{flow['flow_id']}",
            json={
                "username": username,
                "password": password,
                "client_id": self.client_id,
            },
        ) as response:
            result = await response.json()
        if result.get("type") != "create_entry":
            raise SystemExit(
                f"dev_bootstrap: the saved login was refused ({result.get('errors')}); delete {ROOT / '.dev'} to start over"
            )
        await self.tokens(result["result"])

    async def ws(self, message: dict[str, Any]) -> Any:
        """Send one websocket command and return its result (raise on error).

        A connection per command: HA drops a websocket whose pings go
        unanswered for a minute, which an idle client between slow config
        flows would do.
        """
        async with self.session.ws_connect(f"{self.url}/api/websocket") as ws:
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": self.token})
            if (await ws.receive_json()).get("type") != "auth_ok":
                raise SystemExit("dev_bootstrap: websocket authentication failed")
            await ws.send_json({"id": 1, **message})
            while True:
                reply = await ws.receive_json()
                if reply.get("id") == 1 and reply.get("type") == "result":
                    break
        if not reply.get("success"):
            raise RuntimeError(f"{message['type']}: {reply.get('error')}")
        return reply.get("result")

    async def rest(self, method: str, path: str, body: Any = None) -> Any:
        """Call the REST API with the token; return the JSON answer."""
        async with self.session.request(
            method, f"{self.url}{path}", json=body, headers=self.headers
        ) as response:
            answer = await response.json(content_type=None)
            if response.status >= 400:
                raise RuntimeError(f"{method} {path}: HTTP {response.status} {answer}")
            return answer

    async def add_entry(self, domain: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Run a config flow to its end, answering each form from ``values``."""
        return await self._flow(
            "/api/config/config_entries/flow", {"handler": domain}, values
        )

    async def add_subentry(
        self, entry_id: str, subentry_type: str, values: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Run a subentry flow of an entry to its end, as the UI's dialog does."""
        return await self._flow(
            "/api/config/config_entries/subentries/flow",
            {"handler": [entry_id, subentry_type]},
            values,
        )

    async def _flow(
        self, path: str, start: Mapping[str, Any], values: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Start a flow at ``path`` and answer each form from ``values``."""
        result: dict[str, Any] = await self.rest("POST", path, start)
        for _ in range(6):
            if result.get("type") != "form":
                return result
            if result.get("errors"):
                raise FormError(f"step {result.get('step_id')}: {result['errors']}")
            answer = fill_form(result.get("data_schema") or [], values)
            result = await self.rest("POST", f"{path}/{result['flow_id']}", answer)
        raise FormError("the flow did not finish in six steps")


_STARTED = time.monotonic()


def log(message: str) -> None:
    """Print a progress line to stderr, with the seconds since the start."""
    print(
        f"dev_bootstrap: {message} ({time.monotonic() - _STARTED:.0f} s)",
        file=sys.stderr,
        flush=True,
    )


async def ensure_login(ha: HomeAssistant, state_file: Path) -> dict[str, Any]:
    """Create the owner on the first start, else log in; return the state."""
    steps = await ha.onboarding_steps()
    if steps and not steps.get("user"):
        state: dict[str, Any] = {
            "username": "dev",
            "password": secrets.token_urlsafe(12),
        }
        await ha.create_owner(state["username"], state["password"])
        write_state(state_file, state)
        log("owner 'dev' created, onboarding finished")
        return state
    state = json.loads(state_file.read_text())
    await ha.login(state["username"], state["password"])
    return state


def write_state(state_file: Path, state: Mapping[str, Any]) -> None:
    """Save the login and what was applied (owner-readable only)."""
    state_file.write_text(json.dumps(state, indent=2))
    state_file.chmod(0o600)


async def apply_core_config(
    ha: HomeAssistant, core: CoreConfig, state: dict[str, Any]
) -> None:
    """Set location, units, currency and time zone unless already applied.

    Re-applied only when the wanted values changed (env vars), so a change
    made in the UI survives a restart.
    """
    wanted = core.as_update()
    if state.get("core_config") == wanted:
        return
    await ha.ws({"type": "config/core/update", **wanted})
    state["core_config"] = wanted
    log(
        f"location {core.latitude},{core.longitude}, {core.time_zone}, {core.country}, {core.currency}"
    )


async def add_entries(
    ha: HomeAssistant, simulators: Mapping[str, Mapping[str, Any]], core: CoreConfig
) -> list[str]:
    """Create one entry per simulator whose integration exists; return the domains."""
    entries = await ha.rest("GET", "/api/config/config_entries/entry")
    existing = {entry["domain"] for entry in entries}
    domains: list[str] = []
    todo: list[tuple[str, Mapping[str, Any]]] = []
    for domain, simulator in simulators.items():
        if not integration_exists(domain):
            log(f"{domain}: no custom_components/{domain} yet, skipped")
            continue
        domains.append(domain)
        if domain not in existing:
            todo.append((domain, simulator))

    async def add(domain: str, simulator: Mapping[str, Any]) -> None:
        try:
            result = await ha.add_entry(domain, form_values(domain, simulator, core))
        except (FormError, RuntimeError) as err:
            log(f"{domain}: config flow failed: {err}")
            return
        log(
            f"{domain}: {result.get('type')} {result.get('title') or result.get('reason') or ''}"
        )

    # Side by side: a flow returns only after the entry's first refresh,
    # which for a backfill takes a minute.
    await asyncio.gather(*(add(domain, simulator) for domain, simulator in todo))
    return domains


async def wait_for_statistics(
    ha: HomeAssistant, domains: list[str], seconds: float, quiet: float = 20
) -> list[dict[str, Any]]:
    """Wait for the first imports; return the statistics.

    Done when every domain has a statistic, or when some exist and none was
    added for ``quiet`` seconds (an integration may import none), or after
    ``seconds``.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    seen: set[str] = set()
    changed = loop.time()
    while True:
        rows: list[dict[str, Any]] = await ha.ws(
            {"type": "recorder/list_statistic_ids", "statistic_type": "sum"}
        )
        ids = {str(row["statistic_id"]) for row in rows}
        if ids != seen:
            seen, changed = ids, loop.time()
        missing = [d for d in domains if not any(i.startswith(f"{d}:") for i in ids)]
        now = loop.time()
        if not missing or now > deadline or (ids and now - changed > quiet):
            if missing:
                log(f"no statistics from {', '.join(missing)}")
            return rows
        await asyncio.sleep(2)


async def configure_energy(
    ha: HomeAssistant, domains: list[str], state: dict[str, Any], seconds: float
) -> None:
    """Point the Energy dashboard at the statistics, unless the user set it up."""
    try:
        current = await ha.ws({"type": "energy/get_prefs"})
    except RuntimeError:
        current = None
    configured_by_us = state.get("energy") is not None and current == state.get(
        "energy"
    )
    if (
        current
        and (current.get("energy_sources") or current.get("device_consumption"))
        and not configured_by_us
    ):
        return
    rows = await wait_for_statistics(ha, domains, seconds)
    prefs = energy_preferences(rows, domains, demo=DEMO_DOMAIN in domains)
    if not prefs["energy_sources"] and not prefs["device_consumption"]:
        return
    saved = await ha.ws({"type": "energy/save_prefs", **prefs})
    state["energy"] = saved
    log(
        f"Energy dashboard: {len(prefs['energy_sources'])} sources, {len(prefs['device_consumption'])} devices"
    )


DASHBOARD = {
    "url_path": "dashboard-devices",
    "title": "Devices",
    "icon": "mdi:devices",
    "mode": "storage",
    "show_in_sidebar": True,
    "require_admin": False,
}
# HA's classic generated dashboard: a card per device, new devices included.
# HA 2026.11's default Overview shows areas only, and no device has an area.
DASHBOARD_CONFIG = {"strategy": {"type": "original-states"}}


# The frontend's locale of the dev user (frontend user data "language"): the
# "local" default shows dates in the browser's zone, so a browser in UTC
# starts "this month" an hour after Oslo's midnight and drops the rows of the
# 1st (monthly statistics vanish from the Energy dashboard). "server" shows
# HA's zone, where the integrations cut their days.
FRONTEND_LOCALE = {
    "language": "en",
    "number_format": "language",
    "time_format": "language",
    "date_format": "language",
    "time_zone": "server",
    "first_weekday": "language",
}


async def ensure_server_time_zone(ha: HomeAssistant, language: str) -> None:
    """Show HA's time zone in the dev user's browser, unless the user chose."""
    current = await ha.ws({"type": "frontend/get_user_data", "key": "language"})
    if (current or {}).get("value") is not None:
        return
    await ha.ws(
        {
            "type": "frontend/set_user_data",
            "key": "language",
            "value": {**FRONTEND_LOCALE, "language": language},
        }
    )
    log("the frontend shows Home Assistant's time zone (profile: server)")


async def ensure_dashboard(ha: HomeAssistant) -> None:
    """Add the devices dashboard and open it by default, once."""
    dashboards = await ha.ws({"type": "lovelace/dashboards/list"})
    if any(d.get("url_path") == DASHBOARD["url_path"] for d in dashboards):
        return
    await ha.ws({"type": "lovelace/dashboards/create", **DASHBOARD})
    await ha.ws(
        {
            "type": "lovelace/config/save",
            "url_path": DASHBOARD["url_path"],
            "config": DASHBOARD_CONFIG,
        }
    )
    core = await ha.ws({"type": "frontend/get_system_data", "key": "core"})
    value = (core or {}).get("value") or {}
    if value.get("default_panel") is None:
        await ha.ws(
            {
                "type": "frontend/set_system_data",
                "key": "core",
                "value": {**value, "default_panel": DASHBOARD["url_path"]},
            }
        )
    log(f"dashboard /{DASHBOARD['url_path']} (a card per device) opens by default")


async def summary(
    ha: HomeAssistant, domains: list[str], time_zone: str
) -> dict[str, Any]:
    """Return entries and, per domain, the devices a dashboard can show.

    A device shows on the generated dashboard through its entities: one with
    no enabled, visible, non-diagnostic entity (a hub or account device) is
    not expected there.
    """
    entries = await ha.rest("GET", "/api/config/config_entries/entry")
    devices = await ha.ws({"type": "config/device_registry/list"})
    entities = await ha.ws({"type": "config/entity_registry/list"})
    shown = {
        entity["device_id"]
        for entity in entities
        if entity.get("device_id")
        and not entity.get("disabled_by")
        and not entity.get("hidden_by")
        and not entity.get("entity_category")
    }
    by_entry = {
        entry["entry_id"]: entry["domain"]
        for entry in entries
        if entry["domain"] in domains
    }
    names: dict[str, list[str]] = {domain: [] for domain in domains}
    for device in devices:
        if device["id"] not in shown:
            continue
        for entry_id in device.get("config_entries", []):
            if entry_id in by_entry:
                names[by_entry[entry_id]].append(
                    device.get("name_by_user") or device.get("name")
                )
    return {
        "entries": [
            {"domain": e["domain"], "title": e["title"], "state": e["state"]}
            for e in entries
            if e["domain"] in domains
        ],
        "devices": names,
        "negative_days": await negative_days(ha, domains, time_zone),
    }


async def negative_days(
    ha: HomeAssistant, domains: list[str], time_zone: str, days: int = 800
) -> dict[str, list[str]]:
    """Return, per statistic of ours, the days whose consumption is negative.

    A falling sum shows as a negative bar on the Energy dashboard: a running
    sum not continued, or a correction gone wrong. Nothing here should fall.
    """
    rows = await ha.ws({"type": "recorder/list_statistic_ids", "statistic_type": "sum"})
    ids = [
        r["statistic_id"]
        for r in rows
        if str(r["statistic_id"]).startswith(tuple(f"{d}:" for d in domains))
    ]
    if not ids:
        return {}
    start = datetime.now(UTC) - timedelta(days=days)
    stats = await ha.ws(
        {
            "type": "recorder/statistics_during_period",
            "start_time": start.isoformat(),
            "statistic_ids": ids,
            "period": "day",
            "types": ["change"],
        }
    )
    found: dict[str, list[str]] = {}
    for statistic_id, points in stats.items():
        bad = [
            datetime.fromtimestamp(point["start"] / 1000, ZoneInfo(time_zone))
            .date()
            .isoformat()
            for point in points
            if (point.get("change") or 0) < -1e-9
        ]
        if bad:
            found[statistic_id] = bad
    return found


# -- EnerKey's push: a pushed meter with history ------------------------------

# One pushed_meter subentry of the EnerKey entry, added through the subentry
# flow as the UI's "Push a meter to EnerKey" dialog does: the demo house's
# energy meter into the simulator's "Main electricity" meter, hour by hour.
PUSH_DOMAIN = "enerkey"
PUSH_SUBENTRY_TYPE = "pushed_meter"
PUSH_ENTITY = "sensor.demo_house_energy"
PUSH_METER_ID = "2001"
PUSH_MODE = "consumption"
PUSH_HISTORY_HOURS = 72
# recorder/import_statistics metadata of the sensor's own (not external)
# statistics: source "recorder", as its compiled ones.
PUSH_STATISTICS_METADATA = {
    "has_sum": True,
    "mean_type": 0,
    "name": None,
    "source": "recorder",
    "statistic_id": PUSH_ENTITY,
    "unit_class": "energy",
    "unit_of_measurement": "kWh",
}


def house_hour_kwh(local_hour: int) -> float:
    """Return the demo house's energy of one local hour, in kWh.

    The hourly mean of ``sensor.demo_house_power`` (DEMO_YAML): base load,
    a cooking peak 18:00-19:30, the heat pump (1.8 kW for 20 min, 60 W else).
    """
    base = 0.35 + 0.25 * math.sin(math.pi * (local_hour + 0.5) / 12) ** 2
    cooking = {18: 1.5, 19: 0.75}.get(local_hour, 0.0)
    return round(base + cooking + 1.8 / 3 + 0.06 * 2 / 3, 3)


def push_history_rows(
    now: datetime, time_zone: str, hours: int = PUSH_HISTORY_HOURS
) -> list[dict[str, Any]]:
    """Return hourly statistics of the demo house's meter before ``now``'s hour.

    The sums end at 0 with the last complete hour: the recorder's own sum of
    the sensor starts at 0 when it first compiles it (this hour), so the
    history joins it without a negative hour. The price: the first imported
    hour's change (its sum against nothing) is negative; it is outside the
    check's window and the hourly push never reaches back that far.
    """
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    starts = [end - timedelta(hours=hours - index) for index in range(hours)]
    zone = ZoneInfo(time_zone)
    values = [house_hour_kwh(start.astimezone(zone).hour) for start in starts]
    sums = [0.0] * hours
    for index in range(hours - 2, -1, -1):
        sums[index] = sums[index + 1] - values[index + 1]
    return [
        {"start": start.isoformat(), "sum": total}
        for start, total in zip(starts, sums, strict=True)
    ]


async def wait_for_loaded(ha: HomeAssistant, entry_id: str, seconds: float) -> bool:
    """Wait until a config entry is loaded."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        entries = await ha.rest("GET", "/api/config/config_entries/entry")
        if any(e["entry_id"] == entry_id and e["state"] == "loaded" for e in entries):
            return True
        if loop.time() > deadline:
            return False
        await asyncio.sleep(2)


async def wait_for_unit(
    ha: HomeAssistant, entity_id: str, unit: str, seconds: float
) -> bool:
    """Wait until an entity has a state in ``unit`` (integration sensors start without)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        try:
            found = await ha.rest("GET", f"/api/states/{entity_id}")
        except RuntimeError:
            found = None
        if (found or {}).get("attributes", {}).get("unit_of_measurement") == unit:
            return True
        if loop.time() > deadline:
            return False
        await asyncio.sleep(2)


async def ensure_pushed_meter(
    ha: HomeAssistant,
    domains: list[str],
    state: dict[str, Any],
    core: CoreConfig,
    seconds: float = 120,
) -> dict[str, Any] | None:
    """Give the EnerKey entry its pushed meter and the sensor some history.

    The history is imported once per config (``state``): importing it again
    would overwrite hours the recorder compiled since. The subentry is added
    when the entry has none for the meter. Returns what the check needs
    (entry, subentry, meter, sensor) or None when there is no EnerKey entry.
    """
    if PUSH_DOMAIN not in domains:
        return None
    entries = await ha.rest("GET", "/api/config/config_entries/entry")
    entry = next((e for e in entries if e["domain"] == PUSH_DOMAIN), None)
    if entry is None:
        log(f"{PUSH_DOMAIN}: no entry, no pushed meter")
        return None
    entry_id = str(entry["entry_id"])
    if not state.get("push_history"):
        rows = push_history_rows(datetime.now(UTC), core.time_zone)
        await ha.ws(
            {
                "type": "recorder/import_statistics",
                "metadata": PUSH_STATISTICS_METADATA,
                "stats": rows,
            }
        )
        state["push_history"] = {"entity_id": PUSH_ENTITY, "hours": len(rows)}
        log(f"{PUSH_ENTITY}: {len(rows)} hours of statistics imported")
    subentries = await ha.ws(
        {"type": "config_entries/subentries/list", "entry_id": entry_id}
    )
    found = _pushed_subentry(subentries)
    if found is None:
        # The flow needs the entry loaded (its meters); on a restart the
        # entry is still setting up when the bootstrap gets here.
        if not await wait_for_loaded(ha, entry_id, seconds):
            log(f"{PUSH_DOMAIN}: the entry did not load, no pushed meter")
            return None
        if not await wait_for_unit(ha, PUSH_ENTITY, "kWh", seconds):
            log(f"{PUSH_DOMAIN}: {PUSH_ENTITY} has no state in kWh; no pushed meter")
            return None
        values = {
            "entity_id": PUSH_ENTITY,
            "meter_id": PUSH_METER_ID,
            "mode": PUSH_MODE,
        }
        result = await ha.add_subentry(entry_id, PUSH_SUBENTRY_TYPE, values)
        if result.get("type") != "create_entry":
            log(f"{PUSH_DOMAIN}: pushed meter not added: {result.get('reason')}")
            return None
        subentries = await ha.ws(
            {"type": "config_entries/subentries/list", "entry_id": entry_id}
        )
        found = _pushed_subentry(subentries)
        log(f"{PUSH_DOMAIN}: pushed meter {result.get('title')!r}")
    if found is None:
        return None
    return {
        "entry_id": entry_id,
        "subentry_id": found["subentry_id"],
        "meter_id": PUSH_METER_ID,
        "entity_id": PUSH_ENTITY,
        "mode": PUSH_MODE,
    }


def _pushed_subentry(
    subentries: Iterable[Mapping[str, Any]],
) -> Mapping[str, Any] | None:
    """Return the pushed-meter subentry of PUSH_METER_ID (its unique id)."""
    return next(
        (
            sub
            for sub in subentries
            if sub.get("subentry_type") == PUSH_SUBENTRY_TYPE
            and str(sub.get("unique_id")) == PUSH_METER_ID
        ),
        None,
    )


async def populate(args: argparse.Namespace) -> None:
    """Onboard, configure and add the entries; print how to open HA."""
    simulators = json.loads(args.simulators.read_text())
    core = CoreConfig.from_env(os.environ)
    async with aiohttp.ClientSession() as session:
        ha = HomeAssistant(session, args.url)
        await ha.wait(args.timeout)
        log("Home Assistant answers")
        state = await ensure_login(ha, args.state)
        await apply_core_config(ha, core, state)
        await ensure_server_time_zone(ha, core.language)
        domains = await add_entries(ha, simulators, core)
        try:
            push = await ensure_pushed_meter(ha, domains, state, core)
        except (FormError, RuntimeError) as err:
            log(f"{PUSH_DOMAIN}: pushed meter failed: {err}")
            push = None
        await ensure_dashboard(ha)
        write_state(args.state, state)
        print(
            f"\nHome Assistant: {args.url}  (opens without a password from this machine)\n"
            f"  elsewhere log in as {state['username']} / {state['password']}\n",
            flush=True,
        )
        await configure_energy(ha, domains, state, args.statistics_timeout)
        write_state(args.state, state)
        if args.summary:
            found = await summary(ha, domains, core.time_zone)
            args.summary.write_text(json.dumps({**found, "push": push}, indent=2))


def prepare(args: argparse.Namespace) -> None:
    """Write the configuration and the onboarding state before the start."""
    config: Path = args.config
    config.mkdir(parents=True, exist_ok=True)
    (config / "configuration.yaml").write_text(
        configuration_yaml(demo=any(integration_exists(d) for d in DEMO_FOR))
    )
    link = config / "custom_components"
    if not link.is_symlink():
        link.symlink_to(ROOT / "custom_components")
    mark_onboarding(config / ".storage")
    print(stored_port(config / ".storage") or args.port)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run a step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prep = commands.add_parser(
        "prepare", help="write the config before HA starts; print the port"
    )
    prep.add_argument("--config", type=Path, required=True)
    prep.add_argument("--port", type=int, default=8123, help="port of a new config")
    pop = commands.add_parser("populate", help="onboard and add entries while HA runs")
    pop.add_argument("--url", required=True)
    pop.add_argument("--simulators", type=Path, required=True)
    pop.add_argument("--state", type=Path, required=True)
    pop.add_argument("--summary", type=Path, help="write entries and device names here")
    pop.add_argument(
        "--timeout", type=float, default=300, help="seconds to wait for HA"
    )
    pop.add_argument(
        "--statistics-timeout",
        type=float,
        default=120,
        help="seconds to wait for first imports",
    )
    reqs = commands.add_parser(
        "requirements", help="print the components' pip requirements"
    )
    reqs.add_argument("--components-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare(args)
    elif args.command == "requirements":
        print("\n".join(requirements(args.components_dir)))
    else:
        asyncio.run(populate(args))


if __name__ == "__main__":
    main()
