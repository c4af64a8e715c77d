"""Actions of the MOOST integration."""

from datetime import datetime

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

from .api import MoostError, MoostNotFoundError
from .common.ha import assume_local, loaded_entry
from .const import (
    ATTR_ACTION,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_END,
    ATTR_NOTIFICATION_ID,
    ATTR_START,
    DOMAIN,
    NOTIFICATION_ACTIONS,
    SERVICE_NOTIFICATION_FEEDBACK,
    SERVICE_SEND_HISTORY,
)
from .coordinator import MoostConfigEntry

NOTIFICATION_FEEDBACK_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_NOTIFICATION_ID): cv.string,
        # The UI's select sends lower case (translation keys must be);
        # MOOST's qualifiers are upper case: both are accepted.
        probatio.Required(ATTR_ACTION): probatio.All(
            cv.string, probatio.Upper, probatio.In(NOTIFICATION_ACTIONS)
        ),
    }
)
SEND_HISTORY_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_START): cv.datetime,
        probatio.Required(ATTR_END): cv.datetime,
    }
)


def _loaded_entry(call: ServiceCall) -> MoostConfigEntry:
    """Return the loaded MOOST entry the call names, or raise a validation error."""
    return loaded_entry(call.hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID])


async def _async_notification_feedback(call: ServiceCall) -> None:
    """Tell MOOST how the user reacted to a recommendation."""
    entry = _loaded_entry(call)
    notification_id: str = call.data[ATTR_NOTIFICATION_ID]
    try:
        await entry.runtime_data.client.async_post_interaction(
            notification_id, call.data[ATTR_ACTION]
        )
    except MoostNotFoundError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="notification_not_found",
            translation_placeholders={"notification_id": notification_id},
        ) from err
    except MoostError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="feedback_failed",
            translation_placeholders={"error": str(err)},
        ) from err


def _aware(moment: datetime) -> datetime:
    """Read a time without offset as HA's local time; return it in UTC."""
    return dt_util.as_utc(assume_local(moment))


async def _async_send_history(call: ServiceCall) -> ServiceResponse:
    """Send past energy from HA's statistics to MOOST; return the counts."""
    entry = _loaded_entry(call)
    start = _aware(call.data[ATTR_START])
    end = _aware(call.data[ATTR_END])
    if end <= start or start >= dt_util.utcnow():
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_period",
            translation_placeholders={
                "start": start.isoformat(),
                "end": end.isoformat(),
            },
        )
    try:
        counts = await entry.runtime_data.forwarder.async_send_history(start, end)
    except MoostError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="history_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    return dict(counts)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_NOTIFICATION_FEEDBACK,
        _async_notification_feedback,
        schema=NOTIFICATION_FEEDBACK_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_HISTORY,
        _async_send_history,
        schema=SEND_HISTORY_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
