"""Constants of the Momentum Energi integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "momentum_energi"
LOGGER = logging.getLogger(__package__)

CONF_CLIENT_SECRET: Final = "client_secret"
CONF_ADVANCED: Final = "advanced"
CONF_LEVEL: Final = "level"
CONF_MEDIA: Final = "media"
CONF_BACKFILL_DAYS: Final = "backfill_days"

LEVELS: Final = ("R", "E", "B", "A")
"""Division, estate, building, tenant; E and B always exist (vendor reference)."""
DEFAULT_LEVEL: Final = "E"
DEFAULT_BACKFILL_DAYS: Final = 730
MAX_BACKFILL_DAYS: Final = 3650

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
