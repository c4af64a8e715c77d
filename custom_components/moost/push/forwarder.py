"""Placeholder, replaced within the hour."""

from typing import Any


class MoostForwarder:
    """Placeholder."""

    def __init__(self, *args: Any) -> None:
        """Nothing yet."""
        self.outbox_length = 0
        self.last_delivery = None
        self.dropped = 0

    async def async_start(self) -> None:
        """Nothing yet."""

    async def async_stop(self) -> None:
        """Nothing yet."""

    def async_add_listener(self, update_callback: Any) -> Any:
        """Nothing yet."""
        return lambda: None
