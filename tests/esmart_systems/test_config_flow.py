"""Config, reauth and reconfigure flows of the eSmart Systems integration."""

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esmart_systems.const import (
    AREA_NET,
    AREA_POWER,
    CONF_AREA,
    DOMAIN,
)
from simulators import Fault
from simulators.esmart_systems import ESmartSystemsSimulator as Sim

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

SETUP = "custom_components.esmart_systems.async_setup_entry"


def _form(url: str, **overrides: Any) -> dict[str, Any]:
    return {
        CONF_URL: url,
        CONF_USERNAME: Sim.USERNAME,
        CONF_PASSWORD: Sim.PASSWORD,
        CONF_AREA: AREA_POWER,
        **overrides,
    }


async def test_user_flow_creates_entry(
    hass: HomeAssistant, simulator: Sim, simulator_url: str
) -> None:
    """A valid login creates an entry keyed by UserAuthId and area."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    with patch(SETUP, return_value=True) as setup:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            _form(f"{simulator_url}/", **{CONF_USERNAME: f" {Sim.USERNAME} "}),
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "127.0.0.1 (Power)"
    assert result["result"].unique_id == f"{Sim.USER_AUTH_ID}_power"
    assert result["data"] == {
        CONF_URL: simulator_url,
        CONF_USERNAME: Sim.USERNAME,
        CONF_PASSWORD: Sim.PASSWORD,
        CONF_AREA: AREA_POWER,
    }
    assert len(setup.mock_calls) == 1
    assert simulator.x_area == {"2": 1}

    # The same user's grid area is a second entry.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    with patch(SETUP, return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _form(simulator_url, **{CONF_AREA: AREA_NET})
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "127.0.0.1 (Grid)"
    assert result["result"].unique_id == f"{Sim.USER_AUTH_ID}_net"


@pytest.mark.parametrize(
    ("breakage", "error"),
    [
        ("password", {"base": "invalid_auth"}),
        ("area", {"base": "not_in_area"}),
        ("server", {"base": "cannot_connect"}),
        ("unreachable", {"base": "cannot_connect"}),
        ("url", {CONF_URL: "invalid_url"}),
        ("crash", {"base": "unknown"}),
    ],
)
async def test_user_flow_errors_and_recovery(
    hass: HomeAssistant,
    simulator: Sim,
    simulator_url: str,
    breakage: str,
    error: dict[str, str],
) -> None:
    """Each failure shows its error; fixing it creates the entry."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    form = _form(simulator_url)
    match breakage:
        case "password":
            form[CONF_PASSWORD] = "wrong"
        case "area":
            form[CONF_USERNAME] = Sim.POWER_ONLY_USERNAME
            form[CONF_AREA] = AREA_NET
        case "server":
            simulator.faults.inject(Fault.SERVER_ERROR, endpoint="authenticate")
        case "unreachable":
            form[CONF_URL] = "http://127.0.0.1:9"
        case "url":
            form[CONF_URL] = "http://utility.example.com"
    if breakage == "crash":
        with patch(
            "custom_components.esmart_systems.config_flow.ESmartClient.authenticate",
            side_effect=RuntimeError("boom"),
        ):
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], form
            )
    else:
        result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == error
    with patch(SETUP, return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _form(simulator_url)
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_already_configured(
    hass: HomeAssistant, simulator_url: str, mock_config_entry: MockConfigEntry
) -> None:
    """The same user and area cannot be added twice."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(simulator_url)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth(
    hass: HomeAssistant, simulator: Sim, mock_config_entry: MockConfigEntry
) -> None:
    """A refused password is asked again; a wrong one shows an error first."""
    mock_config_entry.add_to_hass(hass)
    simulator.users[Sim.USERNAME].password = "new-password-123"
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["host"] == "127.0.0.1"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: Sim.USERNAME, CONF_PASSWORD: Sim.PASSWORD}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    with patch(SETUP, return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_USERNAME: Sim.USERNAME, CONF_PASSWORD: "new-password-123"},
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data[CONF_PASSWORD] == "new-password-123"


async def test_reauth_other_user_refused(
    hass: HomeAssistant, simulator: Sim, mock_config_entry: MockConfigEntry
) -> None:
    """Another user's login cannot take over the entry."""
    mock_config_entry.add_to_hass(hass)
    simulator.users[Sim.POWER_ONLY_USERNAME].customers[1] = [1002]
    result = await mock_config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_USERNAME: Sim.POWER_ONLY_USERNAME, CONF_PASSWORD: Sim.PASSWORD},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert mock_config_entry.data[CONF_USERNAME] == Sim.USERNAME


async def test_reconfigure(
    hass: HomeAssistant,
    simulator: Sim,
    simulator_url: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The host can change (after an error), the area stays."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_URL: "http://127.0.0.1:9",
            CONF_USERNAME: Sim.USERNAME,
            CONF_PASSWORD: Sim.PASSWORD,
        },
    )
    assert result["errors"] == {"base": "cannot_connect"}
    with patch(SETUP, return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_URL: f"{simulator_url}/api",
                CONF_USERNAME: Sim.USERNAME,
                CONF_PASSWORD: Sim.PASSWORD,
            },
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_URL] == f"{simulator_url}/api"
    assert mock_config_entry.data[CONF_AREA] == AREA_POWER
