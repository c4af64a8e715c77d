"""The building's tariff: parsing price entities, and writing only when needed."""

from datetime import UTC, datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.moost.const import WEEKDAYS
from custom_components.moost.tariff import build_tariff, parse_price_slices
from simulators import Fault
from simulators.moost import MoostSimulator
from tests.helpers import async_tick

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

H0 = int(datetime(2026, 11, 10, 0, tzinfo=UTC).timestamp())
PRICE = "sensor.spot_price"


def test_parse_price_slices_accepts_the_documented_shapes() -> None:
    """raw_today/raw_tomorrow and {from|start, till|end|to, price|value} lists."""
    attributes = {
        "raw_today": [
            {
                "start": "2026-11-10T00:00:00+00:00",
                "end": "2026-11-10T01:00:00+00:00",
                "value": 0.2,
            },
        ],
        "raw_tomorrow": [
            {
                "start": datetime(2026, 11, 10, 1, tzinfo=UTC),
                "end": datetime(2026, 11, 10, 2, tzinfo=UTC),
                "value": "0.3",
            },
        ],
        "prices": [
            # Epoch seconds and milliseconds, "till" and "price".
            {"from": H0 + 7200, "till": (H0 + 10800) * 1000, "price": 0.4},
            # A duplicate of raw_today's slice: kept once.
            {
                "from": "2026-11-10T00:00:00+00:00",
                "to": "2026-11-10T01:00:00+00:00",
                "price": 9,
            },
        ],
        "today": [0.2, 0.3],
        "unit_of_measurement": "CHF/kWh",
    }
    assert parse_price_slices(attributes) == [
        (H0, H0 + 3600, 0.2),
        (H0 + 3600, H0 + 7200, 0.3),
        (H0 + 7200, H0 + 10800, 0.4),
    ]


@pytest.mark.parametrize(
    "item",
    [
        {
            "start": "2026-11-10T01:00:00+00:00",
            "end": "2026-11-10T01:00:00+00:00",
            "value": 1,
        },
        {"start": "yesterday", "end": "2026-11-10T01:00:00+00:00", "value": 1},
        {"start": "2026-11-10T00:00:00+00:00", "value": 1},
        {
            "start": "2026-11-10T00:00:00+00:00",
            "end": "2026-11-10T01:00:00+00:00",
            "value": "n/a",
        },
        {
            "start": "2026-11-10T00:00:00+00:00",
            "end": "2026-11-10T01:00:00+00:00",
            "value": float("nan"),
        },
        {
            "start": "2026-11-10T00:00:00+00:00",
            "end": "2026-11-10T01:00:00+00:00",
            "value": True,
        },
        {"start": "2026-11-10T00:00:00+00:00", "end": "2026-11-10T01:00:00+00:00"},
        {"start": float("inf"), "end": H0, "value": 1},
        {"start": [H0], "end": H0 + 1, "value": 1},
        "not a slice",
    ],
)
def test_parse_price_slices_skips_what_it_cannot_read(item: Any) -> None:
    """A slice without clear times and a finite price is skipped, not guessed."""
    assert parse_price_slices({"raw_today": [item]}) == []


def test_naive_times_are_local() -> None:
    """A time without offset is Home Assistant's local time."""
    slices = parse_price_slices(
        {
            "data": [
                {
                    "start": "2026-11-10T00:00:00",
                    "end": "2026-11-10T01:00:00",
                    "price": 1,
                }
            ]
        }
    )
    assert slices[0][1] - slices[0][0] == 3600


def _state(unit: str | None, value: float = 120.0) -> State:
    attributes: dict[str, Any] = {
        "raw_today": [
            {"start": H0, "end": H0 + 3600, "value": value},
            {"start": H0 + 3600, "end": H0 + 7200, "value": 80.0},
        ]
    }
    if unit:
        attributes["unit_of_measurement"] = unit
    return State(PRICE, "100", attributes)


@pytest.mark.parametrize(
    ("unit", "prices"),
    [
        ("EUR/MWh", [0.12, 0.08]),
        ("ct/Wh", [120_000.0, 80_000.0]),
        (None, [120.0, 80.0]),
        ("EUR/kWh", [120.0, 80.0]),
        ("EUR/therm", [120.0, 80.0]),
    ],
)
def test_dynamic_tariff_per_kwh(unit: str | None, prices: list[float]) -> None:
    """Prices go to MOOST per kWh, converted from per MWh or Wh."""
    tariff = build_tariff({"tariff": "dynamic"}, _state(unit), "EUR")
    assert tariff is not None
    assert [item["price"] for item in tariff["dynamic"]["tariffs"]] == prices
    assert (tariff["minPrice"], tariff["maxPrice"]) == (min(prices), max(prices))


def test_nothing_to_write() -> None:
    """No choice yet, a broken window, no prices, an unknown model: None."""
    days = {f"{day}_start": "22:00:00" for day in WEEKDAYS} | {
        f"{day}_end": "06:00" for day in WEEKDAYS
    }
    assert build_tariff({}, None, "CHF") is None
    assert build_tariff({"tariff": "dual", **days}, None, "CHF") is not None
    for broken in ("25:00", "7:00", "22:61", None, "aa:bb", "22"):
        assert (
            build_tariff({"tariff": "dual", **days, "friday_end": broken}, None, "CHF")
            is None
        )
    assert build_tariff({"tariff": "dynamic"}, None, "CHF") is None
    assert build_tariff({"tariff": "dynamic"}, State(PRICE, "1", {}), "CHF") is None
    assert build_tariff({"tariff": "triple"}, None, "CHF") is None


def _prices(hass: HomeAssistant, *values: float) -> None:
    hass.states.async_set(
        PRICE,
        str(values[0]),
        {
            "unit_of_measurement": "CHF/kWh",
            "raw_today": [
                {"start": H0 + 3600 * i, "end": H0 + 3600 * (i + 1), "value": value}
                for i, value in enumerate(values)
            ],
        },
    )


@pytest.fixture
def options(hass: HomeAssistant) -> dict[str, Any]:
    """A dynamic tariff from a price sensor that exists at start."""
    _prices(hass, 0.2, 0.3)
    return {"tariff": "dynamic", "currency": "CHF", "price_entity": PRICE}


async def test_dynamic_tariff_written_when_prices_change(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Written at start; new prices cost one write, the same prices none."""
    building = simulator.building()
    assert building is not None
    assert [
        t["price"] for t in building["settings"]["tariff"]["dynamic"]["tariffs"]
    ] == [0.2, 0.3]
    writes = simulator.counters["update_building"]
    # The same prices again (an attribute refresh): no call.
    hass.states.async_set(PRICE, "0.21", hass.states.get(PRICE).attributes)
    await async_tick(hass, freezer, timedelta(seconds=31))
    assert simulator.counters["update_building"] == writes
    # Tomorrow's prices arrive, in three quick updates: one write.
    _prices(hass, 0.2, 0.3, 0.1)
    _prices(hass, 0.2, 0.3, 0.1, 0.15)
    _prices(hass, 0.2, 0.3, 0.1, 0.15, 0.25)
    await async_tick(hass, freezer, timedelta(seconds=31))
    assert simulator.counters["update_building"] == writes + 1
    tariff = simulator.building()["settings"]["tariff"]
    assert len(tariff["dynamic"]["tariffs"]) == 5
    # Polling does not write it again.
    await async_tick(hass, freezer, timedelta(minutes=16))
    assert simulator.counters["update_building"] == writes + 1
    assert init_integration.runtime_data.tariff.writes == 2


async def test_no_write_when_moost_already_holds_it(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    mock_config_entry: MockConfigEntry,
    building: dict[str, Any],
) -> None:
    """After a restart MOOST is read once, and not written when it matches."""
    building["settings"] = {
        "tariff": {
            "type": "DYNAMIC",
            "currency": "CHF",
            "minPrice": "0.2",
            "maxPrice": "0.3",
            "dynamic": {
                "tariffs": [
                    {"from": H0, "to": H0 + 3600, "price": "0.2"},
                    {"from": H0 + 3600, "to": H0 + 7200, "price": 0.3},
                ]
            },
        }
    }
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert simulator.counters["update_building"] == 0
    assert mock_config_entry.runtime_data.tariff.writes == 0


async def test_refused_tariff_is_not_resent(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A tariff MOOST refuses (400) is logged once and not sent again."""
    writes = simulator.counters["update_building"]
    with caplog.at_level(logging.WARNING):
        # Options changed in place (no reload); a currency MOOST's pattern refuses.
        hass.config_entries.async_update_entry(
            init_integration, options={**init_integration.options, "currency": "Chf"}
        )
        await hass.async_block_till_done(wait_background_tasks=True)
        await async_tick(hass, freezer, timedelta(minutes=6))
        await async_tick(hass, freezer, timedelta(minutes=6))
    assert caplog.text.count("MOOST refused the tariff") == 1
    assert init_integration.runtime_data.tariff.writes == 1
    assert simulator.counters["update_building"] == writes + 1
    assert init_integration.state.name == "LOADED"


async def test_tariff_waits_for_moost(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """MOOST down: the tariff is written at a later refresh."""
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="get_building", times=1)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert mock_config_entry.runtime_data.tariff.writes == 0
    assert mock_config_entry.runtime_data.coordinator.last_update_success
    await async_tick(hass, freezer, timedelta(minutes=6))
    assert mock_config_entry.runtime_data.tariff.writes == 1


async def test_option_change_while_moost_is_down(
    hass: HomeAssistant,
    simulator: MoostSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A tariff that cannot be written now is written at the next refresh."""
    tariff = init_integration.runtime_data.tariff
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="get_building", times=1)
    hass.config_entries.async_update_entry(
        init_integration, options={"tariff": "single", "currency": "CHF"}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert tariff.writes == 1
    await async_tick(hass, freezer, timedelta(minutes=6))
    assert tariff.writes == 2
    building = simulator.building()
    assert building is not None
    assert building["settings"]["tariff"] == {"type": "SINGLE", "currency": "CHF"}
