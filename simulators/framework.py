"""Shared machinery for the vendor API simulators.

Every vendor simulator subclasses :class:`Simulator`: it declares its routes,
and the framework wraps them with per-endpoint request counters, switchable
fault injection and a clock that follows the test's (frozen) time. Tests reach
the simulator object through ``app[SIMULATOR]``.
"""

import asyncio
import base64
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import hashlib
import hmac
import json
import secrets
from typing import Any, ClassVar

from aiohttp import web

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def utcnow() -> datetime:
    """Return the current time; freezegun in tests moves it with HA's clock."""
    return datetime.now(UTC)


class Fault(StrEnum):
    """Failures a test can switch on for one endpoint or for all of them."""

    UNAUTHORIZED = "unauthorized"
    """401, as for a missing, revoked or expired token."""
    RATE_LIMIT = "rate_limit"
    """429 with a ``Retry-After`` header."""
    SERVER_ERROR = "server_error"
    """500 with a JSON error body."""
    SLOW = "slow"
    """Answer only after ``delay`` seconds (past a client's timeout)."""
    MALFORMED_JSON = "malformed_json"
    """200 with a JSON content type and a truncated body."""
    EMPTY_PAGE = "empty_page"
    """Paginated endpoints answer with no rows (the envelope stays intact)."""


@dataclass
class _ArmedFault:
    fault: Fault
    endpoint: str | None
    remaining: int | None
    retry_after: int | None
    delay: float


@dataclass
class Faults:
    """The fault switches of one simulator.

    ``inject`` arms a fault for ``times`` requests (``None``: until ``clear``)
    on one endpoint name, or on every endpoint when ``endpoint`` is ``None``.
    The first armed fault that matches a request fires.
    """

    _armed: list[_ArmedFault] = field(default_factory=list)

    def inject(
        self,
        fault: Fault,
        *,
        endpoint: str | None = None,
        times: int | None = 1,
        retry_after: int | None = 60,
        delay: float = 30.0,
    ) -> None:
        """Arm ``fault``; see the class docstring for the arguments."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 or None")
        self._armed.append(_ArmedFault(fault, endpoint, times, retry_after, delay))

    def clear(self) -> None:
        """Disarm every fault."""
        self._armed.clear()

    def take(self, endpoint: str, kinds: Sequence[Fault]) -> _ArmedFault | None:
        """Return (and use up one shot of) the first armed fault of ``kinds``."""
        for armed in self._armed:
            if armed.fault in kinds and armed.endpoint in (None, endpoint):
                if armed.remaining is not None:
                    armed.remaining -= 1
                    if armed.remaining == 0:
                        self._armed.remove(armed)
                return armed
        return None


_REQUEST_FAULTS = (Fault.UNAUTHORIZED, Fault.RATE_LIMIT, Fault.SERVER_ERROR, Fault.SLOW)


def b64url(data: bytes) -> str:
    """Encode like JWT segments do: URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims: dict[str, Any], key: bytes) -> str:
    """Return an HS256-signed JWT, the token shape the vendors hand out."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


@dataclass
class IssuedToken:
    """One bearer token the simulator handed out."""

    token: str
    subject: str
    expires_at: datetime


class TokenStore:
    """Bearer tokens with a lifetime measured on the simulator's clock."""

    def __init__(self, lifetime: timedelta, clock: Callable[[], datetime]) -> None:
        """Create an empty store; tokens live ``lifetime`` from issue."""
        self.lifetime = lifetime
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._tokens: dict[str, IssuedToken] = {}

    def issue(self, subject: str, **claims: Any) -> IssuedToken:
        """Issue a JWT-shaped token for ``subject``."""
        now = self._clock()
        expires = now + self.lifetime
        token = make_jwt(
            {
                **claims,
                "sub": subject,
                "iat": int(now.timestamp()),
                "exp": int(expires.timestamp()),
                "jti": secrets.token_hex(8),
            },
            self._key,
        )
        issued = IssuedToken(token, subject, expires)
        self._tokens[token] = issued
        return issued

    def validate(self, token: str | None) -> IssuedToken | None:
        """Return the token's record when it exists and has not expired."""
        if token is None or (issued := self._tokens.get(token)) is None:
            return None
        if self._clock() >= issued.expires_at:
            return None
        return issued

    def expire_all(self) -> None:
        """Make every issued token invalid, as a vendor-side revocation does."""
        self._tokens.clear()

    @staticmethod
    def bearer(request: web.Request) -> str | None:
        """Return the bearer token of a request, if it carries one."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        return value.strip()


def json_error(status: int, message: str, **extra: Any) -> web.Response:
    """Return a JSON error response with the given status."""
    return web.json_response({"message": message, **extra}, status=status)


class Simulator:
    """Base of a vendor simulator: state, counters, faults and the app factory.

    Subclasses set ``name`` and implement :meth:`routes`, naming each route
    (the name is the endpoint's counter and fault-targeting key).
    """

    name: ClassVar[str] = "simulator"
    prefix: ClassVar[str] = ""
    """Path the vendor's API lives under; part of the base URL clients use."""
    port_offset: ClassVar[int] = 0
    """Added to ``python -m simulators``'s base port: each vendor's own port."""

    def __init__(
        self, *, seed: int = 1, clock: Callable[[], datetime] = utcnow
    ) -> None:
        """Create the simulator's state."""
        self.seed = seed
        self.clock = clock
        self.counters: Counter[str] = Counter()
        self.rows_served: Counter[str] = Counter()
        """Rows answered per endpoint by :meth:`page` (how big a refresh was)."""
        self.bytes_served: Counter[str] = Counter()
        """Response body bytes per endpoint and in ``total`` (what a day costs)."""
        self.faults = Faults()

    def routes(self) -> list[web.RouteDef]:
        """Return the vendor's named routes."""
        raise NotImplementedError

    def demo_credentials(self) -> dict[str, str]:
        """Return the config-entry fields that log in to this simulator."""
        raise NotImplementedError

    def reset_counters(self) -> None:
        """Forget the request counts (between the phases of a test)."""
        self.counters.clear()
        self.rows_served.clear()
        self.bytes_served.clear()

    def rejects_unauthorized(self, endpoint: str) -> bool:
        """Consume a matching UNAUTHORIZED fault; for handlers that check auth."""
        return self.faults.take(endpoint, (Fault.UNAUTHORIZED,)) is not None

    def page[T](
        self, endpoint: str, rows: Sequence[T], skip: int, take: int
    ) -> list[T]:
        """Return one page of ``rows``; honours the EMPTY_PAGE fault."""
        if self.faults.take(endpoint, (Fault.EMPTY_PAGE,)) is not None:
            return []
        page = list(rows[skip : skip + take])
        self.rows_served[endpoint] += len(page)
        return page

    def empty_page(self, endpoint: str) -> bool:
        """Consume a matching EMPTY_PAGE fault for a non-sliced list endpoint."""
        return self.faults.take(endpoint, (Fault.EMPTY_PAGE,)) is not None

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        route = request.match_info.route
        endpoint = route.name or "unmatched"
        self.counters[endpoint] += 1
        self.counters["total"] += 1
        armed = self.faults.take(endpoint, _REQUEST_FAULTS)
        if armed is not None:
            match armed.fault:
                case Fault.UNAUTHORIZED:
                    return json_error(401, "Unauthorized")
                case Fault.RATE_LIMIT:
                    limited = json_error(429, "Too many requests")
                    if armed.retry_after is not None:
                        limited.headers["Retry-After"] = str(armed.retry_after)
                    return limited
                case Fault.SERVER_ERROR:
                    return json_error(500, "Internal server error")
                case Fault.SLOW:
                    await asyncio.sleep(armed.delay)
        response = await handler(request)
        if self.faults.take(endpoint, (Fault.MALFORMED_JSON,)) is not None:
            return web.Response(
                status=200,
                body=b'{"data": [{"truncated',
                content_type="application/json",
            )
        if isinstance(response, web.Response) and isinstance(response.body, bytes):
            self.bytes_served[endpoint] += len(response.body)
            self.bytes_served["total"] += len(response.body)
        return response

    def build_app(self) -> web.Application:
        """Return the ``aiohttp.web`` application serving this simulator."""
        app = web.Application(middlewares=[self._middleware])
        app[SIMULATOR] = self
        app.add_routes(self.routes())
        return app


SIMULATOR = web.AppKey("simulator", Simulator)
