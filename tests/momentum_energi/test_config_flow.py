"""Config, reauth, reconfigure and options flows of Momentum Energi."""

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_CLIENT_ID, CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.momentum_energi.const import (
    CONF_ADVANCED,
    CONF_BACKFILL_DAYS,
    CONF_CLIENT_SECRET,
    CONF_LEVEL,
    CONF_MEDIA,
    DOMAIN,
)
from simulators import Fault
from simulators.momentum_energi import MomentumEnergiSimulator

from .conftest import NOW, SIM

pytestmark = pytest.mark.freeze_time(NOW)

SETUP = "custom_components.momentum_energi.async_setup_entry"


def _form(url: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        CONF_USERNAME: SIM.USERNAME,
        CONF_PASSWORD: SIM.PASSWORD,
        CONF_CLIENT_SECRET: SIM.CLIENT_SECRET,
        CONF_ADVANCED: {CONF_URL: url, CONF_CLIENT_ID: SIM.CLIENT_ID},
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("token_in_header", [False, True])
async def test_user_flow_creates_entry(
    hass: HomeAssistant, simulator_url: str, token_in_header: bool
) -> None:
    """Valid credentials create an entry keyed by the lower-cased user name."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    with patch(SETUP, return_value=True) as setup:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            _form(simulator_url + "/", **{CONF_USERNAME: f" {SIM.USERNAME} "}),
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The company is the entry's identity (issue 12.5), not the user name.
    assert result["title"] == "Momentum Energi Solrosen"
    assert result["result"].unique_id == "solrosen"
    assert result["result"].version == 2
    assert result["data"] == {
        CONF_USERNAME: SIM.USERNAME,
        CONF_PASSWORD: SIM.PASSWORD,
        CONF_CLIENT_SECRET: SIM.CLIENT_SECRET,
        CONF_URL: simulator_url,
        CONF_CLIENT_ID: SIM.CLIENT_ID,
    }
    assert len(setup.mock_calls) == 1


@pytest.mark.parametrize(
    ("breakage", "error"),
    [
        ("password", "invalid_auth"),
        ("secret", "invalid_client"),
        ("client_id", "invalid_client"),
        ("forbidden", "forbidden"),
        ("server", "cannot_connect"),
        ("rate_limit", "cannot_connect"),
        ("unreachable", "cannot_connect"),
        ("url", "invalid_url"),
        ("crash", "unknown"),
    ],
)
async def test_user_flow_errors_and_recovery(
    hass: HomeAssistant,
    simulator: MomentumEnergiSimulator,
    simulator_url: str,
    breakage: str,
    error: str,
) -> None:
    """Each failure shows its error on the form; fixing it then succeeds."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    form = _form(simulator_url)
    crash = patch(
        "custom_components.momentum_energi.config_flow.MomentumEnergiClient.structure",
        side_effect=RuntimeError("boom"),
    )
    match breakage:
        case "password":
            form[CONF_PASSWORD] = "wrong"
        case "secret":
            form[CONF_CLIENT_SECRET] = "wrong"
        case "client_id":
            form[CONF_ADVANCED] = {CONF_URL: simulator_url, CONF_CLIENT_ID: "other"}
        case "forbidden":
            simulator.forbidden_levels.add("E")
        case "server":
            simulator.faults.inject(Fault.SERVER_ERROR, endpoint="token")
        case "rate_limit":
            simulator.faults.inject(Fault.RATE_LIMIT, endpoint="structure")
        case "unreachable":
            form[CONF_ADVANCED] = {
                CONF_URL: "http://127.0.0.1:9",
                CONF_CLIENT_ID: SIM.CLIENT_ID,
            }
        case "url":
            form[CONF_ADVANCED] = {
                CONF_URL: "http://api-rc.momentum.se",
                CONF_CLIENT_ID: SIM.CLIENT_ID,
            }
        case "crash":
            crash.start()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    if breakage == "crash":
        crash.stop()
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    simulator.forbidden_levels.clear()
    with patch(SETUP, return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _form(simulator_url)
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_duplicate_aborts_whatever_the_case(
    hass: HomeAssistant, simulator_url: str, mock_config_entry: MockConfigEntry
) -> None:
    """A user can be configured once; user names are case-insensitive."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(simulator_url, **{CONF_USERNAME: "APIUSER@solrosen"})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_flow(
    hass: HomeAssistant,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A changed password is fixed through reauth, after one wrong try."""
    simulator.users[SIM.USERNAME.lower()] = "new-password"
    result = await init_integration.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["username"] == SIM.USERNAME
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_PASSWORD: "still-wrong", CONF_CLIENT_SECRET: SIM.CLIENT_SECRET},
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_PASSWORD: "new-password", CONF_CLIENT_SECRET: SIM.CLIENT_SECRET},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert init_integration.data[CONF_PASSWORD] == "new-password"
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED


async def test_reconfigure_flow(
    hass: HomeAssistant,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Reconfigure changes the secret; errors show and recover."""
    url = init_integration.data[CONF_URL]
    result = await init_integration.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(url, **{CONF_CLIENT_SECRET: "wrong"})
    )
    assert result["errors"] == {"base": "invalid_client"}
    simulator.client_secret = "new-secret"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(url, **{CONF_CLIENT_SECRET: "new-secret"})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data[CONF_CLIENT_SECRET] == "new-secret"


async def test_reconfigure_refuses_another_user(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The user is the entry's identity and cannot be swapped."""
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _form(init_integration.data[CONF_URL], **{CONF_USERNAME: "other@company"}),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


async def test_options_flow_checks_a_new_level(
    hass: HomeAssistant,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A level the customer lacks is refused on the form; a valid one reloads."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    media = result["data_schema"].schema[CONF_MEDIA].config["options"]
    assert [option["label"] for option in media] == [
        "Fastighetsel",
        "Fjärrvärme",
        "Kallvatten",
        "Naturgas",
    ]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_LEVEL: "a", CONF_MEDIA: [], CONF_BACKFILL_DAYS: 400},
    )
    assert result["errors"] == {"base": "level_not_available"}
    simulator.levels.add("A")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_LEVEL: "a", CONF_MEDIA: ["fastighetsel"], CONF_BACKFILL_DAYS: 400.0},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {
        CONF_LEVEL: "a",
        CONF_MEDIA: ["fastighetsel"],
        CONF_BACKFILL_DAYS: 400,
    }
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.cafeet_fastighetsel_energy_last_month")


async def test_options_flow_of_an_entry_not_loaded(
    hass: HomeAssistant,
    simulator: MomentumEnergiSimulator,
    mock_config_entry: MockConfigEntry,
    recorder_mock: object,
) -> None:
    """Options can be set while the entry is down: media stay as chosen."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_LEVEL: "e", CONF_MEDIA: ["naturgas"]}
    )
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    media = result["data_schema"].schema[CONF_MEDIA].config["options"]
    assert media == [{"value": "naturgas", "label": "naturgas"}]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_LEVEL: "e", CONF_MEDIA: ["naturgas"], CONF_BACKFILL_DAYS: 60},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert simulator.counters["token"] == 0  # the level did not change


async def test_reconfigure_to_another_user_of_the_company(
    hass: HomeAssistant,
    simulator: MomentumEnergiSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """12.5: the company is the identity; its API user can be replaced."""
    simulator.users["newuser@solrosen"] = "new-password"
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _form(
            init_integration.data[CONF_URL],
            **{CONF_USERNAME: "newuser@Solrosen", CONF_PASSWORD: "new-password"},
        ),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data[CONF_USERNAME] == "newuser@Solrosen"
    assert init_integration.unique_id == "solrosen"


async def test_another_user_of_a_configured_company_aborts(
    hass: HomeAssistant, simulator_url: str, mock_config_entry: MockConfigEntry
) -> None:
    """12.5: two users of one company see the same estates: one entry."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(simulator_url, **{CONF_USERNAME: "other@SOLROSEN"})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
