"""The parts of ``scripts/develop`` that need no running Home Assistant.

The whole path (a real HA 2026.11 in a browser) is ``scripts/develop --check``;
these tests pin what it is built from against the HA the tests run with.
"""

from collections.abc import Sequence
from datetime import datetime
import json
import os
from pathlib import Path
import stat
from typing import Any

from homeassistant.components.energy.data import (
    DEVICE_CONSUMPTION_SCHEMA,
    ENERGY_SOURCE_SCHEMA,
    async_get_manager,
)
from homeassistant.components.onboarding import STORAGE_VERSION
from homeassistant.components.onboarding.const import STEPS
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import parse_yaml
import probatio
import pytest

from scripts import dev_bootstrap
from scripts.dev_bootstrap import (
    CoreConfig,
    FormError,
    configuration_yaml,
    energy_preferences,
    energy_slot,
    fill_form,
    form_values,
    integration_exists,
    mark_onboarding,
    negative_days,
    requirements,
    stored_port,
    summary,
)
from scripts.develop_check import (
    DELIVERY_MARGIN,
    LANDING,
    Check,
    delivered,
    log_errors,
    next_slot_end,
)
from simulators import registered
from simulators.__main__ import _demo_kwargs
from simulators.moost import MoostSimulator


def test_configuration_loads_no_default_config_and_no_http() -> None:
    """Only the listed components; http stays in storage (HA 2026.11)."""
    config = parse_yaml(configuration_yaml())
    assert isinstance(config, dict)
    assert "default_config" not in config
    assert "http" not in config
    for component in ("frontend", "energy", "history", "logbook", "recorder", "config"):
        assert component in config
    for noisy in ("go2rtc", "stream", "dhcp", "homeassistant_alerts", "cloud"):
        assert noisy not in config


def test_loopback_login_only() -> None:
    """The passwordless login trusts loopback only; passwords work too."""
    config = parse_yaml(configuration_yaml())
    assert isinstance(config, dict)
    providers: list[dict[str, Any]] = config["homeassistant"]["auth_providers"]
    assert [p["type"] for p in providers] == ["trusted_networks", "homeassistant"]
    trusted = providers[0]
    assert trusted["trusted_networks"] == ["127.0.0.1", "::1"]
    assert trusted["allow_bypass_login"] is True


def test_onboarding_fresh(tmp_path: Path) -> None:
    """Every step but the owner is done before the first start."""
    done = mark_onboarding(tmp_path / ".storage")
    stored = json.loads((tmp_path / ".storage" / "onboarding").read_text())
    assert stored["key"] == "onboarding"
    assert stored["version"] == STORAGE_VERSION
    assert stored["data"]["done"] == done
    # Creating the owner over the API finishes onboarding.
    assert {*done, "user"} == set(STEPS)
    assert "user" not in done
    mode = (tmp_path / ".storage" / "onboarding").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_onboarding_repairs_a_half_onboarded_config(tmp_path: Path) -> None:
    """An owner made by an older script keeps; missing steps are added once."""
    storage = tmp_path / ".storage"
    storage.mkdir()
    (storage / "onboarding").write_text(
        json.dumps(
            {
                "version": 4,
                "minor_version": 1,
                "key": "onboarding",
                "data": {"done": ["user"]},
            }
        )
    )
    mark_onboarding(storage)
    done = mark_onboarding(storage)
    assert sorted(done) == sorted(STEPS)
    assert len(done) == len(set(done))


def test_stored_port(tmp_path: Path) -> None:
    """A config keeps the port HA stored; a new one has none."""
    assert stored_port(tmp_path) is None
    (tmp_path / "http").write_text(
        json.dumps({"data": {"stable": {"server_port": 8124}}})
    )
    assert stored_port(tmp_path) == 8124


def test_core_config_defaults_and_env() -> None:
    """Oslo by default; each field overridable by DEVELOP_<FIELD>."""
    assert CoreConfig.from_env({}).as_update()["time_zone"] == "Europe/Oslo"
    core = CoreConfig.from_env(
        {
            "DEVELOP_TIME_ZONE": "Europe/Stockholm",
            "DEVELOP_LATITUDE": "59.33",
            "DEVELOP_CURRENCY": "",
        }
    )
    assert core.time_zone == "Europe/Stockholm"
    assert core.latitude == 59.33
    assert core.currency == "NOK"
    with pytest.raises(SystemExit, match="DEVELOP_ELEVATION"):
        CoreConfig.from_env({"DEVELOP_ELEVATION": "high"})


def _serialized(schema: probatio.Schema) -> list[dict[str, Any]]:
    """Serialize a form schema as HA's flow REST API does."""
    fields = probatio.to_field_list(schema, custom_serializer=cv.custom_serializer)
    assert isinstance(fields, list)
    return fields


FORM = probatio.Schema(
    {
        probatio.Required("username"): TextSelector(),
        probatio.Required("password"): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        ),
        probatio.Required("area"): SelectSelector(
            SelectSelectorConfig(options=["power", "water"])
        ),
        probatio.Optional("nickname"): str,
        probatio.Required("advanced"): section(
            probatio.Schema(
                {
                    probatio.Required("url", default="https://api.example"): str,
                    probatio.Required("client_id", default="external_access"): str,
                }
            ),
            {"collapsed": True},
        ),
    }
)


def test_fill_form_answers_what_the_form_accepts() -> None:
    """Credentials by name, the URL into its section, defaults kept."""
    simulator = {
        "url": "http://127.0.0.1:8901/api",
        "credentials": {"username": "demo", "password": "secret"},
    }
    answer = fill_form(
        _serialized(FORM), form_values("vendor", simulator, CoreConfig())
    )
    assert answer == {
        "username": "demo",
        "password": "secret",
        "area": "power",
        "advanced": {
            "url": "http://127.0.0.1:8901/api",
            "client_id": "external_access",
        },
    }
    assert FORM(answer) == answer


def test_fill_form_location_fields() -> None:
    """A building's address comes from the dev location."""
    schema = probatio.Schema(
        {probatio.Required(key): str for key in ("zip", "city", "country_code")}
    )
    answer = fill_form(
        _serialized(schema), form_values("x", {"url": "u"}, CoreConfig())
    )
    assert answer == {"zip": "0150", "city": "Oslo", "country_code": "NO"}


def test_fill_form_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    """FLOW_OVERRIDES beats the simulator's credentials."""
    monkeypatch.setitem(dev_bootstrap.FLOW_OVERRIDES, "vendor", {"username": "other"})
    values = form_values(
        "vendor", {"url": "u", "credentials": {"username": "demo"}}, CoreConfig()
    )
    assert values["username"] == "other"


def test_fill_form_required_field_without_value() -> None:
    """A required field nothing can fill is reported, not guessed."""
    schema = probatio.Schema({probatio.Required("api_key"): str})
    with pytest.raises(FormError, match="api_key"):
        fill_form(_serialized(schema), {})


def test_fill_form_in_options() -> None:
    """A probatio.In field takes its first option."""
    schema = probatio.Schema(
        {probatio.Required("level"): probatio.In({"r": "Raw", "b": "Billed"})}
    )
    assert fill_form(_serialized(schema), {}) == {"level": "r"}


def _row(statistic_id: str, unit_class: str | None, name: str = "") -> dict[str, Any]:
    return {
        "statistic_id": statistic_id,
        "unit_class": unit_class,
        "name": name or statistic_id,
    }


# Shaped like what the integrations import (ids and names as seen in HA).
ROWS = [
    _row("omnimetic:acc_energy_consumption", "energy", "12 Elm Street consumption"),
    _row("omnimetic:acc_energy_on_peak", "energy", "12 Elm Street on-peak"),
    _row("omnimetic:acc_energy_off_peak", "energy", "12 Elm Street off-peak"),
    _row("omnimetic:acc_cost", None, "12 Elm Street cost"),
    _row(
        "momentum_energi:s_1001_fastighetsel_energy",
        "energy",
        "Kv. Solrosen Fastighetsel energy",
    ),
    _row(
        "momentum_energi:s_1001_fjarrvarme_energy",
        "energy",
        "Kv. Solrosen Fjärrvärme energy",
    ),
    _row(
        "momentum_energi:s_1001_kallvatten_volume",
        "volume",
        "Kv. Solrosen Kallvatten volume",
    ),
    _row(
        "momentum_energi:s_1002_naturgas_energy",
        "energy",
        "Kv. Björken Naturgas energy",
    ),
    _row(
        "momentum_energi:s_1002_naturgas_volume",
        "volume",
        "Kv. Björken Naturgas volume",
    ),
    _row(
        "esmart_systems:power_1_5_consumption",
        "energy",
        "Storgata 12 power consumption",
    ),
    _row("esmart_systems:power_1_5_cost", None, "Storgata 12 power cost"),
    _row(
        "esmart_systems:power_1_6_consumption",
        "energy",
        "Storgata 12 fjernvarme district heating",
    ),
    _row("esmart_systems:power_1_7_production", "energy", "Roof solar production"),
    _row("sensor.other_integration", "energy"),
    _row("other:x_energy", "energy"),
]
DOMAINS = ["omnimetic", "momentum_energi", "esmart_systems", "moost"]


def test_energy_slots() -> None:
    """Each statistic lands where a user would put it, or nowhere."""
    slots = {row["statistic_id"]: energy_slot(row) for row in ROWS[:13]}
    assert slots == {
        "omnimetic:acc_energy_consumption": "grid",
        "omnimetic:acc_energy_on_peak": "skip",
        "omnimetic:acc_energy_off_peak": "skip",
        "omnimetic:acc_cost": "skip",
        "momentum_energi:s_1001_fastighetsel_energy": "grid",
        "momentum_energi:s_1001_fjarrvarme_energy": "device",
        "momentum_energi:s_1001_kallvatten_volume": "water",
        "momentum_energi:s_1002_naturgas_energy": "gas",
        "momentum_energi:s_1002_naturgas_volume": "gas",
        "esmart_systems:power_1_5_consumption": "grid",
        "esmart_systems:power_1_5_cost": "skip",
        "esmart_systems:power_1_6_consumption": "device",
        "esmart_systems:power_1_7_production": "grid_export",
    }


def test_energy_preferences_are_valid_for_home_assistant() -> None:
    """HA's own schemas accept the preferences; costs paired, gas once."""
    prefs = energy_preferences(ROWS, DOMAINS)
    ENERGY_SOURCE_SCHEMA(prefs["energy_sources"])
    for device in prefs["device_consumption"]:
        DEVICE_CONSUMPTION_SCHEMA(device)
    grid = {
        s["stat_energy_from"] or s["stat_energy_to"]: s
        for s in prefs["energy_sources"]
        if s["type"] == "grid"
    }
    assert grid["omnimetic:acc_energy_consumption"]["stat_cost"] == "omnimetic:acc_cost"
    assert (
        grid["esmart_systems:power_1_5_consumption"]["stat_cost"]
        == "esmart_systems:power_1_5_cost"
    )
    assert grid["momentum_energi:s_1001_fastighetsel_energy"]["stat_cost"] is None
    assert grid["esmart_systems:power_1_7_production"]["stat_energy_from"] is None
    gas = [s["stat_energy_from"] for s in prefs["energy_sources"] if s["type"] == "gas"]
    assert gas == ["momentum_energi:s_1002_naturgas_energy"]
    water = [
        s["stat_energy_from"] for s in prefs["energy_sources"] if s["type"] == "water"
    ]
    assert water == ["momentum_energi:s_1001_kallvatten_volume"]
    assert [d["stat_consumption"] for d in prefs["device_consumption"]] == [
        "esmart_systems:power_1_6_consumption",
        "momentum_energi:s_1001_fjarrvarme_energy",
    ]
    used = json.dumps(prefs)
    assert "on_peak" not in used
    assert "other:" not in used
    assert "sensor.other_integration" not in used


def test_requirements_follow_dependencies(tmp_path: Path) -> None:
    """Requirements of the components and what they depend on, once."""
    for domain, manifest in {
        "frontend": {
            "requirements": ["home-assistant-frontend==1"],
            "dependencies": ["api"],
        },
        "api": {"dependencies": ["http"]},
        "http": {"requirements": ["aiohttp-cors==1"]},
        "recorder": {"requirements": ["SQLAlchemy==2"], "dependencies": ["http"]},
    }.items():
        (tmp_path / domain).mkdir()
        (tmp_path / domain / "manifest.json").write_text(json.dumps(manifest))
    assert requirements(tmp_path, ["frontend", "recorder", "missing"]) == [
        "SQLAlchemy==2",
        "aiohttp-cors==1",
        "home-assistant-frontend==1",
    ]


def test_integration_exists(tmp_path: Path) -> None:
    """A vendor without its folder (yet) is skipped."""
    (tmp_path / "custom_components" / "ready").mkdir(parents=True)
    (tmp_path / "custom_components" / "ready" / "manifest.json").write_text("{}")
    (tmp_path / "custom_components" / "half").mkdir()
    assert integration_exists("ready", tmp_path)
    assert not integration_exists("half", tmp_path)
    assert not integration_exists("absent", tmp_path)


def test_develop_script_is_executable() -> None:
    """``scripts/develop`` is run directly (README, CI)."""
    assert os.access(Path(dev_bootstrap.ROOT) / "scripts" / "develop", os.X_OK)


def test_check_reads_error_records(tmp_path: Path) -> None:
    """The browser check fails on HA's ERROR/CRITICAL records only."""
    log = tmp_path / "hass.out"
    log.write_text(
        "2026-11-28 09:05:27.343+00:00 WARNING (MainThread) [homeassistant.bootstrap] Skipping pip\n"
        "2026-11-28 09:05:28.607+00:00 ERROR (MainThread) [haffmpeg.core] FFmpeg fails\n"
        "Traceback (most recent call last):\n"
        "  ERROR inside a traceback line\n"
        "2026-11-28 09:05:29.000+00:00 CRITICAL (MainThread) [homeassistant] boom\n"
        "2026-11-28 09:05:30.000+00:00 DEBUG (MainThread) [custom_components.x] ERROR in a message\n"
    )
    assert [line.split()[2] for line in log_errors(log)] == ["ERROR", "CRITICAL"]


@pytest.mark.parametrize(
    ("url", "landed"),
    [
        ("http://127.0.0.1:8123/dashboard-devices/0", True),
        ("http://127.0.0.1:8123/home/overview", True),
        ("http://127.0.0.1:8123/lovelace/0", True),
        ("http://127.0.0.1:8123/auth/authorize?response_type=code", False),
        ("http://127.0.0.1:8123/onboarding.html", False),
        ("http://127.0.0.1:8123/homeassistant-login", False),
    ],
)
def test_check_landing(url: str, landed: bool) -> None:
    """Only a dashboard counts as landed."""
    assert bool(LANDING.search(url)) is landed


class FakeHomeAssistant:
    """Answers the bootstrap's websocket and REST calls from canned data."""

    def __init__(self, ws: dict[str, Any], rest: Any = None) -> None:
        self.answers = ws
        self.rest_answer = rest
        self.sent: list[dict[str, Any]] = []

    async def ws(self, message: dict[str, Any]) -> Any:
        self.sent.append(message)
        return self.answers[message["type"]]

    async def rest(self, method: str, path: str, body: Any = None) -> Any:
        return self.rest_answer


def _ms(day: str) -> float:
    """Return the epoch milliseconds of Oslo's midnight starting a day."""
    return datetime.fromisoformat(f"{day}T00:00:00+01:00").timestamp() * 1000


async def test_negative_days_are_found_in_local_days() -> None:
    """A falling sum is reported by its local day; other vendors are ignored."""
    fake = FakeHomeAssistant(
        {
            "recorder/list_statistic_ids": [
                {"statistic_id": "enerkey:meter_1"},
                {"statistic_id": "omnimetic:acc_energy_consumption"},
                {"statistic_id": "other:x"},
            ],
            "recorder/statistics_during_period": {
                "enerkey:meter_1": [
                    {"start": _ms("2024-12-28"), "change": 12.0},
                    {"start": _ms("2024-12-29"), "change": -38151.7},
                    {"start": _ms("2024-12-30"), "change": None},
                ],
                "omnimetic:acc_energy_consumption": [
                    {"start": _ms("2024-12-29"), "change": 0.0}
                ],
            },
        }
    )
    found = await negative_days(fake, ["enerkey", "omnimetic"], "Europe/Oslo")  # type: ignore[arg-type]
    assert found == {"enerkey:meter_1": ["2024-12-29"]}
    query = fake.sent[-1]
    assert query["statistic_ids"] == [
        "enerkey:meter_1",
        "omnimetic:acc_energy_consumption",
    ]
    assert query["period"] == "day"


async def test_summary_expects_devices_with_dashboard_entities() -> None:
    """A hub device with only a diagnostic entity is not looked for."""
    fake = FakeHomeAssistant(
        {
            "config/device_registry/list": [
                {"id": "hub", "name": "Profile", "config_entries": ["e1"]},
                {
                    "id": "meter",
                    "name": "Office",
                    "name_by_user": "My office",
                    "config_entries": ["e1"],
                },
                {"id": "off", "name": "Disabled", "config_entries": ["e1"]},
                {"id": "foreign", "name": "Other", "config_entries": ["e2"]},
            ],
            "config/entity_registry/list": [
                {"device_id": "hub", "entity_category": "diagnostic"},
                {"device_id": "meter", "entity_category": None},
                {"device_id": "off", "disabled_by": "user"},
                {"device_id": "foreign"},
            ],
            "recorder/list_statistic_ids": [],
        },
        rest=[
            {
                "entry_id": "e1",
                "domain": "enerkey",
                "title": "Profile",
                "state": "loaded",
            },
            {"entry_id": "e2", "domain": "other", "title": "Other", "state": "loaded"},
        ],
    )
    result = await summary(fake, ["enerkey"], "Europe/Oslo")  # type: ignore[arg-type]
    assert result == {
        "entries": [{"domain": "enerkey", "title": "Profile", "state": "loaded"}],
        "devices": {"enerkey": ["My office"]},
        "negative_days": {},
    }


# -- the demo household MOOST forwards ---------------------------------------


def test_demo_household_only_on_request(tmp_path: Path) -> None:
    """Without MOOST the configuration has no template or integral sensors."""
    assert not {"template", "sensor"} & set(parse_yaml(configuration_yaml()))
    config = parse_yaml(configuration_yaml(demo=True))
    assert isinstance(config, dict)
    assert len(config["template"][0]["sensor"]) == 5
    assert {s["platform"] for s in config["sensor"]} == {"integration"}
    # prepare writes it because custom_components/moost exists here.
    dev_bootstrap.main(["prepare", "--config", str(tmp_path)])
    assert "template" in parse_yaml((tmp_path / "configuration.yaml").read_text())
    assert "template" in dev_bootstrap.DEMO_COMPONENTS


def test_energy_preferences_demo_beside_the_vendors() -> None:
    """The demo grid, solar and heat pump join the vendors' sources, valid for HA."""
    plain = energy_preferences(ROWS, DOMAINS)
    prefs = energy_preferences(ROWS, DOMAINS, demo=True)
    ENERGY_SOURCE_SCHEMA(prefs["energy_sources"])
    for device in prefs["device_consumption"]:
        DEVICE_CONSUMPTION_SCHEMA(device)
    assert (
        prefs["energy_sources"][: len(plain["energy_sources"])]
        == (plain["energy_sources"])
    )
    demo_sources = prefs["energy_sources"][len(plain["energy_sources"]) :]
    assert [
        (s["type"], s["stat_energy_from"], s.get("stat_energy_to"))
        for s in demo_sources
    ] == [
        ("grid", "sensor.demo_grid_import", "sensor.demo_grid_export"),
        ("solar", "sensor.demo_solar_energy", None),
    ]
    assert prefs["device_consumption"][-1] == {
        "stat_consumption": "sensor.demo_heat_pump_energy",
        "stat_rate": "sensor.demo_heat_pump_power",
        "name": "Heat pump",
    }
    # A later call does not see the earlier one's lists grow.
    assert energy_preferences(ROWS, DOMAINS, demo=True) == prefs


@pytest.mark.parametrize("expected_lingering_timers", [True])  # now() templates
async def test_demo_household_runs_in_home_assistant(hass: HomeAssistant) -> None:
    """HA sets the YAML up; the Energy preferences name its real entities."""
    config = parse_yaml(configuration_yaml(demo=True))
    assert isinstance(config, dict)
    # sensor first: template's discovery would set it up without the YAML.
    assert await async_setup_component(hass, "sensor", {"sensor": config["sensor"]})
    assert await async_setup_component(
        hass, "template", {"template": config["template"]}
    )
    await hass.async_block_till_done()
    prefs = energy_preferences([], [], demo=True)
    wanted = {
        stat
        for item in [*prefs["energy_sources"], *prefs["device_consumption"]]
        for key in (
            "stat_energy_from",
            "stat_energy_to",
            "stat_consumption",
            "stat_rate",
        )
        if (stat := item.get(key))
    }
    assert len(wanted) == 5
    for entity_id in wanted:
        assert hass.states.get(entity_id) is not None, entity_id
    for power in ("solar", "heat_pump", "house", "grid_import", "grid_export"):
        state = hass.states.get(f"sensor.demo_{power}_power")
        assert state is not None
        assert float(state.state) >= 0
    energy = hass.states.get("sensor.demo_heat_pump_energy")
    assert energy is not None
    assert energy.attributes.get("device_class") == "energy"
    assert energy.attributes.get("state_class") == "total"
    manager = await async_get_manager(hass)
    await manager.async_update(prefs)  # type: ignore[arg-type]
    assert manager.data is not None
    assert len(manager.data["energy_sources"]) == 2


def test_simulators_demo_switches_moost_generators_on() -> None:
    """``python -m simulators --demo``: MOOST generates, the others are unchanged."""
    simulators = registered()
    assert _demo_kwargs(simulators["moost"]) == {"generate": True}
    moost = MoostSimulator(**_demo_kwargs(MoostSimulator))
    assert moost.generate_notifications
    assert moost.generate_forecasts
    assert not MoostSimulator().generate_notifications
    for name, cls in simulators.items():
        if name != "moost":
            assert _demo_kwargs(cls) == {}, name


# -- the check's MOOST step ---------------------------------------------------


def test_next_slot_end_and_delivered() -> None:
    """Quarter hours in epoch seconds; a delivery is a time, not unknown."""
    assert next_slot_end(1_800_000_000) == 1_800_000_900
    assert next_slot_end(1_800_000_899.5) == 1_800_000_900
    assert next_slot_end(1_800_000_900) == 1_800_001_800
    assert delivered("2026-11-28T10:15:02+00:00")
    for state in (None, "", "unknown", "unavailable"):
        assert not delivered(state)


class FakePage:
    """The few playwright calls of ``Check.moost``, against a fake clock."""

    def __init__(self, states: Sequence[str | None], clock: list[float]) -> None:
        self.states = list(states)
        self.clock = clock
        self.waited = 0.0
        self.visited: list[str] = []

    def evaluate(self, script: str) -> dict[str, Any] | None:
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {
            "entity_id": "sensor.moost_home_last_delivery",
            "device_id": "d1",
            "state": state,
        }

    def wait_for_timeout(self, ms: float) -> None:
        self.clock[0] += ms / 1000
        self.waited += ms / 1000

    def goto(self, url: str, timeout: float) -> None:
        self.visited.append(url)

    def wait_for_load_state(self, state: str, timeout: float) -> None:
        pass

    def screenshot(self, path: Path, full_page: bool) -> None:
        path.write_bytes(b"png")


def _moost_check(
    tmp_path: Path, states: Sequence[str | None], now: float, wait: float = 300
) -> tuple[Check, FakePage]:
    clock = [now]
    page = FakePage(states, clock)
    check = Check(page, "http://ha", tmp_path, clock=lambda: clock[0])
    check.moost(None, wait)
    return check, page


SLOT = 1_800_000_900.0  # a quarter hour


def test_check_moost_delivered_already(tmp_path: Path) -> None:
    """A delivery before the step: no wait; the device page is screenshot."""
    check, page = _moost_check(tmp_path, ["2026-11-28T10:15:02+00:00"], SLOT - 600)
    assert not check.failures
    assert page.waited == 1.5  # the device page settling only
    assert page.visited == ["http://ha/config/devices/device/d1"]
    assert (tmp_path / "moost.png").exists()


def test_check_moost_waits_for_a_near_slot(tmp_path: Path) -> None:
    """The next slot is within the budget: waited for until the delivery."""
    check, page = _moost_check(
        tmp_path, ["unknown"] * 30 + ["2026-11-28T10:15:02+00:00"], SLOT - 120
    )
    assert not check.failures
    assert 120 < page.waited <= 120 + DELIVERY_MARGIN


def test_check_moost_fails_without_delivery_after_a_slot(tmp_path: Path) -> None:
    """A slot closed and nothing was delivered: a failure."""
    check, page = _moost_check(tmp_path, ["unknown"], SLOT - 120)
    assert len(check.failures) == 1
    assert "no events delivered" in check.failures[0]
    assert page.waited >= 120 + DELIVERY_MARGIN


def test_check_moost_does_not_wait_beyond_its_budget(tmp_path: Path) -> None:
    """The next slot is 10 minutes away: not waited for, not a failure."""
    check, page = _moost_check(tmp_path, ["unknown"], SLOT - 600)
    assert not check.failures
    assert page.waited == 1.5  # the device page settling only
    check, page = _moost_check(tmp_path, ["unknown"], SLOT - 600, wait=900)
    assert check.failures


async def test_frontend_shows_the_server_time_zone_unless_chosen() -> None:
    """The dev user's locale is set to HA's zone once; a choice is kept."""
    fake = FakeHomeAssistant(
        {"frontend/get_user_data": {"value": None}, "frontend/set_user_data": None}
    )
    await dev_bootstrap.ensure_server_time_zone(fake, "nb")  # type: ignore[arg-type]
    saved = fake.sent[-1]
    assert saved["type"] == "frontend/set_user_data"
    assert saved["key"] == "language"
    assert saved["value"]["time_zone"] == "server"
    assert saved["value"]["language"] == "nb"
    chosen = {"language": "en", "time_zone": "local"}
    fake = FakeHomeAssistant({"frontend/get_user_data": {"value": chosen}})
    await dev_bootstrap.ensure_server_time_zone(fake, "en")  # type: ignore[arg-type]
    assert [m["type"] for m in fake.sent] == ["frontend/get_user_data"]
