"""The one HTTP fetcher: politeness, retries, redirects, byte caps, conditional requests.

Plain typed data in (`FetchRequest`), plain typed data out (`FetchResult`); it knows nothing of
the catalogue. A network problem never raises: it becomes `FetchResult.error`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx

from optout_watch.fetching.addresses import AddressPolicy, NonPublicAddress
from optout_watch.fetching.connections import AiohttpTransport
from optout_watch.fetching.decode import decode_html
from optout_watch.fetching.failures import FAILURES, FetchErrorKind
from optout_watch.fetching.inflate import ACCEPTED, inflate
from optout_watch.settings import DEFAULTS


@dataclass(frozen=True, slots=True)
class Validators:
    """What a conditional request needs: the last run's `ETag` and `Last-Modified`."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchRequest:
    url: str
    """The URL to fetch, already remapped by the caller."""
    accept_language: str | None = None
    """Sent as is as `Accept-Language` (e.g. "fr"): no fallback language is added, so a page
    missing in that language shows whatever the site itself falls back to."""
    validators: Validators | None = None
    """From the last run: sent as `If-None-Match` / `If-Modified-Since`."""


@dataclass(frozen=True, slots=True)
class Hop:
    url: str
    """The URL requested at this hop."""
    status: int
    """The 3xx status it answered."""
    location: str
    """The absolute URL it pointed to."""


@dataclass(frozen=True, slots=True)
class FetchError:
    kind: FetchErrorKind
    message: str
    """A sentence a person understands."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str
    """As requested."""
    final_url: str
    """The last URL fetched."""
    status: int | None
    """The final status; None when no response came at all."""
    headers: Mapping[str, str]
    """The final response's headers, lower-case names."""
    body: bytes
    """Already decoded from its content-encoding; possibly cut at the byte cap (which bounds
    the decoded size, not the size sent)."""
    truncated: bool
    redirects: tuple[Hop, ...]
    attempts: int
    """Requests made for this URL, retries included, redirect hops not."""
    elapsed_ms: int
    """From the first request's start, so time spent queued behind other URLs does not count."""
    error: FetchError | None
    validators: Validators
    """From the final response (for a 304 that omits them, the ones that were sent)."""

    def text(self) -> str:
        return decode_html(self.body, self.headers.get("content-type")).text


@dataclass(frozen=True, slots=True)
class FetchSettings:
    max_concurrency: int = DEFAULTS.max_concurrency
    per_host: int = DEFAULTS.per_host
    min_host_interval: float = 0.0
    """Seconds between two request starts to one host."""
    timeout: float = DEFAULTS.timeout
    """Per request: connect, read, write and pool each."""
    deadline: float = DEFAULTS.deadline
    """Per URL, all attempts and hops included: connecting, headers and body alike."""
    max_bytes: int = 5 * 1024 * 1024
    retries: int = DEFAULTS.retries
    """Extra attempts after the first."""
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 60.0
    max_redirects: int = 10
    user_agent: str = DEFAULTS.user_agent


DEFAULT_SETTINGS = FetchSettings()
#: Connect to public addresses only (see `addresses`).
PUBLIC_ONLY = AddressPolicy()

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: Below this many seconds a host's extra interval is dropped rather than halved forever.
_PENALTY_FLOOR = 0.05
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
#: The name `Location` goes by while httpx handles a response (see `_keep_location`).
_KEPT_LOCATION = "x-optout-watch-location"
_RESOLVER_MESSAGES = (
    "name or service not known",
    "nodename nor servname",
    "no address associated with hostname",
    "temporary failure in name resolution",
    "getaddrinfo failed",
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def _keep_location(response: httpx.Response) -> None:
    """Hide `Location` from httpx, which builds the next request from it even when it follows
    no redirect, and raises on a location it cannot request (mailto:, malformed); this module
    follows redirects itself and judges such locations."""
    if "location" in response.headers:
        response.headers[_KEPT_LOCATION] = response.headers.pop("location")


@dataclass(slots=True, eq=False)
class _Host:
    """Politeness state of one host, owned by one `Fetcher`."""

    slots: asyncio.Semaphore
    in_flight: int = 0
    """Requests holding a global slot for this host."""
    last_start: float = float("-inf")
    penalty: float = 0.0
    """Extra seconds between starts, widened by 429 and 5xx answers, halved by good ones."""
    not_before: float = float("-inf")
    """No request starts before this (the host's last `Retry-After`)."""


class _GlobalSlots:
    """The global limit. A freed slot goes to the waiting request whose host has the fewest
    requests in flight (first come, first served among equals), so that when the limit is
    below what the hosts would take, the load spreads over all of them."""

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._waiting: list[tuple[_Host, asyncio.Future[None]]] = []

    @contextlib.asynccontextmanager
    async def hold(self, host: _Host) -> AsyncIterator[None]:
        await self._acquire(host)
        try:
            yield
        finally:
            self._release(host)

    async def _acquire(self, host: _Host) -> None:
        if self._free > 0:
            self._free -= 1
            host.in_flight += 1
            return
        granted = asyncio.get_running_loop().create_future()
        self._waiting.append((host, granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.cancelled():
                self._waiting.remove((host, granted))
            else:  # handed a slot just before the cancellation arrived
                self._release(host)
            raise

    def _release(self, host: _Host) -> None:
        host.in_flight -= 1
        if not self._waiting:
            self._free += 1
            return
        turn = min(range(len(self._waiting)), key=lambda i: self._waiting[i][0].in_flight)
        next_host, granted = self._waiting.pop(turn)
        next_host.in_flight += 1
        granted.set_result(None)


@dataclass(slots=True)
class _Progress:
    """One URL's fetch so far, across hops and attempts."""

    hops: list[Hop] = field(default_factory=list)
    attempts: int = 0
    started: float | None = None
    deadline_at: float = float("inf")


@dataclass(slots=True)
class _Partial:
    """What one request has received so far, kept when the deadline cuts it short."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)


@dataclass(frozen=True, slots=True)
class _Answer:
    """What one request gave."""

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False
    error: FetchError | None = None
    retry_after: float | None = None


class Fetcher:
    """Fetches URLs politely; an async context manager owning one `httpx.AsyncClient`.

    Every request is a GET: HEAD is refused or answered differently from GET by too many
    servers to tell whether a page works.
    """

    def __init__(
        self,
        settings: FetchSettings = DEFAULT_SETTINGS,
        *,
        address_policy: AddressPolicy = PUBLIC_ONLY,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._rng = rng if rng is not None else random.Random()
        self._global = _GlobalSlots(settings.max_concurrency)
        self._hosts: dict[str, _Host] = {}
        self._client = httpx.AsyncClient(
            transport=transport
            or AiohttpTransport(
                per_host=settings.per_host,
                max_connections=settings.max_concurrency,
                policy=address_policy,
            ),
            follow_redirects=False,
            timeout=settings.timeout,
            headers={
                "User-Agent": settings.user_agent,
                "Accept": _ACCEPT,
                # Only what `inflate` undoes a piece at a time, whatever httpx could decode.
                "Accept-Encoding": ", ".join(ACCEPTED),
            },
            # No cookies: each URL is checked as a first visit, whatever was fetched before.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            event_hooks={"response": [_keep_location]},
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._client.aclose()

    async def fetch_all(
        self,
        requests: Sequence[FetchRequest],
        on_result: Callable[[FetchResult], None] | None = None,
    ) -> list[FetchResult]:
        """Fetch all `requests` at once (the limits do the pacing); results in the same order.

        One task per request, so a host with many URLs never holds back the others.
        """

        async def fetch_one(request: FetchRequest) -> FetchResult:
            result = await self.fetch(request)
            if on_result is not None:
                on_result(result)
            return result

        return list(await asyncio.gather(*(fetch_one(request) for request in requests)))

    async def fetch(self, request: FetchRequest) -> FetchResult:
        progress = _Progress()
        url = request.url
        if (problem := _unsupported(url)) is not None:
            return self._result(request, progress, url, _Answer(error=problem))
        headers = _request_headers(request)
        seen = {_without_fragment(url)}
        while True:
            answer = await self._fetch_with_retries(url, headers, progress)
            status, location = answer.status, answer.headers.get("location")
            if answer.error is not None or status not in _REDIRECT_STATUSES or not location:
                return self._result(request, progress, url, answer)
            target, problem = _resolve_location(url, location)
            if problem is not None:
                return self._result(request, progress, url, _replace_error(answer, problem))
            progress.hops.append(Hop(url, status, target))
            if _without_fragment(target) in seen:
                problem = FetchError(
                    FetchErrorKind.REDIRECT_LOOP,
                    f"redirect loop: {url} redirects to {target}, already seen in this chain",
                )
                return self._result(request, progress, url, _replace_error(answer, problem))
            if len(progress.hops) > self._settings.max_redirects:
                problem = FetchError(
                    FetchErrorKind.TOO_MANY_REDIRECTS,
                    f"more than {self._settings.max_redirects} redirects; "
                    f"the last one went from {url} to {target}",
                )
                return self._result(request, progress, url, _replace_error(answer, problem))
            seen.add(_without_fragment(target))
            url = target

    async def _fetch_with_retries(
        self, url: str, headers: Mapping[str, str], progress: _Progress
    ) -> _Answer:
        retry = 0
        while True:
            answer = await self._attempt(url, headers, progress)
            delay = self._retry_delay(answer, retry)
            if delay is None or self._clock() + delay > progress.deadline_at:
                return answer
            await self._sleep(delay)
            retry += 1

    def _retry_delay(self, answer: _Answer, retry: int) -> float | None:
        """Seconds to wait before trying again, or None when there is no point."""
        if retry >= self._settings.retries:
            return None
        if answer.error is not None:
            if not FAILURES[answer.error.kind].retryable:
                return None
        elif answer.status not in _RETRY_STATUSES:
            return None
        if answer.retry_after is not None:
            return answer.retry_after
        # Exponential backoff with full jitter, so retries of many URLs do not arrive together.
        ceiling = min(self._settings.backoff_max, self._settings.backoff_base * 2**retry)
        return self._rng.uniform(0.0, ceiling)

    async def _attempt(self, url: str, headers: Mapping[str, str], progress: _Progress) -> _Answer:
        host = self._host(urlsplit(url).hostname or "")
        # The host's slot first, then a global one: a global slot is never held while this
        # request waits for its host, so idle hosts keep the global slots busy.
        async with host.slots:
            await self._wait_turn(host)
            async with self._global.hold(host):
                started = self._clock()
                if progress.started is None:
                    progress.started = started
                    progress.deadline_at = started + self._settings.deadline
                progress.attempts += 1
                remaining = progress.deadline_at - started
                if remaining <= 0:
                    return _Answer(error=_deadline_error(url))
                answer = await self._exchange(
                    url, headers, min(self._settings.timeout, remaining), progress.deadline_at
                )
        if _kind(answer) == FetchErrorKind.TIMEOUT and remaining < self._settings.timeout:
            answer = _replace_error(answer, _deadline_error(url))  # the deadline cut it short
        self._learn(host, answer)
        return answer

    def _host(self, name: str) -> _Host:
        if (host := self._hosts.get(name)) is None:
            host = self._hosts[name] = _Host(asyncio.Semaphore(self._settings.per_host))
        return host

    async def _wait_turn(self, host: _Host) -> None:
        """Space request starts to one host; the start is reserved before waiting, so the
        holders of the host's other slots line up behind it."""
        now = self._clock()
        interval = self._settings.min_host_interval + host.penalty
        start = max(now, host.last_start + interval, host.not_before)
        host.last_start = start
        if start > now:
            await self._sleep(start - now)

    def _learn(self, host: _Host, answer: _Answer) -> None:
        """Widen the host's interval when it says it is overloaded; relax it when it is not."""
        if answer.status is None:
            return
        if answer.status == 429 or answer.status >= 500:
            widened = max(self._settings.backoff_base, host.penalty * 2)
            host.penalty = min(self._settings.backoff_max, widened)
        else:
            halved = host.penalty / 2
            host.penalty = halved if halved >= _PENALTY_FLOOR else 0.0
        if answer.retry_after is not None:
            host.not_before = max(host.not_before, self._clock() + answer.retry_after)

    async def _exchange(
        self, url: str, headers: Mapping[str, str], timeout: float, deadline_at: float
    ) -> _Answer:
        """One request, all of it within the URL's deadline. The read timeout starts again at
        every byte, so a server that sends its headers or its body a byte at a time would never
        run it out: the deadline bounds the whole exchange, and what came before it is kept."""
        received = _Partial()
        try:
            async with asyncio.timeout(deadline_at - self._clock()):
                return await self._request(url, headers, timeout, received)
        except TimeoutError:
            body = bytes(received.body)
            return _Answer(received.status, received.headers, body, error=_deadline_error(url))

    async def _request(
        self, url: str, headers: Mapping[str, str], timeout: float, received: _Partial
    ) -> _Answer:
        try:
            async with self._client.stream("GET", url, headers=headers, timeout=timeout) as reply:
                status = received.status = reply.status_code
                reply_headers = received.headers = dict(reply.headers.items())
                if _KEPT_LOCATION in reply_headers:
                    reply_headers["location"] = reply_headers.pop(_KEPT_LOCATION)
                retry_after = None
                if status in _RETRY_STATUSES:
                    retry_after = self._retry_after(reply_headers.get("retry-after"))
                if status in _REDIRECT_STATUSES:
                    # The body of a redirect tells nothing; closing the stream skips it.
                    return _Answer(status, reply_headers, retry_after=retry_after)
                truncated, error = await self._read_body(reply, received.body, url, timeout)
                body = bytes(received.body)
                return _Answer(status, reply_headers, body, truncated, error, retry_after)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return _Answer(error=_describe(exc, url, timeout))

    async def _read_body(
        self, reply: httpx.Response, body: bytearray, url: str, timeout: float
    ) -> tuple[bool, FetchError | None]:
        """Read into `body` at most `max_bytes` once decoded, never more in memory (the
        encodings are undone a piece at a time); keep what was read on a problem. Returns
        whether the body was cut at the cap, and the problem."""
        cap = self._settings.max_bytes
        pieces = inflate(reply.aiter_raw(), reply.headers.get("content-encoding"))
        try:
            async with contextlib.aclosing(pieces):
                async for piece in pieces:
                    if len(body) + len(piece) > cap:
                        body += piece[: cap - len(body)]
                        return True, None
                    body += piece
        except httpx.HTTPError as exc:
            return False, _describe(exc, url, timeout)
        return False, None

    def _retry_after(self, value: str | None) -> float | None:
        """`Retry-After` in seconds (delta-seconds or an HTTP-date), capped; None if absent or
        unreadable."""
        if value is None:
            return None
        value = value.strip()
        if value.isdigit():
            seconds = float(value)
        else:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:  # "-0000" dates: HTTP-dates are always GMT
                when = when.replace(tzinfo=UTC)
            seconds = (when - self._now()).total_seconds()
        return min(max(seconds, 0.0), self._settings.retry_after_max)

    def _result(
        self, request: FetchRequest, progress: _Progress, final_url: str, answer: _Answer
    ) -> FetchResult:
        elapsed = 0.0 if progress.started is None else self._clock() - progress.started
        return FetchResult(
            url=request.url,
            final_url=final_url,
            status=answer.status,
            headers=answer.headers,
            body=answer.body,
            truncated=answer.truncated,
            redirects=tuple(progress.hops),
            attempts=progress.attempts,
            elapsed_ms=round(elapsed * 1000),
            error=answer.error,
            validators=_validators(answer, request.validators),
        )


def _request_headers(request: FetchRequest) -> dict[str, str]:
    validators = request.validators or Validators()
    candidates = {
        "Accept-Language": request.accept_language,
        "If-None-Match": validators.etag,
        "If-Modified-Since": validators.last_modified,
    }
    # httpx refuses non-ASCII header values; these headers are all optional, so such a value
    # (an odd ETag seen last run) is left out rather than failing the fetch.
    return {name: value for name, value in candidates.items() if value and value.isascii()}


def _validators(answer: _Answer, sent: Validators | None) -> Validators:
    etag = answer.headers.get("etag")
    last_modified = answer.headers.get("last-modified")
    if answer.status == 304 and sent is not None:
        # A 304 may omit them; what was sent still describes the unchanged page.
        etag = etag or sent.etag
        last_modified = last_modified or sent.last_modified
    return Validators(etag, last_modified)


def _unsupported(url: str) -> FetchError | None:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        return FetchError(FetchErrorKind.INVALID_URL, f"invalid URL {url!r}: {exc}")
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        return FetchError(
            FetchErrorKind.INVALID_URL, f"not an http(s) URL with a host name: {url!r}"
        )
    return None


def _resolve_location(url: str, location: str) -> tuple[str, FetchError | None]:
    """The absolute URL a `Location` header points to, relative ones resolved against `url`."""
    unusable = FetchError(
        FetchErrorKind.INVALID_URL, f"{url} redirects to an unusable location {location!r}"
    )
    try:
        target = str(httpx.URL(url).join(location))
    except httpx.InvalidURL:
        return location, unusable
    return target, (unusable if _unsupported(target) is not None else None)


def _without_fragment(url: str) -> str:
    """The URL without its fragment, by a string cut: redirect targets are already in httpx's
    normal form, and parsing each again costs more than the loop check needs."""
    return url.partition("#")[0]


def _kind(answer: _Answer) -> FetchErrorKind | None:
    return answer.error.kind if answer.error is not None else None


def _replace_error(answer: _Answer, error: FetchError) -> _Answer:
    return _Answer(answer.status, answer.headers, answer.body, answer.truncated, error)


def _deadline_error(url: str) -> FetchError:
    return FetchError(FetchErrorKind.DEADLINE, f"{url} took longer than the deadline for one URL")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and everything that caused it (httpx wraps httpcore, which wraps the OS error)."""
    pending = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def _describe(exc: Exception, url: str, timeout: float) -> FetchError:
    """Turn an httpx exception into a kind and a sentence."""
    host = httpx.URL(url).host
    causes = list(_chain(exc))
    refused = next((cause for cause in causes if isinstance(cause, NonPublicAddress)), None)
    if refused is not None:
        return FetchError(
            FetchErrorKind.NON_PUBLIC_ADDRESS,
            f"refused to connect: {refused}; nothing was fetched there (only the hosts a "
            "--remap rule names may be non-public)",
        )
    if isinstance(exc, httpx.TimeoutException):
        what = {
            httpx.ConnectTimeout: f"could not connect to {host}",
            httpx.WriteTimeout: f"could not send the request to {host}",
            httpx.PoolTimeout: "no free connection",
        }.get(type(exc), f"no answer from {host}")
        return FetchError(FetchErrorKind.TIMEOUT, f"timeout: {what} within {timeout:g} s")
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return FetchError(FetchErrorKind.INVALID_URL, f"cannot request {url!r}: {exc}")
    if any(isinstance(cause, ssl.SSLError) for cause in causes):
        return FetchError(FetchErrorKind.TLS, f"TLS failure with {host}: {exc}")
    if isinstance(exc, httpx.ConnectError):
        if any(isinstance(cause, socket.gaierror) for cause in causes) or any(
            text in str(exc).lower() for text in _RESOLVER_MESSAGES
        ):
            return FetchError(FetchErrorKind.DNS, f"unknown host {host}: the name does not resolve")
        return FetchError(
            FetchErrorKind.CONNECT, f"could not connect to {host}: {_os_reason(causes, exc)}"
        )
    if isinstance(exc, httpx.ProtocolError | httpx.DecodingError):
        return FetchError(FetchErrorKind.PROTOCOL, f"invalid answer from {host}: {exc}")
    return FetchError(
        FetchErrorKind.NETWORK, f"connection to {host} broke: {_os_reason(causes, exc)}"
    )


def _os_reason(causes: Sequence[BaseException], exc: Exception) -> str:
    """The operating system's words ("connection refused") when it gave any."""
    for cause in causes:
        if isinstance(cause, OSError) and cause.errno:
            return os.strerror(cause.errno).lower()
    return str(exc) or type(exc).__name__
