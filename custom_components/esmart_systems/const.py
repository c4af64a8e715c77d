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
# An hourly poll shows them within the hour at about six calls per customer
# and metered contract: contracts, consumption, costs, invoices, messages
# and their count. Prices are read once a day per contract (when tomorrow's
# are published) and kept.
UPDATE_INTERVAL: Final = timedelta(hours=1)

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
