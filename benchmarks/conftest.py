"""Fixtures of the benchmarks: the tests' harness (simulators, HA, recorder)."""

import pytest

from tests.conftest import start_simulator

__all__ = ["start_simulator"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None
) -> None:
    """Start the recorder before hass, and load this repository's integrations."""


@pytest.fixture
def recorder_db_url(tmp_path: object) -> str:
    """Use a SQLite file, as a real installation does (not the in-memory test DB).

    The test database shares one connection behind a 10 s lock: a year of
    rows being written would starve every read, which no user sees.
    """
    return f"sqlite:///{tmp_path}/bench.db"
