"""Constants of the Omnimetic integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "omnimetic"
LOGGER = logging.getLogger(__package__)

CONF_CLIENT_SECRET: Final = "client_secret"
CONF_SERVICE_ACCOUNT_ID: Final = "service_account_id"
CONF_ADVANCED: Final = "advanced"
CONF_BACKFILL_DAYS: Final = "backfill_days"

DEFAULT_BACKFILL_DAYS: Final = 730
MAX_BACKFILL_DAYS: Final = 3650

# Meter data reaches Omnimetic about a day late, a day at a time. Polling
# every three hours shows new data within three hours of publication at
# 2-3 calls a refresh (a token, since tokens live one hour, interval-data,
# and historical-data when there is something new): about 20 calls a day.
# An hourly poll would mostly find nothing new.
UPDATE_INTERVAL: Final = timedelta(hours=3)

# After HTTP 429 without a longer Retry-After, retry after a minute, then
# after twice as long each time, never later than the normal interval.
RATE_LIMIT_BACKOFF: Final = timedelta(minutes=1)

# Each refresh re-reads this much before the newest stored hour, so a
# utility's late corrections land in the statistics.
REREAD_WINDOW: Final = timedelta(days=3)

SERVICE_EXPORT_USAGE: Final = "export_usage"
EXPORT_FOLDER: Final = "omnimetic_exports"
