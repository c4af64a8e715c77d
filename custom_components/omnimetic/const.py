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

# Meter data reaches Omnimetic about a day late. Without a known rhythm (and
# for a utility that publishes every hour) a refresh every three hours shows
# new data within three hours at 2-3 calls a refresh (a token, since tokens
# live one hour, interval-data, historical-data when a month's data changed).
UPDATE_INTERVAL: Final = timedelta(hours=3)

# A utility that publishes a day at a time moves the newest hour by about a
# day at once. Its next day is expected a day after the last one appeared:
# poll hourly around that time, rarely (at most POLL_MAX apart) in between,
# and every UPDATE_INTERVAL once the data is OVERDUE_AFTER late.
DAILY_PUBLISHER_STEP: Final = timedelta(hours=20)
POLL_AROUND_PUBLICATION: Final = timedelta(hours=1)
POLL_MAX: Final = timedelta(hours=12)
OVERDUE_AFTER: Final = timedelta(hours=6)

# After HTTP 429 without a longer Retry-After, retry after a minute, then
# after twice as long each time, never later than the normal interval.
RATE_LIMIT_BACKOFF: Final = timedelta(minutes=1)

# Once a day a refresh re-reads this much before the newest stored hour, so
# a utility's late corrections land in the statistics; other refreshes ask
# only from the newest stored hour's day on.
REREAD_WINDOW: Final = timedelta(days=3)
REREAD_EVERY: Final = timedelta(hours=24)

# Bills are read when a month's data changed, and at least this often.
BILLS_MAX_AGE: Final = timedelta(hours=24)

SERVICE_EXPORT_USAGE: Final = "export_usage"
EXPORT_FOLDER: Final = "omnimetic_exports"
