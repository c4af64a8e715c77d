"""Consumption image of each EnerKey facility (contract: Images).

EnerKey renders a facility's consumption (graphs, a table) as a PNG. The
image changes at most daily, so each entity fetches it on the first view and
then at most once per ``IMAGE_INTERVAL``; every other view (the frontend
asks again whenever its access token rotates) is answered from memory. A
facility whose image nobody looks at costs no call at all.
"""

from datetime import datetime
from typing import override

from homeassistant.components.image import ImageEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import EnerKeyError
from .const import DOMAIN, IMAGE_INTERVAL, IMAGE_RETRY, LOGGER
from .coordinator import EnerKeyConfigEntry, EnerKeyCoordinator
from .entity import EnerKeyEntity, facility_device

# Images are fetched one at a time: the call budget paces them anyway.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnerKeyConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one image per facility, also for facilities added later."""
    coordinator = entry.runtime_data
    known: set[str] = set()

    @callback
    def add_new_facilities() -> None:
        new = [f for f in coordinator.data.facilities if f not in known]
        known.update(new)
        async_add_entities(ConsumptionImage(coordinator, fid) for fid in new)

    add_new_facilities()
    entry.async_on_unload(coordinator.async_add_listener(add_new_facilities))


class ConsumptionImage(EnerKeyEntity, ImageEntity):
    """EnerKey's consumption image of one facility, refreshed at most daily."""

    _attr_translation_key = "consumption_image"
    _attr_content_type = "image/png"

    def __init__(self, coordinator: EnerKeyCoordinator, facility_id: str) -> None:
        """Create the image of a facility."""
        facility = coordinator.data.facilities[facility_id]
        super().__init__(
            coordinator, f"facility_{facility_id}_image", facility_device(facility)
        )
        ImageEntity.__init__(self, coordinator.hass)
        self._facility_id = facility_id
        self._image: bytes | None = None
        self._fetched_at: datetime | None = None

    @property
    @override
    def available(self) -> bool:
        """Unavailable when the facility is gone."""
        return super().available and (
            self._facility_id in self.coordinator.data.facilities
        )

    @override
    async def async_image(self) -> bytes | None:
        """Return the image: from memory, or fetched when a day old or never."""
        now = dt_util.utcnow()
        if (
            self._image is not None
            and self._fetched_at is not None
            and now - self._fetched_at < IMAGE_INTERVAL
        ):
            return self._image
        try:
            image = await self.coordinator.client.consumption_image(self._facility_id)
        except EnerKeyError as err:
            if self._image is not None:
                # Yesterday's image beats none; try again at the next view
                # after an hour rather than at every view.
                LOGGER.debug("Keeping the last consumption image: %s", err)
                self._fetched_at = now - IMAGE_INTERVAL + IMAGE_RETRY
                return self._image
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="image_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self._fetched_at = now
        if image != self._image:
            self._image = image
            self._attr_image_last_updated = now
            self.async_write_ha_state()
        return image
