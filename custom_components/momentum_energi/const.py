"""Constants of the Momentum Energi integration."""

import asyncio
from datetime import timedelta
import logging
from typing import Final

from homeassistant.util.hass_dict import HassKey

DOMAIN: Final = "momentum_energi"
LOGGER = logging.getLogger(__package__)

CONF_CLIENT_SECRET: Final = "client_secret"
CONF_ADVANCED: Final = "advanced"
CONF_LEVEL: Final = "level"
CONF_MEDIA: Final = "media"
CONF_BACKFILL_DAYS: Final = "backfill_days"

LEVELS: Final = ("r", "e", "b", "a")
"""Division, estate, building, tenant; E and B always exist (vendor reference).

Stored and shown in lower case (Home Assistant's selector option keys must be
``[a-z0-9-_]``); the API's path segment is the upper-case letter.
"""
DEFAULT_LEVEL: Final = "e"
DEFAULT_BACKFILL_DAYS: Final = 730
MIN_BACKFILL_DAYS: Final = 31
MAX_BACKFILL_DAYS: Final = 3650

CONFIG_VERSION: Final = 2
"""1: ids from the user name, upper-case levels. 2: ids from the company."""
MIGRATIONS: HassKey[dict[str, asyncio.Future[None]]] = HassKey(f"{DOMAIN}_migrations")
"""Per entry id: done when the recorder has written the statistics a migration moved."""

# Momentum's statistics are monthly and re-imported by the vendor about once
# a day. A refresh every six hours shows a new import within six hours for
# two calls (a token, as tokens live one hour, and one updatedAfter page).
UPDATE_INTERVAL: Final = timedelta(hours=6)
# Item names change rarely; the structure is re-read once a day.
STRUCTURE_MAX_AGE: Final = timedelta(hours=24)
# After HTTP 429 the doc recommends exponential backoff: the first retry
# waits this long (or the server's Retry-After, if longer), each further one
# twice as long, never longer than the normal interval.
RATE_LIMIT_BACKOFF: Final = timedelta(minutes=1)
# A row's lastUpdated (or month) this far after now is the vendor's clock or
# data gone wrong: it never becomes the cursor of the next request.
FUTURE_TOLERANCE: Final = timedelta(hours=1)

ISSUE_FORBIDDEN: Final = "forbidden"
ISSUE_LEVEL_NOT_FOUND: Final = "level_not_found"
ISSUE_FUTURE_WATERMARK: Final = "future_watermark"
