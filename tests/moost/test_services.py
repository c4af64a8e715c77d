"""Actions of the MOOST integration: recommendation feedback and history."""

from datetime import UTC, datetime
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.moost.api import MoostConnectionError
from custom_components.moost.const import DOMAIN
from simulators import Fault
from simulators.moost import MoostSimulator

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)


async def _feedback(hass: HomeAssistant, entry_id: str, **data: Any) -> None:
    await hass.services.async_call(
        DOMAIN,
        "notification_feedback",
        {"config_entry_id": entry_id, **data},
        blocking=True,
    )


@pytest.mark.parametrize("action", ["DISMISS", "openapp"])
async def test_notification_feedback(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
    action: str,
) -> None:
    """The interaction is posted to MOOST (upper or lower case, as the UI sends)."""
    notification = simulator.fire()
    await _feedback(
        hass,
        init_integration.entry_id,
        notification_id=notification["id"],
        action=action,
    )
    assert notification["interaction"]["actionQualifier"] == action.upper()


async def test_notification_feedback_errors(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Unknown notification, MOOST failing, a bad action: translated errors."""
    with pytest.raises(ServiceValidationError) as err:
        await _feedback(
            hass,
            init_integration.entry_id,
            notification_id="65f1c0ffee0123456789abcd",
            action="DISMISS",
        )
    assert err.value.translation_key == "notification_not_found"

    notification = simulator.fire()
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="interaction")
    with pytest.raises(HomeAssistantError) as err:
        await _feedback(
            hass,
            init_integration.entry_id,
            notification_id=notification["id"],
            action="DISMISS",
        )
    assert err.value.translation_key == "feedback_failed"
    assert "interaction" not in notification

    with pytest.raises(Exception, match="value must be one of"):
        await _feedback(
            hass,
            init_integration.entry_id,
            notification_id=notification["id"],
            action="LIKE",
        )


async def test_action_needs_a_loaded_moost_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An unknown or unloaded entry is the caller's mistake."""
    with pytest.raises(ServiceValidationError) as err:
        await _feedback(hass, "nope", notification_id="x", action="DISMISS")
    assert err.value.translation_key == "entry_not_found"
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await _feedback(
            hass, init_integration.entry_id, notification_id="x", action="DISMISS"
        )
    assert err.value.translation_key == "entry_not_loaded"


async def _send_history(
    hass: HomeAssistant, entry_id: str, start: str, end: str
) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "send_history",
        {"config_entry_id": entry_id, "start": start, "end": end},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def test_send_history_calls_the_forwarder(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The period (local time when without offset) goes to the forwarder."""
    forwarder = init_integration.runtime_data.forwarder
    counts = {"events": 192, "requests": 2}
    with patch.object(
        type(forwarder),
        "async_send_history",
        AsyncMock(return_value=counts),
        create=True,
    ) as send:
        response = await _send_history(
            hass,
            init_integration.entry_id,
            "2026-11-08 00:00:00",
            "2026-11-10 00:00:00",
        )
    assert response == counts
    assert send.await_args.args[-2:] == (
        datetime(2026, 11, 7, 23, tzinfo=UTC),
        datetime(2026, 11, 9, 23, tzinfo=UTC),
    )


async def test_send_history_errors(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An empty or future period is refused; MOOST failing is reported."""
    with pytest.raises(ServiceValidationError) as err:
        await _send_history(
            hass,
            init_integration.entry_id,
            "2026-11-09 00:00:00",
            "2026-11-08 00:00:00",
        )
    assert err.value.translation_key == "invalid_period"
    with pytest.raises(ServiceValidationError):
        await _send_history(
            hass,
            init_integration.entry_id,
            "2026-12-01 00:00:00",
            "2026-12-02 00:00:00",
        )
    forwarder = init_integration.runtime_data.forwarder
    with (
        patch.object(
            type(forwarder),
            "async_send_history",
            AsyncMock(side_effect=MoostConnectionError("down")),
            create=True,
        ),
        pytest.raises(HomeAssistantError) as err,
    ):
        await _send_history(
            hass,
            init_integration.entry_id,
            "2026-11-08T00:00:00+00:00",
            "2026-11-09T00:00:00+00:00",
        )
    assert err.value.translation_key == "history_failed"
