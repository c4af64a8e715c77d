"""Vendor-neutral helpers of the API clients (no Home Assistant import).

Canonical copy: ``common/api_helpers.py`` at the repository root. Each
integration carries a byte-identical copy in ``custom_components/<domain>/
common/`` so it installs alone; ``scripts/sync-common`` writes the copies and
``tests/test_common.py`` fails when one differs. Edit the canonical file.
"""

import asyncio
import base64
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
import email.utils
import ipaddress
import json
import math
import time
from typing import Any
from urllib.parse import urlsplit


def validate_base_url(url: str) -> str:
    """Return the normalised base URL or raise ``ValueError``.

    The vendors require HTTPS; plain HTTP is accepted only for loopback hosts,
    where the simulators run.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http(s) URL")
    if parts.query or parts.fragment:
        raise ValueError("a base URL has no query or fragment")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError("plain HTTP is only allowed for loopback hosts")
    return url.strip().rstrip("/")


def is_loopback(host: str) -> bool:
    """Tell whether a host name or address is this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_of(url: str) -> str:
    """Return the host of a URL for messages (never its path or query)."""
    return urlsplit(url).hostname or url


def as_str(value: Any) -> str | None:
    """Return a stripped, non-empty string of a scalar JSON value, else None."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def as_number(value: Any) -> float | None:
    """Return a finite float of a JSON number or numeric string, else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except TypeError, ValueError:
        return None
    return number if math.isfinite(number) else None


def as_datetime(value: Any) -> datetime | None:
    """Parse an ISO 8601 time to aware UTC; a time without offset is UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (
        parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    )


def parse_retry_after(value: str | None) -> float | None:
    """Parse Retry-After, in seconds or as an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except TypeError, ValueError:
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def error_message(body: bytes) -> str:
    """Return the error text of a body, cut short; never echo a token."""
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200].decode(errors="replace")
    if isinstance(data, Mapping):
        for key in ("message", "error_description", "error", "detail"):
            if isinstance(data.get(key), str):
                return str(data[key])[:200]
    return str(data)[:200]


def jwt_expiry(token: str) -> float | None:
    """Return the ``exp`` claim of a JWT, or None when it has none."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
    except IndexError, ValueError:
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return (
        float(exp)
        if isinstance(exp, (int, float)) and not isinstance(exp, bool)
        else None
    )


class BearerToken:
    """A vendor's bearer token, kept until shortly before it expires.

    ``fetch`` asks the vendor for a new token and returns it with its
    lifetime in seconds when the vendor states one (``expires_in``). Without
    it the token lives the documented ``lifetime``, or less when its JWT
    ``exp`` says so. Concurrent callers share one renewal.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[tuple[str, float | None]]],
        *,
        lifetime: timedelta,
        margin: timedelta = timedelta(minutes=5),
    ) -> None:
        """Keep no token yet; the first ``get`` fetches one."""
        self._fetch = fetch
        self._lifetime = lifetime.total_seconds()
        self._margin = margin.total_seconds()
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()
        self.requests = 0
        """How many tokens were asked for (diagnostics, tests)."""

    async def get(self) -> str:
        """Return a token that is still valid, fetching one when needed."""
        async with self._lock:
            if self._token is None or time.time() >= self._renew_at:
                return await self._renew()
            return self._token

    async def renew(self) -> str:
        """Fetch a new token now (a login check)."""
        async with self._lock:
            return await self._renew()

    async def call[T](
        self, request: Callable[[str], Awaitable[T]], refused: type[Exception]
    ) -> T:
        """Run ``request`` with a token; on ``refused`` renew once and retry.

        A token can be revoked before its expiry; it is dropped only if no
        concurrent caller has renewed it meanwhile.
        """
        token = await self.get()
        try:
            return await request(token)
        except refused:
            async with self._lock:
                if self._token == token:
                    self._token = None
        return await request(await self.get())

    async def _renew(self) -> str:
        self.requests += 1
        self._token = None
        token, expires_in = await self._fetch()
        now = time.time()
        if expires_in is not None and expires_in > 0:
            expires = now + expires_in
        else:
            expires = now + self._lifetime
            claimed = jwt_expiry(token)
            # Believe a shorter exp claim too, but not one our clock already
            # sees as (nearly) past: with a skewed clock that would fetch a
            # token before every request.
            if claimed is not None and claimed > now + 2 * self._margin:
                expires = min(expires, claimed)
        self._token = token
        self._renew_at = expires - self._margin
        return token


class Backoff:
    """How long to wait after each HTTP 429 in a row.

    Exponential from ``first`` (the vendors' docs recommend exponential
    backoff), never shorter than the server's Retry-After, never longer than
    ``cap``. ``reset`` after a request that went through.
    """

    def __init__(self, first: timedelta, cap: timedelta) -> None:
        """Start with no 429 seen."""
        self._first = first.total_seconds()
        self._cap = cap.total_seconds()
        self._count = 0

    def next(self, retry_after: float | None) -> float:
        """Return the seconds to wait after one more 429."""
        self._count += 1
        wait = self._first * 2.0 ** (self._count - 1)
        return min(max(wait, retry_after or 0.0), self._cap)

    def reset(self) -> None:
        """Forget the 429s: the next one waits ``first`` again."""
        self._count = 0
