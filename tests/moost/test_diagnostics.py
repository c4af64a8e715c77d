"""Diagnostics, and the daily check of MOOST's statistics against what HA sent."""

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.moost.api import MoostClient, MoostEvent
from custom_components.moost.const import DOMAIN
from custom_components.moost.push import MoostForwarder
from simulators import Fault
from simulators.moost import MoostSimulator
from tests.helpers import async_tick

from .conftest import NOW, setup_entry

pytestmark = pytest.mark.freeze_time(NOW)

FIXED_ID = "65f1c0ffee0123456789abcd"


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: MoostSimulator,
    mock_config_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Settings, push state and read-back summary; nothing secret or personal."""
    fired = simulator.fire()
    notifications = simulator.customer.notifications
    notifications[FIXED_ID] = notifications.pop(fired["id"])
    notifications[FIXED_ID]["id"] = FIXED_ID
    await setup_entry(hass, mock_config_entry)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )
    text = str(diagnostics)
    for secret in (
        MoostSimulator.CLIENT_SECRET,
        MoostSimulator.CLIENT_ID,
        MoostSimulator.CUSTOMER_ID,
        "8005",
        "Zürich",
    ):
        assert secret not in text
    url = diagnostics["entry"]["data"].pop("url")
    assert url.startswith("http://127.0.0.1:")
    assert diagnostics == snapshot


async def _send_yesterday(hass: HomeAssistant, url: str, consumption: float) -> None:
    """Put yesterday's (local) household energy into MOOST, slot by slot."""
    client = MoostClient(
        async_get_clientsession(hass),
        MoostSimulator.CLIENT_ID,
        MoostSimulator.CLIENT_SECRET,
        url,
    )
    # 2026-11-09 in Zurich is 2026-11-08 23:00 to 2026-11-09 23:00 UTC.
    start = int(datetime(2026, 11, 8, 23, tzinfo=UTC).timestamp())
    await client.async_send_historical(
        [
            MoostEvent(
                customer_building_id="home",
                device_id="ha_gateway",
                device_name="Home",
                type=event_type,
                value=value,
                timestamp=start + 900 * (slot + 1),
            )
            for slot in range(96)
            for event_type, value in (
                ("ENERGY_CONSUMPTION", consumption),
                ("ENERGY_GENERATION", 50.0),
            )
        ]
    )


@pytest.mark.parametrize(
    ("sent_consumption", "mismatch"),
    [(9600.4, False), (9700.0, True)],
)
async def test_statistics_check(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    simulator_url: str,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
    sent_consumption: float,
    mismatch: bool,
) -> None:
    """Yesterday's totals at MOOST equal what was sent, else a repair issue."""
    await _send_yesterday(hass, simulator_url, 100.0)
    sent: dict[str, dict[str, float]] = {
        "2026-11-09": {
            "ENERGY_CONSUMPTION": sent_consumption,
            "ENERGY_GENERATION": 4800.0,
        }
    }
    with patch.object(
        MoostForwarder,
        "sent_day_totals",
        lambda self, day: sent.get(day.isoformat()),
    ):
        await setup_entry(hass, mock_config_entry)
        issue_id = f"statistics_mismatch_{mock_config_entry.entry_id}"
        coordinator = mock_config_entry.runtime_data.coordinator
        check = coordinator.statistics_check
        assert check is not None
        assert check["day"] == "2026-11-09"
        assert simulator.counters["energy_statistics"] == 1
        issue = issue_registry.async_get_issue(DOMAIN, issue_id)
        if mismatch:
            assert check["mismatches"] == {
                "ENERGY_CONSUMPTION": {"sent": 9700.0, "moost": 9600.0}
            }
            assert issue is not None
            assert issue.translation_placeholders == {
                "day": "2026-11-09",
                "building_id": "home",
                "types": "ENERGY_CONSUMPTION",
            }
        else:
            assert check["mismatches"] == {}
            assert issue is None

        # Once a day: polling all day asks MOOST's statistics no more.
        await async_tick(hass, freezer, timedelta(hours=2))
        assert simulator.counters["energy_statistics"] == 1

        # The next day matches (MOOST holds nothing, HA sent 0 Wh): the
        # issue goes away.
        sent["2026-11-10"] = {"ENERGY_CONSUMPTION": 0.0}
        freezer.move_to("2026-11-11 03:30:00+00:00")
        await async_tick(hass, freezer, timedelta(minutes=6))
        assert simulator.counters["energy_statistics"] == 2
        assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_statistics_check_waits_and_survives_errors(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Not before 03:00; a failing statistics call does not fail the read-back."""
    freezer.move_to("2026-11-10 01:30:00+00:00")  # 02:30 in Zurich
    totals: dict[str, Any] = {"ENERGY_CONSUMPTION": 100.0}
    with patch.object(MoostForwarder, "sent_day_totals", lambda self, day: totals):
        await setup_entry(hass, mock_config_entry)
        coordinator = mock_config_entry.runtime_data.coordinator
        assert simulator.counters["energy_statistics"] == 0
        simulator.faults.inject(Fault.SERVER_ERROR, endpoint="energy_statistics")
        await async_tick(hass, freezer, timedelta(minutes=31))
        assert simulator.counters["energy_statistics"] == 1
        assert coordinator.last_update_success
        assert coordinator.statistics_check is None
        await async_tick(hass, freezer, timedelta(minutes=6))
        assert simulator.counters["energy_statistics"] == 2
        assert coordinator.statistics_check is not None
        # MOOST has no row for the day at all: every type sent mismatches.
        assert coordinator.statistics_check["mismatches"] == {
            "ENERGY_CONSUMPTION": {"sent": 100.0, "moost": None}
        }
