"""Vendor-neutral helpers of the API clients (no Home Assistant import).

Canonical copy: ``common/api_helpers.py`` at the repository root. Each
integration carries a byte-identical copy in ``custom_components/<domain>/
common/`` so it installs alone; ``scripts/sync-common`` writes the copies and
``tests/test_common.py`` fails when one differs. Edit the canonical file.
"""

import asyncio
import base64
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
import email.utils
import ipaddress
import json
import math
import time
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit


class VendorError(Exception):
    """Base of every vendor client's errors; each client subclasses the family.

    A client names its own types (``OmnimeticError(VendorError)``,
    ``OmnimeticAuthenticationError(OmnimeticError, VendorAuthenticationError)``)
    so its callers read naturally, while the shared error mapping of
    ``common/ha.py`` handles every vendor alike.
    """


class VendorConnectionError(VendorError):
    """The vendor could not be reached, timed out or failed (5xx)."""


class VendorAuthenticationError(VendorError):
    """The vendor refused the credentials: only the user can fix that."""


class VendorRateLimitError(VendorError):
    """The vendor asked to slow down (HTTP 429)."""

    def __init__(self, message: str = "rate limited", retry_after: float | None = None):
        """Keep the seconds the vendor asked to wait, when it said."""
        super().__init__(message)
        self.retry_after = retry_after


class VendorResponseError(VendorError):
    """The vendor answered something unusable (or refused a fresh token)."""


class RetryGate:
    """Send nothing to a vendor until its last Retry-After has passed.

    A Retry-After is a promise: a manual refresh or an automation calling
    ``homeassistant.update_entity`` during the wait must not reach the
    server. The client checks the gate before every request and answers
    such calls itself with its rate-limit error and the time left.
    """

    def __init__(self) -> None:
        """Start open."""
        self._until = 0.0

    def hold(self, seconds: float | None) -> None:
        """Close the gate for ``seconds`` (a 429's Retry-After)."""
        if seconds is not None and math.isfinite(seconds) and seconds > 0:
            self._until = max(self._until, time.time() + seconds)

    def remaining(self) -> float | None:
        """Return the seconds left before requests may go out, or None."""
        left = self._until - time.time()
        return left if left > 0 else None

    def check(self, error: Callable[[float], Exception]) -> None:
        """Raise ``error(seconds left)`` while the gate is closed."""
        if (left := self.remaining()) is not None:
            raise error(left)


def quote_segment(value: object) -> str:
    """Return one URL path segment with every reserved character escaped.

    Ids come from users and vendors: ``/``, ``?``, ``#`` or ``%2F`` in one
    must not reach another path. A segment of dots only (``.``, ``..``) is
    refused outright, because URL normalisation would still resolve it.
    """
    text = str(value)
    if not text or set(text) == {"."}:
        raise ValueError("not a usable path segment")
    return quote(text, safe="")


_REDACTED = "**REDACTED**"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Return ``text`` with every secret (also URL-encoded) replaced.

    Vendors echo requests in error bodies: a form-encoded password or a
    client secret must never reach a log line or an exception message.
    """
    for secret in secrets:
        if not secret or len(secret) < 3:
            continue
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(form, _REDACTED)
    return text


def is_header_value(token: str) -> bool:
    """Tell whether a token can be sent as an HTTP header value.

    Visible ASCII only: a CR/LF would make aiohttp raise (or split the
    header), so such a token is a vendor error, not something to send.
    """
    return bool(token) and all(0x21 <= ord(char) <= 0x7E for char in token)


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
    if parts.username is not None or parts.password is not None:
        # aiohttp refuses credentials in the URL of a request that also sends
        # an Authorization header; they have their own fields.
        raise ValueError("a base URL holds no user name or password")
    try:
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError as err:
        raise ValueError("invalid port") from err
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
    except TypeError, ValueError, OverflowError:
        return None
    return number if math.isfinite(number) else None


def as_datetime(value: Any) -> datetime | None:
    """Parse an ISO 8601 time to aware UTC; a time without offset is UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        # Year 1 with a positive offset or 9999 with a negative one has no
        # UTC form: such a row is unreadable, not a crash.
        return (
            parsed.replace(tzinfo=UTC)
            if parsed.tzinfo is None
            else parsed.astimezone(UTC)
        )
    except ValueError, OverflowError:
        return None


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


def error_message(body: bytes, secrets: Iterable[str | None] = ()) -> str:
    """Return the error text of a body, cut short, with ``secrets`` redacted.

    Pass every configured secret: a vendor may echo the request (and so a
    password or client secret) in its error body.
    """
    try:
        data = json.loads(body)
    except ValueError:
        return redact(body[:2000].decode(errors="replace"), secrets)[:200]
    if isinstance(data, Mapping):
        for key in ("message", "error_description", "error", "detail"):
            if isinstance(data.get(key), str):
                return redact(str(data[key]), secrets)[:200]
    return redact(str(data), secrets)[:200]


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
        self,
        request: Callable[[str], Awaitable[T]],
        refused: type[Exception],
        *,
        denied: Callable[[Exception], Exception] | None = None,
    ) -> T:
        """Run ``request`` with a token; on ``refused`` renew once and retry.

        A token can be revoked before its expiry; it is dropped only if no
        concurrent caller has renewed it meanwhile. When the retry with a
        fresh token is refused too, the token endpoint has just accepted the
        credentials: that is a permission or vendor problem, not a wrong
        password, so ``denied(error)`` is raised instead (default: a
        ``VendorResponseError``) and no reauthentication starts.
        """
        token = await self.get()
        try:
            return await request(token)
        except refused:
            async with self._lock:
                if self._token == token:
                    self._token = None
        try:
            return await request(await self.get())
        except refused as err:
            raise (
                denied(err)
                if denied is not None
                else VendorResponseError(
                    "the vendor refused a token it had just issued"
                )
            ) from err

    async def _renew(self) -> str:
        self.requests += 1
        self._token = None
        token, expires_in = await self._fetch()
        if not is_header_value(token):
            raise VendorResponseError("the vendor sent a token that is no header value")
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
