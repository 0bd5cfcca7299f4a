"""The one HTTP fetcher: redirects, byte caps, deadlines, conditional requests.

Plain typed data in (`FetchRequest`), plain typed data out (`FetchResult`), both in `model`;
it knows nothing of the catalogue. A network problem never raises: it becomes
`FetchResult.error` (worded by `network_errors`). How many requests go out, and how far apart,
is `politeness`; when a URL is tried again, `retries`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx

from optout_watch.fetching.addresses import AddressPolicy
from optout_watch.fetching.connections import AiohttpTransport
from optout_watch.fetching.failures import FetchErrorKind
from optout_watch.fetching.inflate import ACCEPTED, inflate
from optout_watch.fetching.model import (
    DEFAULT_SETTINGS,
    FetchError,
    FetchRequest,
    FetchResult,
    FetchSettings,
    Hop,
    Validators,
)
from optout_watch.fetching.network_errors import describe
from optout_watch.fetching.politeness import Politeness
from optout_watch.fetching.retries import RETRY_STATUSES, retry_after_seconds, retry_delay

#: Connect to public addresses only (see `addresses`).
PUBLIC_ONLY = AddressPolicy()

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
#: The name `Location` goes by while httpx handles a response (see `_keep_location`).
_KEPT_LOCATION = "x-optout-watch-location"


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def _keep_location(response: httpx.Response) -> None:
    """Hide `Location` from httpx, which builds the next request from it even when it follows
    no redirect, and raises on a location it cannot request (mailto:, malformed); this module
    follows redirects itself and judges such locations."""
    if "location" in response.headers:
        response.headers[_KEPT_LOCATION] = response.headers.pop("location")


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
        self._politeness = Politeness(settings, sleep=sleep, clock=clock)
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
            delay = retry_delay(
                self._settings,
                self._rng,
                retry=retry,
                status=answer.status,
                error=answer.error,
                retry_after=answer.retry_after,
            )
            if delay is None or self._clock() + delay > progress.deadline_at:
                return answer
            await self._sleep(delay)
            retry += 1

    async def _attempt(self, url: str, headers: Mapping[str, str], progress: _Progress) -> _Answer:
        async with self._politeness.turn(urlsplit(url).hostname or "") as host:
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
        self._politeness.learn(host, answer.status, answer.retry_after)
        return answer

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
                if status in RETRY_STATUSES:
                    retry_after = retry_after_seconds(
                        reply_headers.get("retry-after"),
                        self._now(),
                        self._settings.retry_after_max,
                    )
                if status in _REDIRECT_STATUSES:
                    # The body of a redirect tells nothing; closing the stream skips it.
                    return _Answer(status, reply_headers, retry_after=retry_after)
                truncated, error = await self._read_body(reply, received.body, url, timeout)
                body = bytes(received.body)
                return _Answer(status, reply_headers, body, truncated, error, retry_after)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return _Answer(error=describe(exc, url, timeout))

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
            return False, describe(exc, url, timeout)
        return False, None

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
