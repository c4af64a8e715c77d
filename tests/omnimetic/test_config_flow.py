"""Config, reauth, reconfigure and options flows of the Omnimetic integration."""

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_CLIENT_ID, CONF_CURRENCY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.omnimetic.const import (
    CONF_ADVANCED,
    CONF_BACKFILL_DAYS,
    CONF_CLIENT_SECRET,
    CONF_SERVICE_ACCOUNT_ID,
    DOMAIN,
)
from simulators import Fault
from simulators.omnimetic import OmnimeticSimulator

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)


def _form(url: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        CONF_CLIENT_ID: OmnimeticSimulator.CLIENT_ID,
        CONF_CLIENT_SECRET: OmnimeticSimulator.CLIENT_SECRET,
        CONF_SERVICE_ACCOUNT_ID: OmnimeticSimulator.SERVICE_ACCOUNT_ID,
        CONF_ADVANCED: {CONF_URL: url},
    }
    data.update(overrides)
    return data


async def test_user_flow_creates_entry(hass: HomeAssistant, simulator_url: str) -> None:
    """Valid credentials create an entry keyed by the service account."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    with patch(
        "custom_components.omnimetic.async_setup_entry", return_value=True
    ) as setup:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            _form(
                simulator_url + "/",
                **{CONF_CLIENT_ID: f" {OmnimeticSimulator.CLIENT_ID} "},
            ),
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Omnimetic {OmnimeticSimulator.SERVICE_ACCOUNT_ID}"
    assert result["result"].unique_id == OmnimeticSimulator.SERVICE_ACCOUNT_ID
    assert result["data"] == {
        CONF_CLIENT_ID: OmnimeticSimulator.CLIENT_ID,
        CONF_CLIENT_SECRET: OmnimeticSimulator.CLIENT_SECRET,
        CONF_SERVICE_ACCOUNT_ID: OmnimeticSimulator.SERVICE_ACCOUNT_ID,
        CONF_URL: simulator_url,
    }
    assert len(setup.mock_calls) == 1


@pytest.mark.parametrize(
    ("breakage", "error"),
    [
        ("secret", "invalid_auth"),
        ("account", "service_account_not_found"),
        ("server", "cannot_connect"),
        ("unreachable", "cannot_connect"),
        ("url", "invalid_url"),
        ("userinfo", "invalid_url"),
        ("crash", "unknown"),
        ("dots", "invalid_service_account_id"),
        ("path", "invalid_service_account_id"),
        ("short", "invalid_service_account_id"),
    ],
)
async def test_user_flow_errors_and_recovery(
    hass: HomeAssistant,
    simulator: OmnimeticSimulator,
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
        "custom_components.omnimetic.config_flow.OmnimeticClient.authenticate",
        side_effect=RuntimeError("boom"),
    )
    match breakage:
        case "secret":
            form[CONF_CLIENT_SECRET] = "wrong"
        case "account":
            form[CONF_SERVICE_ACCOUNT_ID] = "000000000000000000000000"
        case "server":
            simulator.faults.inject(Fault.SERVER_ERROR, endpoint="access_token")
        case "unreachable":
            form[CONF_ADVANCED] = {CONF_URL: "http://127.0.0.1:9/api"}
        case "url":
            form[CONF_ADVANCED] = {CONF_URL: "http://app.omnimetic.com/api"}
        case "userinfo":
            form[CONF_ADVANCED] = {CONF_URL: "https://user:pass@app.omnimetic.com/api"}
        case "crash":
            crash.start()
        case "dots":
            # 8.6: ids that would leave their URL path segment.
            form[CONF_SERVICE_ACCOUNT_ID] = ".."
        case "path":
            form[CONF_SERVICE_ACCOUNT_ID] = (
                f"x/../{OmnimeticSimulator.SERVICE_ACCOUNT_ID}"
            )
        case "short":
            form[CONF_SERVICE_ACCOUNT_ID] = "ab-12"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    if breakage == "crash":
        crash.stop()
    assert result["type"] is FlowResultType.FORM
    field = CONF_SERVICE_ACCOUNT_ID if error == "invalid_service_account_id" else "base"
    assert result["errors"] == {field: error}

    with patch("custom_components.omnimetic.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _form(simulator_url)
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_duplicate_aborts(
    hass: HomeAssistant, simulator_url: str, mock_config_entry: MockConfigEntry
) -> None:
    """A service account can be configured only once."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(simulator_url)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_flow(
    hass: HomeAssistant,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A rotated secret is fixed through reauth, after one wrong try."""
    simulator.credentials[OmnimeticSimulator.CLIENT_ID] = "rotated-secret"
    result = await init_integration.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_CLIENT_ID: OmnimeticSimulator.CLIENT_ID,
            CONF_CLIENT_SECRET: "still-wrong",
        },
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_CLIENT_ID: OmnimeticSimulator.CLIENT_ID,
            CONF_CLIENT_SECRET: "rotated-secret",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert init_integration.data[CONF_CLIENT_SECRET] == "rotated-secret"


async def test_reconfigure_flow(
    hass: HomeAssistant,
    simulator: OmnimeticSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Reconfigure changes credentials and URL; errors show and recover."""
    url = init_integration.data[CONF_URL]
    result = await init_integration.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(url, **{CONF_CLIENT_SECRET: "wrong"})
    )
    assert result["errors"] == {"base": "invalid_auth"}
    simulator.credentials[OmnimeticSimulator.CLIENT_ID] = "new-secret"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(url, **{CONF_CLIENT_SECRET: "new-secret"})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data[CONF_CLIENT_SECRET] == "new-secret"


async def test_reconfigure_refuses_another_account(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The service account is the entry's identity and cannot be swapped."""
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _form(
            init_integration.data[CONF_URL],
            **{CONF_SERVICE_ACCOUNT_ID: "0123456789abcdef01234567"},
        ),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_service_account"


async def test_options_flow(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Options set the currency and backfill; the entry reloads with them."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CURRENCY: "EUR", CONF_BACKFILL_DAYS: 30.0}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {CONF_CURRENCY: "EUR", CONF_BACKFILL_DAYS: 30}
    state = hass.states.get(
        f"sensor.omnimetic_{OmnimeticSimulator.SERVICE_ACCOUNT_ID}_cost_this_month"
    )
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "EUR"


async def test_options_flow_rejects_unusable_numbers(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """8.11: "nan" passes the number selector; it is a form error, then fixed.

    Infinite, out-of-range and non-numeric values are already refused by the
    selector's own schema (a form error in the frontend, not a crash).
    """
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    for days in ("inf", "-inf", 0, 3651, "x"):
        with pytest.raises(InvalidData):
            await hass.config_entries.options.async_configure(
                result["flow_id"], {CONF_CURRENCY: "EUR", CONF_BACKFILL_DAYS: days}
            )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CURRENCY: "EUR", CONF_BACKFILL_DAYS: "nan"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_BACKFILL_DAYS: "invalid_backfill_days"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CURRENCY: "EUR", CONF_BACKFILL_DAYS: 60}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_BACKFILL_DAYS] == 60
