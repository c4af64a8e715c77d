"""Fixtures of the shared-code tests: every vendored copy, and the recorder."""

from importlib import import_module
import os
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parent.parent.parent
COMPONENTS = sorted(
    path.name
    for path in (ROOT / "custom_components").iterdir()
    if (path / "common").is_dir()
    # A developer may leave out an integration that is half-built right now
    # (its package does not import yet); CI sets nothing and checks them all.
    and path.name not in os.environ.get("SKIP_COMMON_COPIES", "").split(",")
)


def copies(module: str) -> list[ModuleType]:
    """Return the canonical module and each integration's copy of it."""
    return [
        import_module(f"common.{module}"),
        *(
            import_module(f"custom_components.{name}.common.{module}")
            for name in COMPONENTS
        ),
    ]


def copy_id(module: ModuleType) -> str:
    """Name a copy by where it lives."""
    return module.__name__.rsplit(".common.", 1)[0].removeprefix("custom_components.")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """The helpers need no hass; test_statistics.py asks for its own."""
