"""Actions of the Omnimetic integration."""

from datetime import datetime
from pathlib import Path
import re
from typing import BinaryIO

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from .api import OmnimeticError
from .common.ha import loaded_entry
from .const import DOMAIN, EXPORT_FOLDER, SERVICE_EXPORT_USAGE
from .coordinator import OmnimeticConfigEntry

ATTR_CONFIG_ENTRY_ID = "config_entry_id"

EXPORT_USAGE_SCHEMA = probatio.Schema(
    {probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string}
)


def export_file_name(service_account_id: str, when: datetime) -> str:
    """Return the export's file name: only sanitized id characters and a date.

    The id comes from the user and the vendor; nothing from it may steer the
    path (no separators, no dots), so it is cut down to ``[A-Za-z0-9_-]``.
    """
    safe_id = (
        re.sub(r"[^A-Za-z0-9_-]+", "_", service_account_id).strip("_-")[:64]
        or "account"
    )
    return f"omnimetic_{safe_id}_{when:%Y-%m-%d}.xlsx"


def _open(path: Path) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("wb")


def _finish(handle: BinaryIO, tmp: Path, path: Path) -> None:
    handle.close()
    tmp.replace(path)


def _discard(handle: BinaryIO, tmp: Path) -> None:
    handle.close()
    tmp.unlink(missing_ok=True)


async def _async_export_usage(call: ServiceCall) -> ServiceResponse:
    """Download the account's data export and store it under the config folder.

    The body is streamed to a temporary file beside the target (never held
    in memory as a whole) and renamed only when it was a complete workbook;
    the client refuses a body that is not an .xlsx or is too large.
    """
    hass = call.hass
    entry: OmnimeticConfigEntry = loaded_entry(
        hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]
    )
    coordinator = entry.runtime_data
    path = Path(hass.config.path(EXPORT_FOLDER)) / export_file_name(
        coordinator.service_account_id, dt_util.now()
    )
    tmp = path.with_suffix(".part")
    try:
        handle = await hass.async_add_executor_job(_open, tmp)
    except OSError as err:
        raise _write_failed(path, err) from err

    async def write(chunk: bytes) -> None:
        await hass.async_add_executor_job(handle.write, chunk)

    try:
        size = await coordinator.client.download_data(
            coordinator.service_account_id, write
        )
        await hass.async_add_executor_job(_finish, handle, tmp, path)
    except OmnimeticError as err:
        await hass.async_add_executor_job(_discard, handle, tmp)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="export_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    except OSError as err:
        await hass.async_add_executor_job(_discard, handle, tmp)
        raise _write_failed(path, err) from err
    except BaseException:
        # Cancelled (HA stopping, the caller gone) or unexpected: no open
        # file and no .part left behind. Not awaited: a cancelled task must
        # not wait, and the clean-up needs nothing from it.
        hass.async_add_executor_job(_discard, handle, tmp)
        raise
    return {"path": str(path), "size": size}


def _write_failed(path: Path, err: OSError) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="export_write_failed",
        translation_placeholders={"path": str(path), "error": str(err)},
    )


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_EXPORT_USAGE,
        _async_export_usage,
        schema=EXPORT_USAGE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
