"""Deterministic synthetic energy data for the simulators.

Each meter's hourly value is a pure function of (seed, profile, hour): a daily
load curve in the site's local time, a weekday/weekend difference, a seasonal
swing and a little seeded noise. Being a function and not a stored table, any
window can be asked for, and a month is exactly the sum of its hours.
Values are rounded to 1 Wh (3 decimals of kWh) so sums are exact in tests.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
import hashlib
import math
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)


@dataclass(frozen=True, kw_only=True)
class LoadProfile:
    """The shape and size of one kind of consumer."""

    name: str
    annual: float
    """Yearly total in the profile's unit (kWh, m³)."""
    weekday: tuple[float, ...]
    """24 relative weights by local hour on Monday to Friday."""
    weekend: tuple[float, ...]
    """24 relative weights by local hour on Saturday and Sunday."""
    winter_factor: float
    """Ratio of mid-January to mid-July consumption (Nordic climate)."""
    noise: float = 0.15
    """Relative amplitude of the seeded noise."""
    unit: str = "kWh"

    def __post_init__(self) -> None:
        """Reject shapes that do not describe a day."""
        if len(self.weekday) != 24 or len(self.weekend) != 24:
            raise ValueError("a daily shape has 24 hourly weights")


# A Nordic household without electric space heating: ~6,000 kWh a year,
# morning and evening peaks, higher at weekends during the day.
HOUSEHOLD = LoadProfile(
    name="household",
    annual=6000.0,
    weekday=(
        0.45,
        0.40,
        0.38,
        0.37,
        0.38,
        0.50,
        0.95,
        1.35,
        1.10,
        0.75,
        0.65,
        0.70,
        0.80,
        0.70,
        0.68,
        0.80,
        1.10,
        1.55,
        1.80,
        1.65,
        1.40,
        1.15,
        0.85,
        0.60,
    ),
    weekend=(
        0.50,
        0.42,
        0.38,
        0.37,
        0.37,
        0.40,
        0.50,
        0.75,
        1.05,
        1.25,
        1.25,
        1.20,
        1.25,
        1.10,
        1.00,
        1.00,
        1.15,
        1.50,
        1.70,
        1.60,
        1.40,
        1.20,
        0.90,
        0.65,
    ),
    winter_factor=1.8,
)

# An office building of ~5,000 m²: ~400 MWh a year, business-hours plateau,
# a base load of ventilation and servers at night and at weekends.
COMMERCIAL = LoadProfile(
    name="commercial",
    annual=400_000.0,
    weekday=(
        0.45,
        0.45,
        0.45,
        0.45,
        0.47,
        0.60,
        1.10,
        1.55,
        1.75,
        1.80,
        1.80,
        1.75,
        1.70,
        1.75,
        1.75,
        1.70,
        1.55,
        1.25,
        0.85,
        0.65,
        0.55,
        0.50,
        0.48,
        0.46,
    ),
    weekend=(0.45,) * 7 + (0.50,) * 11 + (0.45,) * 6,
    winter_factor=1.4,
    noise=0.08,
)

# District heating of the same building: strongly seasonal, MWh-scale.
DISTRICT_HEATING = LoadProfile(
    name="district_heating",
    annual=350_000.0,
    weekday=(0.9,) * 5 + (1.2,) * 4 + (1.0,) * 11 + (0.9,) * 4,
    weekend=(0.85,) * 24,
    winter_factor=8.0,
    noise=0.05,
)

# Cold water of the same building, in m³.
WATER = LoadProfile(
    name="water",
    annual=3_500.0,
    unit="m³",
    weekday=(
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.3,
        1.2,
        2.0,
        1.8,
        1.5,
        1.4,
        1.8,
        2.0,
        1.6,
        1.4,
        1.4,
        1.6,
        1.2,
        0.6,
        0.3,
        0.2,
        0.1,
        0.1,
        0.1,
    ),
    weekend=(0.15,) * 24,
    winter_factor=0.9,
)


class SyntheticMeter:
    """One meter's deterministic hourly series."""

    def __init__(self, profile: LoadProfile, *, seed: int, tz: ZoneInfo) -> None:
        """Create a meter; the same (profile, seed) always gives the same data."""
        self.profile = profile
        self.seed = seed
        self.tz = tz
        # Mean weight over a week, so the yearly total lands near `annual`.
        mean_weight = (5 * sum(profile.weekday) + 2 * sum(profile.weekend)) / (7 * 24)
        self._scale = profile.annual / (365.25 * 24 * mean_weight)
        self._overrides: dict[datetime, float] = {}

    def _noise(self, hour_start: datetime) -> float:
        """Return seeded noise in [-1, 1) for one hour."""
        key = f"{self.seed}:{self.profile.name}:{int(hour_start.timestamp())}"
        digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
        return int.from_bytes(digest) / 2**63 - 1.0

    def value(self, hour_start: datetime) -> float:
        """Return the consumption of the hour starting at ``hour_start``."""
        if hour_start.tzinfo is None:
            raise ValueError("hour_start must be timezone-aware")
        if (override := self._overrides.get(hour_start)) is not None:
            return override
        local = hour_start.astimezone(self.tz)
        shape = self.profile.weekend if local.weekday() >= 5 else self.profile.weekday
        # Cosine over the year peaking mid-January: 1 in July, winter_factor in January.
        day = local.timetuple().tm_yday
        season = (1 + math.cos(2 * math.pi * (day - 15) / 365.25)) / 2
        seasonal = 1 + (self.profile.winter_factor - 1) * season
        base = self._scale * shape[local.hour] * seasonal
        raw = base * (1 + self.profile.noise * self._noise(hour_start))
        norm = 1 + (self.profile.winter_factor - 1) / 2
        return round(max(raw / norm, 0.0), 3)

    def correct(self, hour_start: datetime, value: float) -> None:
        """Replace one hour's value, as a utility's late correction does."""
        self._overrides[hour_start] = round(value, 3)

    def hours(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, float]]:
        """Yield ``(hour_start, value)`` for each whole hour in [start, end)."""
        current = start.replace(minute=0, second=0, microsecond=0)
        if current < start:
            current += HOUR
        while current + HOUR <= end:
            yield current, self.value(current)
            current += HOUR

    def total(self, start: datetime, end: datetime) -> float:
        """Return the sum over [start, end), rounded to 1 Wh."""
        return round(sum(value for _, value in self.hours(start, end)), 3)
