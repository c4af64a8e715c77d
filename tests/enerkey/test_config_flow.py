"""Config flow of EnerKey: every path, and recovery after each error."""

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.enerkey.const import (
    CONF_API_KEY,
    CONF_PRICE_PER_KWH,
    CONF_SECONDARY_API_KEY,
    DOMAIN,
)
from simulators import Fault
from simulators.enerkey import EnerKeySimulator

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

PRIMARY = EnerKeySimulator.PRIMARY_KEY
SECONDARY = EnerKeySimulator.SECONDARY_KEY


def _input(
    url: str, key: str = PRIMARY, secondary: str | None = SECONDARY
) -> dict[str, Any]:
    data: dict[str, Any] = {CONF_API_KEY: key, "advanced": {CONF_URL: url}}
    if secondary is not None:
        data[CONF_SECONDARY_API_KEY] = secondary
    return data


async def _start(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    return str(result["flow_id"])


async def test_user_flow_with_both_keys(
    hass: HomeAssistant, simulator: EnerKeySimulator, simulator_url: str
) -> None:
    """Both keys checked; unique id from the facilities, never a key."""
    flow_id = await _start(hass)
    with patch("custom_components.enerkey.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            flow_id, _input(simulator_url + "/")
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Profile 1001 (3 facilities)"
    assert result["data"] == {
        CONF_API_KEY: PRIMARY,
        CONF_SECONDARY_API_KEY: SECONDARY,
        CONF_URL: simulator_url,
    }
    assert result["result"].unique_id == "1001"
    assert set(simulator.keys_used) == {PRIMARY, SECONDARY}
    # The same profile again, with one key only: already configured.
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, _input(simulator_url, SECONDARY, None)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("setup", "user_input", "errors"),
    [
        ("none", {"key": "wrong"}, {CONF_API_KEY: "invalid_auth"}),
        ("none", {"secondary": "wrong"}, {CONF_SECONDARY_API_KEY: "invalid_auth"}),
        ("none", {"secondary": PRIMARY}, {CONF_SECONDARY_API_KEY: "same_key"}),
        ("none", {"url": "http://example.com"}, {"base": "invalid_url"}),
        ("server_error", {}, {"base": "cannot_connect"}),
        ("rate_limit", {}, {"base": "rate_limited"}),
        ("crash", {}, {"base": "unknown"}),
        ("no_facilities", {}, {"base": "no_facilities"}),
        ("other_profile", {}, {CONF_SECONDARY_API_KEY: "other_profile"}),
    ],
)
async def test_user_flow_errors_and_recovery(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    simulator_url: str,
    setup: str,
    user_input: dict[str, str],
    errors: dict[str, str],
) -> None:
    """Each error shows on the form; the next try with good input succeeds."""
    flow_id = await _start(hass)
    facilities = dict(simulator.facilities)
    crash = patch(
        "custom_components.enerkey.config_flow.EnerKeyClient.facilities",
        side_effect=RuntimeError("boom"),
    )
    if setup == "server_error":
        simulator.faults.inject(Fault.SERVER_ERROR, endpoint="facilities")
    elif setup == "rate_limit":
        simulator.faults.inject(Fault.RATE_LIMIT, endpoint="facilities")
    elif setup == "crash":
        crash.start()
    elif setup == "no_facilities":
        simulator.facilities = {}
    elif setup == "other_profile":
        crash = patch(
            "custom_components.enerkey.config_flow.EnerKeyConfigFlow._facility_ids",
            side_effect=[{"1001", "1002"}, {"1002"}],
        )
        crash.start()
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        _input(
            user_input.get("url", simulator_url),
            user_input.get("key", PRIMARY),
            user_input.get("secondary", SECONDARY),
        ),
    )
    if setup in ("crash", "other_profile"):
        crash.stop()
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    simulator.facilities = facilities
    simulator.faults.clear()
    with patch("custom_components.enerkey.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            flow_id, _input(simulator_url, PRIMARY, None)
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_SECONDARY_API_KEY not in result["data"]


async def test_reauth_replaces_a_key(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Reauth: a wrong key is an error; an empty field keeps the stored key."""
    mock_config_entry.add_to_hass(hass)
    simulator.revoke(PRIMARY)
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {CONF_API_KEY: "invalid_auth"}
    simulator.renew(PRIMARY)
    with patch("custom_components.enerkey.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_SECONDARY_API_KEY: " "}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data[CONF_SECONDARY_API_KEY] == SECONDARY


async def test_reauth_other_profile_aborts(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    simulator_url: str,
) -> None:
    """A key of another profile does not replace this entry's key."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="4242",
        data={CONF_URL: simulator_url, CONF_API_KEY: "old"},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: PRIMARY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_profile"
    assert entry.data[CONF_API_KEY] == "old"


async def test_reconfigure(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
    simulator_url: str,
) -> None:
    """Reconfigure: an invalid URL is an error; a new secondary key is stored."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"advanced": {CONF_URL: "ftp://x"}}
    )
    assert result["errors"] == {"base": "invalid_url"}
    simulator.keys["ek-new"] = simulator.keys[SECONDARY]
    with patch("custom_components.enerkey.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_SECONDARY_API_KEY: "ek-new", "advanced": {CONF_URL: simulator_url}},
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_SECONDARY_API_KEY] == "ek-new"
    assert mock_config_entry.data[CONF_API_KEY] == PRIMARY


async def test_reauth_with_one_key(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    simulator_url: str,
) -> None:
    """An entry with one key stays with one key after reauthentication."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="1001",
        data={CONF_URL: simulator_url, CONF_API_KEY: "old"},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    with patch("custom_components.enerkey.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: PRIMARY}
        )
    assert result["reason"] == "reauth_successful"
    assert dict(entry.data) == {CONF_URL: simulator_url, CONF_API_KEY: PRIMARY}


async def test_reauth_drops_a_refused_stored_second_key(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """One renewed key is enough: the refused stored second key goes."""
    mock_config_entry.add_to_hass(hass)
    simulator.revoke(PRIMARY)
    simulator.expire(SECONDARY)
    simulator.keys["ek-renewed"] = simulator.keys[PRIMARY]
    simulator.renew("ek-renewed")
    result = await mock_config_entry.start_reauth_flow(hass)
    with patch("custom_components.enerkey.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: "ek-renewed"}
        )
    assert result["reason"] == "reauth_successful"
    assert CONF_SECONDARY_API_KEY not in mock_config_entry.data
    assert mock_config_entry.data[CONF_API_KEY] == "ek-renewed"
    # A typed second key that is refused is an error, not dropped.
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_SECONDARY_API_KEY: SECONDARY,
            "advanced": {CONF_URL: mock_config_entry.data[CONF_URL]},
        },
    )
    assert result["errors"] == {CONF_SECONDARY_API_KEY: "invalid_auth"}


async def test_options_price_errors_recovery_and_clearing(
    hass: HomeAssistant,
    recorder_mock: object,
    simulator: EnerKeySimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A price that is not a finite number is an error; empty removes the price."""
    mock_config_entry.add_to_hass(hass)
    with patch(
        "custom_components.enerkey.async_setup_entry", return_value=True
    ) as setup:
        result = await hass.config_entries.options.async_init(
            mock_config_entry.entry_id
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "init"
        assert result["description_placeholders"] == {"currency": "EUR"}
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_PRICE_PER_KWH: "nan"}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_PRICE_PER_KWH: "invalid_price"}
        # Negative and infinite prices never reach the flow: the selector
        # refuses them.
        for wrong in (-0.1, "inf"):
            with pytest.raises(InvalidData):
                await hass.config_entries.options.async_configure(
                    result["flow_id"], {CONF_PRICE_PER_KWH: wrong}
                )
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_PRICE_PER_KWH: 0.125}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        assert mock_config_entry.options == {CONF_PRICE_PER_KWH: 0.125}
        # The form shows the stored price; clearing the field removes it.
        result = await hass.config_entries.options.async_init(
            mock_config_entry.entry_id
        )
        schema = result["data_schema"].schema
        (key,) = schema
        assert key.description == {"suggested_value": 0.125}
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        assert mock_config_entry.options == {}
        # A price of 0 is a price (free energy), not "no price".
        result = await hass.config_entries.options.async_init(
            mock_config_entry.entry_id
        )
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_PRICE_PER_KWH: 0}
        )
        await hass.async_block_till_done()
        assert mock_config_entry.options == {CONF_PRICE_PER_KWH: 0.0}
    # Options flow with reload: the entry was set up again after each change.
    assert setup.call_count == 3
