"""Constants of the eSmart Systems integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "esmart_systems"
LOGGER = logging.getLogger(__package__)

CONF_AREA: Final = "area"
AREA_POWER: Final = "power"
AREA_NET: Final = "net"

# Meter values reach the utility hourly to daily (AMS meters via Elhub).
# An hourly poll shows them within the hour: per metered contract its
# consumption and costs, per customer the unread message count. Prices are
# read once a day (when tomorrow's are published) and kept.
UPDATE_INTERVAL: Final = timedelta(hours=1)

# Contracts and invoices change a few times a month: they are read once in
# each six-hour slot of the UTC day (4 times a day per customer), and the
# first page of messages with them or when the unread count changed.
CATALOG_SLOT_HOURS: Final = 6

# Tomorrow's hourly and spot prices are published after the Nord Pool
# auction, about 13:00 local time: before that only today's are asked for
# (once, if missing), from then on until tomorrow's are in.
PRICES_PUBLISHED_HOUR: Final = 13

# The wattmeter is real-time power: it has its own, faster cadence, and is
# polled only for contracts that have one.
WATTMETER_INTERVAL: Final = timedelta(minutes=1)

# After HTTP 429 without a longer Retry-After, retry after a minute, then
# twice as long each time, never later than the normal interval.
RATE_LIMIT_BACKOFF: Final = timedelta(minutes=1)

# First import: two years of history, fetched a month per request.
BACKFILL: Final = timedelta(days=730)

# Each refresh re-reads this much before the newest stored hour (and from
# the oldest hour that was still estimated), so a utility's corrections and
# estimated values replaced by measured ones land in the statistics.
REREAD_WINDOW: Final = timedelta(days=3)

ESTIMATED: Final = "estimated"
