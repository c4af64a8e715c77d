"""Building the sensors' data compares item keys linearly, not per pair (12.19).

Counted, not timed (``benchmarks/bench_momentum_sensor_data.py`` times it):
the old build compared every item with every series, quadratic in estates
(~0.4 s on the event loop at 2,000 estates).
"""

from typing import Any

import pytest

from benchmarks.bench_momentum_sensor_data import _coordinator


class _Key(str):
    """An item key that counts how often it is compared."""

    __slots__ = ()
    compared = 0

    def __eq__(self, other: object) -> bool:
        type(self).compared += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No hass needed."""


@pytest.mark.parametrize("estates", [10, 300])
def test_item_keys_are_compared_a_linear_number_of_times(estates: int) -> None:
    """300 estates: a few comparisons per estate, not 3 x 300 per estate."""
    coordinator = _coordinator(estates)
    rows: Any = coordinator._rows
    coordinator._rows = {(_Key(item), medium): v for (item, medium), v in rows.items()}
    coordinator._item_updated = {
        _Key(item): when for item, when in coordinator._item_updated.items()
    }
    _Key.compared = 0
    data = coordinator._data()
    assert len(data.series) == 3 * estates
    assert len(data.updated) == estates
    assert _Key.compared <= 4 * estates
