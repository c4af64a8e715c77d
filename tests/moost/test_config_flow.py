"""Config, building, reauth, reconfigure and options flows of the MOOST integration."""

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.moost.api import MoostBadRequestError
from custom_components.moost.const import (
    CONF_ADVANCED,
    CONF_CITY,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_COUNTRY_CODE,
    CONF_CURRENCY,
    CONF_CUSTOMER_BUILDING_ID,
    CONF_PRICE_ENTITY,
    CONF_TARIFF,
    CONF_URL,
    CONF_ZIP,
    DOMAIN,
    WEEKDAYS,
)
from simulators import Fault
from simulators.moost import MoostSimulator

from .conftest import NOW, add_building

pytestmark = pytest.mark.freeze_time(NOW)

FLOW = "custom_components.moost.config_flow"
OTHER_CUSTOMER = "6565f0c1a2b3c4d5e6f7ffff"


def _credentials(url: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        CONF_CLIENT_ID: MoostSimulator.CLIENT_ID,
        CONF_CLIENT_SECRET: MoostSimulator.CLIENT_SECRET,
        CONF_ADVANCED: {CONF_URL: url},
    }
    data.update(overrides)
    return data


def _building(**overrides: Any) -> dict[str, Any]:
    data = {
        CONF_CUSTOMER_BUILDING_ID: "chalet",
        CONF_ZIP: " 8005 ",
        CONF_CITY: "Zürich",
        CONF_COUNTRY_CODE: "ch",
    }
    data.update(overrides)
    return data


async def _to_building_step(hass: HomeAssistant, url: str) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials(url + "/")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "building"
    return dict(result)


async def test_user_flow_creates_building_and_entry(
    hass: HomeAssistant, simulator: MoostSimulator, simulator_url: str
) -> None:
    """Credentials, then the building: MOOST gets it, the entry is keyed by customer."""
    result = await _to_building_step(hass, simulator_url)
    schema = result["data_schema"].schema
    defaults = {str(key): key.default() for key in schema if callable(key.default)}
    # Defaults: a slug of HA's location name, HA's country.
    assert defaults[CONF_CUSTOMER_BUILDING_ID] == "chalet_sonnenberg"
    assert defaults[CONF_COUNTRY_CODE] == "CH"
    with patch("custom_components.moost.async_setup_entry", return_value=True) as setup:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _building()
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "MOOST chalet"
    assert result["result"].unique_id == MoostSimulator.CUSTOMER_ID
    assert result["data"] == {
        CONF_CLIENT_ID: MoostSimulator.CLIENT_ID,
        CONF_CLIENT_SECRET: MoostSimulator.CLIENT_SECRET,
        CONF_URL: simulator_url,
        CONF_CUSTOMER_BUILDING_ID: "chalet",
        CONF_ZIP: "8005",
        CONF_CITY: "Zürich",
        CONF_COUNTRY_CODE: "CH",
    }
    building = simulator.building("chalet")
    assert building is not None
    assert building["zip"] == "8005"
    assert building["countryCode"] == "CH"
    assert building["timeZoneId"] == "Europe/Zurich"
    assert simulator.counters["create_building"] == 1
    assert len(setup.mock_calls) == 1


async def test_existing_building_is_updated(
    hass: HomeAssistant, simulator: MoostSimulator, simulator_url: str
) -> None:
    """A building MOOST already has (409) is updated instead."""
    add_building(simulator, "chalet", zip="9999", city="Bern")
    result = await _to_building_step(hass, simulator_url)
    with patch("custom_components.moost.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _building()
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    building = simulator.building("chalet")
    assert building is not None
    assert (building["zip"], building["city"]) == ("8005", "Zürich")
    assert simulator.counters["update_building"] == 1


@pytest.mark.parametrize(
    ("breakage", "error"),
    [
        ("secret", "invalid_auth"),
        ("server", "cannot_connect"),
        ("unreachable", "cannot_connect"),
        ("url", "invalid_url"),
        ("crash", "unknown"),
    ],
)
async def test_user_step_errors_and_recovery(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    simulator_url: str,
    breakage: str,
    error: str,
) -> None:
    """Each failure shows its error on the form; fixing it then goes on."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    form = _credentials(simulator_url)
    crash = patch(f"{FLOW}.MoostClient.async_login", side_effect=RuntimeError("boom"))
    match breakage:
        case "secret":
            form[CONF_CLIENT_SECRET] = "wrong"
        case "server":
            simulator.faults.inject(Fault.SERVER_ERROR, endpoint="token")
        case "unreachable":
            form[CONF_ADVANCED] = {CONF_URL: "http://127.0.0.1:9"}
        case "url":
            form[CONF_ADVANCED] = {CONF_URL: "http://api.moost.io"}
        case "crash":
            crash.start()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    if breakage == "crash":
        crash.stop()
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": error}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials(simulator_url)
    )
    assert result["step_id"] == "building"


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        (CONF_CUSTOMER_BUILDING_ID, "my home", "invalid_building_id"),
        (CONF_ZIP, "80", "invalid_zip"),
        (CONF_CITY, "  ", "invalid_city"),
        (CONF_COUNTRY_CODE, "CHE", "invalid_country_code"),
    ],
)
async def test_building_field_errors_and_recovery(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    simulator_url: str,
    field: str,
    value: str,
    error: str,
) -> None:
    """A field breaking MOOST's pattern shows at the field; MOOST is not asked."""
    result = await _to_building_step(hass, simulator_url)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _building(**{field: value})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert simulator.counters["create_building"] == 0
    with patch("custom_components.moost.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _building()
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("breakage", "error"),
    [
        ("refused", "building_refused"),
        ("secret", "invalid_auth"),
        ("server", "cannot_connect"),
        ("crash", "unknown"),
    ],
)
async def test_building_save_errors_and_recovery(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    simulator_url: str,
    breakage: str,
    error: str,
) -> None:
    """MOOST failing to take the building shows an error; a retry creates it."""
    result = await _to_building_step(hass, simulator_url)
    broken = None
    match breakage:
        case "refused":
            broken = patch(
                f"{FLOW}.MoostClient.async_create_building",
                side_effect=MoostBadRequestError("zip does not match its pattern"),
            )
        case "secret":
            # Rotated between the two steps: the next token is refused.
            simulator.clients[MoostSimulator.CLIENT_ID] = (
                "rotated",
                MoostSimulator.CUSTOMER_ID,
            )
        case "server":
            simulator.faults.inject(Fault.SERVER_ERROR, endpoint="create_building")
        case "crash":
            broken = patch(
                f"{FLOW}.MoostClient.async_create_building",
                side_effect=RuntimeError("boom"),
            )
    if broken:
        broken.start()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _building()
    )
    if broken:
        broken.stop()
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "building"
    assert result["errors"] == {"base": error}

    simulator.clients[MoostSimulator.CLIENT_ID] = (
        MoostSimulator.CLIENT_SECRET,
        MoostSimulator.CUSTOMER_ID,
    )
    with patch("custom_components.moost.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _building()
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert simulator.building("chalet") is not None


async def test_duplicate_customer_aborts(
    hass: HomeAssistant, simulator_url: str, mock_config_entry: MockConfigEntry
) -> None:
    """A MOOST customer can be configured only once."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials(simulator_url)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_flow(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A rotated secret is fixed through reauth, after one wrong try."""
    simulator.clients[MoostSimulator.CLIENT_ID] = (
        "rotatedsecret",
        MoostSimulator.CUSTOMER_ID,
    )
    result = await init_integration.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_CLIENT_ID: MoostSimulator.CLIENT_ID, CONF_CLIENT_SECRET: "stillwrong"},
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_CLIENT_ID: MoostSimulator.CLIENT_ID, CONF_CLIENT_SECRET: "rotatedsecret"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert init_integration.data[CONF_CLIENT_SECRET] == "rotatedsecret"


async def test_reauth_refuses_another_customer(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Credentials of another MOOST customer cannot replace the entry's."""
    simulator.add_client("otherclient", "othersecret", OTHER_CUSTOMER)
    result = await init_integration.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_CLIENT_ID: "otherclient", CONF_CLIENT_SECRET: "othersecret"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert init_integration.data[CONF_CLIENT_ID] == MoostSimulator.CLIENT_ID


def _reconfigure_form(url: str, **overrides: Any) -> dict[str, Any]:
    form = {
        **_credentials(url),
        CONF_ZIP: "3011",
        CONF_CITY: "Bern",
        CONF_COUNTRY_CODE: "CH",
    }
    form.update(overrides)
    return form


async def test_reconfigure_flow(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Reconfigure moves the building (at MOOST too); errors show and recover."""
    url = init_integration.data[CONF_URL]
    result = await init_integration.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {"building_id": "home"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _reconfigure_form(url, **{CONF_ZIP: "x"})
    )
    assert result["errors"] == {CONF_ZIP: "invalid_zip"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _reconfigure_form(url, **{CONF_CLIENT_SECRET: "wrong"})
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _reconfigure_form(url)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data[CONF_CITY] == "Bern"
    assert init_integration.data[CONF_CUSTOMER_BUILDING_ID] == "home"
    building = simulator.building()
    assert building is not None
    assert (building["zip"], building["city"]) == ("3011", "Bern")


async def test_reconfigure_recreates_a_deleted_building(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A building deleted at MOOST (404 on update) is created again."""
    del simulator.customer.buildings["home"]
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _reconfigure_form(init_integration.data[CONF_URL])
    )
    assert result["reason"] == "reconfigure_successful"
    assert simulator.building() is not None
    assert simulator.counters["create_building"] == 1


async def test_reconfigure_refuses_another_customer(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The MOOST customer is the entry's identity and cannot be swapped."""
    simulator.add_client("otherclient", "othersecret", OTHER_CUSTOMER)
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _reconfigure_form(
            init_integration.data[CONF_URL],
            **{CONF_CLIENT_ID: "otherclient", CONF_CLIENT_SECRET: "othersecret"},
        ),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


async def test_options_single_tariff(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A single tariff is written to MOOST's building once."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_TARIFF: "single", CONF_CURRENCY: "CHF"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {CONF_TARIFF: "single", CONF_CURRENCY: "CHF"}
    await hass.async_block_till_done(wait_background_tasks=True)
    building = simulator.building()
    assert building is not None
    assert building["settings"]["tariff"] == {"type": "SINGLE", "currency": "CHF"}
    assert init_integration.state.name == "LOADED"


async def test_options_dual_tariff(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Dual: a low-tariff window per weekday, written as HH:MM."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_TARIFF: "dual", CONF_CURRENCY: "CHF"}
    )
    assert result["step_id"] == "dual"
    times = {f"{day}_start": "21:00:00" for day in WEEKDAYS} | {
        f"{day}_end": "06:30:00" for day in WEEKDAYS
    }
    times["sunday_start"] = "00:00:00"
    times["sunday_end"] = "23:59:00"
    result = await hass.config_entries.options.async_configure(result["flow_id"], times)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    building = simulator.building()
    assert building is not None
    tariff = building["settings"]["tariff"]
    assert tariff["type"] == "DUAL"
    low = tariff["dual"]["lowTariff"]
    assert low["mondayStartTime"] == "21:00"
    assert low["mondayEndTime"] == "06:30"
    assert (low["sundayStartTime"], low["sundayEndTime"]) == ("00:00", "23:59")
    assert len(low) == 14


async def test_options_dynamic_tariff(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Dynamic: an entity without prices is refused; one with prices is taken."""
    hass.states.async_set("sensor.no_prices", "0.2", {"today": [0.2, 0.3]})
    hass.states.async_set(
        "sensor.nordpool",
        "0.25",
        {
            "unit_of_measurement": "CHF/kWh",
            "raw_today": [
                {
                    "start": "2026-11-10T00:00:00+01:00",
                    "end": "2026-11-10T01:00:00+01:00",
                    "value": 0.25,
                },
                {
                    "start": "2026-11-10T01:00:00+01:00",
                    "end": "2026-11-10T02:00:00+01:00",
                    "value": 0.21,
                },
            ],
            "raw_tomorrow": [],
        },
    )
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_TARIFF: "dynamic", CONF_CURRENCY: "CHF"}
    )
    assert result["step_id"] == "dynamic"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_PRICE_ENTITY: "sensor.no_prices"}
    )
    assert result["errors"] == {CONF_PRICE_ENTITY: "no_prices"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_PRICE_ENTITY: "sensor.nordpool"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_PRICE_ENTITY] == "sensor.nordpool"
    await hass.async_block_till_done(wait_background_tasks=True)
    building = simulator.building()
    assert building is not None
    tariff = building["settings"]["tariff"]
    assert tariff["type"] == "DYNAMIC"
    assert tariff["dynamic"]["tariffs"] == [
        {"from": 1_794_265_200, "to": 1_794_268_800, "price": 0.25},
        {"from": 1_794_268_800, "to": 1_794_272_400, "price": 0.21},
    ]
    assert (tariff["minPrice"], tariff["maxPrice"]) == (0.21, 0.25)


async def test_devices_are_added_as_subentries(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The entry offers the "device" subentry flow (devices added by hand)."""
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, "device"), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
