"""The parts of ``scripts/develop`` that need no running Home Assistant.

The whole path (a real HA 2026.11 in a browser) is ``scripts/develop --check``;
these tests pin what it is built from against the HA the tests run with.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
import itertools
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
    push_history_rows,
    requirements,
    stored_port,
    summary,
)
from scripts.develop_check import (
    DELIVERY_MARGIN,
    LANDING,
    PUSH_TOLERANCE,
    Check,
    compare_hours,
    delivered,
    hour_floor,
    log_errors,
    next_slot_end,
    pushable_hours,
    served_hours,
)
from simulators import registered
from simulators.__main__ import _demo_kwargs
from simulators.moost import MoostSimulator


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Load no custom integration here; start a requested recorder before hass.

    Replaces the suite's autouse fixture, whose ``enable_custom_integrations``
    would set ``hass`` up before ``recorder_mock``.
    """
    if "recorder_mock" in request.fixturenames:
        request.getfixturevalue("recorder_mock")


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
    assert "demo_house_energy" in {s["unique_id"] for s in config["sensor"]}
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
    # EnerKey's pushed meter: an energy meter the subentry flow accepts.
    house = hass.states.get(dev_bootstrap.PUSH_ENTITY)
    assert house is not None
    assert house.attributes.get("device_class") == "energy"
    assert house.attributes.get("state_class") == "total"
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


# -- EnerKey's pushed meter ---------------------------------------------------

NOW = datetime(2026, 11, 28, 12, 41, 7, tzinfo=UTC)


def test_push_history_rows_join_the_recorders_sum() -> None:
    """72 whole hours before this hour, their sums ending at 0; changes are the house's."""
    rows = push_history_rows(NOW, "Europe/Oslo")
    starts = [datetime.fromisoformat(row["start"]) for row in rows]
    assert len(rows) == dev_bootstrap.PUSH_HISTORY_HOURS == 72
    assert starts[-1] == datetime(2026, 11, 28, 11, tzinfo=UTC)
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(starts))
    assert rows[-1]["sum"] == 0
    changes = [b["sum"] - a["sum"] for a, b in itertools.pairwise(rows)]
    # 11:00 UTC is 12:00 in Oslo; 17:00 UTC the cooking peak's first hour.
    assert changes[-1] == pytest.approx(dev_bootstrap.house_hour_kwh(12))
    assert all(0.5 < change < 3 for change in changes)
    peak = rows.index(next(r for r in rows if r["start"].endswith("T17:00:00+00:00")))
    assert changes[peak - 1] == pytest.approx(dev_bootstrap.house_hour_kwh(18))
    assert dev_bootstrap.house_hour_kwh(18) > dev_bootstrap.house_hour_kwh(3) + 1


async def test_push_history_imports_into_home_assistant(
    recorder_mock: object, hass: HomeAssistant
) -> None:
    """The rows and metadata HA's import takes; HA's changes are the house's hours."""
    from homeassistant.components.recorder.statistics import (
        async_import_statistics,
        statistics_during_period,
    )
    from homeassistant.util import dt as dt_util
    from pytest_homeassistant_custom_component.components.recorder.common import (
        async_wait_recording_done,
    )

    now = dt_util.utcnow()
    rows = push_history_rows(now, "Europe/Oslo")
    metadata: Any = dict(dev_bootstrap.PUSH_STATISTICS_METADATA)
    stats: Any = [
        {"start": datetime.fromisoformat(row["start"]), "sum": row["sum"]}
        for row in rows
    ]
    async_import_statistics(hass, metadata, stats)
    await async_wait_recording_done(hass)
    end = hour_floor(now)
    start = end - timedelta(days=2)

    def read() -> Any:
        return statistics_during_period(
            hass,
            start,
            end,
            {dev_bootstrap.PUSH_ENTITY},
            "hour",
            {"energy": "kWh"},
            {"change", "sum"},
        )

    found = await hass.async_add_executor_job(read)
    # The websocket (which the check reads) gives epoch milliseconds.
    rows_ms = [
        {**row, "start": row["start"] * 1000}
        for row in found[dev_bootstrap.PUSH_ENTITY]
    ]
    hours = pushable_hours(rows_ms, start, end + timedelta(hours=1))
    assert len(hours) == 48
    assert max(hours) == end - timedelta(hours=1)
    assert sum(hours.values()) == pytest.approx(-rows[-49]["sum"])


def test_pushable_hours_and_served_hours() -> None:
    """HA's rows in the window with a usable change; EnerKey's answer per meter."""
    base = datetime(2026, 11, 27, tzinfo=UTC)
    ms = [(base + timedelta(hours=h)).timestamp() * 1000 for h in range(5)]
    rows: list[dict[str, Any]] = [
        {"start": ms[0], "change": 0.5},
        {"start": ms[1], "change": None},
        {"start": ms[2], "change": -0.1},
        {"start": ms[3], "change": 0},
        {"start": ms[4], "change": 2.0},  # at the window's end: outside
    ]
    assert pushable_hours(rows, base, base + timedelta(hours=4)) == {
        base: 0.5,
        base + timedelta(hours=3): 0.0,
    }
    payload = [
        {
            "meterId": 2002,
            "values": [{"timestamp": "2026-11-27T00:00:00Z", "value": 9}],
        },
        {
            "meterId": 2001,
            "values": [
                {"timestamp": "2026-11-27T00:00:00Z", "value": 0.5},
                {"timestamp": "2026-11-27T04:00:00+01:00", "value": "0.25"},
            ],
        },
    ]
    assert served_hours(payload, "2001") == {
        base: 0.5,
        base + timedelta(hours=3): 0.25,
    }
    assert served_hours({"error": 1}, "2001") == {}


def test_compare_hours() -> None:
    """Equal to 1e-9; a missing or different hour is named."""
    base = datetime(2026, 11, 27, tzinfo=UTC)
    expected = {base: 0.1 + 0.2, base + timedelta(hours=1): 1.0}
    assert compare_hours(expected, {base: 0.3, base + timedelta(hours=1): 1.0}) == []
    off = {base: 0.3 + 2 * PUSH_TOLERANCE}
    problems = compare_hours(expected, off)
    assert len(problems) == 2
    assert problems[0].startswith("2026-11-27 00:00 UTC 0.300000002")
    assert problems[1] == "2026-11-27 01:00 UTC missing"
    assert hour_floor(NOW) == datetime(2026, 11, 28, 12, tzinfo=UTC)


class PushHomeAssistant(FakeHomeAssistant):
    """The bootstrap's calls for the pushed meter, with a subentry flow."""

    def __init__(self, *, unit: str | None = "kWh", subentries: Any = None) -> None:
        super().__init__(
            {"recorder/import_statistics": None},
            [{"domain": "enerkey", "entry_id": "e1", "state": "loaded"}],
        )
        self.unit = unit
        self.subentries: list[dict[str, Any]] = list(subentries or [])
        self.flows: list[tuple[str, str, Mapping[str, Any]]] = []

    async def ws(self, message: dict[str, Any]) -> Any:
        if message["type"] == "config_entries/subentries/list":
            self.sent.append(message)
            return list(self.subentries)
        return await super().ws(message)

    async def rest(self, method: str, path: str, body: Any = None) -> Any:
        if path.startswith("/api/states/"):
            if self.unit is None:
                raise RuntimeError("GET: HTTP 404")
            return {"attributes": {"unit_of_measurement": self.unit}}
        return self.rest_answer

    async def add_subentry(
        self, entry_id: str, subentry_type: str, values: Mapping[str, Any]
    ) -> dict[str, Any]:
        self.flows.append((entry_id, subentry_type, values))
        self.subentries.append(
            {
                "subentry_id": "s1",
                "subentry_type": subentry_type,
                "unique_id": values["meter_id"],
                "title": "Demo house energy → Main electricity",
            }
        )
        return {"type": "create_entry", "title": "Demo house energy → Main electricity"}


async def test_pushed_meter_added_once_with_history_once() -> None:
    """History imported and the subentry added on the first start, neither again."""
    fake = PushHomeAssistant()
    state: dict[str, Any] = {}
    core = CoreConfig()
    push = await dev_bootstrap.ensure_pushed_meter(
        fake,  # type: ignore[arg-type]
        ["enerkey"],
        state,
        core,
    )
    assert push == {
        "entry_id": "e1",
        "subentry_id": "s1",
        "meter_id": "2001",
        "entity_id": "sensor.demo_house_energy",
        "mode": "consumption",
    }
    assert fake.flows == [
        (
            "e1",
            "pushed_meter",
            {
                "entity_id": "sensor.demo_house_energy",
                "meter_id": "2001",
                "mode": "consumption",
            },
        )
    ]
    imported = [m for m in fake.sent if m["type"] == "recorder/import_statistics"]
    assert len(imported) == 1
    assert imported[0]["metadata"]["source"] == "recorder"
    assert imported[0]["metadata"]["statistic_id"] == "sensor.demo_house_energy"
    assert len(imported[0]["stats"]) == 72
    assert state["push_history"] == {
        "entity_id": "sensor.demo_house_energy",
        "hours": 72,
    }
    # A restart: the subentry exists, the history is not imported over the
    # hours the recorder compiled since.
    fake.sent.clear()
    again = await dev_bootstrap.ensure_pushed_meter(
        fake,  # type: ignore[arg-type]
        ["enerkey"],
        state,
        core,
    )
    assert again == push
    assert len(fake.flows) == 1
    assert [m["type"] for m in fake.sent] == ["config_entries/subentries/list"]
    # Still setting up after a restart: the existing subentry is enough.
    fake.rest_answer = [
        {"domain": "enerkey", "entry_id": "e1", "state": "setup_in_progress"}
    ]
    again = await dev_bootstrap.ensure_pushed_meter(
        fake,  # type: ignore[arg-type]
        ["enerkey"],
        state,
        core,
        seconds=0,
    )
    assert again == push


async def test_pushed_meter_needs_entry_and_sensor() -> None:
    """No EnerKey, an entry not loaded, a sensor without kWh: no pushed meter."""
    fake = PushHomeAssistant()
    core = CoreConfig()
    assert (
        await dev_bootstrap.ensure_pushed_meter(fake, ["moost"], {}, core)  # type: ignore[arg-type]
        is None
    )
    fake.rest_answer = []
    assert (
        await dev_bootstrap.ensure_pushed_meter(fake, ["enerkey"], {}, core)  # type: ignore[arg-type]
        is None
    )
    assert fake.sent == []
    fake.rest_answer = [{"domain": "enerkey", "entry_id": "e1", "state": "setup_error"}]
    assert (
        await dev_bootstrap.ensure_pushed_meter(
            fake,  # type: ignore[arg-type]
            ["enerkey"],
            {},
            core,
            seconds=0,
        )
        is None
    )
    assert fake.flows == []
    fake = PushHomeAssistant(unit=None)
    assert (
        await dev_bootstrap.ensure_pushed_meter(
            fake,  # type: ignore[arg-type]
            ["enerkey"],
            {},
            core,
            seconds=0,
        )
        is None
    )
    assert fake.flows == []


async def test_add_subentry_answers_the_subentry_flow() -> None:
    """The UI's endpoints: start with [entry, type], answer the form by field name."""
    calls: list[tuple[str, str, Any]] = []
    answers = [
        {
            "type": "form",
            "flow_id": "f1",
            "step_id": "user",
            "errors": {},
            "data_schema": [
                {"name": "entity_id", "required": True},
                {"name": "meter_id", "required": True},
                {"name": "mode", "required": True, "default": "consumption"},
            ],
        },
        {"type": "create_entry", "title": "t"},
    ]

    class Rest(dev_bootstrap.HomeAssistant):
        async def rest(self, method: str, path: str, body: Any = None) -> Any:
            calls.append((method, path, body))
            return answers.pop(0)

    ha = Rest(None, "http://ha")  # type: ignore[arg-type]
    result = await ha.add_subentry(
        "e1", "pushed_meter", {"entity_id": "sensor.x", "meter_id": "2001"}
    )
    assert result["type"] == "create_entry"
    assert calls == [
        (
            "POST",
            "/api/config/config_entries/subentries/flow",
            {"handler": ["e1", "pushed_meter"]},
        ),
        (
            "POST",
            "/api/config/config_entries/subentries/flow/f1",
            {"entity_id": "sensor.x", "meter_id": "2001", "mode": "consumption"},
        ),
    ]


class EnerKeyPage:
    """The frontend calls of ``Check.enerkey``: statistics, the action, repairs."""

    def __init__(self, changes: list[float | None], responses: list[dict[str, Any]]):
        self.changes = changes
        self.responses = responses
        self.calls: list[Any] = []
        self.issues: list[dict[str, Any]] = []
        self.dialog = True
        self.visited: list[str] = []
        self.keyboard = self

    def evaluate(self, script: str, arg: Any = None) -> Any:
        self.calls.append(arg)
        if isinstance(arg, list):  # callApi
            return {"changed_states": [], "service_response": self.responses.pop(0)}
        if arg["type"] == "repairs/list_issues":
            return {"issues": self.issues}
        start = datetime.fromisoformat(arg["start_time"])
        return {
            arg["statistic_ids"][0]: [
                {
                    "start": (start + timedelta(hours=h)).timestamp() * 1000,
                    "change": change,
                }
                for h, change in enumerate(self.changes)
            ]
        }

    def goto(self, url: str, timeout: float = 0) -> None:
        self.visited.append(url)

    def wait_for_load_state(self, state: str, timeout: float) -> None:
        pass

    def wait_for_timeout(self, ms: float) -> None:
        pass

    def screenshot(self, path: Path, full_page: bool) -> None:
        path.write_bytes(b"png")

    def get_by_text(self, text: str, exact: bool = False) -> Any:
        page = self

        class Locator:
            first = None

            def click(self, timeout: float) -> None:
                if not page.dialog:
                    raise TimeoutError(text)

            def wait_for(self, state: str, timeout: float) -> None:
                pass

            def count(self) -> int:
                return 0

        locator = Locator()
        locator.first = locator  # type: ignore[assignment]
        return locator

    def press(self, key: str) -> None:
        pass


PUSH = {
    "entry_id": "e1",
    "subentry_id": "s1",
    "meter_id": "2001",
    "entity_id": "sensor.demo_house_energy",
}


def _enerkey_check(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    page: EnerKeyPage,
    served: dict[float, float],
) -> Check:
    """Run ``Check.enerkey`` at NOW against a page and EnerKey's served hours."""
    start = hour_floor(NOW) - timedelta(days=2)

    def hourly(simulator: Any, meter_id: str, begin: datetime, end: datetime) -> Any:
        assert (meter_id, begin, end) == ("2001", start, hour_floor(NOW))
        values = [
            {
                "timestamp": (start + timedelta(hours=h)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
                "value": value,
            }
            for h, value in served.items()
        ]
        return [{"meterId": 2001, "values": values}]

    monkeypatch.setattr("scripts.develop_check.enerkey_hourly", hourly)
    check = Check(page, "http://ha", tmp_path, clock=NOW.timestamp)
    check.enerkey(PUSH, {"url": "http://sim", "credentials": {"api_key": "k"}})
    return check


def _counts(**counts: int) -> dict[str, Any]:
    return {
        "meter_id": "2001",
        "hours_sent": 0,
        "hours_accepted": 0,
        "hours_already_pushed": 0,
        "hours_skipped": 0,
        "messages": 0,
        **counts,
    }


def test_check_enerkey_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every hour accepted once, then none sent, EnerKey equal: no failure."""
    page = EnerKeyPage(
        [0.5, 1.25, None, 0.75],
        [
            _counts(hours_sent=3, hours_accepted=3, messages=1),
            _counts(hours_already_pushed=3),
        ],
    )
    check = _enerkey_check(tmp_path, monkeypatch, page, {0: 0.5, 1: 1.25, 3: 0.75})
    assert check.failures == []
    action = page.calls[1]
    assert action[:2] == ["POST", "services/enerkey/push_history?return_response"]
    assert action[2] == {
        "config_entry_id": "e1",
        "pushed_meter": "2001",
        "start": "2026-11-26T12:00:00+00:00",
        "end": "2026-11-28T12:00:00+00:00",
    }
    assert page.calls[2] == action  # the same window again
    assert page.visited == ["http://ha/config/integrations/integration/enerkey"]
    assert (tmp_path / "enerkey_push_dialog.png").exists()


def test_check_enerkey_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Too few accepted, a second send, a value off, a repair, no dialog: each fails."""
    page = EnerKeyPage(
        [0.5, 1.25],
        [
            _counts(hours_sent=1, hours_accepted=1, messages=1),
            _counts(hours_sent=1, hours_accepted=1),
        ],
    )
    page.issues = [{"domain": "enerkey", "issue_id": "push_refused_s1"}]
    page.dialog = False
    check = _enerkey_check(tmp_path, monkeypatch, page, {0: 0.5, 1: 1.25 + 1e-6})
    text = "\n".join(check.failures)
    assert "1 hours accepted, 2 complete hours" in text
    assert "the second push sent 1 hours" in text
    assert "1 of 2 hours differ" in text
    assert "repair issue push_refused_s1" in text
    assert "dialog did not open" in text
    assert len(check.failures) == 5


def test_check_enerkey_without_pushed_meter(tmp_path: Path) -> None:
    """The bootstrap made no pushed meter: a failure, nothing called."""
    page = EnerKeyPage([], [])
    check = Check(page, "http://ha", tmp_path)
    check.enerkey(None, None)
    assert check.failures == [
        "enerkey: no pushed meter (see dev_bootstrap's enerkey lines)"
    ]
    assert page.calls == []
