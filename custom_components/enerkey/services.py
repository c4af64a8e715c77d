"""Actions of the EnerKey integration: ``enerkey.push_history``."""

from typing import Final

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from .api import EnerKeyError
from .common.ha import assume_local, loaded_entry
from .common.statistics import hour_floor
from .const import DOMAIN
from .coordinator import EnerKeyConfigEntry
from .push import PushedMeter, PushProblemError

SERVICE_PUSH_HISTORY: Final = "push_history"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_PUSHED_METER: Final = "pushed_meter"
ATTR_START: Final = "start"
ATTR_END: Final = "end"

PUSH_HISTORY_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_PUSHED_METER): cv.string,
        probatio.Required(ATTR_START): cv.datetime,
        probatio.Required(ATTR_END): cv.datetime,
    }
)


def _loaded_entry(call: ServiceCall) -> EnerKeyConfigEntry:
    """Return the loaded EnerKey entry the call names, or raise a validation error."""
    return loaded_entry(call.hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID])


def _pushed_meter(entry: EnerKeyConfigEntry, name: str) -> PushedMeter:
    """Return the pushed meter named by its subentry id or its EnerKey meter id."""
    meters = entry.runtime_data.pusher.meters
    if name in meters:
        return meters[name]
    for meter in meters.values():
        if meter.meter_id == name:
            return meter
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="pushed_meter_not_found",
        translation_placeholders={"name": name, "title": entry.title},
    )


async def _async_push_history(call: ServiceCall) -> ServiceResponse:
    """Push a period of a pushed meter's hours from HA's statistics to EnerKey."""
    entry = _loaded_entry(call)
    meter = _pushed_meter(entry, call.data[ATTR_PUSHED_METER])
    # Whole hours only: a started hour is pushed when it is complete.
    start = hour_floor(assume_local(call.data[ATTR_START]))
    end = min(
        hour_floor(assume_local(call.data[ATTR_END])), hour_floor(dt_util.utcnow())
    )
    if end <= start:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_period",
            translation_placeholders={
                "start": start.isoformat(),
                "end": end.isoformat(),
            },
        )
    try:
        counts = await entry.runtime_data.pusher.async_push(meter, start, end)
    except PushProblemError as problem:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="push_problem",
            translation_placeholders={"title": meter.title},
        ) from problem
    except EnerKeyError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="push_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    return {"meter_id": meter.meter_id, **counts.as_dict()}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_PUSH_HISTORY,
        _async_push_history,
        schema=PUSH_HISTORY_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
